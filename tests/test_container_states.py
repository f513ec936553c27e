"""Created, exited and stopped containers on the map: no forwards, no addresses, their state said.

From real ``docker inspect`` output (dockerd 20.10) of a running container publishing
38080, a never-started one created with ``-p 39999:80``, and one that exited.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.model import Evidence, Vantage, VantageKind
from netatlas.model.atlas import Atlas
from netatlas.render.atlas_text import lines

INSPECT = Path(__file__).parent / "fixtures" / "parsers" / "docker-inspect" / "linux-20.10-created-exited-running.out"


def _atlas() -> Atlas:
    engine = Vantage("docker-engine", VantageKind.DOCKER_ENGINE, "Docker Engine", parent=None, channel="docker-api")
    ev = Evidence(
        id="docker-engine/containers",
        vantage="docker-engine",
        kind="docker-inspect",
        argv=("docker", "inspect", "col-created", "col-exited", "col-web"),
        data=INSPECT.read_bytes(),
    )
    return build_atlas(Bundle(vantages=(engine,), evidence=(ev,)))


def test_only_the_running_container_publishes() -> None:
    atlas = _atlas()
    fwd = [(f.listen_port, f.target_node) for f in atlas.forwards]
    assert fwd == [(38080, "node:container:col-web"), (38080, "node:container:col-web")]  # 0.0.0.0 and ::


def test_not_running_containers_hold_no_address_and_say_their_state() -> None:
    atlas = _atlas()
    nodes = {n.name: n for n in atlas.nodes}
    assert nodes["col-web"].state == "running"
    assert [str(a.address) for i in nodes["col-web"].interfaces for a in i.addresses] == ["192.168.16.2"]
    for name, state in (("col-created", "created"), ("col-exited", "exited")):
        assert nodes[name].state == state
        assert not [a for i in nodes[name].interfaces for a in i.addresses]
    assert "39999->80/tcp only while it runs" in (nodes["col-created"].reason or "")
    held = {a.address for n in atlas.nodes for i in n.interfaces for a in i.addresses}
    assert held == {ipaddress.ip_address("192.168.16.2")}


def test_the_text_map_says_which_containers_are_not_running() -> None:
    text = "\n".join(lines(_atlas()))
    assert "Containers not running:" in text
    assert "    col-created (created): created, not running" in text
    assert "    col-exited (exited): exited, not running" in text
    assert ":39999" not in text  # no forward *:39999 -> ?:80
