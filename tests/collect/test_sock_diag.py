"""Listeners over netlink sock_diag: the same sockets and processes ``ss -ltnup`` shows.

With root: a namespace of the test's own gets listeners of every shape (IPv4, a
dual-stack ``::``, a v6-only ``::1``, one bound to a device, UDP, one socket held by
two processes), and the dump is compared with ``ss -ltnupH`` run inside it, as
test_netlink.py compares addresses with ``ip -j``. Without root: the owner index
on a procfs-shaped folder of our own, and the paths that are never entered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from netatlas.collect import sock_diag
from netatlas.collect.sock_diag import SocketOwners
from netatlas.parsers import parse

pytest.importorskip("pyroute2")

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("ss") is None or not hasattr(socket, "AF_NETLINK"),
    reason="needs root, iproute2 (ip, ss) and netlink",
)

# Runs inside the namespace: opens the listeners, forks once (the child holds the same
# sockets, as a pre-forking server's workers do), says "ready", waits for stdin to close.
_LISTENERS = r"""
import os, socket, sys
socks = []
def tcp(family, addr, port, v6only=None, device=None, listen=True):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    s.bind((addr, port))
    if listen:
        s.listen()
    socks.append(s)
def udp(family, addr, port, v6only=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    socks.append(s)
tcp(socket.AF_INET, "0.0.0.0", 8080)
tcp(socket.AF_INET, "198.51.100.7", 8081)
tcp(socket.AF_INET6, "::", 8443, v6only=0)
tcp(socket.AF_INET6, "::1", 9000, v6only=1)
tcp(socket.AF_INET, "127.0.0.1", 5432, device="lo")
tcp(socket.AF_INET, "0.0.0.0", 7000, listen=False)  # bound, never listening: no listener
udp(socket.AF_INET, "0.0.0.0", 5353)
udp(socket.AF_INET6, "::", 5354, v6only=1)
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("198.51.100.9", 53))  # a connected UDP socket waits for nobody: not listed
socks.append(c)
if os.fork() == 0:
    sys.stdin.read()
    os._exit(0)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def listening_namespace() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    name = f"na-sd{uuid.uuid4().hex[:6]}"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", name)
    proc: subprocess.Popen[str] | None = None
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")  # no dummy module here
        ip("-n", name, "link", "set", "v0", "up")
        ip("-n", name, "addr", "add", "198.51.100.7/24", "dev", "v0")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", name, sys.executable, "-c", _LISTENERS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield name, proc
    finally:
        if proc is not None:
            proc.communicate("", timeout=10)
        subprocess.run(["ip", "netns", "del", name], check=False)


_USERS = re.compile(r'\("(?P<name>[^"]*)",pid=(?P<pid>\d+),fd=(?P<fd>\d+)\)')


@needs_root
def test_listeners_are_what_ss_shows_with_the_same_processes(
    listening_namespace: tuple[str, subprocess.Popen[str]],
) -> None:
    name, proc = listening_namespace
    res = sock_diag.listeners(f"/run/netns/{name}", ("netns", name))
    assert res.failure is None, res.failure
    assert res.argv == ("netlink", "netns", name, *sock_diag.ARGV)
    shown = subprocess.run(
        ["ip", "netns", "exec", name, "ss", "-ltnupH"], check=True, capture_output=True
    ).stdout.decode()

    ours = parse("sock-diag-json", res.stdout).listeners
    theirs = parse("ss-listen", shown).listeners

    def key(li: object) -> tuple[object, ...]:
        return tuple(getattr(li, f) for f in ("protocol", "address", "port", "interface", "process"))

    assert sorted(map(key, ours), key=str) == sorted(map(key, theirs), key=str)
    assert len(ours) == 7  # 5 TCP, 2 UDP; nothing bound-only or connected
    # every holder ss names (parent and forked child), with the same fds
    records = json.loads(res.stdout)
    for rec in records:
        row = next(line for line in shown.splitlines() if f":{rec['port']} " in line and rec["protocol"] in line)
        assert {(p["name"], p["pid"], p["fd"]) for p in rec["processes"]} == {
            (m["name"], int(m["pid"]), int(m["fd"])) for m in _USERS.finditer(row)
        }
        assert proc.pid in {p["pid"] for p in rec["processes"]} and len(rec["processes"]) == 2
    by_port = {(r["protocol"], r["port"]): r for r in records}
    assert by_port[("tcp", 8443)]["v6only"] is False  # ss: *:8443
    assert by_port[("tcp", 9000)]["v6only"] is True  # ss: [::1]:9000
    assert by_port[("tcp", 5432)]["interface"] == "lo"  # ss: 127.0.0.1%lo:5432
    dual = next(li for li in ours if li.port == 8443)
    assert dual.address is None  # every address of both families, as ss's "*"


@needs_root
def test_a_new_listener_is_found_after_the_index_was_built(
    listening_namespace: tuple[str, subprocess.Popen[str]],
) -> None:
    name, _proc = listening_namespace
    owners = SocketOwners()
    first = json.loads(sock_diag.listeners(f"/run/netns/{name}", owners=owners).stdout)
    assert all(r["processes"] for r in first)
    with socket.socket() as s:  # ours, opened after the first walk, in our own namespace
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        again = json.loads(sock_diag.listeners(None, owners=owners).stdout)
    mine = next(r for r in again if r["port"] == port and r["local"] == "127.0.0.1")
    assert [p["pid"] for p in mine["processes"]] == [os.getpid()]


def _fake_proc(root: Path, pid: int, comm: str, fds: dict[int, str]) -> None:
    (root / str(pid) / "fd").mkdir(parents=True)
    (root / str(pid) / "comm").write_text(comm + "\n")
    for fd, target in fds.items():
        (root / str(pid) / "fd" / str(fd)).symlink_to(target)


def test_owners_are_walked_once_and_rechecked_by_their_link(tmp_path: Path) -> None:
    _fake_proc(tmp_path, 40, "docker-proxy", {3: "socket:[111]", 4: "/dev/null"})
    _fake_proc(tmp_path, 7, "nginx", {6: "socket:[222]"})
    _fake_proc(tmp_path, 8, "nginx", {6: "socket:[222]"})
    owners = SocketOwners(str(tmp_path))
    found, _why = owners.find([111, 222], time.monotonic())
    assert found == {
        111: [{"pid": 40, "name": "docker-proxy", "fd": 3}],
        222: [{"pid": 7, "name": "nginx", "fd": 6}, {"pid": 8, "name": "nginx", "fd": 6}],
    }
    # the process behind 111 closed it and another socket took its fd: no longer its owner
    (tmp_path / "40" / "fd" / "3").unlink()
    (tmp_path / "40" / "fd" / "3").symlink_to("socket:[333]")
    found, why = owners.find([111], time.monotonic())
    assert found == {} and "no process visible here" in why
    # a socket listed after the last walk is walked for; one already missed is not
    walked = owners._walked_at
    assert owners.find([111], walked - 1)[0] == {} and owners._walked_at == walked
    assert owners.find([333], time.monotonic())[0] == {333: [{"pid": 40, "name": "docker-proxy", "fd": 3}]}


@pytest.mark.parametrize("path", ["/etc/passwd", "/run/netns/..", "/run/netns/a/b", "/proc/x/ns/net"])
def test_only_namespace_paths_are_entered(path: str) -> None:
    res = sock_diag.listeners(path)
    assert res.failure is not None and res.failure.code == "error"


def test_a_missing_namespace_is_not_installed() -> None:
    res = sock_diag.listeners(f"/run/netns/na-missing-{uuid.uuid4().hex[:6]}")
    assert res.failure is not None and res.failure.code == "not-installed"


@pytest.mark.skipif(not hasattr(socket, "AF_NETLINK"), reason="netlink")
def test_our_own_listener_is_found_without_root_in_our_namespace() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = sock_diag.listeners()
    assert res.failure is None
    mine = next(r for r in json.loads(res.stdout) if r["port"] == port)
    assert mine["local"] == "127.0.0.1" and mine["processes"][0]["pid"] == os.getpid()
