"""Live Linux scan: replayed sources, failure modes, and real network namespaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from netatlas.atlas import build_atlas
from netatlas.collect.runner import ReplayRunner, Result
from netatlas.collect.scan import scan
from netatlas.model import Failure

HOSTS = b"127.0.0.1 localhost\n127.0.1.1 devbox\n"


def test_replayed_host_scan_records_failures_and_goes_on() -> None:
    denied = Result(("read", "/etc/resolv.conf"), failure=Failure("permission-denied", "/etc/resolv.conf: denied"))
    rr = ReplayRunner(files={"/etc/hosts": HOSTS, "/etc/resolv.conf": denied})
    b = scan(rr, netns=[])
    by_id = {e.id: e for e in b.evidence}
    assert by_id["host/hosts"].data == HOSTS
    assert by_id["host/resolv-conf"].failure.code == "permission-denied"  # type: ignore[union-attr]
    assert by_id["host/getent-hosts"].failure.code == "missing-binary"  # type: ignore[union-attr]
    assert "host/resolv-conf-upstream" not in by_id  # optional file, absent: not news
    # listeners come over netlink sock_diag, in-process: no ss binary is run
    assert by_id["host/sock-diag-json"].kind == "sock-diag-json"
    assert not any(call[0] == "ss" for call in rr.calls)
    atlas = build_atlas(b)
    assert {p.code for p in atlas.problems} >= {"permission-denied", "missing-binary"}
    assert any(n.kind == "loopback" for n in atlas.networks)


def test_only_limits_kinds() -> None:
    b = scan(ReplayRunner(files={"/etc/hosts": HOSTS}), only=["hosts"], netns=[])
    assert {e.kind for e in b.evidence} == {"hosts"}


def test_missing_namespace_is_a_failure_and_never_created() -> None:
    name = f"na-missing-{uuid.uuid4().hex[:6]}"
    b = scan(ReplayRunner(), netns=[name], only=["ip-addr-json"])
    ev = next(e for e in b.evidence if e.vantage == f"netns:{name}")
    assert ev.failure is not None and ev.failure.code == "not-installed"
    assert not os.path.exists(f"/run/netns/{name}")


needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2")


@pytest.fixture
def two_namespaces() -> Iterator[tuple[str, str]]:
    """Two namespaces joined by a veth pair, 198.51.100.0/24, with routes and files."""
    tag = uuid.uuid4().hex[:6]
    a, b = f"na-t{tag}a", f"na-t{tag}b"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", a)
    ip("netns", "add", b)
    try:
        ip("link", "add", f"v{tag}a", "netns", a, "type", "veth", "peer", "name", f"v{tag}b", "netns", b)
        ip("-n", a, "addr", "add", "198.51.100.1/24", "dev", f"v{tag}a")
        ip("-n", a, "addr", "add", "203.0.113.1/32", "dev", "lo")
        ip("-n", b, "addr", "add", "198.51.100.2/24", "dev", f"v{tag}b")
        for ns, dev in ((a, f"v{tag}a"), (b, f"v{tag}b")):
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", b, "route", "add", "203.0.113.0/24", "via", "198.51.100.1")
        os.makedirs(f"/etc/netns/{b}", exist_ok=True)
        with open(f"/etc/netns/{b}/resolv.conf", "w") as fh:
            fh.write("nameserver 198.51.100.1\nsearch lab.example\n")
        yield a, b
    finally:
        shutil.rmtree(f"/etc/netns/{b}", ignore_errors=True)
        subprocess.run(["ip", "netns", "del", a], check=False)
        subprocess.run(["ip", "netns", "del", b], check=False)


@needs_root
def test_namespaces_are_found_as_vantages_with_their_facts(two_namespaces: tuple[str, str]) -> None:
    a, b = two_namespaces
    # no getent/dns-answers: they would ask the machine's own resolver, outside the test
    bundle = scan(netns=[a, b], only=["ip-addr-json", "ip-route-json", "hosts", "resolv-conf"])
    ids = {v.id for v in bundle.vantages}
    assert {f"netns:{a}", f"netns:{b}"} <= ids
    atlas = build_atlas(bundle)
    net = atlas.network("net:198.51.100.0/24")
    assert net is not None
    got = {(att.node, str(att.address)) for att in net.attachments}
    assert (f"node:netns:{a}", "198.51.100.1") in got
    assert (f"node:netns:{b}", "198.51.100.2") in got
    node_b = atlas.node(f"node:netns:{b}")
    assert node_b is not None
    assert any(str(r.destination) == "203.0.113.0/24" and str(r.gateway) == "198.51.100.1" for r in node_b.routes)
    assert [str(s) for s in node_b.dns.servers] == ["198.51.100.1"]
    assert node_b.dns.search == ("lab.example",)


def test_replayed_scan_sends_no_dns_packets() -> None:
    """DNS questions go through the runner: a replay answers them from the recording."""
    rr = ReplayRunner(
        files={
            "/etc/hosts": HOSTS,
            "/etc/resolv.conf": b"nameserver 192.0.2.53\n",
            "/proc/sys/kernel/hostname": b"devbox\n",
        },
        dns={
            ("192.0.2.53", "devbox", "A"): {
                "name": "devbox",
                "server": "192.0.2.53",
                "port": 53,
                "rdtype": "A",
                "status": "NOERROR",
                "addresses": ["127.0.0.1"],
                "cnames": [],
                "authority": [],
            }
        },
    )
    b = scan(rr, netns=[], only=["dns-answers-json"])
    ev = next(e for e in b.evidence if e.kind == "dns-answers-json")
    records = json.loads(ev.data)
    assert {r["status"] for r in records} <= {"NOERROR", "timeout"}
    assert any(r["status"] == "NOERROR" and r["addresses"] == ["127.0.0.1"] for r in records)
    errors = {r.get("error") for r in records if r["status"] == "timeout"}
    assert errors <= {"not recorded (replay)", "server did not answer"}
    assert any(c[0] == "dns" for c in rr.calls)


def test_hosts_file_is_read_once_and_its_names_are_asked() -> None:
    rr = ReplayRunner(files={"/etc/hosts": HOSTS + b"10.0.0.5 nas\n", "/proc/sys/kernel/hostname": b"devbox\n"})
    scan(rr, netns=[], only=["hosts", "getent-hosts"])
    assert rr.calls.count(("read", "/etc/hosts")) == 1
    getent = next(c for c in rr.calls if c[0] == "getent")
    assert getent[2] == "devbox" and "nas" in getent and "host.docker.internal" in getent
