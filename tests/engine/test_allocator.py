"""Docker's next subnet, predicted by ``plan``'s machinery and handed out by a real dockerd.

The engine is a dockerd of these tests' own, started in a network namespace of its own
(``ip netns add``): its routes are only the ones the test puts there, so no other engine
on the machine (whose bridges are routes of the host) and no other test's network churn
can move what it hands out or its round-robin index. In that namespace it may make its
own docker0 and keep its own iptables; ``--iptables=false`` keeps it quicker still.
(In the host's namespace a second dockerd must not run with ``--bridge=none`` or with
``default-address-pools`` and an old ``bridge`` network: both make it delete the
machine's docker0, ``removeDefaultBridgeInterface`` in moby's ``daemon_unix.go``.)

Before each ``docker network create`` the test scans the engine (``docker info``, ``docker
network inspect``) and the namespace's addresses and routes (``ip -j``), builds an atlas,
and asks :func:`netatlas.planning.docker_state.docker_forecast` for the next subnet,
which must be the one the engine then gives. The sequences show what the engine does:
it skips a subnet under an on-link route but not one under a route through a gateway;
a removed network's subnet is not reused until the index comes round (round-robin
before 27.0); the index starts again at 0 when the daemon restarts; a pick that wraps
round the end of the list sends the index back to 0.

Marked ``docker``: in CI (``CI=true``) a missing engine fails; elsewhere it skips.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import sandbox

pytestmark = pytest.mark.docker

CLONE_NEWNET = 0x40000000
ARGS = ("--iptables=false", "--ip-masq=false")


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the allocator tests must run in CI, but no Docker engine could be started: {why}")
    pytest.skip(f"no Docker engine of our own for the allocator tests: {why}")


def ip(*argv: str) -> str:
    """Run ``ip ARGV`` (a list, never a shell string); raise with its stderr when it fails."""
    r = subprocess.run(["ip", *argv], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


def _start_in(netns: str, root: Path, args: tuple[str, ...]) -> sandbox.Engine:
    """``sandbox.start`` from a thread moved into ``netns``: dockerd is born there."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {netns}")
            finally:
                os.close(fd)
            out["engine"] = sandbox.start(root, extra_args=args)
        except BaseException as exc:  # handed to the test's thread
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise RuntimeError(str(out["error"]))
    engine = out["engine"]
    assert isinstance(engine, sandbox.Engine)
    return engine


@dataclass
class Hermetic:
    """A dockerd in a network namespace of its own, and the networks made on it."""

    netns: str
    root: Path
    args: tuple[str, ...]
    engine: sandbox.Engine | None = None
    client: Any = None
    made: list[str] = field(default_factory=list)

    def start(self) -> None:
        import docker

        self.engine = _start_in(self.netns, self.root, self.args)
        self.client = docker.DockerClient(base_url=self.engine.host, timeout=60)

    def restart(self) -> None:
        """Stop the daemon (its data stays) and start it again: its start index is 0 again."""
        assert self.engine is not None
        self.client.close()
        sandbox.stop(self.engine, remove=False)
        self.start()

    def create(self, name: str, subnet: str | None = None) -> str:
        """``docker network create`` (``--subnet`` when given); the subnet the engine gave."""
        import docker

        ipam = None
        if subnet is not None:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        net = self.client.networks.create(f"plan-{name}", driver="bridge", ipam=ipam)
        self.made.append(net.name)
        net.reload()
        return str(net.attrs["IPAM"]["Config"][0]["Subnet"])

    def remove(self, name: str) -> None:
        self.client.networks.get(f"plan-{name}").remove()

    def atlas(self) -> Any:
        """A scan of the engine and of the namespace it runs in, as an atlas."""
        import netatlas
        from netatlas.bundle import Bundle
        from netatlas.model.evidence import Evidence

        assert self.engine is not None
        old = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = self.engine.host
        try:
            scanned = netatlas.scan(only={"docker-info", "docker-network-inspect"}, netns=[])
        finally:
            if old is None:
                os.environ.pop("DOCKER_HOST", None)
            else:
                os.environ["DOCKER_HOST"] = old
        now = datetime.now(timezone.utc)
        host = [
            Evidence(f"host/{kind}", "host", kind, argv, data=ip(*argv[1:]).encode(), exit_code=0, taken_at=now)
            for kind, argv in (
                ("ip-addr-json", ("ip", "-n", self.netns, "-j", "addr", "show")),
                ("ip-route-json", ("ip", "-n", self.netns, "-j", "route", "show")),
            )
        ]
        resolv = Path("/etc/resolv.conf")  # the file the daemon reads: the mount namespace is shared
        if resolv.exists():
            host.append(Evidence("host/resolv-conf", "host", "resolv-conf", ("read", str(resolv)), resolv.read_bytes()))
        vantages = tuple(v for v in scanned.vantages if v.id in ("host", "docker-engine"))
        evidence = tuple(e for e in scanned.evidence if e.vantage == "docker-engine") + tuple(host)
        return netatlas.build_atlas(Bundle(vantages=vantages, evidence=evidence), analyze=False)

    def predict(self, count: int = 1) -> Any:
        from netatlas.planning.docker_state import docker_forecast

        return docker_forecast(self.atlas(), count)

    def close(self) -> None:
        if self.client is not None:
            for name in self.made:
                with contextlib.suppress(Exception):
                    self.client.networks.get(name).remove()
            self.client.close()
        if self.engine is not None:
            sandbox.stop(self.engine)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True, check=False)


def _hermetic(args: tuple[str, ...], setup: list[tuple[str, ...]]) -> Iterator[Hermetic]:
    if shutil.which("dockerd") is None:
        _unavailable("no dockerd binary (apt-get install docker.io)")
    if shutil.which("ip") is None or os.geteuid() != 0:
        _unavailable("a network namespace of its own needs root and iproute2")
    netns = f"plan-{random.randrange(16**6):06x}"
    h = Hermetic(netns, Path(tempfile.mkdtemp(prefix="netatlas-plan-dockerd-")), args)
    try:
        ip("netns", "add", netns)
        ip("-n", netns, "link", "set", "lo", "up")
        for argv in setup:
            ip("-n", netns, *argv)
        try:
            h.start()
        except RuntimeError as exc:
            _unavailable(str(exc))
        yield h
    finally:
        h.close()


@pytest.fixture
def routed() -> Iterator[Hermetic]:
    """Default pools; in the namespace an on-link route on 172.19.0.0/16 (another engine's
    bridge, say) and a route to 172.21.0.0/16 through a gateway (a VPN's, say)."""
    yield from _hermetic(
        ARGS,
        [
            ("link", "add", "pl-other", "type", "bridge"),
            ("addr", "add", "172.19.0.1/16", "dev", "pl-other"),
            ("link", "set", "pl-other", "up"),
            ("link", "add", "pl-lan", "type", "bridge"),
            ("addr", "add", "10.55.0.1/24", "dev", "pl-lan"),
            ("link", "set", "pl-lan", "up"),
            ("route", "add", "172.21.0.0/16", "via", "10.55.0.254"),
        ],
    )


@pytest.fixture
def small_pool() -> Iterator[Hermetic]:
    """One pool of eight /24s, so the index comes round the end of the list quickly."""
    yield from _hermetic((*ARGS, "--default-address-pool", "base=10.213.0.0/21,size=24"), [])


def _step(h: Hermetic, name: str, subnet: str | None = None) -> str:
    """Predict, create, and check the engine gave what was predicted; return it."""
    predicted = h.predict()
    got = h.create(name, subnet)
    if subnet is None:
        assert predicted[0] == got, (name, list(predicted), got, predicted.rests_on)
    return got


def test_round_robin_skips_on_link_routes_and_survives_removal_and_restarts(routed: Hermetic) -> None:
    h = routed
    first = h.predict(3)
    assert first.algorithm == "round-robin", first.engine_version
    assert any("made the default bridge network anew" in s for s in first.rests_on)
    # 172.17 is docker0's; 172.19 lies under an on-link route; the gateway route to 172.21 is no obstacle
    assert list(first) == ["172.18.0.0/16", "172.20.0.0/16", "172.21.0.0/16"]
    assert _step(h, "a") == "172.18.0.0/16"
    assert _step(h, "b") == "172.20.0.0/16"
    assert _step(h, "c") == "172.21.0.0/16"
    h.remove("b")
    # round-robin: 172.20 is free again, but the index is past it
    assert _step(h, "d") == "172.22.0.0/16"
    h.restart()
    after = h.predict()
    assert after.start_index == 0
    # a restart puts the index back at the top: the first free subnet is the removed one
    assert _step(h, "e") == "172.20.0.0/16"
    assert _step(h, "f") == "172.23.0.0/16"


def test_a_pick_that_wraps_round_sends_the_index_back_to_zero(small_pool: Hermetic) -> None:
    h = small_pool
    assert h.predict().algorithm == "round-robin"
    assert _step(h, "n1") == "10.213.1.0/24"  # docker0 holds 10.213.0.0/24
    # explicit subnets do not move the index
    _step(h, "x6", "10.213.6.0/24")
    _step(h, "x7", "10.213.7.0/24")
    assert _step(h, "n2") == "10.213.2.0/24"
    h.remove("n1")
    assert _step(h, "n3") == "10.213.3.0/24"
    assert _step(h, "n4") == "10.213.4.0/24"
    assert _step(h, "n5") == "10.213.5.0/24"
    # from index 6: .6 and .7 are taken, the search wraps and takes .1; 6+3+1 is past the end: index 0
    assert _step(h, "n6") == "10.213.1.0/24"
    h.remove("n4")
    h.remove("n6")
    # index 0 finds .1 first; index (6+3+1) mod 8 = 2 would have found .4
    assert _step(h, "n7") == "10.213.1.0/24"
    assert _step(h, "n8") == "10.213.4.0/24"
