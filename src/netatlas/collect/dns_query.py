"""DNS questions to one server, with dnspython; never raising (``dns-answers-json`` records).

Like :mod:`netatlas.collect.runner`, this is a door to the system, not a collector:
the runner's ``ask_dns`` is :func:`ask_server`, so it imports nothing of the collectors
(:mod:`netatlas.collect.names` builds the ``dns-answers-json`` source on top of it).
Why dnspython's :mod:`dns.message`/:mod:`dns.query` and not its resolver: see
:mod:`netatlas.collect.names`. dnspython is imported when a question is asked, never
at import time.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["ask_server", "no_answer", "query_server"]


def query_server(server: str, port: int, name: str, rdtype: str, timeout: float) -> dict[str, Any]:
    """Ask ``server`` one question; the record says what it answered, or why not.

    Status is the rcode text (``NOERROR``, ``NXDOMAIN``, ``SERVFAIL``, ``REFUSED`` …),
    ``timeout`` when nothing came back in time, ``unreachable`` when the query could
    not be sent or was refused by the network (no route, ICMP port unreachable), or
    ``error`` (with ``error``) for a name DNS cannot carry or a malformed reply.
    """
    import dns.exception
    import dns.message
    import dns.name
    import dns.query
    import dns.rdatatype

    record = _record(server, port, name, rdtype)
    t0 = time.monotonic()
    try:
        qname = dns.name.from_text(name)  # absolute: no search domains appended
        q = dns.message.make_query(qname, dns.rdatatype.from_text(rdtype))
        resp, _tcp = dns.query.udp_with_fallback(q, server, timeout=timeout, port=port)
    except dns.exception.Timeout:
        record["status"] = "timeout"
    except OSError as exc:  # network unreachable, port unreachable (ICMP), no route
        record["status"] = "unreachable"
        record["error"] = f"{type(exc).__name__}: {exc}"
    except (dns.exception.DNSException, ValueError) as exc:  # a name DNS cannot carry, a bad reply
        record["error"] = f"{type(exc).__name__}: {exc}"
    else:
        _answered(record, resp)
    record["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return record


def _record(server: str, port: int, name: str, rdtype: str) -> dict[str, Any]:
    return {
        "name": name,
        "server": server,
        "port": port,
        "rdtype": rdtype,
        "status": "error",
        "addresses": [],
        "cnames": [],
        "authority": [],
    }


def _answered(record: dict[str, Any], resp: Any) -> None:
    """Fill ``record`` from the server's reply: rcode, flags, addresses, CNAMEs, authority."""
    import dns.flags
    import dns.rcode
    import dns.rdatatype

    want = dns.rdatatype.from_text(record["rdtype"])
    record["status"] = dns.rcode.to_text(resp.rcode())
    record["flags"] = dns.flags.to_text(resp.flags).split()
    ttls = []
    for rrset in resp.answer:
        if rrset.rdtype == want:
            record["addresses"].extend(r.to_text() for r in rrset)
            ttls.append(rrset.ttl)
        elif rrset.rdtype == dns.rdatatype.CNAME:
            record["cnames"].extend(r.to_text().rstrip(".") for r in rrset)
    if ttls:
        record["ttl"] = min(ttls)
    record["authority"] = [line for rrset in resp.authority for line in rrset.to_text().splitlines()]


def no_answer(server: str, port: int, name: str, rdtype: str, error: str, *, skipped: bool = False) -> dict[str, Any]:
    """The record of a question that got no answer (``status`` timeout).

    ``skipped`` marks questions never sent (the server already failed, or the scan's
    deadline passed); replays use it unset for questions that were not recorded.
    """
    rec: dict[str, Any] = {
        "name": name,
        "server": server,
        "port": port,
        "rdtype": rdtype,
        "status": "timeout",
        "addresses": [],
        "cnames": [],
        "authority": [],
    }
    if skipped:
        rec["skipped"] = True
    rec["error"] = error
    return rec


def _socket(family: int, kind: int, netns: str | None) -> socket.socket:
    """A socket of this namespace, or created inside ``netns`` (a socket stays where it was made)."""
    if netns is None:
        return socket.socket(family, kind)
    from netatlas.collect.netns_entry import run_in

    return run_in(netns, lambda: socket.socket(family, kind))


def ask_server(
    server: str,
    port: int,
    questions: Sequence[tuple[str, str]],
    timeout: float,
    netns: str | None = None,
) -> list[dict[str, Any]]:
    """Ask ``server`` every ``(name, rdtype)`` question at once; one record per question, in order.

    All queries leave together on one UDP socket and the answers are matched to
    them by id and question, so one name the server is slow to answer (it forwards
    it to an upstream that does not answer) costs its own ``timeout``, never the
    other names' answers, and the whole batch takes about one round trip. A
    truncated answer is asked again over TCP. With ``netns`` (``/proc/PID/ns/net``
    or ``/run/netns/NAME``) the sockets are created inside that network namespace
    (:mod:`netatlas.collect.netns_entry`), so the questions leave from there: the
    only place where Docker's embedded DNS at 127.0.0.11 answers.

    Records are :func:`query_server`'s; ``unreachable`` for all when the batch
    cannot be sent (no route, port unreachable), ``timeout`` for each unanswered one.
    """
    import dns.exception
    import dns.message
    import dns.name
    import dns.query
    import dns.rdatatype

    t0 = time.monotonic()
    records = [_record(server, port, name, rdtype) for name, rdtype in questions]
    pending: dict[int, tuple[Any, int]] = {}  # query id -> (query, record index)
    for i, (name, rdtype) in enumerate(questions):
        try:
            q = dns.message.make_query(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
        except (dns.exception.DNSException, ValueError) as exc:
            records[i]["error"] = f"{type(exc).__name__}: {exc}"
            continue
        while q.id in pending:  # ids are random; two alike would be told apart by question only
            q.id = (q.id + 1) & 0xFFFF
        pending[q.id] = (q, i)
    family = socket.AF_INET6 if ipaddress.ip_address(server.split("%", 1)[0]).version == 6 else socket.AF_INET
    truncated: list[tuple[Any, int]] = []
    try:
        sock = _socket(family, socket.SOCK_DGRAM, netns)
    except OSError as exc:
        for _q, i in pending.values():
            records[i].update(status="unreachable", error=f"{type(exc).__name__}: {exc}")
        pending = {}
    else:
        with sock:
            sock.setblocking(False)
            try:
                for q, _i in pending.values():
                    sock.sendto(q.to_wire(), (server, port))
                _collect(sock, server, port, pending, records, truncated, t0 + timeout)
            except OSError as exc:  # network or port unreachable (ICMP), no route
                for _q, i in pending.values():
                    records[i].update(status="unreachable", error=f"{type(exc).__name__}: {exc}")
                pending = {}
    for _q, i in pending.values():
        records[i]["status"] = "timeout"
    for q, i in truncated:
        _over_tcp(q, records[i], family, server, port, max(0.1, t0 + timeout - time.monotonic()), netns)
    took = round((time.monotonic() - t0) * 1000, 1)
    for rec in records:
        rec.setdefault("elapsed_ms", took)
    return records


def _collect(
    sock: socket.socket,
    server: str,
    port: int,
    pending: dict[int, tuple[Any, int]],
    records: list[dict[str, Any]],
    truncated: list[tuple[Any, int]],
    expiration: float,
) -> None:
    """Read answers until every question has one or ``expiration`` passes."""
    import dns.exception
    import dns.flags
    import dns.message

    t0 = time.monotonic()
    want = ipaddress.ip_address(server.split("%", 1)[0])
    while pending:
        left = expiration - time.monotonic()
        if left <= 0:
            return
        ready, _w, _x = select.select([sock], [], [], left)
        if not ready:
            return
        wire, peer = sock.recvfrom(65535)
        try:
            if ipaddress.ip_address(str(peer[0]).split("%", 1)[0]) != want or peer[1] != port:
                continue  # not from the server asked
            resp = dns.message.from_wire(wire, ignore_trailing=True)
        except (dns.exception.DNSException, ValueError):
            continue  # a malformed packet answers nothing; its question may still be answered
        got = pending.get(resp.id)
        if got is None or not got[0].is_response(resp):
            continue
        q, i = pending.pop(resp.id)
        if resp.flags & dns.flags.TC:
            truncated.append((q, i))
            continue
        _answered(records[i], resp)
        records[i]["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)


def _over_tcp(
    q: Any, record: dict[str, Any], family: int, server: str, port: int, timeout: float, netns: str | None
) -> None:
    import dns.exception
    import dns.query

    try:
        sock = _socket(family, socket.SOCK_STREAM, netns)
    except OSError as exc:
        record.update(status="unreachable", error=f"{type(exc).__name__}: {exc}")
        return
    with sock:
        try:
            sock.settimeout(timeout)
            sock.connect((server, port))
            sock.setblocking(False)
            _answered(record, dns.query.tcp(q, server, timeout=timeout, port=port, sock=sock))
        except dns.exception.Timeout:
            record["status"] = "timeout"
        except OSError as exc:
            record.update(status="unreachable", error=f"{type(exc).__name__}: {exc}")
        except (dns.exception.DNSException, ValueError) as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
