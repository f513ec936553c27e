"""``nslookup NAME [SERVER]`` output: Windows (any locale), BIND (Linux, macOS), busybox.

Schema: fills ``Facts.answers``, one :class:`~netatlas.model.NameAnswer` per name the
output answers, with ``source="dns"`` and ``server`` (the ``Address:`` under
``Server:``, without ``#53``/``:53``; else the server typed on the command line).
``name`` is the first name of a CNAME chain (the name asked for), ``aliases`` the
rest of the chain in order, ending with the canonical name, and ``addresses`` every
address printed for any name of the chain. A failed lookup gives an answer with no
addresses and ``status``: ``NXDOMAIN``, ``SERVFAIL``, ``REFUSED``, ``NODATA`` (busybox
``No answer``), ``timeout`` (``;; connection timed out``, ``*** Request to X
timed-out``, ``No response from server``) or ``error``. A reverse lookup
(``1.9.77.10.in-addr.arpa name = target.``) gives the answer ``target`` → that
address. Several queries in one transcript give several answers; a name that resolved
and then failed for another record type (busybox/Docker's AAAA NXDOMAIN) keeps its
addresses, with a warning.

Example (Windows)::

    Server:  UnKnown
    Address:  192.168.1.1

    Non-authoritative answer:
    Name:    e1.example.net
    Addresses:  192.0.2.7
              198.51.100.7
    Aliases:  www.example.com

gives ``{"name": "www.example.com", "addresses": ["192.0.2.7", "198.51.100.7"],
"source": "dns", "server": "192.168.1.1", "aliases": ["e1.example.net"],
"status": null}``.

Windows localizes the ``Server:``/``Name:`` labels and the section headers
(``服务器:``, ``名称:``, ``Nicht autorisierende Antwort:``) but not
``Address:``/``Addresses:``/``Aliases:``; labels not in the table are read by
position (the first label of a block is the server, later ones are names) with a
warning. jc has no nslookup parser.
"""

from __future__ import annotations

import itertools
import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers._base import (
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
)
from netatlas.parsers._names import (
    Query,
    Run,
    dns_answer_facts,
    positional_args,
    reverse_address,
    run_tool_stages,
    strip_dot,
)

INFO = ParserInfo(
    kind="nslookup",
    description="nslookup output (Windows in any locale, BIND on Linux/macOS, busybox)",
    platforms=(Platform.WINDOWS, Platform.LINUX, Platform.MACOS),
    commands=(r"\bnslookup(?:\.exe)?\b",),
    source="nslookup NAME [SERVER]",
)

_TOOL = r"nslookup"
_SERVER_LABELS = {
    "server", "default server", "standardserver", "serveur", "serveur par défaut", "servidor",
    "servidor predeterminado", "server predefinito", "сервер", "服务器", "默认服务器", "伺服器",
    "預設伺服器", "サーバー", "既定のサーバー", "서버", "serwer", "sunucu",
}  # fmt: skip
_NAME_LABELS = {
    "name",
    "nom",
    "nombre",
    "nome",
    "имя",
    "名称",
    "名稱",
    "名前",
    "이름",
    "naam",
    "navn",
    "nazwa",
    "ad",
}
_ADDRESS = re.compile(r"^address(?:es)?(?:\s+\d+)?$")
_ALIASES = {"aliases", "alias"}
_LABEL = re.compile(r"^\s*(?P<label>[^:\t*;=]{1,40}?)\s*[:：]\s*(?P<value>.*)$")
_CNAME = re.compile(r"^\s*(?P<src>\S+)\s+canonical name\s*=\s*(?P<dst>\S+)\s*$", re.I)
_PTR = re.compile(r"^\s*(?P<rev>\S+\.(?:in-addr|ip6)\.arpa)\.?\s+name\s*=\s*(?P<name>\S+)\s*$", re.I)
_OTHER_RR = re.compile(r"^\s*\S+\s+[A-Za-z][\w ]*?\s*=\s*\S")
_BIND_FAIL = re.compile(r"^\s*\*\*\s*server can't find (?P<name>\S+?):\s*(?P<status>\S+)", re.I)
_WIN_FAIL = re.compile(r"^\s*\*\*\*\s*(?:(?P<server>.+?)\s+)?can't find (?P<name>\S+?):\s*(?P<msg>.+?)\s*$", re.I)
_WIN_TIMEOUT = re.compile(r"^\s*\*\*\*\s*Request to (?P<server>.+?) timed[- ]out", re.I)
_TIMEOUT = re.compile(r"^\s*;;\s*(?:connection timed out;\s*)?no servers could be reached", re.I)
_QUIET = re.compile(
    r"^\s*(?:DNS request timed out\.?|timeout was \d+ seconds?\.?|;;\s*communications error to .*"
    r"|;;\s*Got recursion not available.*|Authoritative answers can be found from:?)\s*$",
    re.I,
)
_BUSYBOX_FAIL = re.compile(r"^\s*nslookup: can't resolve '(?P<name>[^']*)'(?::\s*(?P<msg>.*))?$", re.I)
_INTERACTIVE = re.compile(r"^\s*>\s*(?P<q>\S+)\s*$")
_MESSAGES = {
    "non-existent domain": "NXDOMAIN",
    "nxdomain": "NXDOMAIN",
    "server failed": "SERVFAIL",
    "servfail": "SERVFAIL",
    "query refused": "REFUSED",
    "refused": "REFUSED",
    "no response from server": "timeout",
    "no answer": "NODATA",
    "no records": "NODATA",
    "no data": "NODATA",
    "name does not resolve": "NXDOMAIN",
}
_TIMEOUT_WORDS = (
    "timed out",
    "timed-out",
    "超时",
    "逾時",
    "タイムアウト",
    "zeitüberschreitung",
    "délai",
    "тайм-аут",
)


def sniff(text: str) -> float:
    """``Server:`` then ``Address:`` lines (any locale), or nslookup's failure lines."""
    head = text[:4000]
    if re.search(r"^Using domain server:", head, re.M) or re.search(r" has (?:IPv6 )?address ", head):
        return 0.3  # that is `host`
    if re.search(r"^[^\n:*]{1,30}[:：][ \t]+\S+[ \t]*\r?\n[ \t]*Address(?: 1)?:[ \t]+\S+", head, re.M):
        return 0.9
    if re.search(r"^\*\* server can't find |^\*\*\* .*can't find |canonical name = ", head, re.M):
        return 0.8
    if re.search(r"\.(?:in-addr|ip6)\.arpa\s+name = ", head):
        return 0.8
    return 0.0


def _label_kind(label: str, value: str, block: Query, line: int, warnings: Warnings) -> str:
    key = " ".join(label.lower().split())
    if _ADDRESS.match(key):
        return "address"
    if key in _ALIASES:
        return "aliases"
    if key in _SERVER_LABELS:
        return "server"
    if key in _NAME_LABELS:
        return "name"
    if not value:
        return "section"
    if ip_or_none(value.split()[0]) is not None and block.server is not None:
        warnings.add(line, f"unknown label {label!r} read as an address")
        return "address"
    kind = "server" if block.server_line is None and not block.records else "name"
    warnings.add(line, f"unknown label {label!r} read as the {kind} line by its position")
    return kind


def _server_address(text: str) -> str:
    """``127.0.0.53#53``, ``127.0.0.11:53``, ``[::1]:53`` → the address part."""
    t = text.strip().split()[0] if text.strip() else ""
    t = t.split("#", 1)[0]
    if m := re.match(r"^\[(?P<a>[^\]]+)\](?::\d+)?$", t):
        return m["a"]
    if re.match(r"^\d+\.\d+\.\d+\.\d+:\d+$", t):
        return t.rsplit(":", 1)[0]
    return t


def _raw(run_list: list[Run], warnings: Warnings) -> list[Query]:
    """Blocks of tokens (names, address strings, CNAME edges, failures) per query."""
    blocks: list[Query] = []
    seen = False
    for run in run_list:
        args = positional_args(run.command, _TOOL)
        query = args[0] if args else None
        server_arg = args[1] if len(args) > 1 else None
        first = run.lines[0].no if run.lines else (run.line or 1)
        block = Query(line=first, query=query, server_arg=server_arg)
        blocks.append(block)
        current: str | None = None
        cont: str | None = None  # "answer" | "aliases" | "server": what a bare continuation adds to
        aliases: list[str] = []
        for ln in run.lines:
            text = ln.text.strip()
            if not text:
                cont = None
                continue
            if _QUIET.match(text):
                continue
            if m := _INTERACTIVE.match(text):
                _close_aliases(block, current, aliases)
                aliases, current, cont = [], None, None
                block = Query(line=ln.no, query=m["q"], server_arg=server_arg)
                blocks.append(block)
                seen = True
                continue
            if m := _BIND_FAIL.match(text):
                block.failures.append((ln.no, strip_dot(m["name"]), m["status"].upper()))
                seen, cont = True, None
                continue
            if m := _WIN_TIMEOUT.match(text):
                block.failures.append((ln.no, "", "timeout"))
                seen, cont = True, None
                continue
            if m := _WIN_FAIL.match(text):
                msg = m["msg"].lower().rstrip(".")
                status = _MESSAGES.get(msg)
                if status is None:
                    warnings.add(ln.no, f"unknown failure message {m['msg']!r}; status 'error'")
                    status = "error"
                block.failures.append((ln.no, strip_dot(m["name"]), status))
                seen, cont = True, None
                continue
            if _TIMEOUT.match(text):
                block.failures.append((ln.no, "", "timeout"))
                seen, cont = True, None
                continue
            if m := _BUSYBOX_FAIL.match(text):
                seen = True
                if m["name"] in ("(null)", ""):
                    warnings.add(ln.no, "busybox could not resolve the server's own name; ignored")
                    continue
                msg = (m["msg"] or "").lower().rstrip(".")
                block.failures.append((ln.no, strip_dot(m["name"]), _MESSAGES.get(msg, "error")))
                continue
            if text.startswith("***"):
                seen = True
                if any(w in text.lower() for w in _TIMEOUT_WORDS):
                    block.failures.append((ln.no, "", "timeout"))
                else:
                    warnings.add(ln.no, f"skipped unrecognised nslookup message: {text[:60]!r}")
                continue
            if m := _CNAME.match(text):
                block.edges.append((strip_dot(m["src"]), strip_dot(m["dst"])))
                seen, cont = True, None
                continue
            if m := _PTR.match(text):
                seen, cont = True, None
                addr = reverse_address(m["rev"])
                if addr is None:
                    warnings.add(ln.no, f"reverse name {m['rev']!r} does not spell an address; skipped")
                    continue
                block.records.setdefault(strip_dot(m["name"]), []).append((ln.no, str(addr)))
                continue
            if m := _LABEL.match(text):
                label, value = m["label"].strip(), m["value"].strip()
                kind = _label_kind(label, value, block, ln.no, warnings)
                seen = True
                if kind == "server":
                    if block.server_line is not None or block.records or block.failures:
                        _close_aliases(block, current, aliases)
                        aliases, current = [], None
                        block = Query(line=ln.no, query=None, server_arg=None)
                        blocks.append(block)
                    block.server_line = ln.no
                    cont = "server"
                elif kind == "name":
                    _close_aliases(block, current, aliases)
                    aliases = []
                    current = strip_dot(value.split()[0]) if value else None
                    if current:
                        block.records.setdefault(current, [])
                    cont = "answer"
                elif kind == "address":
                    first_value = value.split()[0] if value else ""
                    if cont == "server" or (current is None and block.server is None and not block.records):
                        block.server = _server_address(first_value)
                        block.server_line = block.server_line or ln.no
                        cont = None
                    elif current is not None:
                        block.records[current].append((ln.no, first_value))
                        cont = "answer"
                    else:
                        warnings.add(ln.no, f"address {first_value!r} with no name before it; skipped")
                elif kind == "aliases":
                    if value:
                        aliases.append(strip_dot(value.split()[0]))
                    cont = "aliases"
                else:
                    cont = None  # a section header: Non-authoritative answer (any language)
                continue
            if cont in ("answer", "aliases") and len(text.split()) == 1:
                if cont == "answer" and current is not None:
                    block.records[current].append((ln.no, text))
                else:
                    aliases.append(strip_dot(text))
                continue
            if _OTHER_RR.match(text):
                seen = True
                warnings.add(ln.no, f"skipped record that is not an address answer: {text[:60]!r}")
                continue
            warnings.add(ln.no, f"skipped line that is not nslookup output: {text[:60]!r}")
        _close_aliases(block, current, aliases)
    if not seen:
        lines = [ln for r in run_list for ln in r.lines]
        raise ParseError("no nslookup output found (no Server:/Name:/Address: lines)", line=first_content_line(lines))
    return [b for b in blocks if b.records or b.edges or b.failures or b.server is not None]


def _close_aliases(block: Query, canonical: str | None, aliases: list[str]) -> None:
    """Windows prints ``Aliases:`` as the chain from the query to the canonical ``Name``."""
    if not aliases or canonical is None:
        return
    chain = [*aliases, canonical]
    for a, b in itertools.pairwise(chain):
        if (a, b) not in block.edges:
            block.edges.append((a, b))


def _process(blocks: list[Query], warnings: Warnings) -> Facts:
    return dns_answer_facts(INFO.kind, blocks, warnings)


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse nslookup output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_tool_stages(data, source, INFO, _TOOL, _raw, _process)
