"""Podman as a first-class engine, against a real rootful podman: names, forwards, its own rules.

Debian's podman (4.3, CNI) runs here as root. In this sandbox runc cannot set rlimits,
so podman is given a containers.conf holding ``default_ulimits = []`` through
``CONTAINERS_CONF`` (the scan's ``podman`` calls inherit it). The image is the same
static busybox, brought in with ``podman import``. Probes run ``busybox nc`` through
``podman exec``; they are the referee for ``why``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sandbox
from engine_kit import outcome, verdict_matches

pytestmark = pytest.mark.podman

IMAGE = "localhost/netatlas-busybox:test"


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the podman engine tests must run in CI, but podman could not be used: {why}")
    pytest.skip(f"no podman for the engine tests: {why}")


@dataclass
class Pod:
    podman: str
    prefix: str
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [self.podman, *args]
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, check=check, timeout=120)

    def name(self, short: str) -> str:
        return f"{self.prefix}-{short}"

    def address(self, short: str) -> str:
        doc = json.loads(self.run("inspect", self.name(short)).stdout)[0]
        return str(next(iter(doc["NetworkSettings"]["Networks"].values()))["IPAddress"])

    def gateway(self, short: str) -> str:
        doc = json.loads(self.run("inspect", self.name(short)).stdout)[0]
        return str(next(iter(doc["NetworkSettings"]["Networks"].values()))["Gateway"])

    def probe(self, src: str, address: str, port: int) -> str:
        r = self.run("exec", self.name(src), "nc", "-w", "2", address, str(port), check=False)
        return outcome(r.returncode, r.stderr)


@pytest.fixture(scope="module")
def pod() -> Iterator[Pod]:
    podman = shutil.which("podman")
    if podman is None or os.geteuid() != 0:
        _unavailable("needs root and podman (apt-get install podman)")
    assert podman is not None
    conf = Path(tempfile.mkdtemp(prefix="na-podman-")) / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    old = os.environ.get("CONTAINERS_CONF")
    os.environ["CONTAINERS_CONF"] = str(conf)
    p = Pod(podman, f"nap{random.randrange(10**5)}", dict(os.environ))
    try:
        if p.run("image", "exists", IMAGE, check=False).returncode != 0:
            busybox = sandbox.static_busybox()
            if busybox is None:
                _unavailable("no static busybox (apt-get install busybox-static)")
            assert busybox is not None
            tar = conf.parent / "busybox.tar"
            tar.write_bytes(sandbox.image_tar(busybox))
            imported = p.run("import", "--change", 'CMD ["/bin/sh"]', str(tar), IMAGE, check=False)
            if imported.returncode != 0:
                _unavailable(f"podman import failed: {imported.stderr.strip()}")
        yield p
    finally:
        for c in p.run("ps", "-a", "--format", "{{.Names}}", check=False).stdout.split():
            if c.startswith(p.prefix + "-"):
                p.run("rm", "-f", c, check=False)
        for n in p.run("network", "ls", "--format", "{{.Name}}", check=False).stdout.split():
            if n.startswith(p.prefix + "-"):
                p.run("network", "rm", "-f", n, check=False)
        if old is None:
            os.environ.pop("CONTAINERS_CONF", None)
        else:
            os.environ["CONTAINERS_CONF"] = old
        shutil.rmtree(conf.parent, ignore_errors=True)


@dataclass
class Topo:
    pod: Pod
    atlas: Any
    port: int
    bundle: Any


@pytest.fixture(scope="module")
def topo(pod: Pod) -> Topo:
    import netatlas
    from netatlas.parsers import kinds

    port = random.randrange(40000, 50000)
    for net, extra in (("p1", ()), ("p2", ()), ("pint", ("--internal",))):
        pod.run("network", "create", *extra, pod.name(net))
    httpd = ("httpd", "-f", "-p", "80")
    pod.run("run", "-d", "--name", pod.name("w1"), "--network", pod.name("p1"), "-p", f"{port}:80", IMAGE, *httpd)
    pod.run("run", "-d", "--name", pod.name("d1"), "--network", pod.name("p2"), IMAGE, *httpd)
    pod.run("run", "-d", "--name", pod.name("i1"), "--network", pod.name("pint"), IMAGE, *httpd)
    pod.run("create", "--name", pod.name("created"), "--network", pod.name("p1"), "-p", f"{port + 1}:80", IMAGE, *httpd)
    only = [k for k in kinds() if k not in ("getent-hosts", "dns-answers-json")]
    bundle = netatlas.scan(only=only)
    return Topo(pod, netatlas.build_atlas(bundle), port, bundle)


def test_containers_appear_by_name_and_published_ports_are_forwards(topo: Topo) -> None:
    p = topo.pod
    names = {n.name for n in topo.atlas.nodes}
    assert {p.name("w1"), p.name("d1"), p.name("i1")} <= names
    kinds = {n.label: n.kind for n in topo.atlas.networks}
    assert kinds[f"podman network {p.name('p1')}"] == "podman-bridge"
    forwards = [f for f in topo.atlas.forwards if f.listen_port == topo.port]
    assert forwards and forwards[0].target_node == f"node:container:{p.name('w1')}"
    assert not [f for f in topo.atlas.forwards if f.listen_port == topo.port + 1]  # created: no forward


def test_every_why_answer_agrees_with_a_real_probe(topo: Topo) -> None:
    from netatlas.reach import why

    p = topo.pod
    questions = [
        ("w1", p.address("d1"), 80),  # another podman network: no isolation with CNI (netavark before 2.0)
        ("w1", p.address("d1"), 81),  # nothing listens: refused
        ("i1", p.address("w1"), 80),  # out of an internal network
        ("d1", p.gateway("d1"), topo.port),  # a published port through the host, from another network
    ]
    rows = []
    for src, address, port in questions:
        observed = p.probe(src, address, port)
        r = why(topo.atlas, p.name(src), address, port)
        rows.append((src, address, port, observed, r.verdict, r.reason or r.hops[-1].note))
    wrong = [row for row in rows if not verdict_matches(row[4], row[3])]
    assert not wrong, "\n".join(map(str, wrong))
    assert rows[0][3] == "open" and rows[1][3] == "refused" and rows[2][3] != "open"


def test_fixes_speak_podman(topo: Topo) -> None:
    from netatlas.reach import why

    p = topo.pod
    internal = why(topo.atlas, p.name("i1"), p.address("w1"), 80)
    assert internal.verdict == "stopped"
    assert any("podman network" in f for f in internal.fixes), internal.fixes
    lan = why(topo.atlas, "host", p.address("d1"), 80)
    assert lan.verdict == "delivered"  # the host reaches its containers


def test_verify_probes_from_inside_podman_containers_and_every_check_agrees(topo: Topo) -> None:
    """``netatlas verify`` enters podman's containers by their namespace, as Docker's."""
    from netatlas.verify import verify_machine

    p = topo.pod
    report = verify_machine(bundle=topo.bundle, atlas=topo.atlas, limit=50000)
    places = {f"container:{p.name(c)}" for c in ("w1", "d1", "i1")}
    assert not [s for s in report.skipped if "podman" in s], report.skipped
    mine = {p.address(c) for c in ("w1", "d1", "i1")}
    ours = [
        c
        for c in report.checks
        if c.place in places and c.probe in ("tcp", "route") and c.target.rsplit(":", 1)[0] in mine
    ]
    assert {c.place for c in ours} == places
    assert len(ours) >= 12, len(ours)
    wrong = [(c.result, c.probe, c.place, c.target, c.predicted, c.observed) for c in ours if c.result != "agree"]
    assert not wrong, wrong
