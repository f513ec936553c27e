"""One DNS question to one server, with dnspython; never raising (``dns-answers-json`` records).

Like :mod:`netatlas.collect.runner`, this is a door to the system, not a collector:
the runner's ``query_dns`` is this function, so it imports nothing of the collectors
(:mod:`netatlas.collect.names` builds the ``dns-answers-json`` source on top of it).
Why dnspython's :mod:`dns.message`/:mod:`dns.query` and not its resolver: see
:mod:`netatlas.collect.names`. dnspython is imported when a question is asked, never
at import time.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["no_answer", "query_server"]


def query_server(server: str, port: int, name: str, rdtype: str, timeout: float) -> dict[str, Any]:
    """Ask ``server`` one question; the record says what it answered, or why not.

    Status is the rcode text (``NOERROR``, ``NXDOMAIN``, ``SERVFAIL``, ``REFUSED`` …),
    ``timeout`` when nothing came back in time, ``unreachable`` when the query could
    not be sent or was refused by the network (no route, ICMP port unreachable), or
    ``error`` (with ``error``) for a name DNS cannot carry or a malformed reply.
    """
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype

    record: dict[str, Any] = {
        "name": name,
        "server": server,
        "port": port,
        "rdtype": rdtype,
        "status": "error",
        "addresses": [],
        "cnames": [],
        "authority": [],
    }
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
        want = dns.rdatatype.from_text(rdtype)
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
    record["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return record


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
