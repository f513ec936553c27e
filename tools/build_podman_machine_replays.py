"""Write the Podman Desktop replays ``tests/fixtures/collect/podman-machine-{windows,macos}/``.

Each folder is one file per command plus an ``index.json`` mapping argv to it, read
by ``tests/collect/test_podman_machine.py``; the tests lay it over the Z820 replay
(Windows) or the macOS host replay, so the machine is seen beside everything else.

What is real and what is constructed:

* ``engine-*.out`` (what the podman engine inside the machine prints: ``info``,
  ``network ls``/``inspect``, ``ps -a``, ``inspect``) are real outputs of podman 4.3.1
  (Debian 12, rootful, netavark absent: CNI) recorded on the netatlas CI machine with a
  network ``pmx-app``, a running ``pmx-web`` publishing 28081->80, a running ``pmx-db``
  and a created ``pmx-old`` publishing 28082->80. They stand in for the engine in a
  machine: a machine runs the same podman CLI, whose JSON is the same. So are
  ``exec-*`` (stdout, stderr, and exit codes in ``exec-codes.json``): what
  ``podman exec ID …`` printed inside the two running containers, busybox images
  whose ``ip`` knows no ``-j`` and which have no ``getent``. ``--capture``
  records them again from the podman on this machine (rootful, ``CONTAINERS_CONF``
  as the CI sets it); without it they are left as they are.
* ``machine-list.out`` and ``machine-inspect.out`` are constructed, byte for byte as
  podman writes them, from podman's source: ``podman machine list --format json`` is
  ``json.MarshalIndent(reporters, "", "    ")`` of ``entities.ListReporter``
  (``pkg/domain/entities/machine.go``, ``cmd/podman/machine/list.go``: no final
  newline, times as ``time.Time.MarshalText``, memory and disk as byte counts in
  strings); ``podman machine inspect`` is a ``json.Encoder`` with five-space indent
  of ``[]machine.InspectInfo`` (``pkg/machine/config.go``, ``cmd/podman/machine/inspect.go``:
  final newline, no HTML escaping), ``State`` one of ``define.Status``.
* ``wsl-list.out`` is the Z820's ``wsl.exe -l -v`` (UTF-16LE, CRLF, as ``wsl.exe``
  writes its own output) with the machine's distribution added: ``podman-machine-default``
  Running and ``podman-dev`` Stopped (podman names a WSL machine's distro with
  ``env.WithPodmanPrefix``).

Run ``python tools/build_podman_machine_replays.py`` (add ``--capture`` to record the
engine again). Everything else is fixed, so running it twice gives identical bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "collect"
WIN = FIXTURES / "podman-machine-windows"
MAC = FIXTURES / "podman-machine-macos"
Z820_WSL_LIST = FIXTURES / "windows-z820" / "host-wsl-list.out"

WSL = "C:\\Windows\\System32\\wsl.exe"
WIN_PODMAN = "C:\\Program Files\\RedHat\\Podman\\podman.exe"
MAC_PODMAN = "/opt/podman/bin/podman"
MACHINE = "podman-machine-default"
CONTAINERS = ("pmx-web", "pmx-db", "pmx-old")
NETWORKS = ("pmx-app", "podman")
EXECS = {
    "resolv-conf": ("cat", "/etc/resolv.conf"),
    "hosts": ("cat", "/etc/hosts"),
    "ip-addr-json": ("ip", "-j", "address"),
    "ip-route-json": ("ip", "-j", "route", "show", "table", "all"),
    "getent-hosts": ("getent", "hosts", "host.containers.internal"),
}
"""What is run inside each running container (collect/docker_exec.py container_sources)."""
RUNNING = ("pmx-web", "pmx-db")
ENGINE_FILES = (
    "engine-info.out",
    "engine-network-ls.out",
    "engine-network-inspect.out",
    "engine-ps.out",
    *(f"engine-inspect-{c}.out" for c in CONTAINERS),
    *(f"exec-{c}-{k}.{ext}" for c in RUNNING for k in EXECS for ext in ("out", "err")),
    "exec-codes.json",
)


def go_indent(value: Any, indent: int) -> str:
    """JSON as Go's ``MarshalIndent``/``Encoder.SetIndent`` writes it (``": "``, no spaces after commas)."""
    return json.dumps(value, indent=indent, ensure_ascii=False)


def _reporter(name: str, *, default: bool, running: bool, vm_type: str, created: str, last_up: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Default": default,
        "Created": created,
        "Running": running,
        "Starting": False,
        "LastUp": last_up,
        "Stream": "",
        "VMType": vm_type,
        "CPUs": 4,
        "Memory": "2147483648",
        "DiskSize": "107374182400",
        "Port": 0,
        "RemoteUsername": "user",
        "IdentityPath": "",
        "UserModeNetworking": False,
    }


def windows_list() -> bytes:
    home = "C:\\Users\\joe\\.local\\share\\containers\\podman\\machine\\machine"
    machines = [
        _reporter(
            MACHINE,
            default=True,
            running=True,
            vm_type="wsl",
            created="2026-11-02T09:14:07.4413019+01:00",
            last_up="2026-12-05T08:02:51.0902264+01:00",
        ),
        _reporter(
            "dev",
            default=False,
            running=False,
            vm_type="wsl",
            created="2026-11-20T17:40:12.1207745+01:00",
            last_up="2026-11-21T10:03:33.5561021+01:00",
        ),
    ]
    for m in machines:
        m["Port"], m["IdentityPath"] = (51633 if m["Name"] == MACHINE else 52110), home
    return go_indent(machines, 4).encode()


def mac_list() -> bytes:
    key = "/Users/kbrazil/.local/share/containers/podman/machine/machine"
    machines = [
        _reporter(
            MACHINE,
            default=True,
            running=True,
            vm_type="applehv",
            created="2026-10-28T11:20:45.118239-07:00",
            last_up="2026-12-04T23:41:02.77151-08:00",
        ),
        _reporter(
            "krun",
            default=False,
            running=False,
            vm_type="libkrun",
            created="2026-11-30T09:05:13.402113-08:00",
            last_up="2026-11-30T09:07:55.009216-08:00",
        ),
    ]
    for m in machines:
        m["Port"], m["IdentityPath"] = (49732 if m["Name"] == MACHINE else 50117), key
    return go_indent(machines, 4).encode()


def _inspect(config_dir: str, socket: str | None, pipe: str | None, image: str, *, created: str, up: str) -> bytes:
    info = [
        {
            "ConfigDir": {"Path": config_dir},
            "ConnectionInfo": {
                "PodmanSocket": None if socket is None else {"Path": socket},
                "PodmanPipe": None if pipe is None else {"Path": pipe},
            },
            "Created": created,
            "LastUp": up,
            "Name": MACHINE,
            "Resources": {"CPUs": 4, "DiskSize": 100, "Memory": 2048, "USBs": []},
            "SSHConfig": {
                "IdentityPath": image,
                "Port": 51633 if pipe else 49732,
                "RemoteUsername": "user",
            },
            "State": "running",
            "UserModeNetworking": False,
            "Rootful": True,
            "Rosetta": False,
        }
    ]
    return (go_indent(info, 5) + "\n").encode()


def windows_inspect() -> bytes:
    return _inspect(
        "C:\\Users\\joe\\.config\\containers\\podman\\machine\\wsl",
        None,
        "\\\\.\\pipe\\podman-machine-default",
        "C:\\Users\\joe\\.local\\share\\containers\\podman\\machine\\machine",
        created="2026-11-02T09:14:07.4413019+01:00",
        up="2026-12-05T08:02:51.0902264+01:00",
    )


def mac_inspect() -> bytes:
    return _inspect(
        "/Users/kbrazil/.config/containers/podman/machine/applehv",
        "/var/folders/7x/k9w0v_2x5_1c2bq3r6c4fj4r0000gn/T/podman/podman-machine-default-api.sock",
        None,
        "/Users/kbrazil/.local/share/containers/podman/machine/machine",
        created="2026-10-28T11:20:45.118239-07:00",
        up="2026-12-04T23:41:02.77151-08:00",
    )


def wsl_list() -> bytes:
    """The Z820's list with the machine distros added, as ``wsl.exe`` writes it."""
    text = Z820_WSL_LIST.read_bytes().decode("utf-16-le")
    rows = "  podman-machine-default Running         2\r\n  podman-dev             Stopped         2\r\n"
    return (text + rows).encode("utf-16-le")


def _engine_commands(prefix: list[str], note: str) -> list[dict[str, Any]]:
    ids = {c: json.loads((WIN / f"engine-inspect-{c}.out").read_text())[0]["Id"] for c in CONTAINERS}
    out = [
        {"argv": [*prefix, "info", "--format", "json"], "file": "engine-info.out"},
        {"argv": [*prefix, "network", "ls", "--format", "json"], "file": "engine-network-ls.out"},
        {"argv": [*prefix, "network", "inspect", *NETWORKS], "file": "engine-network-inspect.out"},
        {"argv": [*prefix, "ps", "-a", "--format", "json"], "file": "engine-ps.out"},
    ]
    out += [
        {"argv": [*prefix, "inspect", "--type", "container", ids[c]], "file": f"engine-inspect-{c}.out"}
        for c in CONTAINERS
    ]
    codes = json.loads((WIN / "exec-codes.json").read_text())
    for c in RUNNING:
        for kind, args in EXECS.items():
            name = f"exec-{c}-{kind}"
            entry: dict[str, Any] = {"argv": [*prefix, "exec", ids[c], *args], "file": f"{name}.out"}
            if codes[name]:
                entry["exit_code"] = codes[name]
            if (WIN / f"{name}.err").read_bytes():
                entry["stderr"] = f"{name}.err"
            out.append(entry)
    for c in out:
        c["note"] = note
    return out


REAL = "real podman 4.3.1 output (Debian 12, rootful), standing in for the engine in the machine"


def windows_index() -> dict[str, Any]:
    machine = [WSL, "-d", MACHINE, "-u", "root", "--exec", "podman"]
    return {
        "description": "Podman Desktop on the Z820 (laid over tests/fixtures/collect/windows-z820): a rootful "
        "WSL machine podman-machine-default Running and a machine dev Stopped; podman.exe at Podman's installer "
        "path. Written by tools/build_podman_machine_replays.py, whose docstring says what is real and what "
        "is constructed.",
        "binary": WIN_PODMAN,
        "commands": [
            {"argv": [WSL, "-l", "-v"], "file": "wsl-list.out", "note": "Z820's list + the machine distros (UTF-16LE)"},
            {
                "argv": [WIN_PODMAN, "machine", "list", "--format", "json"],
                "file": "machine-list.out",
                "note": "constructed: entities.ListReporter, MarshalIndent 4 spaces",
            },
            {
                "argv": [WIN_PODMAN, "machine", "inspect", MACHINE],
                "file": "machine-inspect.out",
                "note": "constructed: []machine.InspectInfo, Encoder indent 5 spaces",
            },
            *_engine_commands(machine, REAL),
        ],
    }


def mac_index() -> dict[str, Any]:
    return {
        "description": "Podman Desktop on the macOS host (laid over tests/fixtures/collect/macos-host): a rootful "
        "applehv machine podman-machine-default running and a libkrun machine krun stopped; podman at "
        "/opt/podman/bin (Podman's macOS installer). Written by tools/build_podman_machine_replays.py, whose "
        "docstring says what is real and what is constructed.",
        "binary": MAC_PODMAN,
        "commands": [
            {
                "argv": [MAC_PODMAN, "machine", "list", "--format", "json"],
                "file": "machine-list.out",
                "note": "constructed: entities.ListReporter, MarshalIndent 4 spaces",
            },
            {
                "argv": [MAC_PODMAN, "machine", "inspect", MACHINE],
                "file": "machine-inspect.out",
                "note": "constructed: []machine.InspectInfo, Encoder indent 5 spaces",
            },
            *_engine_commands([MAC_PODMAN, "--connection", f"{MACHINE}-root"], REAL),
        ],
    }


def capture() -> None:
    """Record the engine outputs from this machine's rootful podman (the containers must exist)."""
    podman = shutil.which("podman")
    if podman is None:
        raise SystemExit("no podman on PATH")

    def run(*args: str) -> bytes:
        return subprocess.run([podman, *args], check=True, capture_output=True, env=os.environ).stdout

    def run_any(*args: str) -> tuple[bytes, bytes, int]:
        done = subprocess.run([podman, *args], check=False, capture_output=True, env=os.environ)
        return done.stdout, done.stderr, done.returncode

    codes: dict[str, int] = {}
    files = {
        "engine-info.out": run("info", "--format", "json"),
        "engine-network-ls.out": run("network", "ls", "--format", "json"),
        "engine-network-inspect.out": run("network", "inspect", *NETWORKS),
        "engine-ps.out": run("ps", "-a", "--format", "json"),
    }
    for c in CONTAINERS:
        cid = run("inspect", "--format", "{{.Id}}", c).decode().strip()
        files[f"engine-inspect-{c}.out"] = run("inspect", "--type", "container", cid)
        if c not in RUNNING:
            continue
        for kind, args in EXECS.items():
            name = f"exec-{c}-{kind}"
            files[f"{name}.out"], files[f"{name}.err"], codes[name] = run_any("exec", cid, *args)
    files["exec-codes.json"] = (json.dumps(codes, indent=2, sort_keys=True) + "\n").encode()
    WIN.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (WIN / name).write_bytes(data)


def build() -> None:
    for folder in (WIN, MAC):
        folder.mkdir(parents=True, exist_ok=True)
    for name in ENGINE_FILES:
        shutil.copyfile(WIN / name, MAC / name)
    (WIN / "wsl-list.out").write_bytes(wsl_list())
    (WIN / "machine-list.out").write_bytes(windows_list())
    (WIN / "machine-inspect.out").write_bytes(windows_inspect())
    (MAC / "machine-list.out").write_bytes(mac_list())
    (MAC / "machine-inspect.out").write_bytes(mac_inspect())
    for folder, index in ((WIN, windows_index()), (MAC, mac_index())):
        (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--capture" in argv:
        capture()
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
