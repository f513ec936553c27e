"""The Windows host, each running WSL distribution and Docker Desktop's WSL distribution.

Vantages and what is read from each (kinds in parentheses):

* ``host`` (windows-host, named from ``COMPUTERNAME`` or ``hostname``): ``ipconfig
  /all`` (``ipconfig``), ``route print`` (``route-print``), PowerShell's
  ``Get-NetIPAddress``/``Get-NetRoute``/``Get-DnsClientServerAddress``/
  ``Get-NetAdapter``/``Get-NetTCPConnection -State Listen`` as JSON (``ps-*``), the
  hosts file (``hosts``), ``netsh interface
  portproxy show all`` (``netsh-portproxy``), ``wsl.exe -l -v``/``--version``/
  ``--status`` (``wsl-*``), ``%UserProfile%\\.wslconfig`` (``wslconfig``, optional)
  and Docker Desktop's ``settings-store.json`` or legacy ``settings.json``
  (``docker-desktop-settings``, optional).
* ``wsl:<name>`` (wsl-distro, parent ``host``, channel ``wsl``) for every distro that
  ``wsl -l -v`` shows as Running: ``ip -j address``, ``ip -j route show table all``,
  ``/etc/resolv.conf``, ``/etc/hosts``, ``/etc/wsl.conf`` (optional), ``ss -ltnupH``
  and ``getent hosts`` for the names that matter.
* ``docker-desktop`` (docker-desktop-vm, parent ``host``, channel ``wsl``) for the
  running ``docker-desktop`` distro: addresses, routes, resolv.conf and hosts.
  ``docker-desktop-data`` (a data volume without a shell, gone since Docker Desktop
  4.30) is never entered.

How commands are built (and why):

* Every Windows tool is started by its absolute path under ``%SystemRoot%\\System32``
  (:func:`tool`), never by bare name: CreateProcess looks in the current folder before
  System32, so a ``route.exe`` planted in the folder netatlas is run from would run
  instead. A 32-bit Python on 64-bit Windows is redirected from System32 to SysWOW64,
  which has no ``wsl.exe``; it reaches the real one through ``Sysnative``.

* PowerShell gets a fixed script from :data:`PS_SCRIPTS` after ``-Command``; no data
  is ever put into a script. Each script first sets the console output encoding to
  UTF-8: Windows PowerShell 5.1 otherwise writes its piped stdout in the OEM code
  page, which garbles non-ASCII adapter names (``Conexión de área local``).
* Inside a distro, commands run as ``wsl.exe -d NAME --exec CMD ARG…``: the distro
  name is one argv element of its own, and ``--exec`` runs the command without the
  distro's shell, so no argument (a name to resolve) is ever parsed by a shell on
  either side. ``wsl.exe -d NAME -- CMD`` would hand the joined command line to the
  user's login shell.
* ``wsl.exe`` writes its own messages in UTF-16LE (``WSL_UTF8`` is left unset) and
  says "no installed distributions" / "not installed" on *stdout* with a non-zero
  exit, so those outputs are reclassified as ``not-installed`` here; the scan goes on.
* Discovery (``wsl.exe -l -v``) runs while planning, and its result is the
  ``host/wsl-list`` evidence itself (``Source.fetched``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from netatlas.collect.base import Planned, Source, read_with_fallback
from netatlas.collect.linux import SPECIAL_NAMES
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "DOCKER_DESKTOP_DISTRO",
    "PLATFORMS",
    "PRODUCES",
    "PS_SCRIPTS",
    "distro_sources",
    "host_sources",
    "plan",
    "powershell",
    "running_distros",
    "system_root",
    "tool",
    "wsl",
]

PRODUCES = (
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
    "ip-addr-json",
    "ip-route-json",
    "resolv-conf",
    "wsl-conf",
    "ss-listen",
    "getent-hosts",
)
PLATFORMS = ("Windows",)


def system_root() -> str:
    """``%SystemRoot%`` (``C:\\Windows`` when unset)."""
    return (_env("SystemRoot") or _env("SYSTEMROOT") or "C:\\Windows").rstrip("\\")


def _wow64() -> bool:
    """A 32-bit Python on 64-bit Windows (WOW64 sets ``PROCESSOR_ARCHITEW6432``)."""
    return sys.maxsize <= 2**32 and _env("PROCESSOR_ARCHITEW6432") is not None


def tool(name: str) -> str:
    """The absolute path of the System32 tool ``name`` (``Sysnative`` for ``wsl.exe`` under WOW64)."""
    folder = "Sysnative" if name == "wsl.exe" and _wow64() else "System32"
    return f"{system_root()}\\{folder}\\{name}"


def powershell() -> tuple[str, ...]:
    """Windows PowerShell 5.1 by path, without profile or prompts, before ``-Command``."""
    return (tool("WindowsPowerShell\\v1.0\\powershell.exe"), "-NoProfile", "-NonInteractive", "-Command")


_UTF8 = "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; "
PS_SCRIPTS: Mapping[str, str] = {
    "ps-netipaddress": _UTF8 + "Get-NetIPAddress | ConvertTo-Json -Depth 3",
    "ps-netroute": _UTF8 + "Get-NetRoute | ConvertTo-Json -Depth 3",
    "ps-dnsclientserver": _UTF8 + "Get-DnsClientServerAddress | ConvertTo-Json -Depth 3",
    "ps-netadapter": _UTF8 + "Get-NetAdapter | ConvertTo-Json -Depth 3",
    "ps-nettcpconnection": _UTF8
    + "Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,State,OwningProcess"
    + " | ConvertTo-Json -Depth 3",
    "ps-netfirewall": _UTF8
    + "(@(Get-NetFirewallProfile | Select-Object Name,Enabled,DefaultInboundAction)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound"
    + " | Select-Object Name,DisplayName,Enabled,Direction,Action,Profile)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallPortFilter"
    + " | Select-Object InstanceID,Protocol,LocalPort,RemotePort)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallAddressFilter"
    + " | Select-Object InstanceID,LocalAddress,RemoteAddress)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallApplicationFilter"
    + " | Select-Object InstanceID,Program)) | ConvertTo-Json -Depth 3",
}
"""The only PowerShell ever run: fixed scripts, one per evidence kind, no data in them."""


def wsl() -> str:
    """``wsl.exe`` by absolute path."""
    return tool("wsl.exe")


DOCKER_DESKTOP_DISTRO = "docker-desktop"
_NO_SHELL = ("docker-desktop-data",)
"""Distros that are data volumes without a shell: never entered."""

_WSL_ABSENT = re.compile(
    rb"has no installed distributions|is not installed|WSL is not installed"
    rb"|optional component is not enabled|Windows Subsystem for Linux is not enabled",
    re.I,
)
_NO_FILE = re.compile(rb"No such file or directory")


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def _home() -> str:
    return _env("USERPROFILE") or str(Path.home())


def hosts_path() -> str:
    """The Windows hosts file, under ``%SystemRoot%``."""
    return system_root() + "\\System32\\drivers\\etc\\hosts"


def wslconfig_path() -> str:
    """``%UserProfile%\\.wslconfig``."""
    return _home() + "\\.wslconfig"


def docker_settings_paths() -> tuple[str, str]:
    """Docker Desktop's ``settings-store.json`` (4.35+) and legacy ``settings.json``."""
    appdata = _env("APPDATA") or _home() + "\\AppData\\Roaming"
    return appdata + "\\Docker\\settings-store.json", appdata + "\\Docker\\settings.json"


# --------------------------------------------------------------------------- failures


def _wsl_checked(res: Result, *, empty_is_absent: bool = False) -> Result:
    """``wsl.exe`` result with "not installed" / "no distributions" as ``not-installed``."""
    text = (res.stdout + b"\n" + res.stderr).replace(b"\x00", b"")
    failed = res.failure is not None and res.failure.code in ("exit-status", "error")
    if (failed or empty_is_absent) and _WSL_ABSENT.search(text):
        first = next((ln.strip() for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()), "")
        return replace(res, failure=Failure("not-installed", f"{' '.join(res.argv)}: {first}"))
    return res


def _file_checked(res: Result) -> Result:
    """``cat FILE`` through wsl.exe: a missing file is ``not-installed``, like a read."""
    if res.failure is not None and res.failure.code == "exit-status" and _NO_FILE.search(res.stderr):
        return replace(res, failure=Failure("not-installed", res.failure.message))
    return res


def _getent_checked(res: Result) -> Result:
    """getent exits 2 when some key was not found; the others did answer."""
    return replace(res, failure=None) if res.exit_code == 2 else res


# --------------------------------------------------------------------------- host


def _powershell(kind: str) -> Callable[[Runner], Result]:
    script = PS_SCRIPTS[kind]
    return lambda r: r.run([*powershell(), script], timeout=30)


def _docker_settings(r: Runner) -> Result:
    return read_with_fallback(r, *docker_settings_paths())


def host_sources(wsl_list: Result) -> list[Source]:
    """The Windows host's sources; ``wsl_list`` is the discovery run of ``wsl.exe -l -v``."""
    return [
        Source("host/ipconfig", "ipconfig", lambda r: r.run([tool("ipconfig.exe"), "/all"])),
        Source("host/route-print", "route-print", lambda r: r.run([tool("route.exe"), "print"])),
        *(Source(f"host/{kind}", kind, _powershell(kind)) for kind in PS_SCRIPTS),
        Source("host/hosts", "hosts", lambda r: r.read(hosts_path()), local=True),
        Source(
            "host/netsh-portproxy",
            "netsh-portproxy",
            lambda r: r.run([tool("netsh.exe"), "interface", "portproxy", "show", "all"]),
        ),
        Source("host/wsl-list", "wsl-list", lambda r: wsl_list, fetched=wsl_list),
        Source(
            "host/wsl-version",
            "wsl-version",
            lambda r: _wsl_checked(r.run([wsl(), "--version"])),
            optional=True,
        ),
        Source(
            "host/wsl-status",
            "wsl-status",
            lambda r: _wsl_checked(r.run([wsl(), "--status"])),
            optional=True,
        ),
        Source("host/wslconfig", "wslconfig", lambda r: r.read(wslconfig_path()), optional=True, local=True),
        Source("host/docker-desktop-settings", "docker-desktop-settings", _docker_settings, optional=True),
    ]


# --------------------------------------------------------------------------- distros


def _in(name: str, *argv: str) -> list[str]:
    """``argv`` run inside distro ``name``: the name and every argument stay separate."""
    return [wsl(), "-d", name, "--exec", *argv]


def distro_sources(vantage_id: str, name: str, names: Sequence[str], *, full: bool = True) -> list[Source]:
    """Sources read inside distro ``name``; ``names`` are resolved with ``getent hosts``.

    ``full`` is False for Docker Desktop's own distro, which has no ``wsl.conf``,
    listeners or resolver worth asking.
    """
    p = vantage_id
    out = [
        Source(f"{p}/ip-addr-json", "ip-addr-json", lambda r: r.run(_in(name, "ip", "-j", "address"))),
        Source(
            f"{p}/ip-route-json",
            "ip-route-json",
            lambda r: r.run(_in(name, "ip", "-j", "route", "show", "table", "all")),
        ),
        Source(
            f"{p}/resolv-conf",
            "resolv-conf",
            lambda r: _file_checked(r.run(_in(name, "cat", "/etc/resolv.conf"))),
        ),
        Source(f"{p}/hosts", "hosts", lambda r: _file_checked(r.run(_in(name, "cat", "/etc/hosts")))),
    ]
    if full:
        out += [
            Source(
                f"{p}/wsl-conf",
                "wsl-conf",
                lambda r: _file_checked(r.run(_in(name, "cat", "/etc/wsl.conf"))),
                optional=True,
            ),
            Source(f"{p}/ss-listen", "ss-listen", lambda r: r.run(_in(name, "ss", "-ltnupH"))),
            Source(
                f"{p}/getent-hosts",
                "getent-hosts",
                lambda r: _getent_checked(r.run(_in(name, "getent", "hosts", *names), timeout=5)),
            ),
        ]
    return out


def running_distros(wsl_list: Result) -> list[str]:
    """Names of the Running distros in ``wsl.exe -l -v`` output (empty on any failure)."""
    if wsl_list.failure is not None or not wsl_list.stdout.strip(b"\x00\r\n \t\xff\xfe"):
        return []
    from netatlas.errors import ParseError
    from netatlas.parsers import parse

    try:
        facts = parse("wsl-list", wsl_list.stdout, source="host/wsl-list")
    except ParseError:
        return []
    return [d.name for d in facts.distros if (d.state or "").casefold() == "running"]


def _host_name(runner: Runner) -> str:
    name = _env("COMPUTERNAME")
    if name:
        return name
    res = runner.run([tool("hostname.exe")], timeout=5)
    text = res.stdout.decode("utf-8", "replace").strip() if res.failure is None else ""
    return text.splitlines()[0].strip() if text else "windows"


def plan(runner: Runner) -> list[Planned]:
    """The host, then each running WSL distro and Docker Desktop's distro."""
    name = _host_name(runner)
    wsl_list = _wsl_checked(runner.run([wsl(), "-l", "-v"]), empty_is_absent=True)
    host = Vantage("host", VantageKind.WINDOWS_HOST, name)
    out = [Planned(host, host_sources(wsl_list))]
    names = list(dict.fromkeys([name, *SPECIAL_NAMES]))
    for distro in running_distros(wsl_list):
        if distro in _NO_SHELL:
            continue
        if distro == DOCKER_DESKTOP_DISTRO:
            v = Vantage("docker-desktop", VantageKind.DOCKER_DESKTOP_VM, distro, parent="host", channel="wsl")
            out.append(Planned(v, distro_sources(v.id, distro, names, full=False)))
            continue
        v = Vantage(f"wsl:{distro}", VantageKind.WSL_DISTRO, distro, parent="host", channel="wsl")
        out.append(Planned(v, distro_sources(v.id, distro, names)))
    return out
