"""The one door every live probe goes through: the fence first, then a TCP handshake or one DNS question.

Nothing in ``netatlas verify`` sends a packet except :class:`Door`, and the door asks
:class:`~netatlas.verify.fence.Fence` before each probe; a destination the fence
refuses is never contacted (the probe is ``fenced``, with the fence's reason). What
was really sent is kept in :attr:`Door.sent`, which the tests read.

What a probe sends:

* ``tcp``: a connect, nothing more. The socket is made inside the place's namespace
  (by the one namespace thread of :mod:`netatlas.collect.netns_entry`) and used from
  here without blocking; it is closed as soon as the handshake is answered (a FIN, no
  data) or the time is up. Outcomes: ``open``, ``refused`` (RST), ``timeout`` (no
  answer: dropped on the way), ``unreachable`` (no route, or an ICMP unreachable),
  ``error``.
* ``dns``: one A and one AAAA question to a resolver the fence allows (on the machine:
  loopback, Docker's ``127.0.0.11``, an address of one of its nodes), from a UDP socket
  made inside the namespace.
* through a channel (``docker exec``, ``wsl.exe --exec``): ``nc`` run inside, when it
  is there; else the probe is ``skipped`` and says what to install.

Probes run at once up to ``parallel`` sockets, each with its own deadline, so a run
takes about ``timeout`` times (dropped probes / ``parallel``).
"""

from __future__ import annotations

import errno
import math
import re
import selectors
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from netatlas.model import IPAddress
from netatlas.verify.fence import Fence
from netatlas.verify.places import Place

__all__ = ["PARALLEL", "Door", "Observed", "Target"]

PARALLEL = 1024
"""Sockets in flight at once, at most (see :func:`in_flight`). Only a dropped probe waits
out its timeout, so a run's length is about (probes dropped / this) x ``--timeout``: on a
machine of 40 containers on 7 networks, 4 280 probes took 17.0 s at 256 and 7.4 s at 1024
(bench/bench_verify.py)."""

_SPARE_FDS = 128
"""File descriptors left for everything else the process holds open."""


def in_flight(wanted: int) -> int:
    """How many sockets may be in flight: ``wanted``, within the open-file limit.

    The soft limit is raised toward the hard one if it is too low (systemd's default soft
    limit is 1024); where it cannot be, fewer sockets fly at once and the run takes longer.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit on sockets
        return max(1, wanted)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + _SPARE_FDS
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return max(1, wanted)
    return max(1, min(wanted, soft - _SPARE_FDS))


_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL})
_EXEC_MISSING = re.compile(
    rb"executable file not found|not found in \$PATH|execvpe\(?[^)\s]*\)? failed|No such file or directory: unknown",
    re.I,
)


@dataclass(frozen=True)
class Target:
    """One TCP probe: from ``place`` to ``address:port``.

    ``onward``: where a forward listening there relays the connection (a ``-p`` port's
    container, a portproxy rule's target): the forwarder connects there on the probe's
    behalf, so the fence must allow it too.
    """

    place: Place
    address: IPAddress
    port: int
    onward: tuple[IPAddress, ...] = ()


@dataclass(frozen=True)
class Observed:
    """What a probe saw.

    ``status``: ``open``, ``refused``, ``timeout``, ``unreachable``, ``error`` (tcp);
    ``found``/``not-found`` (dns, ``addresses`` the answer); ``fenced`` (never sent:
    ``detail`` says why) or ``skipped`` (no tool there: ``detail`` names it).
    """

    status: str
    detail: str = ""
    addresses: tuple[IPAddress, ...] = field(default_factory=tuple)


Maker = Callable[[Place, Sequence[tuple[int, int]]], list[socket.socket]]
"""``(place, [(family, type)…]) -> sockets made inside the place's namespace``."""


def make_sockets(place: Place, kinds: Sequence[tuple[int, int]]) -> list[socket.socket]:
    """Sockets made inside ``place``'s namespace (here, for ``self``).

    Raises:
        OSError: the namespace cannot be entered (``PermissionError``: not root).
    """

    def make() -> list[socket.socket]:
        out: list[socket.socket] = []
        try:
            for fam, typ in kinds:
                out.append(socket.socket(fam, typ))
        except OSError:
            for s in out:
                s.close()
            raise
        return out

    if place.how == "self" or place.path is None:
        return make()
    from netatlas.collect.netns_entry import run_in

    return run_in(place.path, make)


class Door:
    """Sends probes, each only after the fence allows it.

    Args:
        fence: the check every destination must pass.
        timeout: seconds a probe may take.
        runner: runs the channel commands of ``exec`` places.
        parallel: sockets in flight at once.
        maker: makes sockets inside a place (tests pass their own).
    """

    def __init__(
        self,
        fence: Fence,
        *,
        timeout: float = 1.0,
        runner: object | None = None,
        parallel: int = PARALLEL,
        maker: Maker = make_sockets,
    ) -> None:
        self.fence = fence
        self.timeout = timeout
        self.runner = runner
        self.parallel = in_flight(parallel)
        self.maker = maker
        self.sent: list[tuple[str, str, IPAddress, int]] = []
        """(kind, place, address, port) of every probe really sent."""
        self._missing: dict[str, str] = {}

    # ------------------------------------------------------------------ tcp

    def tcp(self, targets: Sequence[Target]) -> list[Observed]:
        """Connect to every target (those the fence allows); one outcome each, in order."""
        out: list[Observed | None] = [None] * len(targets)
        native: list[int] = []
        for i, t in enumerate(targets):
            why = self.fence.check(t.place.node, t.address)
            for relay in t.onward if why is None else ():
                why = self.fence.static(relay)
                if why is not None:
                    why = f"a forward there relays to {relay}: {why}"
                    break
            if why is not None:
                out[i] = Observed("fenced", why)
            elif t.place.how == "exec":
                out[i] = self._tcp_exec(t)
            else:
                native.append(i)
        for i, obs in zip(native, self._tcp_native([targets[i] for i in native]), strict=True):
            out[i] = obs
        return [o if o is not None else Observed("error", "not run") for o in out]

    def _tcp_native(self, targets: Sequence[Target]) -> list[Observed]:
        """Non-blocking connects from sockets made in each place, at most ``parallel`` at once."""
        results: list[Observed | None] = [None] * len(targets)
        order = sorted(range(len(targets)), key=lambda i: targets[i].place.vantage)
        sel = selectors.DefaultSelector()
        flying: dict[int, tuple[int, socket.socket, float]] = {}
        pos = 0

        def finish(fd: int, obs: Observed) -> None:
            i, s, _deadline = flying.pop(fd)
            sel.unregister(s)
            s.close()
            results[i] = obs

        try:
            while pos < len(order) or flying:
                room = self.parallel - len(flying)
                if room > 0 and pos < len(order):
                    place = targets[order[pos]].place
                    chunk: list[int] = []
                    while pos < len(order) and len(chunk) < room and targets[order[pos]].place == place:
                        chunk.append(order[pos])
                        pos += 1
                    self._start(chunk, targets, results, sel, flying)
                    continue
                now = time.monotonic()
                wait = max(0.0, min(d for _i, _s, d in flying.values()) - now)
                for key, _ev in sel.select(wait):
                    s = key.fileobj
                    assert isinstance(s, socket.socket)
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    finish(s.fileno(), _status(err))
                now = time.monotonic()
                for fd in [fd for fd, (_i, _s, d) in flying.items() if d <= now]:
                    finish(fd, Observed("timeout"))
        finally:
            for _i, s, _d in flying.values():
                s.close()
            sel.close()
        return [r if r is not None else Observed("error", "not run") for r in results]

    def _start(
        self,
        chunk: Sequence[int],
        targets: Sequence[Target],
        results: list[Observed | None],
        sel: selectors.BaseSelector,
        flying: dict[int, tuple[int, socket.socket, float]],
    ) -> None:
        place = targets[chunk[0]].place
        kinds = [
            (socket.AF_INET6 if targets[i].address.version == 6 else socket.AF_INET, socket.SOCK_STREAM) for i in chunk
        ]
        try:
            socks = self.maker(place, kinds)
        except OSError as exc:
            for i in chunk:
                results[i] = Observed("error", f"could not enter {place.vantage}: {exc}")
            return
        deadline = time.monotonic() + self.timeout
        for i, s in zip(chunk, socks, strict=True):
            t = targets[i]
            s.setblocking(False)
            self.sent.append(("tcp", place.vantage, t.address, t.port))
            err = s.connect_ex((str(t.address), t.port))
            if err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                flying[s.fileno()] = (i, s, deadline)
                sel.register(s, selectors.EVENT_WRITE)
                continue
            s.close()
            results[i] = _status(err)

    def _tcp_exec(self, t: Target) -> Observed:
        """``nc`` inside the place through its channel (``docker exec``, ``wsl.exe --exec``)."""
        if t.place.vantage in self._missing:
            return Observed("skipped", self._missing[t.place.vantage])
        run = getattr(self.runner, "run", None)
        if run is None:
            return Observed("skipped", "no runner for the channel")
        wait = str(max(1, math.ceil(self.timeout)))
        wsl = len(t.place.argv) > 1 and t.place.argv[1] == "-d"
        # busybox nc (containers) knows no -z; with stdin at EOF it connects and ends
        nc = ["nc", "-z", "-w", wait] if wsl else ["nc", "-w", wait]
        self.sent.append(("tcp", t.place.vantage, t.address, t.port))
        res = run([*t.place.argv, *nc, str(t.address), str(t.port)], timeout=self.timeout + 15)
        text = (bytes(res.stdout) + b"\n" + bytes(res.stderr)).replace(b"\x00", b"")
        if res.exit_code == 0 and res.failure is None:
            return Observed("open")
        if (res.failure is not None and res.failure.code == "missing-binary" and res.exit_code is None) or (
            res.exit_code in (1, 126, 127) and _EXEC_MISSING.search(text)
        ):
            what = (
                f"{t.place.argv[0]} is not installed here"
                if res.exit_code is None
                else "nc is not in it (install busybox or netcat-openbsd there)"
            )
            self._missing[t.place.vantage] = what
            self.sent.pop()
            return Observed("skipped", what)
        low = text.lower()
        if b"refused" in low:
            return Observed("refused")
        if b"unreachable" in low or b"no route" in low:
            return Observed("unreachable")
        return Observed("timeout", text.decode("utf-8", "replace").strip()[:200])

    # ------------------------------------------------------------------ dns

    def dns(self, place: Place, server: IPAddress, name: str) -> Observed:
        """A and AAAA for ``name`` from ``server``, asked from inside ``place`` (the fence decides first)."""
        why = self.fence.check(place.node, server)
        if why is not None:
            return Observed("fenced", why)
        if place.how == "exec":
            return Observed("skipped", "name lookups are asked only from namespaces netatlas enters itself")
        import dns.exception
        import dns.flags
        import dns.message
        import dns.query
        import dns.rcode
        import dns.rdatatype

        fam = socket.AF_INET6 if server.version == 6 else socket.AF_INET
        found: list[IPAddress] = []
        codes: list[str] = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            try:
                (sock,) = self.maker(place, [(fam, socket.SOCK_DGRAM)])
            except OSError as exc:
                return Observed("error", f"could not enter {place.vantage}: {exc}")
            with sock:
                sock.setblocking(False)
                q = dns.message.make_query(name, rdtype)
                self.sent.append(("dns", place.vantage, server, 53))
                try:
                    r = dns.query.udp(q, str(server), timeout=self.timeout, sock=sock)
                except (dns.exception.DNSException, OSError) as exc:
                    return Observed("error", f"{server}: {exc or type(exc).__name__}")
            codes.append(dns.rcode.to_text(r.rcode()))
            for rrset in r.answer:
                if rrset.rdtype == rdtype:
                    found.extend(_address(str(rd)) for rd in rrset)
        if found:
            return Observed("found", addresses=tuple(dict.fromkeys(found)))
        return Observed("not-found", "/".join(dict.fromkeys(codes)))


def _address(text: str) -> IPAddress:
    import ipaddress

    return ipaddress.ip_address(text)


def _status(err: int) -> Observed:
    if err == 0:
        return Observed("open")
    if err == errno.ECONNREFUSED:
        return Observed("refused")
    if err in _UNREACHABLE:
        return Observed("unreachable", errno.errorcode.get(err, str(err)))
    if err == errno.ETIMEDOUT:
        return Observed("timeout")
    return Observed("error", errno.errorcode.get(err, str(err)))


def counts(observed: Sequence[Observed]) -> Mapping[str, int]:
    """How many probes saw each status."""
    out: dict[str, int] = {}
    for o in observed:
        out[o.status] = out.get(o.status, 0) + 1
    return out
