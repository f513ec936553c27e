"""Windows collector: a replayed scan of the Z820 machine, every failure mode, argv safety.

The replay (``tests/fixtures/collect/windows-z820/``) is one file per command with an
``index.json`` mapping argv (or a file path) to it; it is consistent with the z820
example (``examples/z820``). Scans go through the real :func:`scan` with
``system="Windows"``, so planning, discovery and parallel fetching are all exercised.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import windows
from netatlas.collect.runner import DEFAULT_TIMEOUT, ReplayRunner, Result, classify_exit
from netatlas.collect.scan import scan
from netatlas.model import Failure, VantageKind
from netatlas.parsers import parse

REPLAY = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "windows-z820"
INDEX: dict[str, Any] = json.loads((REPLAY / "index.json").read_text(encoding="utf-8"))
HOSTS = "C:\\Windows\\System32\\drivers\\etc\\hosts"
SYS32 = "C:\\Windows\\System32\\"
WSL = SYS32 + "wsl.exe"
PS = SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe"
DISTRO_CMDS = ("ip-addr-json", "ip-route-json", "resolv-conf", "hosts", "wsl-conf", "ss-listen", "getent-hosts")


def _recorded(entry: dict[str, Any]) -> bytes | Result:
    data: bytes = (REPLAY / entry["file"]).read_bytes()
    code: int = entry.get("exit_code", 0)
    err = (REPLAY / entry["stderr"]).read_bytes() if "stderr" in entry else b""
    if code == 0 and not err:
        return data
    argv: tuple[str, ...] = tuple(entry["argv"])
    return Result(argv, data, err, code, failure=classify_exit(argv, code, err) if code else None)


def replay(
    *,
    drop: Callable[[tuple[str, ...]], bool] = lambda a: False,
    commands: dict[tuple[str, ...], bytes | Result] | None = None,
    files: dict[str, bytes | Result] | None = None,
) -> ReplayRunner:
    """The Z820 replay, with some commands dropped (missing) or replaced."""
    cmds: dict[tuple[str, ...], bytes | Result] = {
        tuple(c["argv"]): _recorded(c) for c in INDEX["commands"] if not drop(tuple(c["argv"]))
    }
    cmds.update(commands or {})
    fs: dict[str, bytes | Result] = {f["path"]: (REPLAY / f["file"]).read_bytes() for f in INDEX["files"]}
    fs.update(files or {})
    return ReplayRunner(cmds, fs)


@pytest.fixture(autouse=True)
def z820_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in INDEX["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(windows, "oem_codepage", lambda: "cp437")  # GetOEMCP of en-US


def _scan(rr: ReplayRunner) -> Bundle:
    return scan(rr, system="Windows")


def _by_id(b: Bundle) -> dict[str, Any]:
    return {e.id: e for e in b.evidence}


def _failure(b: Bundle, ev_id: str) -> str | None:
    f = _by_id(b)[ev_id].failure
    return None if f is None else str(f.code)


def _wsl_utf16(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-16-le")


# --------------------------------------------------------------------------- the Z820 scan


def test_z820_vantages() -> None:
    b = _scan(replay())
    got = {v.id: (v.kind, v.name, v.parent, v.channel) for v in b.vantages}
    assert got == {
        "host": (VantageKind.WINDOWS_HOST, "Z820", None, "local"),
        "wsl:Ubuntu": (VantageKind.WSL_DISTRO, "Ubuntu", "host", "wsl"),
        "wsl:kali-linux": (VantageKind.WSL_DISTRO, "kali-linux", "host", "wsl"),
        "docker-desktop": (VantageKind.DOCKER_DESKTOP_VM, "docker-desktop", "host", "wsl"),
    }
    assert b.meta["platform"] == "Windows"


def test_z820_evidence_kinds_and_no_failures() -> None:
    rr = replay()
    b = _scan(rr)
    kinds: dict[str, set[str]] = {}
    for e in b.evidence:
        kinds.setdefault(e.vantage, set()).add(e.kind)
    assert kinds["host"] == {
        "ipconfig",
        "route-print",
        "ps-netipaddress",
        "ps-netroute",
        "ps-netipinterface",
        "ps-dnsclientserver",
        "ps-dnsclientnrptpolicy",
        "ps-netadapter",
        "ps-nettcpconnection",
        "ps-netfirewall",
        "hosts",
        "netsh-portproxy",
        "wsl-list",
        "wsl-version",
        "wsl-status",
        "wslconfig",
        "docker-desktop-settings",
    }
    assert kinds["wsl:Ubuntu"] == set(DISTRO_CMDS)
    # kali has no /etc/wsl.conf: `cat` fails with "No such file", an optional source, dropped
    assert kinds["wsl:kali-linux"] == set(DISTRO_CMDS) - {"wsl-conf"}
    # BusyBox userland: the kernel's /proc/net files and `ip addr` text, never `ip -j`;
    # and the VM's packet filter (this VM has no nft: that optional source is dropped)
    assert kinds["docker-desktop"] == {
        "proc-net-fib-trie",
        "proc-net-route",
        "proc-net-if-inet6",
        "ip-addr",
        "resolv-conf",
        "hosts",
        "iptables-save",
    }
    assert not [c for c in rr.calls if "docker-desktop" in c and "ip" in c and "-j" in c]
    assert not [e.id for e in b.evidence if e.failure is not None]
    assert set(windows.PRODUCES) >= {e.kind for e in b.evidence}
    # docker-desktop-data is Running too, but it has no shell and is never entered
    assert not [c for c in rr.calls if "docker-desktop-data" in c]
    # discovery ran wsl -l -v once; its output is the evidence, byte for byte
    assert rr.calls.count((WSL, "-l", "-v")) == 1
    assert _by_id(b)["host/wsl-list"].data == (REPLAY / "host-wsl-list.out").read_bytes()


def test_z820_every_evidence_parses() -> None:
    for e in _scan(replay()).evidence:
        if e.kind == "ps-dnsclientnrptpolicy":  # no NRPT rule on the Z820: ConvertTo-Json wrote nothing
            assert e.data == b"" and e.failure is None
            continue
        parse(e.kind, e.data, source=e.id)


def test_z820_atlas_shows_wsl_nat_with_host_and_shared_vm_and_the_lan() -> None:
    atlas = build_atlas(_scan(replay()))
    assert not atlas.problems
    vm = atlas.node("node:wsl-vm")
    assert vm is not None and vm.kind == "vm"
    assert set(vm.vantages) == {"wsl:Ubuntu", "wsl:kali-linux"}
    assert vm.parent == "node:host"
    nat = atlas.network("net:172.25.144.0/20")
    assert nat is not None and nat.kind == "wsl-nat"
    assert {(a.node, str(a.address)) for a in nat.attachments} == {
        ("node:host", "172.25.144.1"),
        ("node:wsl-vm", "172.25.150.37"),
    }
    lan = atlas.network("net:192.168.1.0/24")
    assert lan is not None and lan.kind == "lan"
    assert {(a.node, str(a.address)) for a in lan.attachments} >= {
        ("node:host", "192.168.1.20"),
        ("node:host", "192.168.1.21"),
        ("node:router:192.168.1.1", "192.168.1.1"),
    }
    dd = atlas.node("node:docker-desktop")
    assert dd is not None and dd.parent == "node:host"
    host = atlas.node("node:host")
    assert host is not None
    wsl_if = next(i for i in host.interfaces if i.name == "vEthernet (WSL)")
    assert wsl_if.mac == "00:15:5d:2a:8f:31"  # ipconfig and Get-NetAdapter agree
    assert [str(s) for s in host.dns.servers] == ["192.168.1.1"]


@pytest.mark.parametrize(
    ("src", "dst", "port", "reached", "said"),
    [
        # a Windows service on all IPv4 addresses; the inbound rules read (host/ps-netfirewall) allow nothing on it
        ("lan", "192.168.1.20", 5040, False, "no inbound rule allows it; the Domain profile's default is Block"),
        ("lan", "192.168.1.20", 8000, False, "listens on 127.0.0.1:8000 only"),  # WSL's localhost relay
        ("lan", "192.168.1.20", 9999, False, "listens on port 9999"),  # nothing does: connection refused
        # Windows' wildcard sockets are one family each: 0.0.0.0 takes no IPv6
        ("host", "::1", 5040, False, "listens on 0.0.0.0:5040, not on ::1"),
        ("host", "::1", 445, True, "[::]:445 accepts it"),
        ("host", "::1", 8000, True, "carries ::1:8000 into"),  # wslrelay listens on both loopbacks
        ("host", "::1", 2222, False, "forwards port 2222 on 0.0.0.0 only"),  # a v4tov4 rule takes IPv4 only
    ],
)
def test_why_on_the_windows_host_reads_its_listeners(src: str, dst: str, port: int, reached: bool, said: str) -> None:
    """Get-NetTCPConnection's listeners decide, where before a port was assumed served."""
    from netatlas.reach import why

    result = why(build_atlas(_scan(replay())), src, dst, port)
    text = " ".join([result.reason or "", *(h.note for h in result.hops)])
    assert (result.verdict == "delivered") is reached, text
    if reached and src == "lan":  # from another machine, the inbound rules it did not read could stop it
        assert result.reachable is None and "Windows Firewall on" in result.unread[0]
    assert said in text, text
    assert "assumes port" not in text


IP_ADDR = (WSL, "-d", "docker-desktop", "-u", "root", "--exec", "ip", "addr")


@pytest.mark.parametrize(
    "stderr",
    [
        # WSL 2.3.11 and later (microsoft/WSL#11571, benhillis' comment), then before it
        b"<3>WSL (498) ERROR: CreateProcessCommon:500: execvpe(ip) failed: No such file or directory\r\n",
        b"<3>WSL (1288) ERROR: CreateProcessEntryCommon:505: execvpe ip failed 2\r\n"
        b"<3>WSL (1288) ERROR: CreateProcessEntryCommon:508: Create process not expected to return\r\n",
    ],
)
def test_docker_desktop_distro_is_mapped_from_proc_alone(stderr: bytes) -> None:
    """Without even BusyBox's ``ip``: fib_trie's addresses land on the interfaces /proc/net/route names."""
    missing = Result(IP_ADDR, b"", stderr, 1, failure=classify_exit(IP_ADDR, 1, stderr))
    b = _scan(replay(commands={IP_ADDR: missing}))
    assert {e.kind for e in b.evidence if e.vantage == "docker-desktop"} == {
        "proc-net-fib-trie",
        "proc-net-route",
        "proc-net-if-inet6",
        "resolv-conf",
        "hosts",
        "iptables-save",
    }  # the optional `ip addr` is absent, not a failure
    atlas = build_atlas(b)
    assert not atlas.problems
    dd = atlas.node("node:docker-desktop")
    assert dd is not None
    got = {i.name: sorted(f"{a.address}/{a.prefixlen}" for a in i.addresses) for i in dd.interfaces}
    assert got == {
        "lo": ["127.0.0.1/8", "::1/128"],
        "eth0": ["192.168.65.3/24", "fe80::50:ff:fe00:1/64"],
        "docker0": ["172.17.0.1/16"],
        "br-5f3c2a1b9e07": ["172.18.0.1/16"],
        "cni0": ["10.1.0.1/16"],
    }
    default = [r for r in dd.routes if r.destination.prefixlen == 0]
    assert [(str(r.gateway), r.interface) for r in default] == [("192.168.65.1", "eth0")]
    net = atlas.network("net:192.168.65.0/24")
    assert net is not None and ("node:docker-desktop", "192.168.65.3") in {
        (a.node, str(a.address)) for a in net.attachments
    }


def test_docker_desktop_distro_ip_addr_text_adds_macs() -> None:
    dd = build_atlas(_scan(replay())).node("node:docker-desktop")
    assert dd is not None
    eth0 = next(i for i in dd.interfaces if i.name == "eth0")
    assert eth0.mac == "02:50:00:00:00:01" and eth0.mtu == 1500


VM_RULES = (*IP_ADDR[:-2], "iptables-save")
VM_RULES6 = (*IP_ADDR[:-2], "ip6tables-save")
VM_NFT = (*IP_ADDR[:-2], "nft", "-j", "list", "ruleset")
DD_FIXTURE = REPLAY.parents[1] / "parsers" / "iptables-save" / "docker-desktop-4.45-engine28-docker-user-drop.out"


def test_docker_desktop_vm_ruleset_is_read_as_root_without_a_shell() -> None:
    """The three Linux reads, inside the distro as root through ``--exec``, by wsl.exe's absolute path."""
    rr = replay()
    b = _scan(rr)
    for argv in (VM_RULES, VM_RULES6, VM_NFT):
        assert argv in rr.calls
    assert argv[:6] == (WSL, "-d", "docker-desktop", "-u", "root", "--exec")
    ev = _by_id(b)
    # --exec: the program's own bytes (UTF-8 text), not wsl.exe's UTF-16LE; no encoding recorded
    assert ev["docker-desktop/iptables-save"].data == DD_FIXTURE.read_bytes()
    assert ev["docker-desktop/iptables-save"].encoding is None
    assert ev["docker-desktop/iptables-save"].kind == "iptables-save"
    # ip6tables-save printed nothing (no ip6 table exists) and nft is not there: optional, absent
    assert "docker-desktop/ip6tables-save" not in ev and "docker-desktop/nft-json" not in ev


def test_the_vm_ruleset_is_attached_to_the_docker_desktop_vm_node() -> None:
    atlas = build_atlas(_scan(replay()))
    records = [f for f in atlas.firewalls if f.evidence == "docker-desktop/iptables-save"]
    assert [f.node for f in records] == ["node:docker-desktop"]
    chains = {c.name for t in records[0].ruleset.tables for c in t.chains}
    assert {"DOCKER-USER", "DOCKER-FORWARD", "DOCKER-ISOLATION-STAGE-1"} <= chains


@pytest.mark.parametrize(
    ("stderr", "code"),
    [
        (
            b"<3>WSL (498) ERROR: CreateProcessCommon:500: execvpe(iptables-save) failed: "
            b"No such file or directory\r\n",
            "not-installed",
        ),
        (
            b"iptables-save v1.8.10 (nf_tables): Could not fetch rule set generation id: Permission denied\n",
            "permission-denied",
        ),
    ],
    ids=["missing", "denied"],
)
def test_a_vm_without_iptables_save_is_a_recorded_failure_and_the_scan_goes_on(stderr: bytes, code: str) -> None:
    failed = Result(VM_RULES, b"", stderr, 1, failure=classify_exit(VM_RULES, 1, stderr))
    b = _scan(replay(commands={VM_RULES: failed}))
    assert _failure(b, "docker-desktop/iptables-save") == code
    assert _failure(b, "docker-desktop/proc-net-route") is None and _failure(b, "host/ipconfig") is None
    atlas = build_atlas(b)
    assert not [f for f in atlas.firewalls if f.node == "node:docker-desktop" and f.evidence.endswith("/iptables-save")]
    assert atlas.node("node:docker-desktop") is not None


def test_only_docker_desktop_s_distro_has_its_ruleset_read() -> None:
    rr = replay()
    _scan(rr)
    assert not [c for c in rr.calls if c[-1] in ("iptables-save", "ip6tables-save") and "docker-desktop" not in c]
    assert windows.ruleset_sources("docker-desktop")[0].id == "docker-desktop/iptables-save"


# --------------------------------------------------------------------------- failure modes


def test_wsl_exe_missing() -> None:
    b = _scan(replay(drop=lambda a: a[0] == WSL))
    assert [v.id for v in b.vantages] == ["host"]
    assert _failure(b, "host/wsl-list") == "missing-binary"
    assert _failure(b, "host/wsl-version") == "missing-binary"
    assert _failure(b, "host/wsl-status") == "missing-binary"
    assert _failure(b, "host/ipconfig") is None and _failure(b, "host/ps-netipaddress") is None
    atlas = build_atlas(b)
    assert {p.code for p in atlas.problems} == {"missing-binary"}
    assert atlas.network("net:192.168.1.0/24") is not None
    nat = atlas.network("net:172.25.144.0/20")
    assert nat is not None and {a.node for a in nat.attachments} == {"node:host"}


def _failed(argv: tuple[str, ...], stdout: bytes, code: int = 4294967295) -> Result:
    """What SubprocessRunner returns for wsl.exe exiting non-zero with a stdout message."""
    return Result(argv, stdout, b"", code, failure=classify_exit(argv, code, b""))


NOT_INSTALLED = (
    "Windows Subsystem for Linux is not installed. You can install by running 'wsl.exe --install'.\n"
    "For more information please visit https://aka.ms/wslinstall\n"
)
NO_DISTROS = (
    "Windows Subsystem for Linux has no installed distributions.\n"
    "You can resolve this by installing a distribution with the instructions below:\n\n"
    "Use 'wsl.exe --list --online' to list available distributions\n"
    "and 'wsl.exe --install <Distro>' to install.\n"
)


@pytest.mark.parametrize("message", [NOT_INSTALLED, NO_DISTROS], ids=["not-installed", "no-distros"])
def test_wsl_not_installed_is_a_recorded_not_installed_failure(message: str) -> None:
    out = _wsl_utf16(message)
    b = _scan(
        replay(
            commands={
                (WSL, "-l", "-v"): _failed((WSL, "-l", "-v"), out),
                (WSL, "--version"): _failed((WSL, "--version"), out),
                (WSL, "--status"): _failed((WSL, "--status"), out),
            }
        )
    )
    assert [v.id for v in b.vantages] == ["host"]
    ev = _by_id(b)["host/wsl-list"]
    assert ev.failure is not None and ev.failure.code == "not-installed"
    assert "Windows Subsystem for Linux" in ev.failure.message
    assert ev.data == out  # kept byte for byte
    # --version / --status say the same: optional, so not news twice
    assert "host/wsl-version" not in _by_id(b) and "host/wsl-status" not in _by_id(b)
    assert _failure(b, "host/ipconfig") is None and _failure(b, "host/hosts") is None


def test_no_distributions_with_exit_zero_is_not_installed_too() -> None:
    b = _scan(replay(commands={(WSL, "-l", "-v"): _wsl_utf16(NO_DISTROS)}))
    assert _failure(b, "host/wsl-list") == "not-installed"
    assert [v.id for v in b.vantages] == ["host"]


def test_a_distro_that_times_out() -> None:
    def timeout(argv: tuple[str, ...]) -> Result:
        return Result(argv, failure=Failure("timeout", f"{' '.join(argv)}: no answer within 10s"))

    kali = [tuple(c["argv"]) for c in INDEX["commands"] if c["argv"][:3] == [WSL, "-d", "kali-linux"]]
    b = _scan(replay(commands={a: timeout(a) for a in kali}))
    # sources run in parallel: those started before the first timeout time out too, the
    # rest are skipped (see the test below); none is lost, an optional one included
    codes = [_failure(b, f"wsl:kali-linux/{kind}") for kind in DISTRO_CMDS]
    assert set(codes) <= {"timeout", "skipped"} and "timeout" in codes
    for kind in DISTRO_CMDS:
        assert _failure(b, f"wsl:Ubuntu/{kind}") is None
    atlas = build_atlas(b)
    nat = atlas.network("net:172.25.144.0/20")
    assert nat is not None
    assert {(a.node, str(a.address)) for a in nat.attachments} == {
        ("node:host", "172.25.144.1"),
        ("node:wsl:Ubuntu", "172.25.150.37"),
    }
    assert {p.code for p in atlas.problems} <= {"timeout", "skipped"}


def test_permission_denied_reading_the_hosts_file() -> None:
    denied = Result(("read", HOSTS), failure=Failure("permission-denied", f"{HOSTS}: permission denied"))
    b = _scan(replay(files={HOSTS: denied}))
    assert _failure(b, "host/hosts") == "permission-denied"
    assert _by_id(b)["host/hosts"].argv == ("read", HOSTS)
    ok = [e for e in b.evidence if e.failure is None]
    assert len(ok) == len(b.evidence) - 1
    assert len({v.id for v in b.vantages}) == 4


def test_powershell_missing() -> None:
    b = _scan(replay(drop=lambda a: a[0] == PS))
    for kind in windows.PS_SCRIPTS:
        assert _failure(b, f"host/{kind}") == "missing-binary"
    assert len([e for e in b.evidence if e.failure is not None]) == len(windows.PS_SCRIPTS)
    atlas = build_atlas(b)
    assert atlas.network("net:192.168.1.0/24") is not None  # ipconfig still places the LAN
    assert atlas.node("node:wsl-vm") is not None


def test_missing_optional_files_are_dropped_and_legacy_settings_are_read() -> None:
    store = "C:\\Users\\joe\\AppData\\Roaming\\Docker\\settings-store.json"
    legacy = "C:\\Users\\joe\\AppData\\Roaming\\Docker\\settings.json"
    rr = replay()
    data = rr.files.pop(store)
    rr.files.pop("C:\\Users\\joe\\.wslconfig")
    rr.files[legacy] = data
    b = _scan(rr)
    ev = _by_id(b)
    assert "host/wslconfig" not in ev
    assert ev["host/docker-desktop-settings"].argv == ("read", legacy)
    rr.files.pop(legacy)
    assert "host/docker-desktop-settings" not in _by_id(_scan(rr))


def test_host_name_falls_back_to_hostname(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPUTERNAME")
    b = _scan(replay(commands={(SYS32 + "hostname.exe",): b"z820\r\n"}))
    assert b.vantage("host").name == "z820"


def test_name_checks_use_the_dns_host_name_not_the_netbios_computername(monkeypatch: pytest.MonkeyPatch) -> None:
    """COMPUTERNAME is NetBIOS: upper case, at most 15 characters."""
    monkeypatch.setenv("COMPUTERNAME", "JOES-WORKSTATIO")
    rr = replay(commands={(SYS32 + "hostname.exe",): b"joes-workstation-2024\r\n"})
    b = _scan(rr)
    assert b.vantage("host").name == "joes-workstation-2024"
    getent = [c for c in rr.calls if "getent" in c]
    assert getent and all("joes-workstation-2024" in c and "JOES-WORKSTATIO" not in c for c in getent)
    # without hostname.exe, COMPUTERNAME is what there is
    assert _scan(replay()).vantage("host").name == "JOES-WORKSTATIO"


# --------------------------------------------------------------------------- argv safety

_SHELLISH = re.compile(r"[;&|<>`$\"'\\*?(){}\[\]\n\r]")


class _Recorder:
    """A runner that answers nothing (every source fails) but records every argv."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        assert isinstance(argv, (list, tuple)), "argv must be a list, never a string"
        assert all(isinstance(a, str) for a in argv)
        self.calls.append(tuple(argv))
        return Result(tuple(argv), failure=Failure("missing-binary", "recorder"))

    def read(self, path: str) -> Result:
        self.calls.append(("read", path))
        return Result(("read", path), failure=Failure("not-installed", "recorder"))


def test_no_argv_contains_interpolated_shell_syntax() -> None:
    rr = replay()
    _scan(rr)
    scripts = set(windows.PS_SCRIPTS.values())
    names = {"Ubuntu", "kali-linux", "docker-desktop"}
    for argv in rr.calls:
        if argv[0] in ("read", "kubectl"):
            continue  # a path for the runner to open, never run; kubectl is not a Windows tool
        assert argv[0].startswith(SYS32), argv  # never a bare name CreateProcess would search for
        for i, arg in enumerate(argv[1:], start=1):
            if arg in scripts:
                assert argv[:i] == windows.powershell() and i == len(argv) - 1
                continue
            assert not _SHELLISH.search(arg), (argv, arg)
        if argv[0] == WSL and "-d" in argv:
            i = argv.index("-d")
            assert argv[i + 1] in names and argv[i + 2 : i + 5] == ("-u", "root", "--exec")
    # the PowerShell scripts are constants: no format fields, no data
    for script in scripts:
        assert "{" not in script and "%" not in script and "$" not in script


@pytest.mark.parametrize("name", ["Ubuntu 22.04", 'we"ird', "it's", "x;rm -rf /", "$(reboot)", "a|b&c", "`id`"])
def test_distro_names_are_single_argv_elements(name: str) -> None:
    rec = _Recorder()
    for src in windows.distro_sources("wsl:x", name, ["Z820", "host.docker.internal"]):
        src.get(rec)
    assert rec.calls
    for argv in rec.calls:
        assert argv[:6] == (WSL, "-d", name, "-u", "root", "--exec")
        assert argv.count(name) == 1
        assert not any(_SHELLISH.search(a) for a in argv[6:] if a != name)


def test_odd_distro_names_from_wsl_list_reach_argv_unchanged() -> None:
    listing = "  NAME      STATE           VERSION\n* x;reboot  Running         2\n  it's      Running         2\n"
    rr = replay(commands={(WSL, "-l", "-v"): _wsl_utf16(listing)})
    b = _scan(rr)
    assert {v.id for v in b.vantages} == {"host", "wsl:x;reboot", "wsl:it's"}
    entered = {c[2] for c in rr.calls if c[:2] == (WSL, "-d")}
    assert entered == {"x;reboot", "it's"}
    for c in rr.calls:
        if c[:2] == (WSL, "-d"):
            assert c[3:6] == ("-u", "root", "--exec")


def test_collector_never_uses_a_shell_or_subprocess() -> None:
    src = inspect.getsource(windows)
    for banned in ("subprocess", "shell=", "os.system", "Popen", ".format(", "% ("):
        assert banned not in src


# --------------------------------------------------------------------------- tools by absolute path


def test_every_windows_tool_runs_by_absolute_path_under_system32() -> None:
    """CreateProcess searches the current folder before System32: no bare names."""
    rr = replay()
    _scan(rr)
    programs = {c[0] for c in rr.calls if c[0] not in ("read", "kubectl")}
    assert programs == {
        SYS32 + "hostname.exe",
        SYS32 + "ipconfig.exe",
        SYS32 + "route.exe",
        SYS32 + "netsh.exe",
        SYS32 + "wsl.exe",
        SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe",
    }
    ev = _by_id(_scan(replay()))
    assert ev["host/route-print"].argv == (SYS32 + "route.exe", "print")
    assert ev["wsl:Ubuntu/hosts"].argv == (WSL, "-d", "Ubuntu", "-u", "root", "--exec", "cat", "/etc/hosts")


def test_system_root_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SystemRoot", "D:\\WINNT\\")
    assert windows.tool("route.exe") == "D:\\WINNT\\System32\\route.exe"
    assert windows.hosts_path() == "D:\\WINNT\\System32\\drivers\\etc\\hosts"
    monkeypatch.delenv("SystemRoot")
    monkeypatch.delenv("SYSTEMROOT", raising=False)
    assert windows.tool("netsh.exe") == "C:\\Windows\\System32\\netsh.exe"


def test_a_32_bit_python_reaches_wsl_exe_through_sysnative(monkeypatch: pytest.MonkeyPatch) -> None:
    """SysWOW64 (where WOW64 redirects System32) has no wsl.exe."""
    monkeypatch.setattr(windows.sys, "maxsize", 2**31 - 1)
    monkeypatch.setenv("PROCESSOR_ARCHITEW6432", "AMD64")
    assert windows.wsl() == "C:\\Windows\\Sysnative\\wsl.exe"
    assert windows.tool("ipconfig.exe") == SYS32 + "ipconfig.exe"  # SysWOW64 has its own
    rec = _Recorder()
    for src in windows.distro_sources("wsl:x", "Ubuntu", []):
        src.get(rec)
    assert {c[0] for c in rec.calls} == {"C:\\Windows\\Sysnative\\wsl.exe"}
    monkeypatch.delenv("PROCESSOR_ARCHITEW6432")
    assert windows.wsl() == WSL  # 32-bit Windows: System32 is the real one


# --------------------------------------------------------------------------- WSL absent, by exit code

# Constructed: the Russian wording of "Windows Subsystem for Linux has no installed
# distributions." (no English word in it), UTF-16LE without BOM, CRLF, as wsl.exe writes.
RU_NO_DISTROS = "Подсистема Windows для Linux не имеет установленных дистрибутивов.\n"


@pytest.mark.parametrize("code", [4294967295, -1])
def test_no_distributions_is_told_by_exit_code_in_any_language(code: int) -> None:
    out = _wsl_utf16(RU_NO_DISTROS)
    argv = (WSL, "-l", "-v")
    rr = replay(commands={argv: _failed(argv, out, code)})
    b = _scan(rr)
    ev = _by_id(b)["host/wsl-list"]
    assert ev.failure is not None and ev.failure.code == "not-installed"
    assert "Подсистема Windows для Linux" in ev.failure.message  # decoded, not mojibake
    assert [v.id for v in b.vantages] == ["host"]
    assert "host/wsl-version" not in _by_id(b) and "host/wsl-status" not in _by_id(b)
    assert (WSL, "--version") not in rr.calls


def test_the_inbox_placeholder_is_wsl_not_installed() -> None:
    """Exit 1 from ``-l -v`` and a failing ``--status``: usbipd-win's reading of a Windows without WSL."""
    usage = _wsl_utf16("Copyright (c) Microsoft Corporation. All rights reserved.\n\nUsage: wsl.exe [Argument]\n")
    ll, st = (WSL, "-l", "-v"), (WSL, "--status")
    b = _scan(replay(commands={ll: _failed(ll, usage, 1), st: _failed(st, usage, 1)}))
    assert _failure(b, "host/wsl-list") == "not-installed"
    assert "host/wsl-version" not in _by_id(b)


def test_exit_1_with_a_working_status_stays_a_failure() -> None:
    ll = (WSL, "-l", "-v")
    b = _scan(replay(commands={ll: _failed(ll, _wsl_utf16("Something else\n"), 1)}))
    assert _failure(b, "host/wsl-list") == "exit-status"


def test_wsl_utf8_inherited_means_utf8_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSL_UTF8", "1")
    listing = b"  NAME      STATE           VERSION\r\n* Ubuntu    Running         2\r\n"
    res = Result((WSL, "-l", "-v"), listing, exit_code=0)
    assert windows.running_distros(res) == ["Ubuntu"]
    monkeypatch.delenv("WSL_UTF8")
    assert windows.running_distros(Result((WSL, "-l", "-v"), _wsl_utf16(listing.decode()), exit_code=0)) == ["Ubuntu"]


def test_localized_wsl_output_is_read_as_utf16le_without_bom() -> None:
    """Mostly non-ASCII UTF-16LE defeats NUL sniffing; the WSL parsers read it as wsl.exe writes it."""
    from netatlas.parsers._wsl import wsl_text

    data = _wsl_utf16("Дистрибутив по умолчанию: Ubuntu\nВерсия по умолчанию: 2\n")
    assert wsl_text(data).startswith("Дистрибутив по умолчанию: Ubuntu")
    assert wsl_text(b"plain utf-8\n") == "plain utf-8\n"


# --------------------------------------------------------------------------- a hanging distro


def test_after_a_first_timeout_a_distro_s_other_sources_are_skipped_and_say_why() -> None:
    """docker/for-win#14656: a paused Docker Desktop hangs every wsl.exe --exec."""

    def timeout(argv: tuple[str, ...]) -> Result:
        return Result(argv, failure=Failure("timeout", f"{' '.join(argv)}: no answer within 10s"))

    kali = [tuple(c["argv"]) for c in INDEX["commands"] if c["argv"][:3] == [WSL, "-d", "kali-linux"]]
    rr = replay(commands={a: timeout(a) for a in kali})
    sources = windows.distro_sources("wsl:kali-linux", "kali-linux", ["Z820"])
    results = [s.get(rr) for s in sources]  # one after the other, as a one-worker scan would
    assert results[0].failure is not None and results[0].failure.code == "timeout"
    for res in results[1:]:
        assert res.failure is not None and res.failure.code == "skipped"
        assert "ip -j address timed out earlier in distro 'kali-linux'" in res.failure.message
    assert [c for c in rr.calls if c[:3] == (WSL, "-d", "kali-linux")] == [kali[0]]
    # another distro is not affected
    ubuntu = windows.distro_sources("wsl:Ubuntu", "Ubuntu", ["Z820"])
    assert ubuntu[0].get(rr).failure is None


def test_rancher_desktop_data_is_never_entered() -> None:
    listing = (
        "  NAME                    STATE           VERSION\n"
        "* rancher-desktop         Running         2\n"
        "  rancher-desktop-data    Running         2\n"
    )
    rr = replay(commands={(WSL, "-l", "-v"): _wsl_utf16(listing)})
    b = _scan(rr)
    assert {v.id for v in b.vantages} == {"host", "wsl:rancher-desktop"}
    assert not [c for c in rr.calls if "rancher-desktop-data" in c]


# --------------------------------------------------------------------------- PowerShell scripts

NRPT_ARGV = (PS, "-NoProfile", "-NonInteractive", "-Command", windows.PS_SCRIPTS["ps-dnsclientnrptpolicy"])
NRPT_VPN = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "parsers"
    / "ps-dnsclientnrptpolicy"
    / "constructed-ps51-vpn-split-dns.out"
).read_bytes()


def test_powershell_selects_only_what_the_parsers_read_compressed_and_without_script_blocks() -> None:
    """PowerShell#24554: whole CIM objects drag CimClass/CimInstanceProperties into ConvertTo-Json."""
    evidence = _by_id(_scan(replay(commands={NRPT_ARGV: NRPT_VPN})))
    for kind, script in windows.PS_SCRIPTS.items():
        assert "| Select-Object " in script and script.endswith("| ConvertTo-Json -Depth 3 -Compress"), kind
        assert "{" not in script and "$" not in script and "Cim" not in script and "%" not in script, kind
        data = evidence[f"host/{kind}"].data
        assert b"CimClass" not in data and data.count(b"\r\n") == 1, kind  # one compressed line


def test_get_netadapter_includes_hidden_adapters_such_as_wsl_s() -> None:
    """microsoft/WSL#11242: on Windows 11 22H2+ Get-NetAdapter hides vEthernet (WSL) without -IncludeHidden."""
    assert windows.PS_SCRIPTS["ps-netadapter"].count("Get-NetAdapter -IncludeHidden |") == 1
    b = _scan(replay())
    names = [i.name for i in parse("ps-netadapter", _by_id(b)["host/ps-netadapter"].data).interfaces]
    assert "vEthernet (WSL)" in names and "Local Area Connection* 1" in names
    host = build_atlas(b).node("node:host")
    assert host is not None
    wsl_if = next(i for i in host.interfaces if i.name == "vEthernet (WSL)")
    assert (wsl_if.mtu, wsl_if.up) == (1500, True)  # only Get-NetAdapter says these


# --------------------------------------------------------------------------- the user's console, OEM output

OEM = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "windows-oem"


def test_scripts_leave_the_user_s_console_alone() -> None:
    """[Console]::OutputEncoding fails under ConstrainedLanguage and changes the user's console."""
    for script in windows.PS_SCRIPTS.values():
        assert "Console" not in script and "OutputEncoding" not in script


def test_oem_output_is_decoded_with_the_code_page_the_collector_recorded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PowerShell 5.1 in a console of its own writes the OEM code page (850 on a Spanish Windows)."""
    from netatlas.bundle import read_bundle, write_bundle
    from netatlas.redact import redact_bundle

    monkeypatch.setattr(windows, "oem_codepage", lambda: "cp850")
    argv = (*windows.powershell(), windows.PS_SCRIPTS["ps-netadapter"])
    data = (OEM / "ps-netadapter-es-cp850.out").read_bytes()
    b = _scan(replay(commands={argv: data}))
    ev = _by_id(b)["host/ps-netadapter"]
    assert ev.data == data and ev.encoding == "cp850"
    assert _by_id(b)["host/ipconfig"].encoding == "cp850"
    assert _by_id(b)["host/wsl-list"].encoding == "utf-16-le"
    assert _by_id(b)["wsl:Ubuntu/hosts"].encoding is None  # Linux inside: UTF-8 as the parsers read it

    def wired(bundle: Bundle) -> tuple[int | None, bool | None]:
        atlas = build_atlas(bundle)
        assert not [p for p in atlas.problems if p.code == "parse-error"], atlas.problems
        host = atlas.node("node:host")
        assert host is not None
        iface = next(i for i in host.interfaces if i.name == "Conexión de área local")
        return iface.mtu, iface.up

    assert wired(b) == (1500, True)
    # the bundle keeps the encoding; a manifest without it (older netatlas) still reads
    back = read_bundle(write_bundle(b, tmp_path / "b"))
    assert _by_id(back)["host/ps-netadapter"].encoding == "cp850"
    assert wired(back) == (1500, True)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["evidence"]:
        entry.pop("encoding", None)
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _by_id(read_bundle(tmp_path / "b"))["host/ps-netadapter"].encoding is None
    # redaction rewrites it in its own code page and keeps saying which
    red = redact_bundle(b, b"k" * 32)
    rev = _by_id(red)[next(e.id for e in red.evidence if e.kind == "ps-netadapter")]
    assert rev.encoding == "cp850" and rev.failure is None
    assert "Conexión de área local" in rev.data.decode("cp850")


# --------------------------------------------------------------------------- time limits


class _Timeouts(ReplayRunner):
    """The Z820 replay, recording the timeout each command was given."""

    def __init__(self, inner: ReplayRunner) -> None:
        super().__init__(inner.commands, inner.files, inner.dns)
        self.timeouts: dict[tuple[str, ...], float] = {}

    def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        self.timeouts[tuple(argv)] = timeout
        return super().run(argv, timeout=timeout)


@pytest.mark.parametrize("cap", [10.0, 3.0, 60.0])
def test_powershell_s_own_need_raises_the_scan_s_cap(cap: float) -> None:
    rr = _Timeouts(replay())
    scan(rr, system="Windows", timeout=cap)
    ps = {t for a, t in rr.timeouts.items() if a[0] == PS}
    assert ps == {windows.PS_NEEDS}  # 30 s, not cut at --timeout
    assert rr.timeouts[(SYS32 + "ipconfig.exe", "/all")] == cap
    getent = next(t for a, t in rr.timeouts.items() if "getent" in a)
    assert getent == min(cap, 5)  # a source's own lower limit still holds


# Constructed from microsoft/WSL#12028 (wsl.exe -d Ubuntu -u zlx, WSL 2.2.4): the distro
# init's line in UTF-8, then wsl.exe's localized message and its error code in UTF-16LE,
# exit 4294967295; here for a distro without a root entry in /etc/passwd.
NO_ROOT = b"<3>WSL (11) ERROR: CreateProcessParseCommon:740: getpwnam(root) failed 17\n" + _wsl_utf16(
    "User not found.\nError code: Wsl/WSL_E_USER_NOT_FOUND\n"
)


def test_distro_sources_run_as_root_so_ss_names_root_s_listeners() -> None:
    rr = replay()
    b = _scan(rr)
    entered = [c for c in rr.calls if c[:2] == (WSL, "-d")]
    assert entered and all(c[3:6] == ("-u", "root", "--exec") for c in entered)
    assert _by_id(b)["wsl:Ubuntu/ss-listen"].argv[:6] == (WSL, "-d", "Ubuntu", "-u", "root", "--exec")


def test_without_root_a_distro_falls_back_to_its_default_user() -> None:
    ubuntu = [c for c in INDEX["commands"] if c["argv"][:3] == [WSL, "-d", "Ubuntu"]]
    as_root = {tuple(c["argv"]): _failed(tuple(c["argv"]), b"", 4294967295) for c in ubuntu}
    as_root = {a: replace_stderr(r, NO_ROOT) for a, r in as_root.items()}
    default = {tuple(c["argv"][:3] + c["argv"][5:]): _recorded(c) for c in ubuntu}
    rr = replay(commands={**as_root, **default})
    sources = windows.distro_sources("wsl:Ubuntu", "Ubuntu", ["Z820"])
    results = [s.get(rr) for s in sources if s.kind != "getent-hosts"]  # one after the other
    assert all(r.failure is None for r in results), results
    calls = [c for c in rr.calls if c[:3] == (WSL, "-d", "Ubuntu")]
    assert [c for c in calls if "root" in c] == [calls[0]]  # asked once as root, then never again
    assert results[0].argv == (WSL, "-d", "Ubuntu", "--exec", "ip", "-j", "address")


def replace_stderr(res: Result, err: bytes) -> Result:
    from dataclasses import replace

    return replace(res, stderr=err, failure=classify_exit(res.argv, res.exit_code or 1, err))


# --------------------------------------------------------------------------- effective route metrics


def test_get_netroute_metrics_get_the_interface_metric_windows_adds() -> None:
    """RouteMetric is 0 on both defaults; Windows adds Ethernet's 25 and Wi-Fi's 35 (Get-NetIPInterface)."""
    from netatlas.atlas.observe import observe
    from netatlas.reach import why

    b = _scan(replay(drop=lambda a: a == (SYS32 + "route.exe", "print")))  # only Get-NetRoute's routes
    obs, _problems = observe(b.vantages, b.evidence)
    defaults = {(r.interface, r.metric) for r in obs["host"].routes if str(r.destination) == "0.0.0.0/0"}
    assert defaults == {("Ethernet", 25), ("Wi-Fi", 35)}  # not a tie at 0
    assert ("vEthernet (WSL)", 5256) in {(r.interface, r.metric) for r in obs["host"].routes}
    result = why(build_atlas(b), "host", "203.0.113.7", 443)
    assert "dev Ethernet" in " ".join(h.note for h in result.hops)


def test_without_get_netipinterface_get_netroute_routes_keep_their_own_metric() -> None:
    from netatlas.atlas.observe import observe

    ps = (*windows.powershell(), windows.PS_SCRIPTS["ps-netipinterface"])
    b = _scan(replay(drop=lambda a: a in (ps, (SYS32 + "route.exe", "print"))))
    obs, _problems = observe(b.vantages, b.evidence)
    assert {r.metric for r in obs["host"].routes if str(r.destination) == "0.0.0.0/0"} == {0}


# --------------------------------------------------------------------------- admin-settings.json

ADMIN = "C:\\ProgramData\\DockerDesktop\\admin-settings.json"
ADMIN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers" / "docker-desktop-admin-settings"


def test_admin_settings_absent_is_no_failure() -> None:
    b = _scan(replay())
    assert "host/docker-desktop-admin-settings" not in _by_id(b)
    from netatlas.planning.plan import make_plan

    assert not make_plan(build_atlas(b)).how["docker-desktop"].startswith("LOCKED")


def test_plan_says_when_admin_settings_lock_the_docker_subnet() -> None:
    """A locked linuxVM.vpnkitCIDR / dockerDaemonOptions: the plan says pasting would not take."""
    from netatlas.planning.plan import make_plan

    data = (ADMIN_FIXTURES / "constructed-windows-locked-subnet.out").read_bytes()
    rr = replay(files={ADMIN: data})
    b = _scan(rr)
    ev = _by_id(b)["host/docker-desktop-admin-settings"]
    assert ev.kind == "docker-desktop-admin-settings" and ev.argv == ("read", ADMIN)
    plan = make_plan(build_atlas(b))
    assert plan.how["docker-desktop"].startswith(
        "LOCKED: Docker Desktop's admin-settings.json locks linuxVM.vpnkitCIDR (value 192.168.65.0/24)"
    )
    assert plan.how["daemon.json"].startswith(
        "LOCKED: Docker Desktop's admin-settings.json locks linuxVM.dockerDaemonOptions"
    )
    assert any(n.startswith("docker-desktop: LOCKED") for n in plan.notes)
    assert not plan.how["wsl"].startswith("LOCKED")


def test_plan_ignores_unlocked_admin_settings() -> None:
    from netatlas.planning.plan import make_plan

    data = (ADMIN_FIXTURES / "docker-docs-example.out").read_bytes()
    plan = make_plan(build_atlas(_scan(replay(files={ADMIN: data}))))
    assert not [h for h in plan.how.values() if h.startswith("LOCKED")]


# --------------------------------------------------------------------------- NRPT (split DNS)


def test_nrpt_rules_reach_the_atlas_with_their_node() -> None:
    atlas = build_atlas(_scan(replay(commands={NRPT_ARGV: NRPT_VPN})))
    rules = atlas.settings["nrpt_rules"]
    assert isinstance(rules, list)
    assert [(r["namespace"], r["servers"], r["node"], r["evidence"]) for r in rules] == [
        (".corp.example.com", ["10.8.0.53", "10.8.0.54"], "node:host", "host/ps-dnsclientnrptpolicy"),
        ("vpn-portal.example.net", ["10.8.0.53"], "node:host", "host/ps-dnsclientnrptpolicy"),
        (".lab.example.com", ["fd00:8::53"], "node:host", "host/ps-dnsclientnrptpolicy"),
    ]


def test_a_name_under_an_nrpt_namespace_is_answered_by_the_rule_s_servers() -> None:
    """The adapter's server (192.168.1.1) answered git.corp.example.com; Windows sends it to the VPN's."""
    from dataclasses import replace
    from ipaddress import ip_address

    from netatlas import names
    from netatlas.model.atlas import NameRecord

    atlas = build_atlas(_scan(replay(commands={NRPT_ARGV: NRPT_VPN})))
    rule = names.nrpt_rule(atlas, "GIT.corp.example.com.", "host")
    assert rule is not None and rule["servers"] == ["10.8.0.53", "10.8.0.54"]
    assert names.nrpt_rule(atlas, "corp.example.com", "host") is None  # .corp.example.com: names under it only
    assert names.nrpt_rule(atlas, "vpn-portal.example.net", "host") is not None
    assert names.nrpt_rule(atlas, "www.example.net", "host") is None
    assert names.nrpt_rule(atlas, "git.corp.example.com", "wsl:Ubuntu") is None  # the rules are Windows'
    asked = NameRecord(
        "host", "git.corp.example.com", (ip_address("203.0.113.80"),), "dns", server=ip_address("192.168.1.1")
    )
    vpn = NameRecord("host", "git.corp.example.com", (ip_address("10.8.4.20"),), "dns", server=ip_address("10.8.0.53"))
    got = names.resolve(replace(atlas, names=(*atlas.names, asked)), "git.corp.example.com", "host")
    assert "the Windows DNS client sends git.corp.example.com to 10.8.0.53, 10.8.0.54 (NRPT rule .corp.example.com" in (
        got[0].provenance
    )
    got = names.resolve(replace(atlas, names=(*atlas.names, vpn)), "git.corp.example.com", "host")
    assert got[0].provenance == "DNS server 10.8.0.53, one of the servers NRPT rule .corp.example.com sends it to"
    # without the rules, the same answer is plain DNS
    plain = build_atlas(_scan(replay()))
    got = names.resolve(replace(plain, names=(*plain.names, asked)), "git.corp.example.com", "host")
    assert "NRPT" not in got[0].provenance
