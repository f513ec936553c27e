"""The in-process netlink reader: what it asks, what it skips, where its socket lives.

Without root: the route filter is checked on messages encoded by pyroute2 itself,
and the one-pass attribute reader against pyroute2's ``get_attr`` on this machine's
own dump. With root: a namespace of the test's own is dumped and compared with
``ip -j address`` / ``ip -j route show table all`` run inside it, and the thread
that enters namespaces is checked to end up where it started.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netatlas.collect import netlink, netns_entry

pytest.importorskip("pyroute2")

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or not hasattr(socket, "AF_NETLINK"),
    reason="needs root, iproute2 and netlink",
)


def _rtmsg(**fields: int) -> bytes:
    """A route message as the kernel sends it, encoded by pyroute2."""
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    msg = rtmsg()
    defaults = {"family": socket.AF_INET, "dst_len": 32, "table": 254, "proto": 2, "type": 1}
    for name, value in {**defaults, **fields}.items():
        msg[name] = value
    msg["header"]["type"] = 24  # RTM_NEWROUTE
    msg["attrs"] = [("RTA_DST", "192.0.2.7" if msg["family"] == socket.AF_INET else "2001:db8::7")]
    msg.encode()
    return bytes(msg.data)


@pytest.mark.parametrize(
    ("fields", "skipped"),
    [
        ({"table": 255, "type": 2}, True),  # local 192.0.2.7 proto kernel: an address's own host route
        ({"table": 255, "type": 2, "proto": 3}, False),  # ip route add local 192.0.2.7 dev lo (proto boot)
        ({"table": 255, "type": 3, "proto": 4}, False),  # a broadcast route somebody added (proto static)
        ({"table": 255, "type": 2, "family": socket.AF_INET6, "dst_len": 128, "proto": 3}, False),  # AnyIP /128
        ({"table": 255, "type": 3}, True),  # broadcast
        ({"table": 255, "type": 4, "family": socket.AF_INET6, "dst_len": 64}, True),  # IPv6 anycast
        ({"table": 255, "type": 5, "family": socket.AF_INET6, "dst_len": 8}, True),  # multicast ff00::/8
        ({"table": 255, "type": 2, "family": socket.AF_INET6, "dst_len": 128}, True),  # local ::1
        ({"table": 255, "type": 2, "dst_len": 8}, False),  # local 127.0.0.0/8: a prefix, kept
        ({"table": 255, "type": 2, "dst_len": 15}, False),  # AnyIP: local 198.18.0.0/15 dev lo
        ({"table": 254, "type": 2}, False),  # a local route in main is somebody's config
        ({"table": 254, "type": 1, "dst_len": 24}, False),  # ordinary unicast
        ({"table": 252, "type": 1}, False),  # a policy table (id in RTA_TABLE)
    ],
)
def test_only_the_routes_each_address_adds_are_skipped(fields: dict[str, int], skipped: bool) -> None:
    assert netlink._derived_local_route(_rtmsg(**fields), 0) is skipped
    assert netlink._derived_local_route(b"\0" * 8 + _rtmsg(**fields), 8) is skipped  # at an offset in a batch


@pytest.mark.skipif(not hasattr(socket, "AF_NETLINK"), reason="netlink is Linux-only")
def test_one_pass_attributes_equal_pyroute2s_get_attr() -> None:
    names = {
        "links": sorted(netlink._LINK_ATTRS),
        "addrs": sorted(netlink._ADDR_ATTRS),
        "routes": sorted(netlink._ROUTE_ATTRS),
    }
    with netlink._Rtnl(netlink.netlink_socket()) as rtnl:
        dumps = {"links": rtnl.get_links(), "addrs": rtnl.get_addr(), "routes": rtnl.get_routes()}
    assert dumps["links"] and dumps["addrs"] and dumps["routes"]
    for kind, msgs in dumps.items():
        wanted = frozenset(names[kind])
        for msg in msgs:
            got = netlink._attrs(msg, wanted)
            assert {n: got.get(n) for n in wanted} == {n: msg.get_attr(n) for n in wanted}


# --------------------------------------------------------------------------- real namespaces


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def namespace() -> Iterator[str]:
    """A namespace with a veth to a second one, IPv4 and IPv6, a policy table and AnyIP."""
    tag = uuid.uuid4().hex[:6]
    a, b = f"na-l{tag}a", f"na-l{tag}b"
    _ip("netns", "add", a)
    _ip("netns", "add", b)
    try:
        _ip("link", "add", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0", "netns", b)
        for cmd in (
            "link set lo up",
            "link set eth0 up",
            "addr add 198.51.100.2/24 dev eth0",
            "addr add 2001:db8:5::2/64 dev eth0 nodad",
            "route add default via 198.51.100.1",
            "route add 203.0.113.0/24 via 198.51.100.1 table 100",
            "rule add from 198.51.100.0/24 table 100",
            "route add local 198.18.0.0/15 dev lo",
            "route add local 192.0.2.10 dev lo",  # a VIP: its /32 host route, made by hand
            "route add local 2001:db8:ff::5 dev lo",
        ):
            _ip("-n", a, *cmd.split())
        yield a
    finally:
        subprocess.run(["ip", "netns", "del", a], check=False)
        subprocess.run(["ip", "netns", "del", b], check=False)


def _derived(route: dict[str, Any]) -> bool:
    """What the reader leaves out, said in ``ip -j`` terms."""
    if route.get("table") != "local" or route.get("protocol") != "kernel":
        return False
    full = "/" not in route["dst"]
    return route.get("type") in ("broadcast", "anycast", "multicast") or (route.get("type") == "local" and full)


@needs_root
def test_dump_is_what_ip_shows_less_each_addresss_own_routes(namespace: str) -> None:
    addrs, routes = netlink.dump(namespace)
    assert addrs.failure is None and routes.failure is None
    assert routes.argv == ("netlink", "netns", namespace, *netlink.ROUTE_DUMP)
    ours = json.loads(routes.stdout)
    shown = json.loads(_ip("-n", namespace, "-j", "route", "show", "table", "all"))

    def key(r: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(r.get(k)) for k in ("type", "dst", "gateway", "dev", "table", "prefsrc", "metric"))

    assert sorted(map(key, ours)) == sorted(key(r) for r in shown if not _derived(r))
    assert any(_derived(r) for r in shown)  # the test's namespace has some to leave out
    assert {(r["dst"], r.get("table")) for r in ours} >= {
        ("198.18.0.0/15", "local"),  # AnyIP kept
        ("192.0.2.10", "local"),  # and host routes somebody added
        ("2001:db8:ff::5", "local"),
        ("127.0.0.0/8", "local"),
        ("203.0.113.0/24", "100"),  # the policy table
        ("default", None),
    }
    links = {link["ifname"]: link for link in json.loads(addrs.stdout)}
    shown_links = {link["ifname"]: link for link in json.loads(_ip("-n", namespace, "-j", "address"))}
    assert links.keys() == shown_links.keys() == {"lo", "eth0"}
    for name, link in links.items():
        assert link["address"] == shown_links[name]["address"]
        assert link["mtu"] == shown_links[name]["mtu"]
        assert {(a["local"], a["prefixlen"]) for a in link["addr_info"]} == {
            (a["local"], a["prefixlen"]) for a in shown_links[name]["addr_info"]
        }


def _inode(path: str) -> int:
    return os.stat(path).st_ino


def _threads_in(ns_path: str) -> list[int]:
    """Native ids of this process's threads whose network namespace is ``ns_path``'s."""
    want = _inode(ns_path)
    out = []
    for tid in os.listdir("/proc/self/task"):
        try:
            if _inode(f"/proc/self/task/{tid}/ns/net") == want:
                out.append(int(tid))
        except FileNotFoundError:
            continue
    return out


@needs_root
def test_calls_run_inside_and_no_thread_stays_there(namespace: str) -> None:
    path = f"{netlink.NETNS_DIR}/{namespace}"
    home = _inode("/proc/thread-self/ns/net")
    inside = netns_entry.run_in(path, lambda: _inode("/proc/thread-self/ns/net"))
    assert inside == _inode(path) != home
    assert _inode("/proc/thread-self/ns/net") == home  # the caller never moved
    assert _threads_in(path) == []  # the entering thread went home: the namespace can be freed
    with pytest.raises(FileNotFoundError):
        netns_entry.run_in(f"{netlink.NETNS_DIR}/na-missing-{uuid.uuid4().hex[:6]}", lambda: None)
    with pytest.raises(ZeroDivisionError):
        netns_entry.run_in(path, lambda: 1 // 0)
    assert _threads_in(path) == []
    # calls from many threads at once are each served inside
    got: list[int] = []
    workers = [
        threading.Thread(
            target=lambda: got.append(netns_entry.run_in(path, lambda: _inode("/proc/thread-self/ns/net")))
        )
        for _ in range(8)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert got == [_inode(path)] * 8


@needs_root
def test_the_entering_thread_ends_when_idle(namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netns_entry, "_IDLE_S", 0.05)
    entrant = netns_entry._Entrant()
    entrant.run(f"{netlink.NETNS_DIR}/{namespace}", lambda: None)
    deadline = time.monotonic() + 5
    while entrant._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert entrant._thread is None
    assert entrant.run(f"{netlink.NETNS_DIR}/{namespace}", lambda: 7) == 7  # and starts again when asked


@needs_root
def test_a_thread_that_cannot_return_home_ends_and_fails_its_call(
    namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"{netlink.NETNS_DIR}/{namespace}"
    entrant = netns_entry._Entrant()
    real = netns_entry.setns
    moves: list[int] = []

    def setns(fd: int) -> None:
        moves.append(fd)
        if len(moves) == 2:  # the way back
            raise PermissionError(1, "Operation not permitted")
        real(fd)

    monkeypatch.setattr(netns_entry, "setns", setns)
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(5)

    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            entrant.run(path, slow)
        except OSError as exc:
            outcome["first"] = exc

    def second() -> None:  # queued behind the call that strands the thread
        outcome["second"] = entrant.run(path, lambda: _inode("/proc/thread-self/ns/net"))

    a = threading.Thread(target=first)
    a.start()
    assert started.wait(5)
    b = threading.Thread(target=second)
    b.start()
    deadline = time.monotonic() + 5
    while entrant._calls.qsize() == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    a.join(5)
    b.join(5)
    assert "could not return from" in str(outcome["first"])
    assert outcome["second"] == _inode(path)  # asked again, served by a new thread, not failed
    deadline = time.monotonic() + 5
    while entrant._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert entrant._thread is None  # it ended: nothing is served from the wrong place
    time.sleep(0.05)
    assert _threads_in(path) == []
    assert entrant.run(path, lambda: _inode("/proc/thread-self/ns/net")) == _inode(path)  # a new thread serves


def test_a_fault_in_the_thread_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    entrant = netns_entry._Entrant()

    def broken(call: object, home: int) -> bool:
        raise RuntimeError("bug")

    monkeypatch.setattr(netns_entry._Entrant, "_one", staticmethod(broken))
    with pytest.raises(OSError, match="namespace-entering thread failed"):
        entrant.run("/proc/self/ns/net", lambda: None)


@needs_root
def test_a_fifo_where_a_namespace_should_be_fails_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "not-a-namespace"
    os.mkfifo(fifo)
    entrant = netns_entry._Entrant()
    with pytest.raises(OSError):
        entrant.run(str(fifo), lambda: None)  # opened without blocking; setns refuses it
    assert entrant.run("/proc/self/ns/net", lambda: 7) == 7  # and the thread still serves


@pytest.mark.parametrize("seq", [1, 7, 65537])
def test_cached_requests_are_what_pyroute2_encodes(seq: int) -> None:
    """The dump requests encoded once and given a sequence number are pyroute2's own bytes for that number."""
    from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST
    from pyroute2.netlink.diag import inet_diag_req
    from pyroute2.netlink.rtnl import RTM_GETLINK, RTM_GETROUTE
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    from netatlas.collect import sock_diag

    for cls, rtype in ((ifinfmsg, RTM_GETLINK), (rtmsg, RTM_GETROUTE)):
        req = cls()
        req["family"] = 0
        req["header"]["type"] = rtype
        req["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
        req["header"]["sequence_number"] = seq
        req.encode()
        cached = bytearray(netlink._dump_request(cls, rtype))
        struct.pack_into("I", cached, 8, seq)
        assert bytes(cached) == bytes(req.data)
    diag = inet_diag_req()
    diag["header"]["type"] = sock_diag.SOCK_DIAG_BY_FAMILY
    diag["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    diag["header"]["sequence_number"] = seq
    diag["sdiag_family"], diag["sdiag_protocol"] = socket.AF_INET6, socket.IPPROTO_TCP
    diag["idiag_states"], diag["idiag_ext"] = 1 << 10, 0
    diag.encode()
    assert sock_diag._request(socket.AF_INET6, socket.IPPROTO_TCP, 10, seq) == bytes(diag.data)
