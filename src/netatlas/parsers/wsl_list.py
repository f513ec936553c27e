"""``wsl -l -v`` / ``wsl --list --verbose`` (and plain ``wsl -l``): the WSL distributions.

Fills ``Facts.distros``: one :class:`~netatlas.model.Distro` per row, in the order
printed (wsl.exe puts the default first), with ``default`` from the ``*`` mark (or the
``(Default)`` suffix of ``wsl -l``), ``version`` 1 or 2, and ``state`` normalised to
``Running``, ``Stopped``, ``Installing``, ``Uninstalling``, ``Converting`` or
``Exporting``. Known localized states (``Wird ausgeführt``, ``実行中`` …) are mapped by the
table in ``knowledge/wsl_defaults.json``; a state not in it is kept as written.

Example::

      NAME                   STATE           VERSION
    * Ubuntu                 Running         2
      docker-desktop         Stopped         2

gives ``[{"name": "Ubuntu", "state": "Running", "version": 2, "default": true},
{"name": "docker-desktop", "state": "Stopped", "version": 2, "default": false}]``.

wsl.exe writes UTF-16LE (``read_text`` decodes it, with or without BOM); pastes lose the
column alignment, so rows are read as ``[*] NAME STATE… VERSION`` (distro names have no
spaces, the state may have). Plain ``wsl -l`` is read after its localized header
(``Windows Subsystem for Linux Distributions:``), with the localized ``(Default)``
suffix; both tables come from WSL's Resources.resw. jc has no parser for this.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Distro, Facts
from netatlas.parsers import _wsl
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line

INFO = ParserInfo(
    kind="wsl-list",
    description="WSL distributions (wsl -l -v, wsl --list --verbose, wsl -l)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bwsl(?:\.exe)?\s+(?:-l|--list)\b", r"\bwslconfig(?:\.exe)?\s+/l\b"),
    source="wsl.exe --list --verbose",
)

_HEADER = re.compile(r"^\s*NAME\s+\S+(?:\s\S+)?\s+VERSION\s*$")
_ROW = re.compile(r"^\s*(?P<star>\*)?\s*(?P<name>[^\s*]\S*)\s+(?P<state>\S.*?)\s+(?P<version>\d+)\s*$")
_NAME = re.compile(r"^[\w.\-]+$")
_NONE = re.compile(
    r"has no installed distributions|There are no running distributions|no installed distributions", re.I
)


def _headers() -> set[str]:
    return {_wsl.norm_label(h) for h in _wsl.data()["cli"]["list_header"].values()}


def _suffixes() -> list[str]:
    return sorted({s for s in _wsl.data()["cli"]["default_suffix"].values()}, key=len, reverse=True)


def sniff(text: str) -> float:
    """High for a ``NAME STATE VERSION`` table or the ``wsl -l`` header."""
    head = text[:20000]
    if any(_HEADER.match(t) for t in head.splitlines()):
        return 0.95
    headers = _headers()
    if any(_wsl.norm_label(t) in headers for t in head.splitlines() if t.strip()):
        return 0.95
    return 0.0


def _plain_row(text: str) -> tuple[str, bool] | None:
    body = text.strip()
    for suffix in _suffixes():
        if body.endswith(suffix):
            name = body[: -len(suffix)].strip()
            return (name, True) if _NAME.match(name) else None
    return (body, False) if _NAME.match(body) else None


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int | bool]]:
    """Tokens ``{"line", "name", "state", "version", "default"}`` (strings as printed)."""
    headers = _headers()
    mode: str | None = None
    seen = False
    rows: list[dict[str, str | int | bool]] = []
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        if _HEADER.match(text):
            mode, seen = "verbose", True
            continue
        if _wsl.norm_label(text) in headers:
            mode, seen = "plain", True
            continue
        if _NONE.search(text):
            seen = True
            warnings.add(ln.no, f"wsl.exe says: {text!r}")
            continue
        if mode != "plain":
            m = _ROW.match(ln.text)
            if m:
                rows.append(
                    {
                        "line": ln.no,
                        "name": m["name"],
                        "state": m["state"],
                        "version": m["version"],
                        "default": bool(m["star"]),
                    }
                )
                continue
        elif (plain := _plain_row(text)) is not None:
            rows.append({"line": ln.no, "name": plain[0], "state": "", "version": "", "default": plain[1]})
            continue
        warnings.add(ln.no, f"skipped line that is not a distribution row: {text[:60]!r}")
    if not seen and not rows:
        raise ParseError("no 'wsl --list' table or header found", line=first_content_line(lines))
    return rows


def _process(raw: list[dict[str, str | int | bool]], warnings: Warnings) -> Facts:
    states: dict[str, str] = _wsl.data()["cli"]["list_states"]
    folded = {k.casefold(): v for k, v in states.items()}
    distros: list[Distro] = []
    defaults = 0
    for tok in raw:
        line = int(tok["line"])
        state_raw = str(tok["state"]).strip()
        state = folded.get(state_raw.casefold(), state_raw) if state_raw else None
        version: int | None = int(str(tok["version"])) if str(tok["version"]) else None
        if version is not None and version not in (1, 2):
            warnings.add(line, f"WSL version {version} is neither 1 nor 2")
        default = bool(tok["default"])
        defaults += default
        if default and defaults > 1:
            warnings.add(line, f"second default distribution {tok['name']!r}; wsl.exe marks only one")
        distros.append(Distro(name=str(tok["name"]), state=state, version=version, default=default))
    return Facts(kind=INFO.kind, distros=tuple(distros), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``wsl --list`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return _wsl.run_wsl_stages(data, source, INFO, _raw, _process)
