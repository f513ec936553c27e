"""Docker Engine collector: recorded API responses through the replay seam, real SDK failures."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import docker_engine
from netatlas.collect.docker_engine import DockerApi, ReplayApi, classify_error, plan
from netatlas.collect.names import SPECIAL_NAMES
from netatlas.collect.runner import ReplayRunner, Result
from netatlas.model import Failure
from netatlas.parsers import parse

RECORDED = Path(__file__).parent.parent / "fixtures" / "collect" / "docker-engine" / "linux-20.10-web-db"
WEB_ID = "6170501d5af5d15a59bd313f4c61bddcc7129b7c6eec7d557b9a7c5af55fdb9b"


def _bundle(runner: ReplayRunner, api: ReplayApi, **kw: object) -> Bundle:
    plans = plan(runner, api, **kw)  # type: ignore[arg-type]
    evidence = []
    for p in plans:
        for s in p.sources:
            ev = s.evidence(p.vantage.id, s.get(runner))
            if not (s.optional and ev.failure is not None and ev.failure.code == "not-installed"):
                evidence.append(ev)
    return Bundle(vantages=tuple(p.vantage for p in plans), evidence=tuple(evidence))


def test_replayed_engine_gives_one_evidence_per_object_parsed_by_existing_parsers() -> None:
    api = ReplayApi.from_dir(RECORDED)
    b = _bundle(ReplayRunner(), api, system="Linux", namespaces=False)
    assert [v.id for v in b.vantages] == ["docker-engine"]
    by_id = {e.id: e for e in b.evidence}
    assert set(by_id) == {
        "docker-engine/info",
        "docker-engine/network/none",
        "docker-engine/network/host",
        "docker-engine/network/bridge",
        "docker-engine/network/demo_default",
        "docker-engine/container/web",
        "docker-engine/container/db",
        "docker-engine/container/stopped",
        "docker-engine/container/hostnet",
    }
    web = by_id["docker-engine/container/web"]
    assert web.argv == ("api", f"GET /containers/{WEB_ID}/json")
    assert web.data == (RECORDED / "container-web.json").read_bytes()  # byte for byte
    assert by_id["docker-engine/network/bridge"].argv[1].endswith("?verbose=true")
    for ev in b.evidence:
        assert ev.failure is None
        parse(ev.kind, ev.data, source=ev.id)  # the existing parsers read the raw API bodies
    # the list calls only name what to inspect: each network and container is seen once
    assert "GET /networks" in api.calls and "GET /containers/json?all=1" in api.calls


def test_replayed_engine_on_the_map() -> None:
    b = _bundle(ReplayRunner(), ReplayApi.from_dir(RECORDED), system="Linux", namespaces=False)
    atlas = build_atlas(b, analyze=False)
    assert atlas.settings["server_version"] == "20.10.24+dfsg1"
    net = atlas.network("net:192.168.176.0/24")
    assert net is not None
    got = {(a.node, str(a.address)) for a in net.attachments}
    assert ("node:container:db", "192.168.176.2") in got and ("node:container:web", "192.168.176.3") in got
    fwd = [f for f in atlas.forwards if f.via == "docker-publish"]
    assert [(f.listen_port, f.connect_port, f.target_node) for f in fwd] == [(8080, 80, "node:container:web")]
    assert not atlas.problems


def test_running_container_becomes_a_vantage_only_when_its_process_is_here() -> None:
    api = ReplayApi.from_dir(RECORDED)
    cgroup = f"12:pids:/docker/{WEB_ID}\n0::/system.slice/containerd.service\n".encode()
    rr = ReplayRunner(files={"/proc/24608/cgroup": cgroup, "/proc/24689/cgroup": b"0::/user.slice\n"})
    plans = plan(rr, api, system="Linux", namespaces=True)
    ids = [p.vantage.id for p in plans]
    # web: its cgroup names it; db: pid 24689 here is another process; hostnet: host network;
    # stopped: no process
    assert ids == ["docker-engine", "container:web"]
    web = plans[1]
    assert web.vantage.parent == "docker-engine" and web.vantage.channel == "netns"
    assert [s.id for s in web.sources] == [
        "container:web/ip-addr-json",
        "container:web/ip-route-json",
        "container:web/sock-diag-json",
        "container:web/resolv-conf",
        "container:web/hosts",
        "container:web/iptables-save",
        "container:web/ip6tables-save",
        "container:web/nft-json",
        "container:web/dns-answers",
    ]
    assert web.sources[3].get(rr).argv == ("read", "/proc/24608/root/etc/resolv.conf")
    # its packet filter: the host's commands, run inside its namespace through the runner
    assert web.sources[5].get(rr).argv == ("nsenter", "--net=/proc/24608/ns/net", "iptables-save")
    assert web.sources[7].get(rr).argv == ("nsenter", "--net=/proc/24608/ns/net", "nft", "-j", "list", "ruleset")
    assert web.sources[2].get(rr).argv[:3] == ("netlink", "nspath", "/proc/24608/ns/net")
    # names: asked from inside, of the resolver in the container's own resolv.conf, through the runner
    rr.files["/proc/24608/root/etc/resolv.conf"] = b"nameserver 127.0.0.11\noptions ndots:0\n"
    rr.dns[("/proc/24608/ns/net", "127.0.0.11", "db", "A")] = {"status": "NOERROR", "addresses": ["172.18.0.3"]}
    dns = web.sources[8].get(rr)
    assert dns.argv[:4] == ("dns", "nspath", "/proc/24608/ns/net", "@127.0.0.11")
    asked = dns.argv[dns.argv.index("--") + 1 :]
    assert asked[:5] == (
        "localhost",
        "host.docker.internal",
        "gateway.docker.internal",
        "kubernetes.docker.internal",
        "web",
    )
    assert ("dns", "/proc/24608/ns/net", "127.0.0.11", "db", "A") in rr.calls
    assert {"status": "NOERROR", "addresses": ["172.18.0.3"]} in json.loads(dns.stdout)


def test_not_on_linux_no_container_vantages_and_no_daemon_json() -> None:
    plans = plan(ReplayRunner(), ReplayApi.from_dir(RECORDED), system="Windows")
    assert [p.vantage.id for p in plans] == ["docker-engine"]
    assert not any(s.kind == "daemon-json" for s in plans[0].sources)


def test_daemon_json_is_read_on_linux() -> None:
    rr = ReplayRunner(files={"/etc/docker/daemon.json": b'{"bip": "192.168.1.1/24"}\n'})
    b = _bundle(rr, ReplayApi.from_dir(RECORDED), system="Linux", namespaces=False)
    ev = next(e for e in b.evidence if e.kind == "daemon-json")
    assert ev.argv == ("read", "/etc/docker/daemon.json") and ev.failure is None


def test_daemon_down_is_one_recorded_failure() -> None:
    down = Failure("daemon-down", "Docker API: Error while fetching server API version: ...")
    api = ReplayApi({}, default=down)
    b = _bundle(ReplayRunner(), api, system="Linux")
    assert [e.id for e in b.evidence] == ["docker-engine/info"]
    assert b.evidence[0].failure == down
    assert api.calls == ["GET /info"]  # nothing more is asked of a daemon that is down
    atlas = build_atlas(b, analyze=False)
    assert [p.code for p in atlas.problems] == ["daemon-down"]


def test_failing_list_and_vanished_object_are_recorded() -> None:
    responses: dict[str, bytes | Result] = {
        "GET /info": (RECORDED / "info.json").read_bytes(),
        "GET /networks": Result(("api", "GET /networks"), failure=Failure("timeout", "Docker API: Read timed out")),
        "GET /containers/json?all=1": json.dumps([{"Id": "abc", "Names": ["/gone"], "State": "exited"}]).encode(),
    }
    b = _bundle(ReplayRunner(), ReplayApi(responses), system="Linux")
    by_id = {e.id: e for e in b.evidence}
    assert by_id["docker-engine/networks"].failure.code == "timeout"  # type: ignore[union-attr]
    assert by_id["docker-engine/container/gone"].failure.code == "error"  # type: ignore[union-attr]
    assert "HTTP 404" in by_id["docker-engine/container/gone"].failure.message  # type: ignore[union-attr]


def test_no_docker_at_all_means_no_engine_vantage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_engine, "_DEFAULT_SOCKET", "/nonexistent/netatlas/docker.sock")
    monkeypatch.setattr(docker_engine.platform, "system", lambda: "Linux")
    assert plan(ReplayRunner()) == []


# ---------------------------------------------------------------- the real SDK, no engine


def test_real_sdk_missing_socket_is_daemon_down(tmp_path: Path) -> None:
    api = DockerApi(timeout=2, environment={"DOCKER_HOST": f"unix://{tmp_path}/docker.sock"})
    res = api.get("/info")
    assert res.argv == ("api", "GET /info")
    assert res.failure is not None and res.failure.code == "daemon-down", res.failure
    assert "Error while fetching server API version" in res.failure.message
    plans = plan(ReplayRunner(), api, system="Linux")
    assert plans[0].sources[0].fetched is not None
    assert plans[0].sources[0].fetched.failure.code == "daemon-down"  # type: ignore[union-attr]


def test_real_sdk_refused_socket_is_daemon_down(tmp_path: Path) -> None:
    path = f"{tmp_path}/docker.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()  # the file stays, nobody listens: ECONNREFUSED, as after dockerd crashed
    res = DockerApi(timeout=2, environment={"DOCKER_HOST": f"unix://{path}"}).get("/info")
    assert res.failure is not None and res.failure.code == "daemon-down", res.failure


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and never answers."""
    path = f"{tmp_path}/docker.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield path
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def test_real_sdk_silent_engine_is_timeout(silent_socket: str) -> None:
    res = DockerApi(timeout=1, environment={"DOCKER_HOST": f"unix://{silent_socket}"}).get("/info")
    assert res.failure is not None and res.failure.code == "timeout", res.failure


def test_error_classification() -> None:
    import docker.errors
    import requests

    def wrapped(cause: BaseException) -> BaseException:
        try:
            try:
                raise requests.exceptions.ConnectionError(("Connection aborted.", cause))
            except requests.exceptions.ConnectionError as e:
                raise docker.errors.DockerException(f"Error while fetching server API version: {e}") from e
        except docker.errors.DockerException as exc:
            return exc

    assert classify_error(wrapped(PermissionError(13, "Permission denied"))).code == "permission-denied"
    assert classify_error(wrapped(FileNotFoundError(2, "No such file or directory"))).code == "daemon-down"
    assert classify_error(wrapped(ConnectionRefusedError(111, "Connection refused"))).code == "daemon-down"
    assert classify_error(requests.exceptions.ReadTimeout("Read timed out. (read timeout=1)")).code == "timeout"
    assert classify_error(ValueError("something else")).code == "error"


def test_no_sdk_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_docker(name: str, *a: object, **k: object) -> object:
        if name == "docker":
            raise ImportError("no docker")
        return real_import(name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_docker)
    res = DockerApi(environment={"DOCKER_HOST": "tcp://127.0.0.1:9"}).get("/info")
    assert res.failure == Failure("unsupported", "the 'docker' Python package is not installed")
    # an engine on a unix socket needs no SDK: it is asked (and here, missing)
    res = DockerApi(environment={"DOCKER_HOST": "unix:///nonexistent"}).get("/info")
    assert res.failure is not None and res.failure.code == "daemon-down"


def test_module_imports_no_sdk_at_import_time() -> None:
    src = Path(docker_engine.__file__).read_text()
    top = src.split("\nclass ", 1)[0]
    assert "import docker" not in top and "import pyroute2" not in top
    assert os.path.basename(docker_engine.__file__) == "docker_engine.py"


def test_names_asked_from_a_container_are_its_peers_first_then_the_others() -> None:
    from netatlas.collect.docker_engine import MAX_NAMES, names_to_ask

    def cont(name: str, *nets: str) -> dict[str, object]:
        return {"Names": [f"/{name}"], "NetworkSettings": {"Networks": {n: {} for n in nets}}}

    conts = [cont("web", "app"), cont("db", "app", "back"), cont("def", "bridge"), cont("far", "back")]
    details = {"db": {"NetworkSettings": {"Networks": {"app": {"Aliases": ["database", "0123456789ab"]}}}}}
    asked = names_to_ask(conts, details)
    # web shares app with db (and its compose-style alias), then everyone else; no short-id alias
    assert asked["web"] == [*SPECIAL_NAMES, "web", "database", "db", "def", "far"]
    # the default bridge has no embedded DNS: no peers, only the others' names
    assert asked["def"] == [*SPECIAL_NAMES, "def", "db", "far", "web"]
    many = [cont(f"c{i:03}", "big") for i in range(100)]
    assert all(len(v) == MAX_NAMES for v in names_to_ask(many).values())


def test_local_engine_transport_skips_proxy_lookups() -> None:
    """A socket/pipe/ssh engine's session reads no proxy variables or .netrc per call; tcp:// keeps them."""
    from types import SimpleNamespace

    from netatlas.collect.docker_engine import _local_transport

    local = SimpleNamespace(base_url="http+docker://localhost", trust_env=True)
    _local_transport(local)
    assert local.trust_env is False
    remote = SimpleNamespace(base_url="https://10.0.0.5:2376", trust_env=True)
    _local_transport(remote)
    assert remote.trust_env is True


@pytest.mark.skipif(
    not os.environ.get("NETATLAS_TEST_DOCKER_HOST", "").startswith("unix://"), reason="needs a unix socket engine"
)
def test_unix_socket_answers_are_the_sdks_bytes() -> None:
    """On a unix socket the standard library's http.client asks, and the engine's bytes are the SDK's."""
    import docker

    from netatlas.collect.docker_engine import UnixSocketApi

    host = os.environ["NETATLAS_TEST_DOCKER_HOST"]
    api = DockerApi(environment={"DOCKER_HOST": host})
    assert isinstance(api._api(), UnixSocketApi)
    sdk = docker.APIClient(base_url=host)
    try:
        assert api._api().api_version == sdk.api_version
        for path, params in (("/version", None), ("/_ping", None), ("/nothing-here", None)):
            ours = api.get(path, params)
            theirs = sdk.get(f"{sdk.base_url}/v{sdk.api_version}{path}", params=params)
            if theirs.status_code < 400:
                assert ours.failure is None and ours.stdout == theirs.content
            else:
                assert ours.failure is not None and ours.stderr == theirs.content
                assert f"HTTP {theirs.status_code}" in ours.failure.message
        # lists come in the engine's map order, which changes between calls: compared as sets
        for path, params in (("/networks", None), ("/containers/json", {"all": "1"})):
            ours = api.get(path, params)
            theirs = sdk.get(f"{sdk.base_url}/v{sdk.api_version}{path}", params=params)
            assert ours.failure is None and ours.argv == ("api", f"GET {path}" + ("?all=1" if params else ""))
            assert {x["Id"] for x in json.loads(ours.stdout)} == {x["Id"] for x in theirs.json()}
    finally:
        sdk.close()
