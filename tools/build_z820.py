"""Build ``examples/z820/`` (the seed machine "Z820" as a bundle) from its readable sources.

The sources live in ``examples/z820-src/<vantage id, ':' as '_'>/<kind>.<ext>``, each
byte for byte what the command printed or the file held (CRLF for Windows, UTF-16LE
for ``wsl.exe``). This script only adds what a scan records around them (argv, exit
code, duration, time taken) and writes the bundle with
:func:`netatlas.bundle.write_bundle`. Everything is fixed, so running it twice gives
identical bytes::

    python tools/build_z820.py            # writes examples/z820
    python tools/build_z820.py OUT_DIR    # writes elsewhere (the test uses this)

See ``examples/z820/README.md`` for what is real, what is constructed and from which
real formats, and what netatlas should find.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from netatlas.bundle import Bundle, write_bundle
from netatlas.model import Evidence, Vantage, VantageKind

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "examples" / "z820-src"
OUT = ROOT / "examples" / "z820"

T0 = datetime(2023, 6, 15, 18, 0, 0, tzinfo=timezone.utc)
"""When the scan started; every source is taken at a fixed offset from it."""

TOOL_VERSION = "0.1.0"
"""Pinned so a version bump does not change the example's bytes."""

POD = "coredns-5d78c9869d-x7k2p"
WIN_HOSTS = "C:\\Windows\\System32\\drivers\\etc\\hosts"
WSLCONFIG = "C:\\Users\\joe\\.wslconfig"
DD_SETTINGS = "C:\\Users\\joe\\AppData\\Roaming\\Docker\\settings-store.json"

VANTAGES: tuple[Vantage, ...] = (
    Vantage("host", VantageKind.WINDOWS_HOST, "Z820"),
    Vantage("wsl:kali-linux", VantageKind.WSL_DISTRO, "kali-linux", parent="host", channel="wsl"),
    Vantage("wsl:Ubuntu", VantageKind.WSL_DISTRO, "Ubuntu", parent="host", channel="wsl"),
    Vantage("docker-desktop", VantageKind.DOCKER_DESKTOP_VM, "docker-desktop", parent="host", channel="wsl"),
    Vantage("container:web", VantageKind.CONTAINER, "web", parent="docker-desktop", channel="docker-exec"),
    Vantage("container:db", VantageKind.CONTAINER, "db", parent="docker-desktop", channel="docker-exec"),
    Vantage("pod:kube-system/coredns", VantageKind.POD, POD, parent="docker-desktop", channel="kubectl-exec"),
)


@dataclass(frozen=True)
class Source:
    """One evidence: which vantage, which parser kind, the file, and how it was taken."""

    vantage: str
    kind: str
    file: str
    argv: tuple[str, ...]
    duration_s: float
    exit_code: int | None = 0


def _wsl(distro: str, *cmd: str) -> tuple[str, ...]:
    return ("wsl.exe", "-d", distro, "--", *cmd)


def _exec(name: str, *cmd: str) -> tuple[str, ...]:
    return ("docker", "exec", name, *cmd)


def _kubectl(*cmd: str) -> tuple[str, ...]:
    return ("kubectl", "exec", "-n", "kube-system", POD, "--", *cmd)


def _linux_common(vantage: str, run: Callable[..., tuple[str, ...]]) -> list[Source]:
    return [
        Source(vantage, "ip-addr", "ip-addr.txt", run("ip", "address"), 0.021),
        Source(vantage, "ip-route", "ip-route.txt", run("ip", "route"), 0.018),
        Source(vantage, "resolv-conf", "resolv-conf.conf", ("read", "/etc/resolv.conf"), 0.004, None),
        Source(vantage, "hosts", "hosts.txt", ("read", "/etc/hosts"), 0.004, None),
    ]


def _container(name: str) -> list[Source]:
    v = f"container:{name}"

    def run(*cmd: str) -> tuple[str, ...]:
        return _exec(name, *cmd)

    return [
        *_linux_common(v, run),
        Source(v, "getent-hosts", "getent-hosts.txt", run("getent", "hosts", "host.docker.internal"), 0.034),
        Source(v, "traceroute", "traceroute.txt", run("traceroute", "-n", "192.168.1.1"), 0.118),
        Source(v, "ss-listen", "ss-listen.txt", run("ss", "-ltn"), 0.026),
    ]


def _kali() -> list[Source]:
    v = "wsl:kali-linux"

    def run(*cmd: str) -> tuple[str, ...]:
        return _wsl("kali-linux", *cmd)

    return [
        *_linux_common(v, run),
        Source(
            v,
            "getent-hosts",
            "getent-hosts.txt",
            run("getent", "hosts", "Z820", "host.docker.internal"),
            0.041,
        ),
        Source(v, "nslookup", "nslookup.txt", run("nslookup", "Z820"), 0.087),
        Source(v, "ss-listen", "ss-listen.txt", run("ss", "-ltn"), 0.029),
    ]


def _ubuntu() -> list[Source]:
    v = "wsl:Ubuntu"

    def run(*cmd: str) -> tuple[str, ...]:
        return _wsl("Ubuntu", *cmd)

    return [
        Source(v, "ifconfig", "ifconfig.txt", run("ifconfig"), 0.022),
        Source(v, "ip-route", "ip-route.txt", run("ip", "route"), 0.019),
        Source(v, "resolv-conf", "resolv-conf.conf", ("read", "/etc/resolv.conf"), 0.004, None),
        Source(v, "hosts", "hosts.txt", ("read", "/etc/hosts"), 0.004, None),
    ]


def _docker_desktop() -> list[Source]:
    v = "docker-desktop"

    def run(*cmd: str) -> tuple[str, ...]:
        return _wsl("docker-desktop", *cmd)

    return [
        Source(v, "ip-addr", "ip-addr.txt", run("ip", "address"), 0.023),
        Source(v, "ip-route", "ip-route.txt", run("ip", "route"), 0.017),
        Source(v, "docker-network-ls", "docker-network-ls.txt", ("docker", "network", "ls"), 0.142),
        Source(v, "docker-network-inspect", "docker-network-inspect.json", ("api", "networks"), 0.009, None),
        Source(v, "docker-inspect", "docker-inspect.json", ("api", "containers"), 0.012, None),
        Source(v, "docker-info", "docker-info.json", ("api", "info"), 0.031, None),
        Source(v, "daemon-json", "daemon-json.json", ("read", "/etc/docker/daemon.json"), 0.003, None),
    ]


SOURCES: tuple[Source, ...] = (
    Source("host", "ipconfig", "ipconfig.txt", ("ipconfig", "/all"), 0.412),
    Source("host", "route-print", "route-print.txt", ("route", "print"), 0.097),
    Source("host", "hosts", "hosts.txt", ("read", WIN_HOSTS), 0.002, None),
    Source(
        "host",
        "netsh-portproxy",
        "netsh-portproxy.txt",
        ("netsh", "interface", "portproxy", "show", "all"),
        0.188,
    ),
    Source("host", "wsl-list", "wsl-list.txt", ("wsl.exe", "-l", "-v"), 0.236),
    Source("host", "wsl-version", "wsl-version.txt", ("wsl.exe", "--version"), 0.171),
    Source("host", "wslconfig", "wslconfig.ini", ("read", WSLCONFIG), 0.002, None),
    Source("host", "docker-desktop-settings", "docker-desktop-settings.json", ("read", DD_SETTINGS), 0.003, None),
    Source("host", "nslookup", "nslookup.txt", ("nslookup", "Z820"), 0.064),
    Source("host", "tracert", "tracert.txt", ("tracert", "192.168.1.1"), 1.093),
    *_kali(),
    *_ubuntu(),
    *_docker_desktop(),
    *_container("web"),
    *_container("db"),
    Source("pod:kube-system/coredns", "ip-addr", "ip-addr.txt", _kubectl("ip", "address"), 0.311),
    Source("pod:kube-system/coredns", "ip-route", "ip-route.txt", _kubectl("ip", "route"), 0.296),
)


def source_path(src: Source) -> Path:
    """Where a source's bytes live: ``z820-src/<vantage, ':' as '_'>/<file>``."""
    return SRC / src.vantage.replace(":", "_") / src.file


def build() -> Bundle:
    """The bundle, from the source files; no clock, no randomness."""
    evidence = []
    for i, src in enumerate(SOURCES):
        evidence.append(
            Evidence(
                id=f"{src.vantage}/{src.kind}",
                vantage=src.vantage,
                kind=src.kind,
                argv=src.argv,
                data=source_path(src).read_bytes(),
                exit_code=src.exit_code,
                duration_s=src.duration_s,
                taken_at=T0 + timedelta(seconds=2 * i),
            )
        )
    return Bundle(
        vantages=VANTAGES,
        evidence=tuple(evidence),
        created=T0,
        tool_version=TOOL_VERSION,
        meta={
            "example": "z820",
            "redacted": False,
            "about": "The seed machine Z820 rebuilt as evidence; see README.md beside manifest.json.",
        },
    )


KEEP = ("README.md", ".gitattributes")
"""Files beside the bundle that are ours, not the bundle's: kept across a rebuild."""


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    kept = {name: (out / name).read_bytes() for name in KEEP if (out / name).is_file()}
    for name in kept:
        (out / name).unlink()  # write_bundle replaces only a folder that is a bundle or empty
    try:
        write_bundle(build(), out)
    finally:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in kept.items():
            (out / name).write_bytes(data)
    print(f"wrote {out} ({len(SOURCES)} evidence, {len(VANTAGES)} vantages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
