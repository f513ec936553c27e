"""The fleet's pure parts: the key's inverse map and seals, extraction, the plan, the client's retries."""

from __future__ import annotations

import http.server
import ipaddress
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fleet.conftest import Z820

from netatlas import build_atlas, read_bundle
from netatlas.bundle import Bundle
from netatlas.fleet.client import Retry, read_token, request
from netatlas.fleet.errors import BadRequest, Unauthorized, Unavailable
from netatlas.fleet.extract import range_rows
from netatlas.fleet.keyed import (
    image_network,
    image_networks,
    kept_of,
    real_address,
    real_network,
    real_text,
    seal,
    unseal,
)
from netatlas.fleet.plan import largest_free
from netatlas.fleet.push import parse_every, prepare
from netatlas.model import Evidence, Vantage, VantageKind
from netatlas.redact._scheme import Scheme, engine_rules

KEY = bytes(range(32))
SCHEME = Scheme(KEY)

v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
v4_private = st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "172.17.0.0/16"]).flatmap(
    lambda n: st.integers(0, ipaddress.ip_network(n).num_addresses - 1).map(
        lambda i: ipaddress.ip_network(n).network_address + i
    )
)
v6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address).filter(lambda a: (int(a) >> 24) & 0xFFFF != 0xFFFE)


ENGINE = [r.network for r in engine_rules()]
KEPT_ALL = Scheme(KEY, kept=ENGINE)  # a machine that keeps every engine range


def _in_engine(value: ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network) -> bool:
    net = ipaddress.ip_network(value)
    return any(net.version == k.version and net.subnet_of(k) for k in ENGINE)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.one_of(v4, v4_private, v6))
def test_real_address_undoes_the_redaction_map(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    """Exact for kept engine ranges and for every image outside them (keyed's one ambiguity aside)."""
    for scheme in (SCHEME, KEPT_ALL):
        image = scheme.address(addr)
        if not _in_engine(image) or (scheme is KEPT_ALL and _in_engine(addr)):
            assert real_address(KEY, image) == addr


def test_engine_ranges_are_read_as_kept_and_asked_in_both_forms() -> None:
    net = ipaddress.ip_network("172.17.0.0/16")
    assert real_network(KEY, net) == net
    assert image_networks(KEY, net) == (net, SCHEME.network(net))
    lan = ipaddress.ip_network("198.51.100.0/24")
    assert image_networks(KEY, lan) == (SCHEME.network(lan),)


@settings(max_examples=200, deadline=None)
@given(st.one_of(v4, v4_private), st.integers(0, 32), st.one_of(v4, v4_private), st.integers(0, 32))
def test_images_overlap_exactly_when_the_ranges_do(a: object, alen: int, b: object, blen: int) -> None:
    na = ipaddress.ip_network(f"{a}/{alen}", strict=False)
    nb = ipaddress.ip_network(f"{b}/{blen}", strict=False)
    ia, ib = image_network(KEY, na), image_network(KEY, nb)
    assert ia.overlaps(ib) == na.overlaps(nb)
    if not _in_engine(ia):  # an image inside an engine range is read as kept (keyed)
        assert real_network(KEY, ia) == na


@given(st.text(min_size=1, max_size=60).filter(lambda s: len(s.encode()) <= 255))
def test_seal_round_trips_and_is_deterministic(name: str) -> None:
    sealed = seal(KEY, name)
    assert sealed == seal(KEY, name) and unseal(KEY, sealed) == name
    assert name not in sealed[len("sealed:") :] or len(name) < 3
    assert unseal(bytes(32), sealed) is None  # another key: no name, not a wrong one


def test_unseal_refuses_tampering_and_plain_names() -> None:
    sealed = seal(KEY, "Z820")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert unseal(KEY, flipped) is None
    assert unseal(KEY, "Z820") is None
    with pytest.raises(ValueError, match="1 to 255"):
        seal(KEY, "")


def test_real_text_gives_back_addresses_in_titles() -> None:
    net = ipaddress.ip_network("198.51.100.0/24")
    addr = ipaddress.ip_address("198.51.100.7")
    text = f"{SCHEME.network(net)} overlaps; {SCHEME.address(addr)} holds it; Windows 10.0.22621.1848"
    assert real_text(KEY, text) == "198.51.100.0/24 overlaps; 198.51.100.7 holds it; Windows 10.0.22621.1848"


def test_range_rows_of_z820() -> None:
    rows = range_rows(build_atlas(read_bundle(Z820)))
    got = {(r.source, str(r.cidr), r.kind) for r in rows}
    assert ("network", "192.168.65.0/24", "docker-desktop-vm") in got
    assert ("network", "172.25.144.0/20", "wsl-nat") in got
    assert ("network", "10.1.0.0/16", "k8s-pods") in got
    assert ("pool", "192.168.65.0/24", "docker-desktop-vm") in got
    assert {c for s, c, _ in got if s == "docker-next"} == {"172.19.0.0/16", "172.20.0.0/16", "172.21.0.0/16"}
    # Windows lists a host and a broadcast route per address: inside the networks, not stored again
    assert not [r for r in rows if r.source == "route"]


def test_largest_free_skips_everything_in_use() -> None:
    used = [ipaddress.ip_network(n) for n in ("10.0.0.0/9", "10.128.0.0/10", "172.16.0.0/12", "192.168.0.0/17")]
    free = largest_free(used, count=3)
    assert [str(b) for b in free] == ["10.192.0.0/10", "192.168.128.0/17"]
    assert not any(b.overlaps(u) for b in free for u in used)


def test_prepare_redacted_names_the_key_and_seals_the_machine() -> None:
    plain = prepare(read_bundle(Z820))
    red = prepare(read_bundle(Z820), key=KEY)
    assert plain.document["machine"] == "Z820" and not plain.document["redacted"]
    assert red.document["machine"] == seal(KEY, "Z820") and red.document["key_id"] == SCHEME.key_id
    assert red.idempotency_key != plain.idempotency_key
    assert prepare(read_bundle(Z820)).idempotency_key == plain.idempotency_key  # the same bundle, the same key


@pytest.mark.parametrize(("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("1h", 3600.0)])
def test_parse_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "1 week", "-1h", "0", "h"])
def test_parse_every_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="--every"):
        parse_every(text)


def test_read_token(tmp_path: object) -> None:
    with pytest.raises(Unauthorized, match="NETATLAS_TOKEN"):
        read_token(None, {})
    assert read_token(None, {"NETATLAS_TOKEN": " abc \n"}) == "abc"


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first ``fail`` requests, then 201; records what it got."""

    fail = 2
    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.rfile.read(length)
        type(self).seen.append(dict(self.headers))
        if len(type(self).seen) <= type(self).fail:
            self.send_response(503)
            body = b'{"detail": "database restarting"}'
        elif self.headers.get("X-Refuse"):
            self.send_response(422)
            body = b'{"detail": "push document: machine must be 1 to 400 printable characters"}'
        else:
            self.send_response(201)
            body = b'{"scan_id": 7, "stored": true}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def flaky() -> Iterator[str]:
    _Flaky.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)


def test_request_retries_with_backoff_then_succeeds(flaky: str) -> None:
    waits: list[float] = []
    status, answer = request(
        flaky,
        "/api/v1/scans",
        "tok",
        method="POST",
        body=b"{}",
        headers={"Idempotency-Key": "sha256:x"},
        retry=Retry(attempts=5, base=1.0, cap=8.0),
        sleep=waits.append,
    )
    assert (status, answer) == (201, {"scan_id": 7, "stored": True})
    assert len(waits) == 2 and waits[0] <= 1.0 and waits[1] <= 2.0  # full jitter under base * 2**n
    assert {h["Idempotency-Key"] for h in _Flaky.seen} == {"sha256:x"}  # every attempt: the same key
    assert all(h["Authorization"] == "Bearer tok" for h in _Flaky.seen)


def test_request_gives_up_after_its_attempts(flaky: str) -> None:
    _Flaky.fail = 99
    try:
        with pytest.raises(Unavailable, match=r"3 attempts.*database restarting"):
            request(flaky, "/x", "tok", method="POST", body=b"{}", retry=Retry(attempts=3), sleep=lambda s: None)
        assert len(_Flaky.seen) == 3
    finally:
        _Flaky.fail = 2


def test_a_4xx_is_final_and_says_why(flaky: str) -> None:
    _Flaky.fail = 0
    try:
        with pytest.raises(BadRequest, match="422: push document: machine"):
            request(flaky, "/x", "t", method="POST", body=b"{}", headers={"X-Refuse": "1"}, sleep=lambda s: None)
        assert len(_Flaky.seen) == 1
    finally:
        _Flaky.fail = 2


def test_unreachable_server_is_unavailable() -> None:
    from tests.fleet.conftest import free_port

    with pytest.raises(Unavailable, match="2 attempts"):
        request(f"http://127.0.0.1:{free_port()}", "/x", "t", retry=Retry(attempts=2), sleep=lambda s: None)
    with pytest.raises(BadRequest, match="http"):
        request("ftp://example.invalid", "/x", "t")


def _machine(name: str, ifaces: list[tuple[str, str]]) -> Bundle:
    """A bundle of one ``ip -j addr`` (iproute2 6.x keys, as tests/fixtures/parsers/ip-addr-json/)."""
    rows = [
        {
            "ifindex": i + 2,
            "ifname": dev,
            "flags": ["UP"],
            "mtu": 1500,
            "operstate": "UP",
            "addr_info": [
                {"family": "inet", "local": cidr.split("/")[0], "prefixlen": int(cidr.split("/")[1]), "scope": "global"}
            ],
        }
        for i, (dev, cidr) in enumerate(ifaces)
    ]
    ev = Evidence(f"{name}/ip", name, "ip-addr-json", ("ip", "-j", "addr"), json.dumps(rows).encode())
    return Bundle((Vantage(name, VantageKind.LINUX_HOST, name),), (ev,))


def _cidrs(prepared: Any) -> set[str]:
    return {n["cidr"] for n in prepared.document["atlas"]["networks"]}


def test_push_redacted_keeps_an_engine_range_only_where_it_is_the_engines() -> None:
    """push --redact decides per bundle like netatlas redact, under one map for the fleet."""
    lan = ("eth0", "198.51.100.7/24")
    a = prepare(_machine("a", [lan, ("docker0", "172.17.0.1/16")]), key=KEY)  # Docker's bridge
    b = prepare(_machine("b", [lan, ("tun0", "172.17.9.9/16")]), key=KEY)  # a VPN on Docker's range
    home = prepare(_machine("c", [("eth0", "192.168.1.20/24"), ("veth-rd0", "192.168.1.2/24")]), key=KEY)
    assert "172.17.0.0/16" in _cidrs(a) and "172.17.0.0/16" not in _cidrs(b)
    for doc in (b, home):
        text = json.dumps(doc.document)
        assert "172.17.9." not in text and "192.168.1." not in text
    lan_image = str(image_network(KEY, ipaddress.ip_network("198.51.100.0/24")))
    assert lan_image in _cidrs(a) and lan_image in _cidrs(b)  # the same image on both machines
    vpn_image = image_network(KEY, ipaddress.ip_network("172.17.0.0/16"))
    assert str(vpn_image) in _cidrs(b)
    # each atlas says what its agent kept, and the admin's client reads each machine back exactly
    assert a.document["atlas"]["settings"]["redaction_kept"] == ["172.17.0.0/16"]
    assert b.document["atlas"]["settings"]["redaction_kept"] == []
    for doc in (a, b):
        kept = kept_of(doc.document["atlas"])
        real = {str(real_network(KEY, ipaddress.ip_network(c), kept)) for c in _cidrs(doc)}
        assert {"172.17.0.0/16", "198.51.100.0/24"} <= real


def test_an_image_inside_an_engine_range_is_read_by_what_the_machine_kept() -> None:
    """Under this key a VPN on 10.1.0.0/16 maps onto k3s's 10.43.0.0/16: only the kept list tells them apart."""
    vpn = prepare(_machine("v", [("tun0", "10.1.42.9/16")]), key=KEY)
    image = ipaddress.ip_network("10.43.0.0/16")
    assert image_network(KEY, ipaddress.ip_network("10.1.0.0/16")) == image and str(image) in _cidrs(vpn)
    assert str(real_network(KEY, image, kept_of(vpn.document["atlas"]))) == "10.1.0.0/16"
    assert real_network(KEY, image) == image  # a machine whose atlas does not say: read as kept


class _Fleet(http.server.BaseHTTPRequestHandler):
    """A stand-in for the server's read API: canned collisions and each machine's stored atlas."""

    collisions: ClassVar[dict[str, Any]] = {}
    atlases: ClassVar[dict[str, Any]] = {}
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        path = self.path.split("?")[0]
        if path == "/api/v1/collisions":
            body = json.dumps(type(self).collisions).encode()
        else:
            mid = path.rsplit("/", 1)[-1]
            body = json.dumps({"machine": {"id": mid, "name": mid}, "atlas": type(self).atlases[mid]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_admin_reads_each_machines_answer_by_what_it_kept() -> None:
    """collisions: 172.17.0.0/16 is asked kept and rewritten; each overlap is read back by its machine's kept list."""
    from netatlas.fleet.admin import Admin

    docker = prepare(_machine("d", [("docker0", "172.17.0.1/16")]), key=KEY)
    vpn = prepare(_machine("v", [("tun0", "10.1.42.9/16")]), key=KEY)  # its image is 10.43.0.0/16
    _Fleet.atlases = {"1": docker.document["atlas"], "2": vpn.document["atlas"]}
    overlap = {"query": "", "source": "network", "kind": "lan", "label": "", "node": "n"}
    _Fleet.collisions = {
        "machines": [
            {"id": 1, "name": "d", "scan_id": 11, "overlaps": [{**overlap, "cidr": "172.17.0.0/16"}]},
            {"id": 2, "name": "v", "scan_id": 12, "overlaps": [{**overlap, "cidr": "10.43.0.0/16"}]},
        ]
    }
    _Fleet.asked = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fleet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        answer = Admin(url, "t", key=KEY, retry=Retry(attempts=1)).collisions(["172.17.0.0/16"])
    finally:
        server.shutdown()
        thread.join(timeout=10)
    got = {m["name"]: [o["cidr"] for o in m["overlaps"]] for m in answer["machines"]}
    assert got == {"d": ["172.17.0.0/16"], "v": ["10.1.0.0/16"]}
    sent = _Fleet.asked[0]
    assert (
        "cidr=172.17.0.0%2F16" in sent
        and f"cidr={str(image_network(KEY, ipaddress.ip_network('172.17.0.0/16'))).replace('/', '%2F')}" in sent
    )
