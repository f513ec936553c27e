"""Listening TCP and bound UDP sockets of one network namespace, over netlink ``sock_diag``.

What ``ss -ltnup`` shows, read in-process: no ``ss`` binary is needed, on the host
or inside a container (whose image seldom has one). The request is the one ``ss``
sends: ``SOCK_DIAG_BY_FAMILY`` dumps (``inet_diag_req``) for IPv4 and IPv6, TCP in
state ``LISTEN`` and UDP in state ``CLOSE`` (``ss`` calls it ``UNCONN``: a bound,
unconnected socket, which is how a UDP service waits). Requests are built and
replies decoded with pyroute2's ``inet_diag_req``/``inet_diag_msg``; the socket is
ours, created inside the namespace by the one thread
:mod:`netatlas.collect.netns_entry` keeps for entering namespaces (as
:mod:`netatlas.collect.netlink` does for addresses), so no scan thread moves and no
process is forked.

Who listens: the kernel's reply names the socket's inode and owner uid, not a
process. As ``ss -p`` does, the processes are found by reading every
``/proc/PID/fd/*`` link (``socket:[INODE]``), with the name from
``/proc/PID/comm`` (``docker-proxy`` behind a published port). Socket inodes are
unique across namespaces, so one walk of ``/proc`` serves every namespace of a scan
(:class:`SocketOwners`, rebuilt only when a socket it has not seen turns up, and each
hit re-checked by its one fd link). When no process is found the record says why in
``owner_error``: fd tables that could not be read (not root), or no process visible
from here holding it (it belongs to another pid namespace than this scan's, or to
the kernel).

The evidence (kind ``sock-diag-json``) is a JSON list, one record per line::

    [
    {"protocol": "tcp", "state": "LISTEN", "family": "inet", "local": "0.0.0.0", "port": 8080,
     "v6only": null, "interface": null, "ifindex": 0, "inode": 31902, "uid": 0,
     "processes": [{"pid": 13356, "name": "docker-proxy", "fd": 4}]}
    ]

``v6only`` is the ``IPV6_V6ONLY`` flag of an IPv6 socket (``INET_DIAG_SKV6ONLY``;
``false`` on ``::`` means IPv4 too, which ``ss`` prints as ``*``), ``interface`` the
device a socket is bound to (``SO_BINDTODEVICE``, ``ss``'s ``%lo``).

Netlink is Linux-only: elsewhere the result records ``unsupported``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from netatlas.collect.runner import Result
from netatlas.model import Failure

__all__ = ["ARGV", "OWNERS", "SocketOwners", "listeners", "read_listeners"]

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
_TCP_LISTEN, _UDP_CLOSE = 10, 7
_ASKED = (("tcp", socket.IPPROTO_TCP, _TCP_LISTEN, "LISTEN"), ("udp", socket.IPPROTO_UDP, _UDP_CLOSE, "UNCONN"))
ARGV = ("SOCK_DIAG_BY_FAMILY", "inet", "inet6", "tcp", "LISTEN", "udp", "UNCONN", "owners", "/proc/*/fd")
"""How the evidence names what was asked (after ``netlink`` and where)."""

_NSPATH = re.compile(r"^(?:/run/netns/(?!\.\.?$)[^/]+|/proc/(?:\d+|self|thread-self)/ns/net)$")
"""The only files entered: a named namespace, or a process's (never a path made of data)."""
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_RECV = 1 << 17
_HEADER = struct.Struct("IHHII")


# --------------------------------------------------------------------------- owners


class SocketOwners:
    """Socket inode → the processes holding it, from ``/proc/PID/fd``.

    One walk of ``/proc`` indexes every socket of every process (a few ms per
    thousand file descriptors); later lookups re-check each remembered holder by its
    one fd link, and walk again only when asked about a socket that was not there at
    the last walk (a socket no walk after its listing found, one of another pid
    namespace, is not walked for again). Thread-safe.

    Args:
        proc: where procfs is mounted.
    """

    def __init__(self, proc: str = "/proc") -> None:
        self._proc = proc
        self._lock = threading.Lock()
        self._index: dict[int, list[tuple[int, int]]] = {}
        self._walked_at = float("-inf")
        self._unreadable = 0
        self._absent: set[int] = set()  # not found by a walk made after they were listed

    def _walk(self) -> None:
        # os.scandir and os.readlink, not pathlib: a third of the time on a few
        # thousand links, and this walk is most of what listener owners cost
        index: dict[int, list[tuple[int, int]]] = {}
        unreadable = 0
        try:
            with os.scandir(self._proc) as it:
                pids = [int(e.name) for e in it if e.name.isdigit()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                with os.scandir(f"{self._proc}/{pid}/fd") as it:
                    fds = [(e.name, e.path) for e in it]
            except PermissionError:
                unreadable += 1
                continue
            except OSError:  # ended meanwhile
                continue
            for fd, path in fds:
                try:
                    link = os.readlink(path)  # noqa: PTH115 - see above
                except OSError:
                    continue
                if link.startswith("socket:[") and fd.isdigit():
                    index.setdefault(int(link[8:-1]), []).append((pid, int(fd)))
        self._index, self._unreadable = index, unreadable
        self._walked_at = time.monotonic()

    def _holders(self, inode: int) -> list[tuple[int, int]]:
        want = f"socket:[{inode}]"
        out = []
        for pid, fd in self._index.get(inode, []):
            try:
                if os.readlink(f"{self._proc}/{pid}/fd/{fd}") == want:  # noqa: PTH115 - as in _walk
                    out.append((pid, fd))
            except OSError:
                continue
        return out

    def find(self, inodes: Iterable[int], since: float) -> tuple[dict[int, list[dict[str, Any]]], str]:
        """The processes holding each of ``inodes``, and why the others have none.

        Args:
            inodes: socket inodes (0, a socket no file holds, is never looked up).
            since: ``time.monotonic()`` when the sockets were listed: a walk older
                than that may miss them, so it is done again (once).

        Returns:
            (inode → ``[{"pid", "name", "fd"}]`` sorted by pid, for those found;
            the reason for those not found).
        """
        wanted = sorted({i for i in inodes if i})
        with self._lock:
            found = {i: h for i in wanted if (h := self._holders(i))}
            if any(i not in found and i not in self._absent for i in wanted) and self._walked_at < since:
                self._walk()
                found = {i: h for i in wanted if (h := self._holders(i))}
                self._absent.update(i for i in wanted if i not in found)
            unreadable = self._unreadable
        if unreadable:
            why = (
                f"the fd tables of {unreadable} processes could not be read (permission denied; root sees every owner)"
            )
        else:
            why = "no process visible here holds it (another pid namespace's, or the kernel's)"
        return {i: [self._process(pid, fd) for pid, fd in sorted(h)] for i, h in found.items()}, why

    def _process(self, pid: int, fd: int) -> dict[str, Any]:
        try:
            name: str | None = Path(f"{self._proc}/{pid}/comm").read_bytes().decode("utf-8", "replace").rstrip("\n")
        except OSError:
            name = None
        return {"pid": pid, "name": name or None, "fd": fd}


OWNERS = SocketOwners()
"""The process-wide index (procfs is one for the whole scan)."""


# --------------------------------------------------------------------------- sock_diag


def _request(family: int, protocol: int, state: int, seq: int) -> bytes:
    """The dump request, encoded by pyroute2 once per kind and given ``seq``.

    Every namespace is asked the same four requests; only the netlink header's
    sequence number (bytes 8-11) differs, so pyroute2's encoder runs four times a
    scan instead of four times a namespace.
    """
    data = bytearray(_encoded_request(family, protocol, state))
    struct.pack_into("I", data, 8, seq)
    return bytes(data)


@cache
def _encoded_request(family: int, protocol: int, state: int) -> bytes:
    from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST
    from pyroute2.netlink.diag import inet_diag_req

    req = inet_diag_req()
    req["header"]["type"] = SOCK_DIAG_BY_FAMILY
    req["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    req["header"]["sequence_number"] = 0
    req["sdiag_family"] = family
    req["sdiag_protocol"] = protocol
    req["idiag_states"] = 1 << state
    req["idiag_ext"] = 0
    req.encode()
    data: bytes = req.data
    return data


def _dump(sock: socket.socket, family: int, protocol: int, state: int, seq: int) -> list[Any]:
    """One dump's ``inet_diag_msg`` replies, decoded by pyroute2.

    The netlink header's type tells a reply (``SOCK_DIAG_BY_FAMILY``) from ``DONE``
    and ``ERROR``; pyroute2's ``MarshalDiag`` keys on the address family instead,
    where ``AF_INET`` (2) and ``NLMSG_ERROR`` (2) collide, so it is not used.
    """
    from pyroute2.netlink.diag import inet_diag_msg

    sock.send(_request(family, protocol, state, seq))
    out: list[Any] = []
    while True:
        data = sock.recv(_RECV)
        if not data:
            raise OSError("sock_diag: the kernel closed the dump")
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, kind, _flags, got_seq, _port = _HEADER.unpack_from(data, offset)
            if length < _HEADER.size:
                raise ValueError(f"sock_diag: a reply of {length} bytes")
            if got_seq == seq:
                if kind == _NLMSG_DONE:
                    return out
                if kind == _NLMSG_ERROR:
                    (code,) = struct.unpack_from("i", data, offset + _HEADER.size)
                    if code:
                        raise OSError(-code, os.strerror(-code))
                elif kind == SOCK_DIAG_BY_FAMILY:
                    msg = inet_diag_msg(data[offset : offset + length])
                    msg.decode()
                    out.append(msg)
            offset += (length + 3) & ~3


def _sock(netns_path: str | None) -> socket.socket:
    family = socket.AF_NETLINK  # type: ignore[attr-defined,unused-ignore]

    def make() -> socket.socket:
        return socket.socket(family, socket.SOCK_RAW, NETLINK_SOCK_DIAG)

    if netns_path is None:
        return make()
    from netatlas.collect.netns_entry import run_in

    return run_in(netns_path, make)


def _interface_names(netns_path: str | None) -> dict[int, str]:
    """ifindex → name in the namespace (only asked when some socket is bound to a device)."""
    from netatlas.collect import netlink

    names: dict[int, str] = {}
    for link in netlink.read_links(netns_path):
        names[int(link["ifindex"])] = str(link["ifname"])
    return names


def read_listeners(netns_path: str | None = None, owners: SocketOwners | None = None) -> list[dict[str, Any]]:
    """The listening sockets of the namespace at ``netns_path`` (default: ours), as records.

    Raises:
        OSError: no netlink here, no such namespace, not permitted.
        ValueError: a malformed reply.
    """
    since = time.monotonic()
    msgs: list[tuple[str, str, Any]] = []
    sock = _sock(netns_path)
    try:
        sock.settimeout(10.0)
        sock.bind((0, 0))
        seq = 0
        for family in (socket.AF_INET, socket.AF_INET6):
            for proto, number, state, state_name in _ASKED:
                seq += 1
                msgs.extend((proto, state_name, m) for m in _dump(sock, family, number, state, seq))
    finally:
        sock.close()
    ifnames = _interface_names(netns_path) if any(m["idiag_if"] for _p, _s, m in msgs) else {}
    found, why = (owners or OWNERS).find((m["idiag_inode"] for _p, _s, m in msgs), since)
    out: list[dict[str, Any]] = []
    for proto, state_name, m in msgs:
        v6 = m["idiag_family"] == socket.AF_INET6
        only = m.get_attr("INET_DIAG_SKV6ONLY") if v6 else None
        rec: dict[str, Any] = {
            "protocol": proto,
            "state": state_name,
            "family": "inet6" if v6 else "inet",
            "local": m["idiag_src"],
            "port": m["idiag_sport"],
            "v6only": None if only is None else bool(only),
            "interface": ifnames.get(m["idiag_if"]) if m["idiag_if"] else None,
            "ifindex": m["idiag_if"],
            "inode": m["idiag_inode"],
            "uid": m["idiag_uid"],
            "processes": found.get(m["idiag_inode"], []),
        }
        if not rec["processes"]:
            rec["owner_error"] = why if m["idiag_inode"] else "no file holds this socket (inode 0)"
        out.append(rec)
    return out


def listeners(netns_path: str | None = None, where: tuple[str, ...] = (), owners: SocketOwners | None = None) -> Result:
    """The ``sock-diag-json`` result of one namespace; failures recorded, never raised.

    Args:
        netns_path: ``/run/netns/NAME`` or ``/proc/PID/ns/net``; ``None``: ours.
        where: how the evidence names the namespace (``("netns", NAME)``, ``("nspath", PATH)``).
        owners: the socket-owner index (default: the process-wide one).
    """
    argv = ("netlink", *where, *ARGV)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    try:
        import pyroute2.netlink.diag  # noqa: F401 - Linux-only dependency
    except ImportError:
        return Result(argv, started=started, failure=Failure("unsupported", "pyroute2 is not available here"))
    if not hasattr(socket, "AF_NETLINK"):
        return Result(argv, started=started, failure=Failure("unsupported", "netlink is not available here"))
    if netns_path is not None and not _NSPATH.match(netns_path):
        return Result(argv, started=started, failure=Failure("error", f"not a namespace path: {netns_path!r}"))
    if netns_path is not None and not Path(netns_path).exists():
        return Result(argv, started=started, failure=Failure("not-installed", f"{netns_path}: no such namespace"))
    try:
        records = read_listeners(netns_path, owners)
    except PermissionError as exc:
        return Result(argv, started=started, failure=Failure("permission-denied", f"sock_diag: {exc}"))
    except FileNotFoundError:
        return Result(argv, started=started, failure=Failure("not-installed", f"{netns_path}: no such namespace"))
    except (OSError, ValueError) as exc:
        return Result(argv, started=started, failure=Failure("error", f"sock_diag: {exc}"))
    # one record per line, so a parser warning's line number points at its record
    data = ("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n").encode()
    return Result(argv, data, duration_s=time.monotonic() - t0, started=started)
