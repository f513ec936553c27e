"""Windows ``netsh interface portproxy show all|v4tov4|v4tov6|v6tov4|v6tov6``.

Schema: fills ``Facts.forwards``, one :class:`~netatlas.model.Forward` per rule:
``listen_address`` (``listen_any=True`` for ``*``, ``0.0.0.0`` and ``::``; the
address stays for the last two, which say the family a rule listens on, and is
``None`` for ``*``), ``listen_port``, ``connect_address`` or, when the rule names a host
(``localhost``), ``connect_host``; ``connect_port``; ``protocol`` ``"tcp"``
(portproxy forwards TCP only).

Example::

    Listen on ipv4:             Connect to ipv4:

    Address         Port        Address         Port
    --------------- ----------  --------------- ----------
    *               80          172.28.118.26   80

gives ``{"listen_address": null, "listen_any": true, "listen_port": 80,
"connect_address": "172.28.118.26", "connect_port": 80, "protocol": "tcp"}``.

A rule netsh accepted but portproxy cannot serve is kept as evidence of what the user
configured, not as a forward: ``netsh interface portproxy add v4tov4
listenport=30000-50000 …`` is stored and shown with the range, but portproxy has no
port ranges, so the rule never forwards anything. Such rules (a range, or a port out
of 1-65535) go to ``settings["portproxy_dead_rules"]``, one object per rule::

    {"line": 7, "family": "v4tov4", "listen_address": "0.0.0.0",
     "listen_ports": "30000-50000", "connect_address": "172.23.188.236",
     "connect_ports": "30000-50000", "why": "port range"}

(``family`` from the ``Listen on ipv4: Connect to ipv4:`` heading, ``null`` without one;
addresses canonical when they are addresses, else as written). The ``dead-forward``
check turns each into a finding with the fix. ``settings`` stays empty when every rule
can forward.

jc has no parser for this table. Pasted tables lose their column alignment, and
users redact the connect side with words (``wsl ip address``), so a row is read by
tokens, not columns: the first token is the listen side, the second the listen port,
the last the connect port, and everything between them the connect side. A connect
side that is neither an address nor a single host name is recorded as unknown with
a warning, never as an address. Headings (``Listen on ipv4:``, ``Abfragen auf
ipv4:``, column titles, dashes) are skipped in any language.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts, Forward
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    run_stages,
)
from netatlas.parsers._windows import redacted_address

INFO = ParserInfo(
    kind="netsh-portproxy",
    description="Windows netsh interface portproxy show (port forwarding rules)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bnetsh(?:\.exe)?\b.*\b(?:portproxy|pp)\b", r"\bnetsh(?:\.exe)?\s+int"),
    source="netsh interface portproxy show all",
)

_FAMILIES = re.compile(r"\bipv[46]\s*:", re.I)
_DASHES = re.compile(r"^\s*-{3,}(?:\s+-{3,}){3}\s*$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_PORT = re.compile(r"^\d{1,5}$")
_ANY = frozenset({"*", "0.0.0.0", "::"})  # noqa: S104 (wildcards read from output, nothing binds)


def sniff(text: str) -> float:
    """The ``Listen on ipv4: Connect to ipv4:`` heading (any language) or the dashed rule."""
    sample = text.splitlines()[:200]
    heading = any(len(_FAMILIES.findall(t)) == 2 for t in sample)
    dashes = any(_DASHES.match(t) for t in sample)
    rows = sum(1 for t in sample if _row(t.split()) is not None)
    if heading and (dashes or rows):
        return 0.95
    if heading or (dashes and rows):
        return 0.8
    return 0.0


def _row(tokens: list[str]) -> tuple[str, str, str, str] | None:
    """``(listen, lport, connect, cport)`` when the tokens have the shape of a rule."""
    if len(tokens) < 4:
        return None
    listen, lport, cport = tokens[0], tokens[1], tokens[-1]
    port_like = re.compile(r"^\d{1,5}(?:-\d{1,5})?$")
    if not (port_like.match(lport) and port_like.match(cport)):
        return None
    if listen not in _ANY and ip_or_none(listen) is None and not _HOST.match(listen) and not redacted_address(listen):
        return None
    return listen, lport, " ".join(tokens[2:-1]), cport


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens: ``{"line", "listen", "lport", "connect", "cport", "family"}`` per rule row."""
    out: list[dict[str, str | int]] = []
    heading = False
    family = ""
    for ln in lines:
        text = ln.text.strip()
        if not text or _DASHES.match(text):
            continue
        if len(_FAMILIES.findall(text)) >= 1 and text.endswith(":"):
            heading = True
            sides = re.findall(r"\bipv([46])\s*:", text, re.I)
            family = f"v{sides[0]}tov{sides[1]}" if len(sides) == 2 else ""
            continue
        row = _row(text.split())
        if row is not None:
            listen, lport, connect, cport = row
            out.append(
                {"line": ln.no, "listen": listen, "lport": lport, "connect": connect, "cport": cport, "family": family}
            )
        elif any(c.isdigit() for c in text):
            warnings.add(ln.no, f"skipped line that is not a portproxy rule: {text[:70]!r}")
        # column titles ("Address Port Address Port") carry no digits and are skipped quietly
    if not out and not heading:
        raise ParseError("no portproxy heading or rule rows found", line=first_content_line(lines))
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    forwards: list[Forward] = []
    dead: list[JSON] = []
    for tok in raw:
        line = int(tok["line"])
        lport, cport = str(tok["lport"]), str(tok["cport"])
        why = _unservable(lport) or _unservable(cport)
        if why is not None:
            dead.append(_dead_rule(tok, why))
            warnings.add(
                line,
                f"rule {tok['listen']} {lport} -> {tok['connect']} {cport} never forwards ({why}; portproxy "
                "forwards single ports 1-65535): kept in settings.portproxy_dead_rules, not as a forward",
            )
            continue
        listen = str(tok["listen"])
        listen_any = listen in _ANY
        listen_address = None if listen == "*" else ip_or_none(listen)
        if not listen_any and listen_address is None:
            warnings.add(line, f"listen address {listen!r} is not an address; recorded as unknown")
        connect = str(tok["connect"])
        connect_address = ip_or_none(connect)
        connect_host: str | None = None
        if connect_address is None:
            if redacted_address(connect):
                warnings.add(line, f"connect address {connect!r} is cut out or redacted; recorded as unknown")
            elif _HOST.match(connect) and not re.fullmatch(r"[\d.]+", connect):
                connect_host = connect
            else:
                warnings.add(
                    line,
                    f"connect side {connect!r} is no address or host name (redacted?); recorded as unknown",
                )
        forwards.append(
            Forward(
                listen_address=listen_address,
                listen_port=int(lport),
                connect_address=connect_address,
                connect_port=int(cport),
                protocol="tcp",
                listen_any=listen_any,
                connect_host=connect_host,
            )
        )
    settings: dict[str, JSON] = {"portproxy_dead_rules": dead} if dead else {}
    return Facts(kind=INFO.kind, forwards=tuple(forwards), settings=settings, warnings=warnings.sorted())


def _unservable(port: str) -> str | None:
    """Why portproxy cannot serve a port as written (``None``: it can)."""
    if _PORT.match(port):
        return None if 0 < int(port) < 65536 else f"port {port} is not in 1-65535"
    return "port range" if re.fullmatch(r"\d+-\d+", port) else f"port {port!r} is no port"


def _dead_rule(tok: dict[str, str | int], why: str) -> JSON:
    """The rule as the user configured it, for ``settings["portproxy_dead_rules"]``."""

    def side(text: str) -> str | None:
        if text == "*":
            return None
        address = ip_or_none(text)
        return str(address) if address is not None else text

    return {
        "line": int(tok["line"]),
        "family": str(tok["family"]) or None,
        "listen_address": side(str(tok["listen"])),
        "listen_ports": str(tok["lport"]),
        "connect_address": side(str(tok["connect"])),
        "connect_ports": str(tok["cport"]),
        "why": why,
    }


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse portproxy ``show`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
