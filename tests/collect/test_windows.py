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
        "ps-dnsclientserver",
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
    assert kinds["docker-desktop"] == {"ip-addr-json", "ip-route-json", "resolv-conf", "hosts"}
    assert not [e.id for e in b.evidence if e.failure is not None]
    assert set(windows.PRODUCES) >= {e.kind for e in b.evidence}
    # docker-desktop-data is Running too, but it has no shell and is never entered
    assert not [c for c in rr.calls if "docker-desktop-data" in c]
    # discovery ran wsl -l -v once; its output is the evidence, byte for byte
    assert rr.calls.count((WSL, "-l", "-v")) == 1
    assert _by_id(b)["host/wsl-list"].data == (REPLAY / "host-wsl-list.out").read_bytes()


def test_z820_every_evidence_parses() -> None:
    for e in _scan(replay()).evidence:
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
    for kind in DISTRO_CMDS:
        if kind == "wsl-conf":
            continue
        assert _failure(b, f"wsl:kali-linux/{kind}") == "timeout"
    # a timed-out optional source is still news (only "not installed" is dropped)
    assert _failure(b, "wsl:kali-linux/wsl-conf") == "timeout"
    for kind in DISTRO_CMDS:
        assert _failure(b, f"wsl:Ubuntu/{kind}") is None
    atlas = build_atlas(b)
    nat = atlas.network("net:172.25.144.0/20")
    assert nat is not None
    assert {(a.node, str(a.address)) for a in nat.attachments} == {
        ("node:host", "172.25.144.1"),
        ("node:wsl:Ubuntu", "172.25.150.37"),
    }
    assert {p.code for p in atlas.problems} == {"timeout"}


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
            assert argv[i + 1] in names and argv[i + 2] == "--exec"
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
        assert argv[:4] == (WSL, "-d", name, "--exec")
        assert argv.count(name) == 1
        assert not any(_SHELLISH.search(a) for a in argv[4:] if a != name)


def test_odd_distro_names_from_wsl_list_reach_argv_unchanged() -> None:
    listing = "  NAME      STATE           VERSION\n* x;reboot  Running         2\n  it's      Running         2\n"
    rr = replay(commands={(WSL, "-l", "-v"): _wsl_utf16(listing)})
    b = _scan(rr)
    assert {v.id for v in b.vantages} == {"host", "wsl:x;reboot", "wsl:it's"}
    entered = {c[2] for c in rr.calls if c[:2] == (WSL, "-d")}
    assert entered == {"x;reboot", "it's"}
    for c in rr.calls:
        if c[:2] == (WSL, "-d"):
            assert c[3] == "--exec"


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
        SYS32 + "ipconfig.exe",
        SYS32 + "route.exe",
        SYS32 + "netsh.exe",
        SYS32 + "wsl.exe",
        SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe",
    }
    ev = _by_id(_scan(replay()))
    assert ev["host/route-print"].argv == (SYS32 + "route.exe", "print")
    assert ev["wsl:Ubuntu/hosts"].argv == (WSL, "-d", "Ubuntu", "--exec", "cat", "/etc/hosts")


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
