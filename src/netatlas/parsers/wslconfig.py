"""``%UserProfile%\\.wslconfig``: the WSL 2 VM's settings, shared by every distro (INI).

Fills ``Facts.settings`` with flat snake_case keys for the networking values, WSL's
default where the file is silent (``knowledge/wsl_defaults.json`` has each default and
its source):

* ``networking_mode``: ``nat`` (default), ``none``, ``bridged``, ``mirrored`` or
  ``virtioproxy`` (WSL's newer name ``Consomme`` is reported as ``virtioproxy``). Read
  from ``[wsl2] networkingMode`` or the legacy ``[experimental] networkingMode``,
  case-insensitively; whichever comes first in the file wins, as in WSL.
* ``localhost_forwarding``, ``dns_tunneling``, ``dns_tunneling_ip_address``
  (``10.255.255.254``), ``dns_proxy``, ``firewall``, ``auto_proxy``,
  ``host_address_loopback``, ``ignored_ports``, ``best_effort_dns_parsing``, ``ipv6``,
  ``dhcp``, ``vm_switch``, ``mac_address``.

``settings["defaulted"]`` lists the keys that took WSL's default (absent, or invalid with
a warning); every other key is kept as written under ``settings["other"]``
(``{"wsl2.memory": "8GB"}``). The file is often CRLF and UTF-8 with a BOM; both are fine.

Example::

    [wsl2]
    networkingMode=mirrored
    [experimental]
    hostAddressLoopback=true

gives ``networking_mode: "mirrored"``, ``host_address_loopback: true``, and every other
networking key at its default, listed in ``defaulted``.

Tokenised by WSL's own INI rules (see :mod:`netatlas.parsers._wsl`), not by jc's ``ini``
parser: jc loses line numbers and lets the last duplicate win where WSL keeps the first.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers import _wsl
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    guard,
    read_text,
)

INFO = ParserInfo(
    kind="wslconfig",
    description="WSL 2 VM settings (%UserProfile%\\.wslconfig)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\.wslconfig\b",),
    source="%UserProfile%\\.wslconfig on the Windows host",
)

_OWN = _wsl.section_pattern(_wsl.WSLCONFIG_SECTIONS)
_OWN_KEYS = re.compile(
    r"^\s*(networkingMode|memory|processors|swap|localhostForwarding|dnsTunneling|kernelCommandLine|"
    r"guiApplications|nestedVirtualization|autoMemoryReclaim|sparseVhd|vmIdleTimeout)\s*=",
    re.I | re.M,
)
_FOREIGN = _wsl.section_pattern(_wsl.WSL_CONF_SECTIONS)


def sniff(text: str) -> float:
    """High for INI text with .wslconfig's sections (``[wsl2]``, ``[experimental]``)."""
    head = text[:20000]
    own = len(_OWN.findall(head))
    foreign = len(_FOREIGN.findall(head))
    if own and own > foreign:
        return 0.9
    if _OWN_KEYS.search(head) and not foreign:
        return 0.5
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    tokens, recognised = _wsl.ini_tokens(lines, warnings)
    if not recognised:
        raise ParseError("no INI sections, keys or comments found", line=first_content_line(lines))
    for tok in tokens:
        section = str(tok["section"]).lower()
        if section in _wsl.WSL_CONF_SECTIONS:
            warnings.add(
                int(tok["line"]),
                f"[{tok['section']}] belongs in the distro's /etc/wsl.conf; WSL ignores it in .wslconfig",
            )
        elif not section:
            warnings.add(int(tok["line"]), f"key {tok['key']!r} is outside any [section]; WSL does not read it")
    return tokens


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    settings = _wsl.apply_keys(raw, _wsl.data()["wslconfig"], warnings)
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``.wslconfig``. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        kept = _wsl.config_lines(read_text(data), INFO.commands, warnings=warnings)
        return _process(_raw(kept, warnings), warnings)

    return guard(run, source=source)
