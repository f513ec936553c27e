"""DNS answers from each configured server, against a dnsmasq of our own on 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import names
from netatlas.collect.names import dns_answers, dns_answers_source, names_to_ask, query_server, servers_of
from netatlas.collect.runner import ReplayRunner
from netatlas.model import Vantage, VantageKind
from netatlas.parsers import parse

LOCAL = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dnsmasq(tmp_path: Path) -> Iterator[int]:
    """dnsmasq on 127.0.0.1:<port> with Docker Desktop's answers; no upstream, no /etc/hosts.

    Names are given as ``--address`` (dnsmasq drops root, so it could not read a hosts
    file under pytest's private tmp folder)."""
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [
            "dnsmasq",
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--address=/devbox.lab.test/192.0.2.10",
            f"--port={port}",
            f"--listen-address={LOCAL}",
            "--bind-interfaces",
            "--address=/host.docker.internal/192.168.65.254",
            "--address=/gateway.docker.internal/192.168.65.1",
            "--local=/lab.test/",
            f"--pid-file={tmp_path}/pid",
            f"--log-facility={tmp_path}/log",
        ]
    )
    try:
        for _ in range(100):
            if query_server(LOCAL, port, "devbox.lab.test", "A", 0.2)["status"] == "NOERROR":
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait()


def test_answers_from_our_server(dnsmasq: int) -> None:
    res = dns_answers([(LOCAL, dnsmasq)], ["host.docker.internal", "devbox.lab.test", "printer.lab.test"])
    assert res.failure is None
    assert res.argv[:2] == ("dns", f"@{LOCAL}#{dnsmasq}")
    facts = parse("dns-answers-json", res.stdout)
    got = {a.name: a for a in facts.answers}
    assert [str(x) for x in got["host.docker.internal"].addresses] == ["192.168.65.254"]
    assert str(got["host.docker.internal"].server) == LOCAL and got["host.docker.internal"].source == "dns"
    assert got["host.docker.internal"].status is None
    assert got["printer.lab.test"].status == "NXDOMAIN" and not got["printer.lab.test"].addresses
    assert not facts.warnings


def test_silent_server_times_out_in_one_wait() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((LOCAL, 0))
        port = silent.getsockname()[1]
        t0 = time.monotonic()
        res = dns_answers([(LOCAL, port)], ["a.lab.test", "b.lab.test"], timeout=0.3)
        took = time.monotonic() - t0
    records = parse("dns-answers-json", res.stdout).answers
    assert [a.status for a in records] == ["timeout", "timeout"]
    # all four questions were sent together and waited for together: one timeout, not four
    assert [r["status"] for r in json.loads(res.stdout)] == ["timeout"] * 4
    assert took < 4 * 0.3


@pytest.fixture
def slow_on_one_name() -> Iterator[int]:
    """A DNS server on 127.0.0.1 that answers every name but ``slow.lab.test`` (192.0.2.x)."""
    import threading

    import dns.message
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOCAL, 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            q = dns.message.from_wire(wire)
            name = q.question[0].name.to_text().rstrip(".")
            if name == "slow.lab.test":
                continue  # an upstream that never answers
            resp = dns.message.make_response(q)
            if q.question[0].rdtype == 1:
                resp.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", f"192.0.2.{len(name)}"))
            sock.sendto(resp.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_one_slow_name_loses_no_other_answer(slow_on_one_name: int) -> None:
    names = ["a.lab.test", "slow.lab.test", "bb.lab.test", "ccc.lab.test"]
    t0 = time.monotonic()
    res = dns_answers([(LOCAL, slow_on_one_name)], names, timeout=0.5)
    took = time.monotonic() - t0
    got = {a.name: a for a in parse("dns-answers-json", res.stdout).answers}
    assert got["slow.lab.test"].status == "timeout"
    assert [str(got[n].addresses[0]) for n in ("a.lab.test", "bb.lab.test", "ccc.lab.test")] == [
        "192.0.2.10",
        "192.0.2.11",
        "192.0.2.12",
    ]
    assert not any(r.get("skipped") for r in json.loads(res.stdout))
    assert took < 2 * 0.5  # one wait for the slow one, not one per question


def test_one_by_one_a_silent_server_is_asked_no_more() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((LOCAL, 0))
        port = silent.getsockname()[1]
        res = dns_answers([(LOCAL, port)], ["a.lab.test", "b.lab.test"], timeout=0.3, query=query_server)
    # one real wait: the first question timed out, the other three were never sent
    assert [bool(r.get("skipped")) for r in json.loads(res.stdout)] == [False, True, True, True]


def test_deadline_bounds_the_whole_source() -> None:
    calls: list[str] = []

    def slow(server: str, port: int, name: str, rdtype: str, timeout: float) -> dict[str, Any]:
        calls.append(name)
        time.sleep(0.05)
        return {"name": name, "server": server, "port": port, "rdtype": rdtype, "status": "NOERROR",
                "addresses": ["192.0.2.1"], "cnames": [], "authority": []}  # fmt: skip

    res = dns_answers([("192.0.2.53", 53)], [f"n{i}.lab.test" for i in range(50)], deadline=0.2, query=slow)
    assert len(calls) < 10
    assert b'"skipped": true' in res.stdout


def test_source_reads_servers_through_the_runner_and_asks_only_them(dnsmasq: int) -> None:
    asked: list[tuple[str, int]] = []

    def to_our_server(server: str, port: int, name: str, rdtype: str, timeout: float) -> dict[str, Any]:
        asked.append((server, port))
        assert server == LOCAL  # never any other server
        rec = query_server(LOCAL, dnsmasq, name, rdtype, timeout)
        rec["port"] = port
        return rec

    rr = ReplayRunner(
        files={
            "/etc/resolv.conf": b"# comment\nnameserver 127.0.0.1\nnameserver bogus\nsearch lab.test\n",
            "/proc/sys/kernel/hostname": b"devbox\n",
            "/etc/hosts": b"127.0.0.1 localhost\n",
        }
    )
    src = dns_answers_source(
        "host/dns-answers", lambda r: names_to_ask(r, lambda: ["devbox.lab.test"]), query=to_our_server
    )
    res = src.get(rr)
    assert res.failure is None and set(asked) == {(LOCAL, 53)}
    assert res.argv[:2] == ("dns", "@127.0.0.1")
    assert res.argv[-6:] == ("devbox", "localhost", "host.docker.internal", "gateway.docker.internal",
                             "kubernetes.docker.internal", "devbox.lab.test")  # fmt: skip
    # on the map: the answers are name records of the vantage, with the server that gave them
    ev = src.evidence("host", res)
    bundle = Bundle(vantages=(Vantage("host", VantageKind.LINUX_HOST, "devbox"),), evidence=(ev,))
    recs = {r.name: r for r in build_atlas(bundle, analyze=False).names}
    assert [str(a) for a in recs["gateway.docker.internal"].addresses] == ["192.168.65.1"]
    assert recs["gateway.docker.internal"].source == "dns" and str(recs["gateway.docker.internal"].server) == LOCAL


def test_no_server_configured_is_dropped_as_not_installed() -> None:
    src = dns_answers_source("host/dns-answers", lambda r: ["x.lab.test"])
    res = src.get(ReplayRunner())
    assert src.optional and res.failure is not None and res.failure.code == "not-installed"


def test_servers_of() -> None:
    text = b"nameserver 10.255.255.254\nnameserver fe80::1%eth0 # zone\n;nameserver 192.0.2.9\nnameserver x\n"
    assert servers_of(text) == ["10.255.255.254", "fe80::1%eth0"]


def test_names_module_has_no_dns_import_at_import_time() -> None:
    top = Path(names.__file__).read_text().split("\ndef ", 1)[0]
    assert "import dns" not in top
