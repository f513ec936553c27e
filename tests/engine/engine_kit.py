"""Build real topologies on a real Docker engine, probe them from inside, and scan them.

A probe is ``busybox nc -w 2 ADDR PORT`` run by ``docker exec`` inside the source
container: the kernel, with the rules the engine programmed, decides. Its outcome is
one of ``open`` (connected), ``refused`` (RST: nothing listens), ``timeout`` (dropped
on the way) or ``unreachable`` (no route).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from typing import Any

import docker

IMAGE = "netatlas-busybox:test"


class Kit:
    """Networks and containers named ``<prefix>-…``, removed by :meth:`close`."""

    def __init__(self, host: str, prefix: str) -> None:
        self.host = host
        self.prefix = prefix
        self.client = docker.DockerClient(base_url=host, timeout=60)
        self.containers: list[Any] = []
        self.networks: list[Any] = []

    def name(self, short: str) -> str:
        return f"{self.prefix}-{short}"

    def network(self, short: str, *, internal: bool = False, icc: bool = True, subnet: str | None = None) -> Any:
        options = {} if icc else {"com.docker.network.bridge.enable_icc": "false"}
        ipam = None
        if subnet is not None:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        net = self.client.networks.create(
            self.name(short), driver="bridge", internal=internal, options=options, ipam=ipam
        )
        self.networks.append(net)
        return net

    def run(
        self,
        short: str,
        networks: Sequence[str] = (),
        *,
        command: Sequence[str] = ("httpd", "-f", "-p", "80"),
        ports: dict[str, Any] | None = None,
        network_mode: str | None = None,
        start: bool = True,
    ) -> Any:
        """A container on ``networks`` (short names; none: the default bridge), started unless told not."""
        first = self.name(networks[0]) if networks else network_mode
        c = self.client.containers.create(
            IMAGE, list(command), name=self.name(short), network=first, ports=ports or {}, detach=True
        )
        self.containers.append(c)
        for extra in networks[1:]:
            self.client.networks.get(self.name(extra)).connect(c)
        if start:
            c.start()
            c.reload()
        return c

    def address(self, short: str, network: str | None = None) -> str:
        c = self.client.containers.get(self.name(short))
        nets = c.attrs["NetworkSettings"]["Networks"]
        key = self.name(network) if network else next(iter(nets))
        return str(nets[key]["IPAddress"])

    def gateway(self, short: str) -> str:
        """The host's address on the (first) network of container ``short``: its default gateway."""
        c = self.client.containers.get(self.name(short))
        return str(next(iter(c.attrs["NetworkSettings"]["Networks"].values()))["Gateway"])

    def probe(self, src: str, address: str, port: int, wait: int = 2) -> str:
        """Connect from inside ``src`` to ``address:port``: open, refused, timeout or unreachable."""
        argv = ["docker", "-H", self.host, "exec", self.name(src), "nc", "-w", str(wait), address, str(port)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=wait + 20, stdin=subprocess.DEVNULL)
        return outcome(r.returncode, r.stderr)

    def close(self) -> None:
        for c in self.containers:
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True)
        for n in self.networks:
            with contextlib.suppress(docker.errors.NotFound):
                n.remove()
        self.client.close()


def outcome(returncode: int, stderr: str) -> str:
    """What busybox ``nc`` said, as a probe outcome."""
    if returncode == 0:
        return "open"
    text = stderr.lower()
    if "refused" in text:
        return "refused"
    if "unreachable" in text or "no route" in text:
        return "unreachable"
    return "timeout"


def probe_host(address: str, port: int, wait: float = 2.0) -> str:
    """Connect from the host's own namespace (this process) to ``address:port``."""
    import socket

    try:
        with socket.create_connection((address, port), timeout=wait):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return "unreachable" if "unreachable" in str(exc).lower() else "timeout"


def scan_atlas(host: str, only_networks: Iterable[str] = ()) -> Any:
    """A live scan of this machine with the engine at ``host``, built into an atlas."""
    import netatlas

    return netatlas.build_atlas(scan_bundle(host))


def scan_bundle(host: str) -> Any:
    """A live scan of this machine with the engine at ``host`` (no name lookups)."""
    import netatlas
    from netatlas.parsers import kinds

    # no name lookups: names Docker's DNS does not know would go on to the machine's own
    # resolver, and the tests send nothing beyond this machine
    only = [k for k in kinds() if k not in ("getent-hosts", "dns-answers-json")]
    old = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    try:
        return netatlas.scan(only=only)
    finally:
        if old is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = old


def verdict_matches(verdict: str, observed: str) -> bool:
    """A delivered prediction must meet an open port; a stopped one anything else."""
    if verdict == "delivered":
        return observed == "open"
    if verdict == "stopped":
        return observed != "open"
    return False
