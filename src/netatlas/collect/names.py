"""Name answers straight from each configured DNS server (``dns-answers-json``).

The system resolver's view (files, then DNS, as an application sees it) is
``getent hosts`` in :mod:`netatlas.collect.linux`. This module asks every DNS server
named in ``resolv.conf`` (and systemd-resolved's upstream file) directly, one query per
name and record type (A and AAAA), so the map can say *who* answered: the WSL or
Docker DNS proxy, the VPN's server, the LAN router, or nobody (NXDOMAIN, timeout).

Queries are built with dnspython's :mod:`dns.message` and sent with
:func:`dns.query.udp_with_fallback` rather than :class:`dns.resolver.Resolver`: the
resolver object turns NXDOMAIN into an exception and drops the authority section,
appends search domains and moves on to other servers, while the evidence must keep
exactly what *this* server said (rcode, flags, answer, authority). Nothing but the
named server is ever asked.

DNS traffic cannot go through the :class:`~netatlas.collect.runner.Runner` (it is not a
command or a file), so the querying function is the seam: :data:`Query` is what a
source calls, tests pass a server of their own on 127.0.0.1. Each query has a timeout
and each name a deadline of its own (its share of what is left), so one slow name
(a VPN's split-DNS zone that never answers) does not lose the answers to the others.
A server that is unreachable, or silent on two names in a row, is not asked the rest
(recorded as ``timeout`` with ``skipped: true``); the whole source has a deadline.

The evidence is a JSON list, one record per (name, server, type)::

    [{"name": "host.docker.internal", "server": "192.0.2.53", "port": 53,
      "rdtype": "A", "status": "NOERROR", "addresses": ["192.168.65.254"],
      "cnames": [], "authority": [], "flags": ["QR", "RD", "RA"], "ttl": 600,
      "elapsed_ms": 1.3}]
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from netatlas.collect.base import Source
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure

__all__ = [
    "DEFAULT_QUERY_TIMEOUT",
    "RESOLV_CONF_FILES",
    "Query",
    "dns_answers",
    "dns_answers_source",
    "names_to_ask",
    "query_server",
    "servers_of",
]

DEFAULT_QUERY_TIMEOUT = 1.0
"""Seconds one query may take (a LAN or proxy answers in milliseconds)."""

MIN_NAME_SHARE = 0.25
"""Seconds each name may take at least, however many names share the deadline (a
server over a VPN answers in tens of milliseconds; the global deadline still holds)."""

RESOLV_CONF_FILES = ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")
"""Where the configured servers are read: the file applications use and, behind a
systemd-resolved stub (127.0.0.53), the upstream servers it forwards to."""

Query = Callable[[str, int, str, str, float], dict[str, Any]]
"""``(server, port, name, rdtype, timeout) -> record``: one DNS question, never raising."""


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


def dns_answers(
    servers: Sequence[tuple[str, int]],
    names: Sequence[str],
    *,
    timeout: float = DEFAULT_QUERY_TIMEOUT,
    deadline: float = 10.0,
    query: Query | None = None,
) -> Result:
    """A and AAAA for every name from every server, as one ``dns-answers-json`` result.

    Args:
        servers: ``(address, port)`` pairs, asked one by one, each only about itself.
        names: names to ask, in order; duplicates are asked once.
        timeout: per query.
        deadline: for the whole result; questions left when it passes are recorded as
            ``timeout`` with ``skipped: true``, never sent.
        query: the function that sends one question (default :func:`query_server`).

    Returns:
        A result whose stdout is the JSON list; it fails only when there is no server
        to ask (``not-installed``) or dnspython is missing (``unsupported``).
    """
    wanted = list(dict.fromkeys(n.strip().rstrip(".") for n in names if n.strip().rstrip(".")))
    argv = ("dns", *(f"@{s}" if p == 53 else f"@{s}#{p}" for s, p in servers), "A", "AAAA", "--", *wanted)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    if not servers:
        return Result(argv, started=started, failure=Failure("not-installed", "no DNS server configured"))
    if query is None:
        try:
            import dns.query  # noqa: F401
        except ImportError:
            return Result(argv, started=started, failure=Failure("unsupported", "dnspython is not installed"))
        query = query_server
    out: list[dict[str, Any]] = []
    todo = len(servers) * len(wanted)
    for server, port in servers:
        dead, misses = False, 0
        for name in wanted:
            # per-name deadline: this name shares what is left with every name still to
            # ask, so one name a VPN's server sits on cannot use up the others' time
            left = deadline - (time.monotonic() - t0)
            name_end = time.monotonic() + min(left, max(left / max(1, todo), MIN_NAME_SHARE))
            todo -= 1
            silent = 0
            for rdtype in ("A", "AAAA"):
                left = min(deadline - (time.monotonic() - t0), name_end - time.monotonic())
                if dead or silent or left <= 0:
                    why = "server did not answer" if dead else "no answer to this name" if silent else "deadline passed"
                    out.append(no_answer(server, port, name, rdtype, why, skipped=True))
                    continue
                rec = query(server, port, name, rdtype, min(timeout, left))
                status = rec.get("status")
                dead = dead or status == "unreachable"
                silent += status == "timeout"
                out.append(rec)
            # a server silent on two names in a row is down; one silent name is just slow
            misses = misses + 1 if silent else 0
            dead = dead or misses >= 2
    # one record per line, so a parser warning's line number points at its record
    data = ("[\n" + ",\n".join(json.dumps(rec) for rec in out) + "\n]\n").encode()
    return Result(argv, data, duration_s=time.monotonic() - t0, started=started)


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


def servers_of(resolv_conf: bytes) -> list[str]:
    """Nameserver addresses in a ``resolv.conf`` (IPv6 zone kept, junk dropped), in order."""
    out: list[str] = []
    for raw in resolv_conf.decode("utf-8", "replace").splitlines():
        parts = raw.split("#", 1)[0].split(";", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            addr = parts[1]
            try:
                ipaddress.ip_address(addr.split("%", 1)[0])
            except ValueError:
                continue
            out.append(addr)
    return out


def names_to_ask(r: Runner, extra: Callable[[], list[str]]) -> list[str]:
    """The names that matter here: this host's own name, Docker Desktop's special names,
    ``localhost``, then ``extra()`` (the hosts-file names), without duplicates."""
    from netatlas.collect.linux import SPECIAL_NAMES

    wanted = [*SPECIAL_NAMES, *extra()]
    own = r.read("/proc/sys/kernel/hostname")
    if own.failure is None and own.stdout.strip():
        wanted.insert(0, own.stdout.decode("utf-8", "replace").strip())
    return list(dict.fromkeys(wanted))


def dns_answers_source(
    source_id: str,
    names: Callable[[Runner], list[str]],
    *,
    files: Sequence[str] = RESOLV_CONF_FILES,
    query: Query | None = None,
    timeout: float = DEFAULT_QUERY_TIMEOUT,
    deadline: float = 5.0,
) -> Source:
    """A source asking every server in ``files`` about ``names(runner)``.

    The servers are read through the runner when the source runs, so a replayed scan
    asks the recorded servers (and tests pass ``query`` to answer them).
    """

    def fetch(r: Runner) -> Result:
        servers: list[str] = []
        for path in files:
            res = r.read(path)
            if res.failure is None:
                servers.extend(servers_of(res.stdout))
        pairs = [(s, 53) for s in dict.fromkeys(servers)]
        # through the runner by default, so a replayed scan never sends a packet
        return dns_answers(pairs, names(r), timeout=timeout, deadline=deadline, query=query or r.query_dns)

    return Source(source_id, "dns-answers-json", fetch, optional=True)
