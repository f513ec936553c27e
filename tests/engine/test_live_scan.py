"""A live scan of a real Docker engine sees what the example bundle sees.

Per running container, read in-process from its network namespace: its listeners
(netlink sock_diag, with the processes that hold them) and the answers of its own
resolver, Docker's embedded DNS at 127.0.0.11, for the names that matter. Created and
exited containers are shown as such and publish nothing.

The containers get ``--dns 127.0.0.1``: the embedded DNS then has no upstream but the
container's own loopback, so names it does not know go nowhere beyond the container
(and time out there: the real "slow name", which must not cost the others' answers).
Only this test's containers are scanned (the engine may run other people's).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from engine_kit import IMAGE, Kit

from netatlas.atlas import build_atlas
from netatlas.collect import docker_engine, sock_diag
from netatlas.collect.docker_engine import DockerApi
from netatlas.collect.runner import Runner
from netatlas.collect.scan import scan
from netatlas.model.atlas import Atlas
from netatlas.names import resolve

pytestmark = pytest.mark.docker


@dataclass
class Live:
    kit: Kit
    atlas: Atlas
    evidence: dict[str, Any]
    port: int
    created_port: int


def _run(kit: Kit, short: str, network: str, command: tuple[str, ...], **kw: Any) -> Any:
    c = kit.client.containers.create(
        IMAGE, list(command), name=kit.name(short), network=kit.name(network), dns=["127.0.0.1"], detach=True, **kw
    )
    kit.containers.append(c)
    return c


@pytest.fixture(scope="module")
def live(engine: Any) -> Iterator[Live]:
    kit = Kit(engine.host, prefix=f"col-lv{random.randrange(10**5)}")
    port = random.randrange(30000, 40000, 10)
    try:
        kit.network("a")
        kit.network("b")
        _run(kit, "web", "a", ("httpd", "-f", "-p", "8080"), ports={"8080/tcp": port}).start()
        _run(kit, "cli", "a", ("sleep", "3600")).start()
        _run(kit, "far", "b", ("sleep", "3600")).start()
        _run(kit, "created", "a", ("sleep", "1"), ports={"80/tcp": port + 1})
        exited = _run(kit, "exited", "b", ("sh", "-c", "exit 3"))
        exited.start()
        exited.wait(timeout=30)
        api = DockerApi(environment={"DOCKER_HOST": engine.host})
        ours = ("docker-engine", *(f"container:{kit.name(s)}" for s in ("web", "cli", "far")))

        def planner(runner: Runner) -> list[Any]:
            return [p for p in docker_engine.plan(runner, api) if p.vantage.id in ours]

        bundle = scan(planners=[planner])
        yield Live(kit, build_atlas(bundle), {e.id: e for e in bundle.evidence}, port, port + 1)
    finally:
        kit.close()


def test_container_listeners_come_with_their_process(live: Live) -> None:
    web = f"node:container:{live.kit.name('web')}"
    mine = [(li.protocol, li.port, li.process) for li in live.atlas.listeners if li.node == web]
    assert ("tcp", 8080, "httpd") in mine
    # Docker's embedded DNS listens inside every container on a user network, held by dockerd
    assert any(li.address is not None and str(li.address) == "127.0.0.11" and li.process == "dockerd"
               for li in live.atlas.listeners if li.node == web)  # fmt: skip
    ev = live.evidence[f"container:{live.kit.name('web')}/sock-diag-json"]
    assert ev.failure is None and ev.argv[:2] == ("netlink", "nspath")


def test_the_published_port_is_docker_proxys_on_the_host(live: Live) -> None:
    if docker_engine.DockerApi(environment={"DOCKER_HOST": live.kit.host}).get("/info").failure is not None:
        pytest.skip("engine went away")
    records = json.loads(sock_diag.listeners().stdout)
    held = [p["name"] for r in records if r["port"] == live.port for p in r["processes"]]
    if not held and any(r["port"] == live.port for r in records):
        pytest.fail(f"a listener on {live.port} without its process: {records}")
    if not any(r["port"] == live.port for r in records):
        pytest.skip("this engine publishes without docker-proxy (userland-proxy off)")
    assert set(held) == {"docker-proxy"}


def test_names_differ_by_vantage(live: Live) -> None:
    web, cli, far = (live.kit.name(s) for s in ("web", "cli", "far"))
    address = live.kit.address("web", "a")
    from_cli = [r for r in resolve(live.atlas, web, f"container:{cli}") if r.source == "docker-dns"]
    assert [str(a) for r in from_cli for a in r.addresses] == [address]
    # from far (another network) the embedded DNS gives nothing for web: asked, no address
    from_far = [r for r in live.atlas.names if r.name == web and r.vantage == f"container:{far}"]
    assert [(r.source, r.addresses) for r in from_far] == [("docker-dns", ())]
    assert not resolve(live.atlas, web, f"container:{far}")
    # asked from inside: through the container's own resolv.conf, of 127.0.0.11
    ev = live.evidence[f"container:{cli}/dns-answers"]
    assert ev.argv[:4] == ("dns", "nspath", ev.argv[2], "@127.0.0.11") and ev.argv[2].endswith("/ns/net")


def test_a_name_the_server_is_slow_on_costs_no_other_answer(live: Live) -> None:
    cli = live.kit.name("cli")
    records = json.loads(live.evidence[f"container:{cli}/dns-answers"].data)
    by_name = {(r["name"], r["rdtype"]): r for r in records}
    # host.docker.internal is unknown to a Linux engine and its upstream (127.0.0.1 inside) never answers
    assert by_name[("host.docker.internal", "A")]["status"] in ("timeout", "SERVFAIL")
    assert by_name[(live.kit.name("web"), "A")]["status"] == "NOERROR"
    assert not any(r.get("skipped") for r in records)


def test_created_and_exited_containers_are_shown_as_such(live: Live) -> None:
    nodes = {n.name: n for n in live.atlas.nodes}
    created, exited = nodes[live.kit.name("created")], nodes[live.kit.name("exited")]
    assert (created.state, exited.state) == ("created", "exited")
    assert not [a for n in (created, exited) for i in n.interfaces for a in i.addresses]
    assert not [f for f in live.atlas.forwards if f.listen_port == live.created_port]
    assert [f.listen_port for f in live.atlas.forwards if f.target_node == f"node:container:{live.kit.name('web')}"]
    assert nodes[live.kit.name("web")].state == "running"


@pytest.mark.skipif(os.geteuid() != 0, reason="reading other processes' namespaces needs root")
def test_no_source_of_ours_failed(live: Live) -> None:
    failed = {k: e.failure for k, e in live.evidence.items() if e.failure is not None}
    assert failed == {}
