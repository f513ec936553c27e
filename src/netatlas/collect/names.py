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
source calls, tests pass a server of their own on 127.0.0.1. Each query has a timeout,
a server that fails to answer one query is not asked the rest (they are recorded as
``timeout`` with ``skipped: true``), and the whole source has a deadline.

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
from netatlas.collect.dns_query import ask_server, no_answer, query_server
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure

__all__ = [
    "DEFAULT_QUERY_TIMEOUT",
    "RESOLV_CONF_FILES",
    "SPECIAL_NAMES",
    "Ask",
    "Query",
    "dns_answers",
    "dns_answers_source",
    "names_to_ask",
    "no_answer",
    "query_server",
    "servers_of",
]

DEFAULT_QUERY_TIMEOUT = 1.0
"""Seconds one query may take (a LAN or proxy answers in milliseconds)."""

RESOLV_CONF_FILES = ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")
"""Where the configured servers are read: the file applications use and, behind a
systemd-resolved stub (127.0.0.53), the upstream servers it forwards to."""

SPECIAL_NAMES = (
    "localhost",
    "host.docker.internal",
    "gateway.docker.internal",
    "kubernetes.docker.internal",
)
"""Names worth resolving on every machine (Docker Desktop's special names; see
shared/facts/pool-facts.md §2), besides the host's own name and its hosts-file names."""

Query = Callable[[str, int, str, str, float], dict[str, Any]]
"""``(server, port, name, rdtype, timeout) -> record``: one DNS question, never raising."""


Ask = Callable[[str, int, Sequence[tuple[str, str]], float], list[dict[str, Any]]]
"""``(server, port, [(name, rdtype)…], timeout) -> records``: questions asked of one
server all at once, one record per question in order, never raising."""


def dns_answers(
    servers: Sequence[tuple[str, int]],
    names: Sequence[str],
    *,
    timeout: float = DEFAULT_QUERY_TIMEOUT,
    deadline: float = 10.0,
    query: Query | None = None,
    ask: Ask | None = None,
    where: tuple[str, ...] = (),
) -> Result:
    """A and AAAA for every name from every server, as one ``dns-answers-json`` result.

    Args:
        servers: ``(address, port)`` pairs, asked one by one, each only about itself.
        names: names to ask, in order; duplicates are asked once.
        timeout: per question.
        deadline: for the whole result; questions left when it passes are recorded as
            ``timeout`` with ``skipped: true``, never sent.
        ask: sends one server all its questions at once (default
            :func:`~netatlas.collect.dns_query.ask_server`): a name the server is slow
            on costs its own timeout and never the other names' answers.
        query: instead of ``ask``, a function that sends one question at a time; a
            server that does not answer one is then not asked the rest (recorded as
            ``timeout`` with ``skipped: true``).
        where: where the questions leave from, for the evidence's argv
            (``("nspath", "/proc/PID/ns/net")``).

    Returns:
        A result whose stdout is the JSON list; it fails only when there is no server
        to ask (``not-installed``) or dnspython is missing (``unsupported``).
    """
    wanted = list(dict.fromkeys(n.strip().rstrip(".") for n in names if n.strip().rstrip(".")))
    argv = ("dns", *where, *(f"@{s}" if p == 53 else f"@{s}#{p}" for s, p in servers), "A", "AAAA", "--", *wanted)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    if not servers:
        return Result(argv, started=started, failure=Failure("not-installed", "no DNS server configured"))
    if query is None and ask is None:
        try:
            import dns.query  # noqa: F401
        except ImportError:
            return Result(argv, started=started, failure=Failure("unsupported", "dnspython is not installed"))
        ask = ask_server
    questions = [(name, rdtype) for name in wanted for rdtype in ("A", "AAAA")]
    out: list[dict[str, Any]] = []
    for server, port in servers:
        left = deadline - (time.monotonic() - t0)
        if left <= 0:
            out.extend(no_answer(server, port, n, t, "scan deadline passed", skipped=True) for n, t in questions)
        elif query is None:
            assert ask is not None
            out.extend(ask(server, port, questions, min(timeout, left)))
        else:
            out.extend(_one_by_one(query, server, port, questions, timeout, t0 + deadline))
    # one record per line, so a parser warning's line number points at its record
    data = ("[\n" + ",\n".join(json.dumps(rec) for rec in out) + "\n]\n").encode()
    return Result(argv, data, duration_s=time.monotonic() - t0, started=started)


def _one_by_one(
    query: Query, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, end: float
) -> list[dict[str, Any]]:
    """Questions sent one after another; after a timeout the server is asked no more."""
    out: list[dict[str, Any]] = []
    dead = False
    for name, rdtype in questions:
        left = end - time.monotonic()
        if dead or left <= 0:
            why = "server did not answer" if dead else "scan deadline passed"
            out.append(no_answer(server, port, name, rdtype, why, skipped=True))
            continue
        rec = query(server, port, name, rdtype, min(timeout, left))
        dead = rec.get("status") in ("timeout", "unreachable")
        out.append(rec)
    return out


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
    netns: str | None = None,
) -> Source:
    """A source asking every server in ``files`` about ``names(runner)``.

    The servers are read through the runner when the source runs, and asked through
    it (``runner.ask_dns``), so a replayed scan asks the recorded servers and never
    sends a packet (tests may pass ``query`` to answer them one by one instead).

    Args:
        netns: ask from inside this network namespace (``/proc/PID/ns/net``), whose
            ``resolv.conf`` is among ``files``: a container's own resolver, Docker's
            embedded DNS at 127.0.0.11, answers only there.
    """
    where = () if netns is None else ("nspath", netns)

    def fetch(r: Runner) -> Result:
        servers: list[str] = []
        for path in files:
            res = r.read(path)
            if res.failure is None:
                servers.extend(servers_of(res.stdout))
        pairs = [(s, 53) for s in dict.fromkeys(servers)]

        def ask(server: str, port: int, questions: Sequence[tuple[str, str]], limit: float) -> list[dict[str, Any]]:
            return r.ask_dns(server, port, questions, limit, netns)

        return dns_answers(
            pairs,
            names(r),
            timeout=timeout,
            deadline=deadline,
            query=query,
            ask=None if query is not None else ask,
            where=where,
        )

    return Source(source_id, "dns-answers-json", fetch, optional=True)
