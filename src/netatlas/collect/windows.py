"""The Windows host, each running WSL distribution and Docker Desktop's WSL distribution.

Vantages and what is read from each (kinds in parentheses):

* ``host`` (windows-host, named by its DNS host name from ``hostname.exe``, else
  ``COMPUTERNAME``, the NetBIOS name): ``ipconfig
  /all`` (``ipconfig``), ``route print`` (``route-print``), PowerShell's
  ``Get-NetIPAddress``/``Get-NetRoute``/``Get-DnsClientServerAddress``/
  ``Get-DnsClientNrptPolicy`` (split DNS)/
  ``Get-NetAdapter``/``Get-NetTCPConnection -State Listen`` as JSON (``ps-*``), the
  hosts file (``hosts``), ``netsh interface
  portproxy show all`` (``netsh-portproxy``), ``wsl.exe -l -v``/``--version``/
  ``--status`` (``wsl-*``), ``%UserProfile%\\.wslconfig`` (``wslconfig``, optional)
  and Docker Desktop's ``settings-store.json`` or legacy ``settings.json``
  (``docker-desktop-settings``, optional) and the organisation's
  ``%ProgramData%\\DockerDesktop\\admin-settings.json`` (``docker-desktop-admin-settings``,
  optional: which settings are locked).
* ``wsl:<name>`` (wsl-distro, parent ``host``, channel ``wsl``) for every distro that
  ``wsl -l -v`` shows as Running: ``ip -j address``, ``ip -j route show table all``,
  ``/etc/resolv.conf``, ``/etc/hosts``, ``/etc/wsl.conf`` (optional), ``ss -ltnupH``
  and ``getent hosts`` for the names that matter.
* ``docker-desktop`` (docker-desktop-vm, parent ``host``, channel ``wsl``) for the
  running ``docker-desktop`` distro, whose BusyBox userland has no ``ip -j``:
  ``/proc/net/fib_trie``, ``/proc/net/route``, ``/proc/net/if_inet6`` (``proc-net-*``),
  ``ip addr`` text (``ip-addr``, optional), resolv.conf and hosts, and the VM's packet
  filter (:func:`ruleset_sources`): ``iptables-save``, ``ip6tables-save`` (kind
  ``iptables-save``) and ``nft -j list ruleset`` (``nft-json``), run as root in the
  distro, which shares the network namespace Docker Desktop's engine programs.
  ``docker-desktop-data`` (a data volume without a shell, gone since Docker Desktop
  4.30) is never entered.
* ``podman-machine:<name>`` (podman-machine, parent ``host``) for each running machine
  of Podman Desktop, with the podman engine inside it (:mod:`netatlas.collect.podman_machine`:
  ``podman machine list``/``inspect`` on the host, then podman's own reads through
  ``wsl.exe -d podman-… --exec podman``). Its distro is not also entered as a
  ``wsl:`` distro.

How commands are built (and why):

* Every Windows tool is started by its absolute path under ``%SystemRoot%\\System32``
  (:func:`tool`), never by bare name: CreateProcess looks in the current folder before
  System32, so a ``route.exe`` planted in the folder netatlas is run from would run
  instead. A 32-bit Python on 64-bit Windows is redirected from System32 to SysWOW64,
  which has no ``wsl.exe``; it reaches the real one through ``Sysnative``.

* PowerShell gets a fixed script from :data:`PS_SCRIPTS` after ``-Command``; no data
  is ever put into a script. The scripts leave the console alone: setting
  ``[Console]::OutputEncoding`` fails under ConstrainedLanguage mode (AppLocker/WDAC
  on managed machines) and would change the code page of the console netatlas was
  started from. Every child gets a console of its own instead (the runner's
  ``CREATE_NO_WINDOW``), whose code page is the system's OEM code page
  (``GetOEMCP``). ``ipconfig``, ``route``, ``netsh`` and Windows PowerShell 5.1 write
  their redirected output in it, so their evidence records that encoding
  (:func:`oem_codepage`, ``Evidence.encoding``) and the parsers read
  ``Conexión de área local`` as written. ``wsl.exe``'s own messages record
  ``utf-16-le`` (or ``utf-8`` under an inherited ``WSL_UTF8=1``).
* Inside a distro, commands run as ``wsl.exe -d NAME -u root --exec CMD ARG…``: the distro
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
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from netatlas.collect import podman_machine
from netatlas.collect.base import Planned, Source, read_with_fallback
from netatlas.collect.firewall_commands import FIREWALL_COMMANDS
from netatlas.collect.names import SPECIAL_NAMES
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "DOCKER_DESKTOP_DISTRO",
    "PLATFORMS",
    "PRODUCES",
    "PS_SCRIPTS",
    "distro_sources",
    "host_sources",
    "oem_codepage",
    "plan",
    "powershell",
    "ruleset_sources",
    "running_distros",
    "system_root",
    "tool",
    "wsl",
    "wsl_encoding",
    "wsl_output",
]

PRODUCES = (
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
    "docker-desktop-admin-settings",
    "ip-addr-json",
    "ip-route-json",
    "proc-net-fib-trie",
    "proc-net-route",
    "proc-net-if-inet6",
    "ip-addr",
    "resolv-conf",
    "wsl-conf",
    "ss-listen",
    "getent-hosts",
    "iptables-save",
    "nft-json",
    *podman_machine.PRODUCES,
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


def _selected(command: str, properties: str) -> str:
    """``COMMAND | Select-Object PROPS | ConvertTo-Json -Depth 3 -Compress``.

    Only the properties the parser reads: a whole CIM object drags ``CimClass`` and
    ``CimInstanceProperties`` into ``ConvertTo-Json``, which expands them to its depth
    limit (PowerShell/PowerShell#24554), slow and megabytes long. ``-Compress`` writes
    one line. Plain property names only: no script block (``{}``), no calculated
    property, so the script runs the same under ConstrainedLanguage mode.
    """
    return f"{command} | Select-Object {properties} | ConvertTo-Json -Depth 3 -Compress"


_SELECTED = {
    "ps-netipaddress": _selected(
        "Get-NetIPAddress", "IPAddress,InterfaceAlias,InterfaceIndex,AddressFamily,PrefixLength,AddressState,Store"
    ),
    "ps-netroute": _selected(
        "Get-NetRoute", "DestinationPrefix,NextHop,InterfaceAlias,InterfaceIndex,AddressFamily,RouteMetric,Store"
    ),
    # the interface metric Windows adds to RouteMetric (a VPN and Wi-Fi default would tie without it)
    "ps-netipinterface": _selected(
        "Get-NetIPInterface", "InterfaceAlias,InterfaceIndex,AddressFamily,InterfaceMetric,ConnectionState"
    ),
    "ps-dnsclientserver": _selected(
        "Get-DnsClientServerAddress", "InterfaceAlias,InterfaceIndex,AddressFamily,ServerAddresses"
    ),
    # split DNS: the names a VPN or DirectAccess sends to servers of its own (the NRPT)
    "ps-dnsclientnrptpolicy": _selected(
        "Get-DnsClientNrptPolicy", "Namespace,NameServers,DirectAccessEnabled,DirectAccessDnsServers,QueryPolicy"
    ),
    # -IncludeHidden: Windows 11 22H2+ hides WSL's vEthernet adapter (microsoft/WSL#11242)
    "ps-netadapter": _selected(
        "Get-NetAdapter -IncludeHidden", "Name,InterfaceDescription,ifIndex,Status,MacAddress,MtuSize,MediaType"
    ),
    "ps-nettcpconnection": _selected(
        "Get-NetTCPConnection -State Listen", "LocalAddress,LocalPort,State,OwningProcess"
    ),
    # Windows Firewall: the profiles' default actions and the enabled inbound rules with their filters
    "ps-netfirewall": "(@(Get-NetFirewallProfile | Select-Object Name,Enabled,DefaultInboundAction)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound"
    + " | Select-Object Name,DisplayName,Enabled,Direction,Action,Profile)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallPortFilter"
    + " | Select-Object InstanceID,Protocol,LocalPort,RemotePort)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallAddressFilter"
    + " | Select-Object InstanceID,LocalAddress,RemoteAddress)"
    + " + @(Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallApplicationFilter"
    + " | Select-Object InstanceID,Program)) | ConvertTo-Json -Depth 3 -Compress",
}
PS_SCRIPTS: Mapping[str, str] = dict(_SELECTED)
"""The only PowerShell ever run: fixed scripts, one per evidence kind, no data in them."""


def wsl() -> str:
    """``wsl.exe`` by absolute path."""
    return tool("wsl.exe")


def oem_codepage() -> str | None:
    """The system's OEM code page as a codec name (``cp850``), or None off Windows.

    A child started with ``CREATE_NO_WINDOW`` gets a new console in this code page,
    whatever ``chcp`` the user's own console is set to; Python's ``oem`` codec is the
    same page, but its name would not decode a bundle on another OS.
    """
    if sys.platform != "win32":
        return None
    import ctypes

    return f"cp{ctypes.windll.kernel32.GetOEMCP()}"


def wsl_encoding() -> str:
    """How ``wsl.exe`` writes its own messages: UTF-8 when ``WSL_UTF8=1`` is inherited, else UTF-16LE."""
    return "utf-8" if _env("WSL_UTF8") == "1" else "utf-16-le"


DOCKER_DESKTOP_DISTRO = "docker-desktop"
_NO_SHELL = ("docker-desktop-data", "rancher-desktop-data")
"""Distros that are data volumes, not meant to be entered: Docker Desktop's before 4.30
and Rancher Desktop's (its ``rancher-desktop`` distro runs the engine). Never entered."""

_WSL_ABSENT = re.compile(
    rb"has no installed distributions|is not installed|WSL is not installed"
    rb"|optional component is not enabled|Windows Subsystem for Linux is not enabled",
    re.I,
)
_NO_FILE = re.compile(rb"No such file or directory")
_NO_COMMAND = re.compile(rb"execvpe[ (][^\s)]+\)? failed(?:: No such file or directory| 2\b)")
"""wsl.exe ``--exec`` of a command the distro lacks: ``execvpe(ip) failed: No such file or
directory`` since WSL 2.3.11, ``execvpe ip failed 2`` (errno ENOENT) before (microsoft/WSL#11571)."""


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


def admin_settings_path() -> str:
    """Docker Desktop's Settings Management file, ``%ProgramData%\\DockerDesktop\\admin-settings.json``."""
    return (_env("ProgramData") or _env("PROGRAMDATA") or "C:\\ProgramData") + "\\DockerDesktop\\admin-settings.json"


# --------------------------------------------------------------------------- failures


NO_DISTROS_EXIT = (-1, 0xFFFFFFFF)
"""``wsl.exe --list`` exit code when WSL is installed without any distribution (-1; Python on
Windows reports the DWORD unsigned). Exit 1 is the inbox placeholder ``wsl.exe`` of a
Windows without WSL, confirmed by ``--status`` failing too. Both as usbipd-win reads them
(dorssel/usbipd-win ``Usbipd/Wsl.cs``, ``CreateAsync``); the messages themselves are
localized, so the codes decide."""


def wsl_output(data: bytes) -> str:
    """``wsl.exe``'s own output as text: UTF-8 when ``WSL_UTF8=1`` is inherited, else UTF-16LE."""
    if _env("WSL_UTF8") == "1":
        return data.decode("utf-8", "replace")
    return data[: len(data) // 2 * 2].decode("utf-16-le", "replace").lstrip("\ufeff")


def _absent(res: Result, why: str) -> Result:
    text = wsl_output(res.stdout) if res.stdout.strip(b"\x00\r\n ") else wsl_output(res.stderr)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    msg = f"{' '.join(res.argv)}: {why}" + (f": {first}" if first else "")
    return replace(res, failure=Failure("not-installed", msg))


def _wsl_checked(res: Result, *, empty_is_absent: bool = False) -> Result:
    """``wsl.exe`` result with "not installed" / "no distributions" as ``not-installed``.

    By exit code first (the messages are localized); the English messages are a
    fallback for older builds that exit 0 with them.
    """
    failed = res.failure is not None and res.failure.code in ("exit-status", "error")
    if failed and res.exit_code in NO_DISTROS_EXIT:
        return _absent(res, f"exit {res.exit_code}: WSL has no distributions")
    text = (res.stdout + b"\n" + res.stderr).replace(b"\x00", b"")
    if (failed or empty_is_absent) and _WSL_ABSENT.search(text):
        return _absent(res, "not installed")
    return res


def _wsl_list(runner: Runner) -> Result:
    """``wsl.exe -l -v``; exit 1 with ``--status`` failing too is the placeholder of a Windows without WSL."""
    res = _wsl_checked(runner.run([wsl(), "-l", "-v"]), empty_is_absent=True)
    if res.failure is not None and res.failure.code == "exit-status" and res.exit_code == 1:
        status = runner.run([wsl(), "--status"])
        if status.failure is not None:
            return _absent(res, "exit 1 and --status fails: WSL is not installed")
    return res


def _file_checked(res: Result) -> Result:
    """``cat FILE`` through wsl.exe: a missing file is ``not-installed``, like a read."""
    if res.failure is not None and res.failure.code == "exit-status" and _NO_FILE.search(res.stderr):
        return replace(res, failure=Failure("not-installed", res.failure.message))
    return res


def _command_checked(res: Result) -> Result:
    """A command the distro does not have (BusyBox without the ``ip`` applet) is ``not-installed``."""
    if res.failure is not None and res.failure.code == "exit-status" and _NO_COMMAND.search(res.stderr):
        return replace(res, failure=Failure("not-installed", res.failure.message))
    return res


def _dump_checked(res: Result) -> Result:
    """A ruleset dump that printed nothing (no table exists) is ``not-installed``: nothing to read."""
    if res.failure is None and not res.stdout.strip():
        return replace(
            res, failure=Failure("not-installed", f"{_command(res.argv)}: printed nothing (no table exists)")
        )
    return res


def _getent_checked(res: Result) -> Result:
    """getent exits 2 when some key was not found; the others did answer."""
    return replace(res, failure=None) if res.exit_code == 2 else res


# --------------------------------------------------------------------------- host


PS_NEEDS = 30.0
"""Seconds a PowerShell source needs: a cold Windows PowerShell 5.1 loading the NetTCPIP
module takes several, more with five starting at once; this raises the scan's cap."""


def _powershell(kind: str) -> Callable[[Runner], Result]:
    script = PS_SCRIPTS[kind]
    return lambda r: r.run([*powershell(), script], timeout=PS_NEEDS)


def _docker_settings(r: Runner) -> Result:
    return read_with_fallback(r, *docker_settings_paths())


def host_sources(wsl_list: Result) -> list[Source]:
    """The Windows host's sources; ``wsl_list`` is the discovery run of ``wsl.exe -l -v``.

    Without WSL (or without distributions) ``--version`` and ``--status`` are not run: the
    inbox placeholder answers ``--version`` with its usage, and an absent optional
    source is absent, not news.
    """
    gone = wsl_list.failure is not None and wsl_list.failure.code == "not-installed"
    absent = replace(wsl_list, stdout=b"", stderr=b"") if gone else None
    oem, wenc = oem_codepage(), wsl_encoding()
    return [
        Source("host/ipconfig", "ipconfig", lambda r: r.run([tool("ipconfig.exe"), "/all"]), encoding=oem),
        Source("host/route-print", "route-print", lambda r: r.run([tool("route.exe"), "print"]), encoding=oem),
        *(Source(f"host/{kind}", kind, _powershell(kind), encoding=oem, needs=PS_NEEDS) for kind in PS_SCRIPTS),
        Source("host/hosts", "hosts", lambda r: r.read(hosts_path()), local=True),
        Source(
            "host/netsh-portproxy",
            "netsh-portproxy",
            lambda r: r.run([tool("netsh.exe"), "interface", "portproxy", "show", "all"]),
            encoding=oem,
        ),
        Source("host/wsl-list", "wsl-list", lambda r: wsl_list, fetched=wsl_list, encoding=wenc),
        Source(
            "host/wsl-version",
            "wsl-version",
            lambda r: absent if absent is not None else _wsl_checked(r.run([wsl(), "--version"])),
            optional=True,
            encoding=wenc,
        ),
        Source(
            "host/wsl-status",
            "wsl-status",
            lambda r: absent if absent is not None else _wsl_checked(r.run([wsl(), "--status"])),
            optional=True,
            encoding=wenc,
        ),
        Source("host/wslconfig", "wslconfig", lambda r: r.read(wslconfig_path()), optional=True, local=True),
        Source("host/docker-desktop-settings", "docker-desktop-settings", _docker_settings, optional=True),
        Source(
            "host/docker-desktop-admin-settings",
            "docker-desktop-admin-settings",
            lambda r: r.read(admin_settings_path()),
            optional=True,
            local=True,
        ),
    ]


# --------------------------------------------------------------------------- distros


AS_ROOT = ("-u", "root")
"""Distro sources run as root (``wsl.exe -u root`` needs no Windows elevation), so
``ss -p`` names the processes of root's listeners too; see :class:`_Gate`."""
_NO_USER = re.compile(rb"WSL_E_USER_NOT_FOUND|getpwnam\(root\) failed")
"""wsl.exe's error code when ``-u`` names no user of the distro (not localized; the
message before it is), and the distro init's own line (microsoft/WSL#12028)."""


def _in(name: str, *argv: str) -> list[str]:
    """``argv`` run inside distro ``name`` as root: the name and every argument stay separate."""
    return [wsl(), "-d", name, *AS_ROOT, "--exec", *argv]


def _command(argv: Sequence[str]) -> str:
    """What ran inside the distro: the part after ``--exec``."""
    args = list(argv)
    return " ".join(args[args.index("--exec") + 1 :]) if "--exec" in args else " ".join(args)


class _AsDefaultUser:
    """A runner that drops ``-u root`` from ``wsl.exe`` argv: the distro's default user."""

    def __init__(self, inner: Runner) -> None:
        self._inner = inner

    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> Result:
        args = list(argv)
        i = args.index("--exec") if "--exec" in args else len(args)
        if tuple(args[i - 2 : i]) == AS_ROOT:
            del args[i - 2 : i]
        return self._inner.run(args, timeout=timeout)

    def read(self, path: str) -> Result:
        return self._inner.read(path)

    def ask_dns(
        self, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, netns: str | None = None
    ) -> list[dict[str, Any]]:
        return self._inner.ask_dns(server, port, questions, timeout, netns)


class _Gate:
    """One distro's sources: as root where the distro allows, and never waited on twice.

    * After the first timeout the rest are skipped: a paused or Resource-Saver Docker
      Desktop can hang every ``wsl.exe --exec`` (docker/for-win#14656); waiting the
      full timeout once per source would stall the scan for a minute on one distro.
    * Sources run as root; when wsl.exe says the distro has no such user
      (``WSL_E_USER_NOT_FOUND``), that source is run again, and every later one run,
      as the distro's default user.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._timed_out: str | None = None
        self._no_root = False

    def run(self, fetch: Callable[[Runner], Result]) -> Callable[[Runner], Result]:
        def gated(r: Runner) -> Result:
            with self._lock:
                first, no_root = self._timed_out, self._no_root
            if first is not None:
                msg = f"not run: {first} timed out earlier in distro {self._name!r} (every wsl.exe --exec may hang)"
                return Result((wsl(), "-d", self._name), failure=Failure("skipped", msg))
            res = fetch(_AsDefaultUser(r) if no_root else r)
            if (
                not no_root
                and res.failure is not None
                and _NO_USER.search((res.stdout + res.stderr).replace(b"\x00", b""))
            ):
                with self._lock:
                    self._no_root = True
                res = fetch(_AsDefaultUser(r))
            if res.failure is not None and res.failure.code == "timeout":
                with self._lock:
                    self._timed_out = self._timed_out or _command(res.argv)
            return res

        return gated


def _iproute2_sources(p: str, name: str) -> list[Source]:
    """Addresses and routes from iproute2's JSON (every WSL distro but Docker Desktop's)."""
    return [
        Source(f"{p}/ip-addr-json", "ip-addr-json", lambda r: r.run(_in(name, "ip", "-j", "address"))),
        Source(
            f"{p}/ip-route-json",
            "ip-route-json",
            lambda r: r.run(_in(name, "ip", "-j", "route", "show", "table", "all")),
        ),
    ]


PROC_FILES = (
    ("proc-net-fib-trie", "/proc/net/fib_trie"),
    ("proc-net-route", "/proc/net/route"),
    ("proc-net-if-inet6", "/proc/net/if_inet6"),
)
"""What Docker Desktop's distro is read from: its BusyBox userland has no ``ip -j``,
but every kernel writes these (IPv4 local addresses, the main IPv4 table, IPv6
addresses with their interface)."""


def _cat(name: str, path: str) -> Callable[[Runner], Result]:
    return lambda r: _file_checked(r.run(_in(name, "cat", path)))


def _busybox_sources(p: str, name: str) -> list[Source]:
    """Docker Desktop's ``docker-desktop`` distro: the kernel's ``/proc`` files, and ``ip addr`` text.

    BusyBox's ``ip`` prints ``ip addr`` as text only (MACs, MTUs, state); where the
    applet is missing that optional source is absent and ``/proc`` still gives the
    addresses and routes.
    """
    out = [Source(f"{p}/{kind}", kind, _cat(name, path)) for kind, path in PROC_FILES]
    out.append(
        Source(f"{p}/ip-addr", "ip-addr", lambda r: _command_checked(r.run(_in(name, "ip", "addr"))), optional=True)
    )
    return out


RULESET_NEEDS = 15.0
"""Seconds a ruleset read may take: a VM with many containers has long tables (the Linux
collector gives its own reads the same)."""


def ruleset_sources(vantage_id: str, name: str = DOCKER_DESKTOP_DISTRO) -> list[Source]:
    """The packet filter of Docker Desktop's VM, read inside its ``docker-desktop`` distro.

    The same three reads as a Linux host's (:data:`FIREWALL_COMMANDS`: ``iptables-save``,
    ``ip6tables-save``, ``nft -j list ruleset``), as root (``wsl.exe -u root``; reading
    netfilter needs CAP_NET_ADMIN) with ``--exec``, so no shell parses anything. Their
    stdout is the program's own bytes (UTF-8 text or JSON), not wsl.exe's UTF-16LE, so
    no encoding is recorded. A binary the distro lacks (``execvpe(nft) failed``) is a
    ``not-installed`` failure: recorded for ``iptables-save``, whose absence leaves
    the VM's filter unread in ``why``; the two others are optional, as on Linux. So is
    a dump that prints nothing and exits 0, which is what ``ip6tables-nft-save`` does
    when no table of its family exists: there is no ruleset to parse, and an empty
    evidence would only be a parse problem in the atlas.
    """

    def fetch(argv: tuple[str, ...]) -> Callable[[Runner], Result]:
        return lambda r: _dump_checked(_command_checked(r.run(_in(name, *argv), timeout=RULESET_NEEDS)))

    return [
        Source(f"{vantage_id}/{source}", kind, fetch(argv), optional=source != "iptables-save", needs=RULESET_NEEDS)
        for source, kind, argv in FIREWALL_COMMANDS
    ]


def distro_sources(vantage_id: str, name: str, names: Sequence[str], *, full: bool = True) -> list[Source]:
    """Sources read inside distro ``name``; ``names`` are resolved with ``getent hosts``.

    ``full`` is False for Docker Desktop's own distro, which has no ``wsl.conf``,
    listeners or resolver worth asking, and a BusyBox userland without ``ip -j``: it
    is read from ``/proc/net`` (:data:`PROC_FILES`) and ``ip addr`` text instead, and
    its packet filter is read (:func:`ruleset_sources`): the engine's rules live there.
    """
    p = vantage_id
    out = _busybox_sources(p, name) if not full else _iproute2_sources(p, name)
    out += [
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
    else:
        out += ruleset_sources(p, name)
    gate = _Gate(name)
    return [replace(src, fetch=gate.run(src.fetch)) for src in out]


def running_distros(wsl_list: Result) -> list[str]:
    """Names of the Running distros in ``wsl.exe -l -v`` output (empty on any failure)."""
    if wsl_list.failure is not None or not wsl_list.stdout.strip(b"\x00\r\n \t\xff\xfe"):
        return []
    from netatlas.errors import ParseError
    from netatlas.parsers import parse

    try:  # decoded as wsl.exe wrote it, not sniffed (a localized Windows defeats sniffing)
        facts = parse("wsl-list", wsl_output(wsl_list.stdout), source="host/wsl-list")
    except ParseError:
        return []
    return [d.name for d in facts.distros if (d.state or "").casefold() == "running"]


def _host_name(runner: Runner) -> str:
    """The DNS host name (``hostname.exe``), else ``COMPUTERNAME``, else ``windows``.

    ``COMPUTERNAME`` is the NetBIOS name: upper case and cut to 15 characters
    (``JOES-WORKSTATIO`` for ``joes-workstation-2024``), which is not the name DNS,
    the hosts file or WSL's ``/etc/hosts`` know the machine by, so name checks would
    ask the wrong name. ``hostname.exe`` prints the DNS host name.
    """
    res = runner.run([tool("hostname.exe")], timeout=5)
    text = res.stdout.decode(oem_codepage() or "utf-8", "replace").strip() if res.failure is None else ""
    first = text.splitlines()[0].strip() if text else ""
    return first or _env("COMPUTERNAME") or "windows"


def plan(runner: Runner) -> list[Planned]:
    """The host, then each running WSL distro, Docker Desktop's distro and Podman's machines."""
    name = _host_name(runner)
    wsl_list = _wsl_list(runner)
    host = Vantage("host", VantageKind.WINDOWS_HOST, name)
    podman_host, machines, listed = podman_machine.plan(runner, "Windows", wsl=wsl)
    out = [Planned(host, [*host_sources(wsl_list), *podman_host])]
    # a Podman machine's distro is entered for its engine (podman_machine), not as a distro
    podman_distros = {podman_machine.distro_name(m.name) for m in listed if m.vm_type == "wsl"}
    names = list(dict.fromkeys([name, *SPECIAL_NAMES]))
    for distro in running_distros(wsl_list):
        if distro in _NO_SHELL or distro in podman_distros:
            continue
        if distro == DOCKER_DESKTOP_DISTRO:
            v = Vantage("docker-desktop", VantageKind.DOCKER_DESKTOP_VM, distro, parent="host", channel="wsl")
            out.append(Planned(v, distro_sources(v.id, distro, names, full=False)))
            continue
        v = Vantage(f"wsl:{distro}", VantageKind.WSL_DISTRO, distro, parent="host", channel="wsl")
        out.append(Planned(v, distro_sources(v.id, distro, names)))
    return out + machines
