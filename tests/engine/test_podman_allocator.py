"""Podman's next subnet, predicted by :func:`netatlas.predict_podman_subnets` and handed out by a real podman.

Podman (rootful, Debian's 4.3 here, CNI backend) runs in a network namespace of the
test's own, with its network configs in a folder of the test's own
(``--network-config-dir``) and its storage too (``--root``, ``--runroot``): what it sees
as used is only what the test put there, so neither the machine's podman networks nor
its interfaces, nor another test, can change its answer. ``CONTAINERS_CONF`` points at a
containers.conf of the test's own with ``default_ulimits = []`` (in this sandbox runc
cannot set the default rlimits), and in one case ``default_subnet_pools``.

Before each ``podman network create`` the test predicts from what a scan would give: the
subnets of the podman networks (``podman network inspect``, parsed by netatlas) and the
addresses on the namespace's interfaces (``ip -j addr``), and checks the subnet podman
gave. The namespace holds an address in 10.89.1.0/24 (skipped), a route through a
gateway to 10.89.2.0/24 and an on-link route to 10.89.4.0/24 without an address of its
own (neither skipped: podman looks at interface addresses, not routes).

Marked ``podman``: in CI (``CI=true``) a missing podman fails; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import netatlas
from netatlas.planning.podman_ipam import containers_conf_pools

pytestmark = pytest.mark.podman


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the podman allocator tests must run in CI, but podman could not be used: {why}")
    pytest.skip(f"no podman for the allocator tests: {why}")


def ip(*argv: str) -> str:
    r = subprocess.run(["ip", *argv], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


@dataclass
class Podman:
    """``podman`` in namespace ``netns`` with everything of its own under ``root``."""

    netns: str
    root: Path
    made: list[str] = field(default_factory=list)

    def run(self, *argv: str) -> str:
        cmd = [
            "ip", "netns", "exec", self.netns, "podman",
            "--network-config-dir", str(self.root / "net"),
            "--root", str(self.root / "storage"),
            "--runroot", str(self.root / "run"),
            *argv,
        ]  # fmt: skip
        env = {**os.environ, "CONTAINERS_CONF": str(self.root / "containers.conf")}
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"podman {' '.join(argv)}: {r.stderr.strip()}")
        return r.stdout

    def create(self, name: str) -> str:
        self.run("network", "create", f"plan-{name}")
        self.made.append(f"plan-{name}")
        return str(json.loads(self.run("network", "inspect", f"plan-{name}"))[0]["subnets"][0]["subnet"])

    def used(self) -> list[str]:
        """What a scan gives: the podman networks' subnets (parsed by netatlas) and the interface addresses."""
        names = self.run("network", "ls", "--format", "{{.Name}}").split()
        facts = netatlas.parse("docker-network-inspect", self.run("network", "inspect", *names))
        subnets = [str(s) for n in facts.networks for s in n.subnets]
        addrs = netatlas.parse("ip-addr-json", ip("-n", self.netns, "-j", "addr", "show"))
        return subnets + [f"{a.address}/{a.prefixlen}" for i in addrs.interfaces for a in i.addresses]

    def close(self) -> None:
        for name in self.made:
            subprocess.run(
                ["ip", "netns", "exec", self.netns, "podman", "--network-config-dir", str(self.root / "net"),
                 "network", "rm", "-f", name],
                capture_output=True, check=False,
                env={**os.environ, "CONTAINERS_CONF": str(self.root / "containers.conf")},
            )  # fmt: skip
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _podman(conf: str) -> Iterator[Podman]:
    if shutil.which("podman") is None:
        _unavailable("no podman binary (apt-get install podman)")
    if shutil.which("ip") is None or os.geteuid() != 0:
        _unavailable("rootful podman in a namespace of its own needs root and iproute2")
    p = Podman(f"plan-{random.randrange(16**6):06x}", Path(tempfile.mkdtemp(prefix="netatlas-plan-podman-")))
    try:
        (p.root / "containers.conf").write_text(conf)
        ip("netns", "add", p.netns)
        for argv in (
            ("link", "set", "lo", "up"),
            ("link", "add", "pl-br", "type", "bridge"),
            ("addr", "add", "10.89.1.1/24", "dev", "pl-br"),
            ("link", "set", "pl-br", "up"),
            ("route", "add", "10.89.2.0/24", "via", "10.89.1.254"),
            ("route", "add", "10.89.4.0/24", "dev", "pl-br"),
        ):
            ip("-n", p.netns, *argv)
        try:
            p.run("version")
        except RuntimeError as exc:
            _unavailable(str(exc))
        yield p
    finally:
        p.close()


@pytest.fixture
def podman() -> Iterator[Podman]:
    yield from _podman("[containers]\ndefault_ulimits = []\n")


POOLS_CONF = (
    "[containers]\ndefault_ulimits = []\n\n"
    "[network]\n"
    'default_subnet_pools = [{base = "10.89.1.0/25", size = 26}, {base = "10.213.8.0/22", size = 24}]\n'
)


@pytest.fixture
def podman_pools() -> Iterator[Podman]:
    yield from _podman(POOLS_CONF)


def test_next_subnet_skips_interface_addresses_not_routes(podman: Podman) -> None:
    got = []
    for name in ("a", "b", "c", "d"):
        predicted = netatlas.predict_podman_subnets(used=podman.used())
        subnet = podman.create(name)
        assert predicted == [subnet], (name, podman.used())
        got.append(subnet)
    # 10.89.1.0/24 holds the namespace's own address; the routes to .2 and .4 are no obstacle
    assert got == ["10.89.0.0/24", "10.89.2.0/24", "10.89.3.0/24", "10.89.4.0/24"]


def test_default_subnet_pools_from_containers_conf(podman_pools: Podman) -> None:
    pools = containers_conf_pools(POOLS_CONF)
    assert pools is not None
    got = []
    for name in ("a", "b", "c"):
        predicted = netatlas.predict_podman_subnets(pools, used=podman_pools.used())
        subnet = podman_pools.create(name)
        assert predicted == [subnet], (name, podman_pools.used())
        got.append(subnet)
    # the first pool lies inside 10.89.1.0/24, which the namespace's address holds: podman goes on to the next
    assert got == ["10.213.8.0/24", "10.213.9.0/24", "10.213.10.0/24"]
