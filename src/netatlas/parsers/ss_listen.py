"""``ss -ltnup`` / ``ss -lntu`` / ``ss -tulpn`` listeners (iproute2).

Schema: fills ``Facts.listeners``, one :class:`~netatlas.model.Listener` per
``LISTEN`` (TCP) or ``UNCONN`` (UDP) row:

* ``protocol``: the ``Netid`` column (``tcp``, ``udp``, ``sctp`` …); without that
  column (``ss -lt``, ``ss -lu``) ``LISTEN`` means ``tcp`` and ``UNCONN`` ``udp``;
* ``address``: the local address as written (``0.0.0.0``, ``::`` from ``[::]``,
  ``127.0.0.53``); ``*`` (a dual-stack wildcard) is ``None``;
* ``port``: the local port (rows with port ``*`` are skipped with a warning);
* ``interface``: the bound device after ``%`` (``127.0.0.53%lo:53`` → ``lo``);
* ``process`` and ``pid``: the first ``("name",pid=N,fd=M)`` of ``users:((…))``
  (``-p``, needs root for other users' listeners), else ``None``.

Rows in other states (``ESTAB``, ``TIME-WAIT`` … from ``ss -a``) are skipped with a
warning; so are ``u_str``/``nl`` rows, which have no address.

Example::

    Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
    tcp   LISTEN 0      511          0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=1,fd=6))

gives ``{"protocol": "tcp", "address": "0.0.0.0", "port": 80, "process": "nginx",
"pid": 1, "interface": null}``.

jc 1.26 has an ``ss`` parser, but it splits rows at character positions taken from
the header (it fails with ``KeyError: 'netid'`` on ``ss -lt`` output, which has no
``Netid`` column, and needs the header as the very first line, so a pasted
transcript or lost column alignment breaks it), and it keeps no line numbers. Rows
are whitespace-separated with the address last-colon-split, so the tokenising is
done here.
"""

from __future__ import annotations

import re
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts, IPAddress, Listener
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    run_stages,
)
from netatlas.parsers._linux import to_int

INFO = ParserInfo(
    kind="ss-listen",
    description="Linux 'ss -ltnup' listening TCP/UDP ports (iproute2)",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ss\b",),
    source="ss -ltnup",
)

_NETIDS = {"tcp", "udp", "sctp", "raw", "dccp", "mptcp", "u_str", "u_dgr", "u_seq", "nl", "p_raw", "p_dgr"}
_ROW = re.compile(
    r"^(?:(?P<netid>[a-z_0-9]+)\s+)?(?P<state>[A-Z][A-Z0-9-]*)\s+(?P<rq>\d+)\s+(?P<sq>\d+)\s+"
    r"(?P<local>\S+)\s+(?P<peer>\S+)(?:\s+(?P<rest>.*))?$"
)
_HEADER = re.compile(r"^\s*(?:Netid\s+)?State\s+Recv-Q\s+Send-Q\s+Local\s+Address", re.I)
_USER = re.compile(r'\("(?P<name>(?:[^"\\]|\\.)*)",pid=(?P<pid>\d+)')


def sniff(text: str) -> float:
    """High for the ``State Recv-Q Send-Q Local Address:Port`` header or rows like it."""
    head = text[:20000]
    if re.search(r"(?mi)^\s*(?:Netid\s+)?State\s+Recv-Q\s+Send-Q\s+Local\s+Address:Port", head):
        return 0.95
    rows = [t for t in head.splitlines() if _ROW.match(t.strip())]
    return 0.6 if rows and any("LISTEN" in r or "UNCONN" in r for r in rows) else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: ``{"line", "netid", "state", "local", "rest"}`` per listening row."""
    out: list[dict[str, Any]] = []
    seen = False
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        if _HEADER.match(text):
            seen = True
            continue
        m = _ROW.match(text)
        if not m or (m["netid"] and m["netid"] not in _NETIDS):
            warnings.add(ln.no, f"skipped line that is not an ss row: {text[:60]!r}")
            continue
        seen = True
        if m["state"] not in ("LISTEN", "UNCONN"):
            warnings.add(ln.no, f"skipped row in state {m['state']} (not listening)")
            continue
        netid = m["netid"] or ("tcp" if m["state"] == "LISTEN" else "udp")
        if netid not in ("tcp", "udp", "sctp", "dccp", "mptcp", "raw"):
            warnings.add(ln.no, f"skipped {netid} row (no IP address)")
            continue
        out.append({"line": ln.no, "netid": netid, "local": m["local"], "rest": m["rest"] or ""})
    if not seen:
        raise ParseError("no ss header or rows found", line=first_content_line(lines))
    return out


def _split_local(local: str) -> tuple[str, str, str | None]:
    """``[::1]:80`` → (``::1``, ``80``, None); ``127.0.0.53%lo:53`` → (…, ``lo``)."""
    host, _, port = local.rpartition(":")
    iface: str | None = None
    if "%" in host:
        host, _, iface = host.partition("%")
        iface = iface.rstrip("]") or None
    return host.strip("[]"), port, iface


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    listeners: list[Listener] = []
    for tok in raw:
        line: int = tok["line"]
        host, port_text, iface = _split_local(tok["local"])
        port = to_int(port_text)
        if port is None or not 0 < port < 65536:  # nothing listens on port 0
            warnings.add(line, f"skipped row: no usable local port in {tok['local']!r}")
            continue
        address: IPAddress | None = None
        if host != "*":
            address = ip_or_none(host)
            if address is None:
                warnings.add(line, f"local address is not an address: {host!r}; kept as unknown")
            elif address.version == 6 and address.ipv4_mapped is not None:
                # [::ffff:127.0.0.1]:8000 (a dual-stack listener bound to an IPv4 address,
                # as Java prints it) listens on that IPv4 address: say so, so a
                # loopback bind is seen as loopback
                address = address.ipv4_mapped
        user = _USER.search(tok["rest"])
        listeners.append(
            Listener(
                protocol=tok["netid"],
                address=address,
                port=port,
                process=user["name"] if user else None,
                pid=int(user["pid"]) if user else None,
                interface=iface,
            )
        )
    return Facts(kind=INFO.kind, listeners=tuple(listeners), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ss -l`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
