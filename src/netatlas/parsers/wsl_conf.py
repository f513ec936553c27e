"""``/etc/wsl.conf``: a WSL distribution's own settings (INI, read by WSL's init).

Fills ``Facts.settings`` with flat snake_case keys for what decides a distro's names:

* ``generate_hosts`` (``[network] generateHosts``, default ``true``): WSL rewrites
  ``/etc/hosts`` at start, copying the Windows hosts entries.
* ``generate_resolv_conf`` (``[network] generateResolvConf``, default ``true``): WSL
  rewrites ``/etc/resolv.conf`` (``nameserver 10.255.255.254`` with DNS tunneling).
* ``hostname`` (``[network] hostname``, default ``null``: the Windows host name, which
  this file cannot tell).
* ``systemd`` (``[boot] systemd``, default ``false``): whether systemd-resolved can own
  ``/etc/resolv.conf``.

``settings["defaulted"]`` lists the keys that took WSL's default; every other key is kept
as written under ``settings["other"]`` (``{"automount.options": "metadata"}``). Defaults
and their sources live in ``knowledge/wsl_defaults.json``.

Example::

    [network]
    generateResolvConf = false   # I write my own

gives ``{"generate_hosts": true, "generate_resolv_conf": false, "hostname": null,
"systemd": false, "defaulted": ["generate_hosts", "hostname", "systemd"], "other": {}}``.

The file is tokenised by WSL's own rules (see :mod:`netatlas.parsers._wsl`), not by jc's
``ini`` parser, which loses line numbers and lets the last duplicate win where WSL keeps
the first.
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
    kind="wsl-conf",
    description="WSL distribution settings (/etc/wsl.conf)",
    platforms=(Platform.LINUX,),
    commands=(r"wsl\.conf\b",),
    source="/etc/wsl.conf inside a WSL distribution",
)

_OWN = _wsl.section_pattern(_wsl.WSL_CONF_SECTIONS)
_OWN_KEYS = re.compile(
    r"^\s*(generateHosts|generateResolvConf|appendWindowsPath|mountFsTab|systemd|useWindowsTimezone)\s*=",
    re.I | re.M,
)
_FOREIGN = _wsl.section_pattern(_wsl.WSLCONFIG_SECTIONS)


def sniff(text: str) -> float:
    """High for INI text with wsl.conf's sections (``[network]``, ``[boot]`` …)."""
    head = text[:20000]
    own = len(_OWN.findall(head))
    foreign = len(_FOREIGN.findall(head))
    if own and own >= foreign:
        return 0.9
    if _OWN_KEYS.search(head) and not foreign:
        return 0.5
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    tokens, recognised = _wsl.ini_tokens(lines, warnings)
    if not recognised:
        raise ParseError("no INI sections, keys or comments found", line=first_content_line(lines))
    for tok in tokens:
        if str(tok["section"]).lower() in _wsl.WSLCONFIG_SECTIONS:
            warnings.add(
                int(tok["line"]),
                f"[{tok['section']}] belongs in %UserProfile%\\.wslconfig; WSL ignores it in /etc/wsl.conf",
            )
    return tokens


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    settings = _wsl.apply_keys(raw, _wsl.data()["wsl_conf"], warnings)
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``/etc/wsl.conf``. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        kept = _wsl.config_lines(read_text(data), INFO.commands, warnings=warnings)
        return _process(_raw(kept, warnings), warnings)

    return guard(run, source=source)
