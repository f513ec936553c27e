"""``/etc/nsswitch.conf``: which sources glibc asks, in which order, per database.

Fills ``Facts.settings``:

* ``nss_hosts``: the sources of the ``hosts:`` database in order, action items kept
  as strings (``["files", "mdns4_minimal", "[NOTFOUND=return]", "dns"]``), or
  ``null`` when the file has no ``hosts:`` line (glibc then uses its built-in
  default; musl, as on Alpine, ignores the file and reads the hosts file, then DNS).
  This is what decides whether ``/etc/hosts`` or DNS answers first.
* ``nss``: every database as ``{database: [sources]}`` in file order (``passwd``,
  ``group``, ``hosts``, ``networks`` …).

Tokenising follows glibc: ``#`` starts a comment anywhere on a line, the database
name ends at the first ``:``, sources are separated by blanks, and an action item
``[STATUS=ACTION ...]`` may contain blanks; it is kept as one string with its blanks
normalised (``[ NOTFOUND = return ]`` → ``[NOTFOUND=return]``). The first line for a
database wins, as in glibc; a later one is skipped with a warning. Lines that are
not ``database: sources`` are skipped with a warning. A missing file is the
collector's business (an optional source), not this parser's.

Example (Ubuntu desktop)::

    passwd:         files systemd
    hosts:          files mdns4_minimal [NOTFOUND=return] dns

gives ``settings: {"nss_hosts": ["files", "mdns4_minimal", "[NOTFOUND=return]",
"dns"], "nss": {"passwd": ["files", "systemd"], "hosts": [...]}}``.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    run_stages,
)

INFO = ParserInfo(
    kind="nsswitch-conf",
    description="Name Service Switch configuration (/etc/nsswitch.conf): hosts-file vs DNS order",
    platforms=(Platform.LINUX,),
    commands=(r"nsswitch\.conf\b",),
    source="/etc/nsswitch.conf",
)

_DATABASES = (
    "aliases",
    "automount",
    "bootparams",
    "ethers",
    "group",
    "gshadow",
    "hosts",
    "initgroups",
    "netgroup",
    "netmasks",
    "networks",
    "passwd",
    "protocols",
    "publickey",
    "rpc",
    "services",
    "shadow",
    "subid",
    "sudoers",
)
_KNOWN = re.compile(r"^\s*(" + "|".join(_DATABASES) + r")\s*:", re.M)
_ENTRY = re.compile(r"^\s*(?P<db>[A-Za-z_][\w-]*)\s*:(?P<rest>.*)$")
_SOURCE = re.compile(r"^[A-Za-z0-9_][\w.+-]*$")
_ACTION = re.compile(r"^!?[A-Za-z]+=[A-Za-z]+$")


def sniff(text: str) -> float:
    """High when most non-comment lines are ``database: sources`` for known databases."""
    body = [t for t in (ln.split("#", 1)[0].strip() for ln in text[:20000].splitlines()) if t]
    if not body:
        return 0.0
    known = len(_KNOWN.findall("\n".join(body)))
    if not known:
        return 0.0
    share = known / len(body)
    if share >= 0.6:
        return 0.9
    return 0.4 if share >= 0.3 else 0.0


def _sources(rest: str, line: int, warnings: Warnings) -> list[str]:
    """The source list of one line: names and ``[STATUS=ACTION ...]`` items, in order."""
    out: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "[":
            end = rest.find("]", i)
            if end < 0:
                warnings.add(line, f"unclosed action item {rest[i:]!r}; rest of the line skipped")
                break
            inner = re.sub(r"\s*=\s*", "=", rest[i + 1 : end]).split()
            if not inner or not all(_ACTION.match(a) for a in inner):
                warnings.add(line, f"skipped malformed action item {rest[i : end + 1]!r}")
            else:
                out.append("[" + " ".join(inner) + "]")
            i = end + 1
            continue
        j = i
        while j < n and not rest[j].isspace() and rest[j] != "[":
            j += 1
        word = rest[i:j]
        if _SOURCE.match(word):
            out.append(word)
        else:
            warnings.add(line, f"skipped source {word!r}: not a service name")
        i = j
    return out


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens: one ``{"db", "rest", "line"}`` per database line, comments removed."""
    out: list[dict[str, str | int]] = []
    for ln in lines:
        text = ln.text.split("#", 1)[0].strip()
        if not text:
            continue
        m = _ENTRY.match(text)
        if not m:
            warnings.add(ln.no, f"skipped line that is not 'database: sources': {text[:60]!r}")
            continue
        out.append({"db": m["db"], "rest": m["rest"], "line": ln.no})
    if not any(tok["db"] in _DATABASES for tok in out):
        at = int(out[0]["line"]) if out else first_content_line(lines)
        raise ParseError("no 'database: sources' line for a known database", line=at)
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    nss: dict[str, JSON] = {}
    for tok in raw:
        db, line = str(tok["db"]), int(tok["line"])
        if db in nss:
            warnings.add(line, f"second {db!r} line ignored: glibc uses the first")
            continue
        if db not in _DATABASES:
            warnings.add(line, f"unknown database {db!r}; kept")
        sources = _sources(str(tok["rest"]), line, warnings)
        if not sources:
            warnings.add(line, f"{db!r} lists no sources")
        nss[db] = list(sources)
    settings: dict[str, JSON] = {"nss_hosts": nss.get("hosts"), "nss": nss}
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``/etc/nsswitch.conf``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
