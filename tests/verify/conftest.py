"""Shared pieces of the live verify tests: a small atlas, a sealed namespace."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netatlas.model import Address, Interface
from netatlas.model.atlas import Atlas, Attachment, ListenerRecord, Network, Node


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def node(nid: str, kind: str, *addrs: tuple[str, str, int], vantage: str | None = None) -> Node:
    """A node with one interface per (name, address, prefix)."""
    return Node(
        id=nid,
        kind=kind,  # type: ignore[arg-type]
        name=nid.rsplit(":", 1)[-1],
        vantages=(vantage,) if vantage else (),
        interfaces=tuple(Interface(n, addresses=(Address(ip(a), p, "inet"),)) for n, a, p in addrs),
    )


def small_atlas(port: int = 8080) -> Atlas:
    """A place ``sealed`` (10.250.0.1, 10.251.0.1), a container ``peer`` 10.250.0.2, a far one
    10.99.0.1 (no route from the place), a router 10.250.0.254, a VPN peer sharing 10.250.0.9."""
    me = node("node:sealed", "netns", ("d0", "10.250.0.1", 24), ("mv0", "10.251.0.1", 24), vantage="netns:sealed")
    peer = node("node:container:peer", "container", ("eth0", "10.250.0.2", 24))
    far = node("node:container:far", "container", ("eth0", "10.99.0.1", 24))
    mac = node("node:container:mac", "container", ("eth0", "10.251.0.5", 24))
    both = node("node:container:both", "container", ("eth0", "10.250.0.9", 24))
    router = node("node:router:10.250.0.254", "router", ("lan", "10.250.0.254", 24))
    vpn = node("node:router:10.250.0.9", "router", ("lan", "10.250.0.9", 24))
    net = Network(
        "net:dummy",
        ipaddress.ip_network("10.250.0.0/24"),
        "bridge",
        "dummy",
        attachments=(
            Attachment("node:sealed", "d0", ip("10.250.0.1")),
            Attachment("node:container:peer", "eth0", ip("10.250.0.2")),
            Attachment("node:router:10.250.0.254", "lan", ip("10.250.0.254")),
        ),
    )
    return Atlas(
        "netatlas-atlas/1",
        (),
        (me, peer, far, mac, both, router, vpn),
        (net,),
        listeners=(ListenerRecord("node:sealed", "tcp", ip("0.0.0.0"), port),),
    )


@dataclass
class Sealed:
    path: str
    port: int
    proc: subprocess.Popen[str]

    def finish(self) -> tuple[int, int]:
        """(connections accepted, bytes received) once the namespace's listener is told to stop."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        line = self.proc.stdout.readline().split()
        self.proc.wait(timeout=10)
        return int(line[0]), int(line[1])


@pytest.fixture
def sealed() -> Iterator[Sealed]:
    """A namespace of this test's own (``unshare -n``): nothing in it links anywhere."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs root, unshare and ip")
    proc = subprocess.Popen(
        ["unshare", "-n", "--", sys.executable, str(Path(__file__).with_name("sealed.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    path = f"/proc/{proc.pid}/ns/net"
    deadline = time.monotonic() + 5
    while os.readlink(path) == os.readlink("/proc/self/ns/net") and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield Sealed(path, port, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
