"""What the WSL parsers share: pasted ``wsl.exe`` output, WSL's INI dialect, and labels.

``wsl.exe`` output reaches netatlas pasted from issues and terminals more often than
captured, so :func:`cli_lines` undoes the usual damage before a parser reads it: a code
fence glued to the first line (```` ```Default Distribution: Ubuntu ````), and a command
line echoed without a prompt :func:`~netatlas.parsers._base.select` knows (``> wsl -l``,
``PS > wsl --status``, a bare ``wsl --version``). Each repair is a warning.

``/etc/wsl.conf`` and ``.wslconfig`` are read by WSL's own INI reader
(``src/shared/configfile/configfile.cpp``), which differs from Python's ``configparser``
and from jc's ``ini`` parser in ways that change results: ``#`` starts a comment anywhere
outside quotes (also after ``[wsl2]`` or a value), names are ASCII letters then letters or
digits and match case-insensitively, quotes are removed from values, and the *first*
occurrence of a key wins. :func:`ini_tokens` follows those rules line by line, so every
warning keeps its line number (jc's ``ini`` drops line numbers and keeps the last
duplicate, so it is not used). :func:`apply_keys` turns tokens into flat settings with
WSL's defaults from ``knowledge/wsl_defaults.json``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any

from netatlas.errors import ParseError
from netatlas.knowledge import load
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Selection,
    Warnings,
    mac,
    read_text,
    run_stages,
    select,
    select_runs,
)

__all__ = [
    "apply_keys",
    "cli_lines",
    "config_lines",
    "data",
    "ini_tokens",
    "norm_label",
    "parse_bool",
    "run_wsl_stages",
    "wsl_text",
]


def wsl_text(data: bytes | str) -> str:
    """Text of ``wsl.exe``'s own output: UTF-16LE without a BOM, else what :func:`read_text` reads.

    ``wsl.exe`` writes its management output (``-l -v``, ``--status``, ``--version``,
    its messages) in UTF-16LE without a BOM, or UTF-8 when ``WSL_UTF8=1`` is in its
    environment. Sniffing UTF-16 by NULs in odd positions fails when most characters
    are not ASCII (a Japanese or Russian Windows), so bytes of even length that hold a
    UTF-16LE line end (``\\r\\0\\n\\0``) and decode strictly as UTF-16LE are read so
    first; everything else (UTF-8, a paste) goes the usual way.

    Raises:
        ParseError: undecodable or empty input.
    """
    if isinstance(data, bytes) and len(data) % 2 == 0 and b"\n\x00" in data and not data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data.decode("utf-16-le").lstrip("\ufeff")
        except UnicodeDecodeError:
            text = ""
        if text.strip() and "\x00" not in text:
            return text
        if text and not text.strip():
            raise ParseError("empty input")
    return read_text(data)


def data() -> Any:
    """The parsed ``knowledge/wsl_defaults.json``."""
    return load("wsl_defaults")


def norm_label(text: str) -> str:
    """A label reduced to what survives pasting: no spaces, NBSP, hyphens, colon; casefolded.

    >>> norm_label("WSL-Version") == norm_label("WSL version")
    True
    """
    return re.sub(r"[\s\u00a0\u202f\-:：]+", "", text).casefold()


# --------------------------------------------------------------------------- pasted CLI output

_GLUED_FENCE = re.compile(r"^(\s*)(```|~~~)(?=[^`~\s][^`~]*[\s:：])")
_TRAILING_FENCE = re.compile(r"(?<=\S)\s*(```|~~~)\s*$")
_CMD_ECHO = re.compile(
    r"^\s*(?:PS\s*[^>]*>\s*|>\s*|\$\s*)?(?:wsl|wslconfig)(?:\.exe)?(?:\s+[-/]\S*.*)?\s*$",
    re.IGNORECASE,
)


def _unglue(text: str, warnings: Warnings) -> str:
    """Split code fences off lines that carry output (```` ```Default Distribution: x ````)."""
    out: list[str] = []
    for no, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        line = raw
        if _GLUED_FENCE.match(line):
            line = _GLUED_FENCE.sub(r"\1", line, count=1)
            warnings.add(no, "removed a code fence glued to the start of the line")
        if _TRAILING_FENCE.search(line):
            line = _TRAILING_FENCE.sub("", line)
            warnings.add(no, "removed a code fence glued to the end of the line")
        out.append(line)
    return "\n".join(out)


def cli_lines(text: str, commands: Sequence[str], *, warnings: Warnings) -> Selection:
    """The lines of pasted ``wsl.exe`` output that are output, with repairs warned about.

    Args:
        text: decoded input (see :func:`~netatlas.parsers._base.read_text`).
        commands: the parser's command regexes, for :func:`~netatlas.parsers._base.select_runs`.
        warnings: where repairs and skipped lines are recorded.

    Returns:
        The latest run's lines, and the earlier runs of the same command for the
        parser to tell as warnings (``wsl -l -v`` before and after ``wsl --shutdown``).
    """
    sel = select_runs(_unglue(text, warnings), commands, warnings=warnings)
    out: list[Line] = []
    for ln in sel.lines:
        if _CMD_ECHO.match(ln.text):
            warnings.add(ln.no, f"skipped command line {ln.text.strip()!r}")
            continue
        out.append(ln)
    return Selection(out, sel.earlier)


# --------------------------------------------------------------------------- WSL's INI dialect

WSL_CONF_SECTIONS = ("network", "boot", "automount", "interop", "user", "filesystem", "gpu", "time", "fileserver")
"""Sections of a distro's ``/etc/wsl.conf`` (MicrosoftDocs/WSL wsl-config.md)."""
WSLCONFIG_SECTIONS = ("wsl2", "experimental", "general")
"""Sections of the VM-wide ``%UserProfile%\\.wslconfig`` (same page)."""


def section_pattern(names: Sequence[str]) -> re.Pattern[str]:
    """A multi-line pattern matching a ``[section]`` header of one of ``names``."""
    return re.compile(r"^\s*\[(" + "|".join(names) + r")\]", re.I | re.M)


_SECTION_COMMENT = re.compile(r"^(\s*\[[A-Za-z][A-Za-z0-9]*\]\s*)#")


def config_lines(text: str, commands: Sequence[str], *, warnings: Warnings) -> list[Line]:
    """:func:`~netatlas.parsers._base.select` for INI text, with ``[wsl2]  # comment`` kept.

    The transcript splitter takes ``[section]  # comment`` for a ``[user@host dir]#``
    prompt, which would drop a real section line. Such lines are hidden from it and put
    back by line number.
    """
    original = re.split(r"\r\n|\r|\n", text)
    shielded = "\n".join(_SECTION_COMMENT.sub(r"\1;", t) for t in original)
    return [Line(ln.no, original[ln.no - 1].rstrip()) for ln in select(shielded, commands, warnings=warnings)]


def _value(rest: str) -> str:
    """A value as WSL reads it: quotes removed, escapes kept, ``#`` outside quotes ends it."""
    out: list[str] = []
    in_quote = False
    i = 0
    while i < len(rest):
        ch = rest[i]
        if ch == '"':
            in_quote = not in_quote
        elif ch == "\\" and i + 1 < len(rest):
            i += 1
            nxt = rest[i]
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(nxt, nxt))
        elif ch == "#" and not in_quote:
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out).rstrip(" \t")


_SECTION = re.compile(r"^\[(?P<name>[A-Za-z][A-Za-z0-9]*)\][ \t]*(?:#.*)?$")
_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(?P<rest>.*)$")


def ini_tokens(lines: Sequence[Line], warnings: Warnings) -> tuple[list[dict[str, str | int]], bool]:
    """Tokens ``{"line", "section", "key", "name", "value"}`` for each ``key = value`` line.

    A bad line is a warning and is skipped, as WSL does. A bad ``[section]`` line keeps
    the previous section, as WSL does.

    Returns:
        The tokens, and whether any line was a section, a key or a comment (so a caller
        can tell an empty config from text that is no config at all).
    """
    section = ""
    tokens: list[dict[str, str | int]] = []
    recognised = False
    for ln in lines:
        text = ln.text.lstrip(" \t\ufeff")
        if not text.strip():
            continue
        if text.startswith("#"):
            recognised = True
            continue
        if text.startswith("["):
            m = _SECTION.match(text.rstrip())
            if not m:
                warnings.add(ln.no, f"skipped invalid section line (WSL ignores it too): {text.strip()[:60]!r}")
                continue
            section = m["name"]
            recognised = True
            continue
        m = _KEY.match(text)
        if not m:
            warnings.add(ln.no, f"skipped line that is not 'key = value' (WSL ignores it too): {text.strip()[:60]!r}")
            continue
        recognised = True
        key = m["key"]
        tokens.append(
            {
                "line": ln.no,
                "section": section,
                "key": key,
                "name": f"{section}.{key}" if section else key,
                "value": _value(m["rest"]),
            }
        )
    return tokens, recognised


def parse_bool(text: str) -> bool | None:
    """``True``/``False`` for what WSL accepts (``true``/``false`` any case, ``1``/``0``), else None.

    >>> parse_bool("TRUE"), parse_bool("0"), parse_bool("yes")
    (True, False, None)
    """
    spec = data()["booleans"]
    low = text.strip().lower()
    if low in spec["true"]:
        return True
    if low in spec["false"]:
        return False
    return None


def _convert(kind: str, value: str, line: int, name: str, warnings: Warnings) -> tuple[bool, JSON]:
    """``(ok, value)`` for one setting; on failure a warning and ``ok`` False."""
    if kind == "bool":
        b = parse_bool(value)
        if b is None:
            warnings.add(line, f"{name}: {value!r} is not a boolean WSL accepts (true/false/1/0); WSL uses its default")
            return False, None
        return True, b
    if kind == "networking_mode":
        modes = data()["networking_modes"]["values"]
        mode = modes.get(value.strip().lower())
        if mode is None:
            warnings.add(line, f"{name}: unknown networking mode {value!r}; WSL falls back to NAT")
            return False, None
        return True, str(mode)
    if kind == "ipv4":
        try:
            return True, str(ipaddress.IPv4Address(value.strip()))
        except ValueError:
            warnings.add(line, f"{name}: {value!r} is not an IPv4 address; WSL turns DNS tunneling off")
            return False, None
    if kind == "ports":
        ports: list[JSON] = []
        for part in value.split(","):
            p = part.strip()
            if p.isdigit() and 0 < int(p) < 65536:
                ports.append(int(p))
            elif p:
                warnings.add(line, f"{name}: ignored {p!r}, not a port number")
        return True, ports
    if kind == "mac":
        m = mac(value)
        if m is None:
            warnings.add(line, f"{name}: {value!r} is not a MAC address")
            return False, None
        return True, m
    return True, value


def apply_keys(
    tokens: Sequence[dict[str, str | int]], table: Sequence[dict[str, Any]], warnings: Warnings
) -> dict[str, JSON]:
    """Flat settings from tokens: known keys typed, WSL's default where the file is silent.

    ``settings["defaulted"]`` lists the settings that took WSL's default (absent or
    invalid in the file). Keys netatlas does not model go to ``settings["other"]`` as
    written (``"wsl2.memory": "8GB"``), without a warning.
    """
    by_name: dict[str, dict[str, Any]] = {}
    for entry in table:
        for key in entry["keys"]:
            by_name[key.lower()] = entry
    found: dict[str, JSON] = {}
    first_at: dict[str, tuple[str, int]] = {}
    other: dict[str, JSON] = {}
    for tok in tokens:
        name = str(tok["name"])
        line = int(tok["line"])
        value = str(tok["value"])
        spec = by_name.get(name.lower())
        if spec is None:
            if name in other:
                warnings.add(line, f"duplicate key {name!r}; WSL uses the first one")
            else:
                other[name] = value
            continue
        setting = str(spec["setting"])
        if setting in first_at:
            prev_name, prev_line = first_at[setting]
            warnings.add(
                line,
                f"duplicate key {name!r} (first: {prev_name!r}, line {prev_line}); WSL uses the first",
            )
            continue
        first_at[setting] = (name, line)
        ok, typed = _convert(str(spec["type"]), value, line, name, warnings)
        if ok:
            found[setting] = typed
        elif setting == "dns_tunneling_ip_address":
            found["dns_tunneling"] = False
    settings: dict[str, JSON] = {}
    defaulted: list[JSON] = []
    for spec in table:
        setting = str(spec["setting"])
        if setting in found:
            settings[setting] = found[setting]
        else:
            default = spec["default"]
            settings[setting] = list(default) if isinstance(default, list) else default
            defaulted.append(setting)
    settings["defaulted"] = defaulted
    settings["other"] = other
    return settings


def run_wsl_stages(
    data: bytes | str,
    source: str,
    info: ParserInfo,
    raw: Callable[[Any, Warnings], Any],
    process: Callable[[Any, Warnings], Facts],
) -> Facts:
    """The ``parse`` body of ``wsl.exe``'s own outputs: decoded as it writes them
    (:func:`wsl_text`), cut to its command's latest run (:func:`cli_lines`), then the two stages."""
    return run_stages(
        data,
        source,
        info,
        raw,
        process,
        split=lambda text, w: cli_lines(text, info.commands, warnings=w),
        decode=wsl_text,
    )
