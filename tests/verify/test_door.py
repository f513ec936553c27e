"""The door: the fence decides before anything is sent, and what is sent is a handshake and nothing more.

Probes run from a namespace of the test's own (``unshare -n``, no link anywhere), so
even a broken fence could not reach past it; the checks are on what the door tried
(its own record, and a capture of every ``connect`` its sockets made) and on what the
listener inside received.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from netatlas.verify.door import Door, Target, make_sockets
from netatlas.verify.fence import Fence
from netatlas.verify.kernel import open_namespace
from netatlas.verify.places import Place

from .conftest import Sealed, ip, small_atlas


class Capture:
    """A socket maker that records every destination its sockets connect or send to."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.data: list[bytes] = []

    def __call__(self, place: Place, kinds: Sequence[tuple[int, int]]) -> list[socket.socket]:
        outer = self

        class Rec(socket.socket):
            def connect_ex(self, address: object) -> int:  # type: ignore[override]
                outer.connects.append((str(address[0]), int(address[1])))  # type: ignore[index]
                return super().connect_ex(address)  # type: ignore[arg-type]

            def connect(self, address: object) -> None:  # type: ignore[override]
                outer.connects.append((str(address[0]), int(address[1])))  # type: ignore[index]
                super().connect(address)  # type: ignore[arg-type]

            def send(self, data: bytes, *a: object) -> int:  # type: ignore[override]
                outer.data.append(bytes(data))
                return super().send(data, *a)  # type: ignore[arg-type]

            def sendall(self, data: bytes, *a: object) -> None:  # type: ignore[override]
                outer.data.append(bytes(data))
                super().sendall(data, *a)  # type: ignore[arg-type]

        made = make_sockets(place, kinds)
        return [Rec(s.family, s.type, fileno=s.detach()) for s in made]


def _door(sealed: Sealed, cap: Capture) -> tuple[Door, Place]:
    ns = open_namespace(sealed.path)
    place = Place("netns:sealed", "node:sealed", "netns", sealed.path, kernel=True)

    def ask(node: str, address: object) -> object:
        if node != "node:sealed":
            return None
        route = ns.route(address)  # type: ignore[arg-type]
        return route, ns.link(route.interface)

    fence = Fence(small_atlas(sealed.port), ask)  # type: ignore[arg-type]
    return Door(fence, timeout=0.5, maker=cap), place


def test_only_allowed_destinations_are_contacted_and_only_a_handshake_is_sent(sealed: Sealed) -> None:
    cap = Capture()
    door, place = _door(sealed, cap)
    wanted = {
        ("127.0.0.1", sealed.port): "open",  # loopback
        ("10.250.0.1", sealed.port): "open",  # its own address (the kernel: local)
        ("127.0.0.1", 1): "refused",  # nothing listens
        ("10.250.0.2", 80): "timeout",  # a container's address, on-link out a veth: never answered
        ("10.99.0.1", 80): "unreachable",  # no route from here: the kernel refuses at once
        ("10.250.0.254", 80): "fenced",  # the router
        ("10.250.0.9", 80): "fenced",  # held by a container here and by the VPN's far side
        ("10.251.0.5", 80): "fenced",  # a container's address, but out a macvlan: could leave
        ("192.0.2.77", 80): "fenced",  # nobody's
        ("10.250.0.255", 80): "fenced",  # not held by any node (the broadcast)
    }
    targets = [Target(place, ip(a), p) for a, p in wanted]
    got = door.tcp(targets)
    assert {k: o.status for k, o in zip(wanted, got, strict=True)} == wanted
    sent = {(str(a), p) for _k, _pl, a, p in door.sent}
    allowed = {k for k, v in wanted.items() if v != "fenced"}
    assert sent == allowed
    assert set(cap.connects) == allowed, "a socket connected somewhere the fence did not allow"
    assert cap.data == [], "a probe sent data"
    fenced = {o.detail for o in got if o.status == "fenced"}
    assert any("also held outside" in d for d in fenced)
    assert any("macvlan" in d for d in fenced)
    accepted, received = sealed.finish()
    assert accepted == 2 and received == 0, "the listener got data, or not the two handshakes"


def test_dns_to_a_server_beyond_the_machine_is_never_asked(sealed: Sealed) -> None:
    cap = Capture()
    door, place = _door(sealed, cap)
    got = door.dns(place, ip("10.250.0.254"), "example.internal")
    assert got.status == "fenced" and door.sent == [] and cap.connects == []


def test_parallel_one_still_runs_every_probe(sealed: Sealed) -> None:
    cap = Capture()
    door, place = _door(sealed, cap)
    door.parallel = 1
    got = door.tcp([Target(place, ip("127.0.0.1"), sealed.port), Target(place, ip("127.0.0.1"), 1)])
    assert [o.status for o in got] == ["open", "refused"]


def test_a_forward_relaying_beyond_the_machine_is_not_probed() -> None:
    """A -p port or portproxy rule whose target nobody here holds: the forwarder would connect out for us."""

    def never(place: Place, kinds: Sequence[tuple[int, int]]) -> list[socket.socket]:
        raise AssertionError("a socket was made for a fenced probe")

    door = Door(Fence(small_atlas()), maker=never)
    place = Place("netns:sealed", "node:sealed", "netns", "/nonexistent", kernel=True)
    got = door.tcp([Target(place, ip("127.0.0.1"), 2222, onward=(ip("172.25.139.5"),))])
    assert got[0].status == "fenced" and "relays to 172.25.139.5" in got[0].detail
    assert door.sent == []
