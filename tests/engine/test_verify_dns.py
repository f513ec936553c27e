"""``netatlas verify``'s name lookups stay on the machine: proven against Docker's real embedded DNS.

Docker's embedded DNS (127.0.0.11 in a container on a user network) answers the names
of containers on the container's networks itself, and forwards every other question to
the container's upstream servers, beyond the machine on a real laptop. The test gives
one container an upstream of its own: a UDP socket bound on port 53 inside a second
container of the test, which records every question that reaches it (it never answers).

* The premise, asked of the real engine: an unknown name goes upstream even with the RD
  bit clear, and even as a single label. Clearing RD would not keep a question home.
* The rule: verify asks again only names the server answered from its own table (a
  container's name with that container's address). A name the scan saw not found, or
  found at an address that is not a container's on the place's networks, is held back
  and reported as not asked. The upstream socket hears nothing from verify.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from engine_kit import Kit, scan_bundle

from netatlas.atlas import build_atlas
from netatlas.collect.netns_entry import run_in
from netatlas.model.atlas import NameRecord

pytestmark = pytest.mark.docker


class Upstream:
    """A UDP socket on port 53 inside a container's namespace that records the questions it gets."""

    def __init__(self, pid: int) -> None:
        import dns.message

        self._parse = dns.message.from_wire
        self.sock: socket.socket = run_in(f"/proc/{pid}/ns/net", self._bind)
        self.heard: list[tuple[str, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    @staticmethod
    def _bind() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 53))
        s.settimeout(0.2)
        return s

    def _listen(self) -> None:
        import dns.flags

        while not self._stop.is_set():
            try:
                data, _peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            m = self._parse(data)
            self.heard.append((m.question[0].name.to_text(), bool(m.flags & dns.flags.RD)))

    def settle(self) -> list[tuple[str, bool]]:
        """What it heard, after a moment for a forwarded question still on its way."""
        time.sleep(1.0)
        return list(self.heard)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def dns_kit(engine: Any) -> Iterator[tuple[Kit, Upstream, str]]:
    kit = Kit(engine.host, prefix=f"navdns{random.randrange(10**5)}")
    up: Upstream | None = None
    try:
        kit.network("n")
        kit.run("up", ["n"], command=("sleep", "100000"))
        upstream = kit.address("up")
        c = kit.client.containers.create(
            "netatlas-busybox:test",
            ["httpd", "-f", "-p", "80"],
            name=kit.name("asker"),
            network=kit.name("n"),
            dns=[upstream],
            detach=True,
        )
        kit.containers.append(c)
        c.start()
        kit.run("peer", ["n"])
        up = Upstream(int(kit.client.containers.get(kit.name("up")).attrs["State"]["Pid"]))
        yield kit, up, upstream
    finally:
        if up is not None:
            up.close()
        kit.close()


def _ask(pid: int, name: str, *, rd: bool) -> str:
    """A question to 127.0.0.11 from inside container ``pid``: its rcode, or ``timeout``."""
    import dns.exception
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode

    sock = run_in(f"/proc/{pid}/ns/net", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    q = dns.message.make_query(name, "A")
    if not rd:
        q.flags &= ~dns.flags.RD
    with sock:
        sock.setblocking(False)  # dnspython waits with its own timeout only on a non-blocking socket
        try:
            r = dns.query.udp(q, "127.0.0.11", timeout=1.5, sock=sock)
        except dns.exception.Timeout:
            return "timeout"
    return str(dns.rcode.to_text(r.rcode()))


def test_dockers_dns_forwards_unknown_names_even_with_rd_clear(dns_kit: Any) -> None:
    kit, up, _upstream = dns_kit
    pid = int(kit.client.containers.get(kit.name("asker")).attrs["State"]["Pid"])
    tag = f"nadns{random.randrange(10**6)}"
    assert _ask(pid, kit.name("peer"), rd=False) == "NOERROR"  # its own table: answered
    _ask(pid, f"{tag}-norecurse.example", rd=False)
    _ask(pid, f"{tag}single", rd=False)
    heard = {n for n, _rd in up.settle()}
    assert f"{tag}-norecurse.example." in heard
    assert f"{tag}single." in heard
    assert f"{kit.name('peer')}." not in heard


def test_verify_asks_only_names_the_server_holds_and_nothing_reaches_upstream(dns_kit: Any, engine: Any) -> None:
    import os

    from netatlas.verify import verify_machine

    kit, up, upstream = dns_kit
    old = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = engine.host
    try:
        bundle = scan_bundle(engine.host)
        atlas = build_atlas(bundle)
        vantage = f"container:{kit.name('asker')}"
        assert any(v.id == vantage for v in atlas.vantages), [v.id for v in atlas.vantages]
        server = ipaddress.ip_address("127.0.0.11")
        peer = ipaddress.ip_address(kit.address("peer"))
        gateway = ipaddress.ip_address(kit.gateway("asker"))
        tag = f"nadns{random.randrange(10**6)}"
        # what a scan with name lookups would have recorded from inside the asker
        asked = (
            NameRecord(vantage, kit.name("peer"), (peer,), "docker-dns", server=server),
            NameRecord(vantage, f"{tag}-missing.example", (), "docker-dns", server=server, status="NXDOMAIN"),
            NameRecord(vantage, f"{tag}-gw.example", (gateway,), "docker-dns", server=server),
        )
        atlas = replace(atlas, names=tuple(atlas.names) + asked)
        before = len(up.settle())
        report = verify_machine(bundle=bundle, atlas=atlas, limit=0)
    finally:
        if old is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = old
    heard = up.settle()[before:]
    assert heard == [], f"verify's questions reached the upstream {upstream}: {heard}"
    names = [c for c in report.checks if c.probe == "name" and c.place == vantage]
    assert [(c.target, c.result) for c in names] == [(f"{kit.name('peer')} @127.0.0.11", "agree")], names
    held = [s for s in report.skipped if s.startswith(f"2 name lookups from {vantage} through its resolver 127.0.0.11")]
    assert held and "forward them beyond the machine" in held[0], report.skipped
