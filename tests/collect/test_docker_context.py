"""The Docker Engine a scan asks is the one the ``docker`` CLI uses: DOCKER_HOST, then contexts.

Context files follow the docker CLI's store (``tests/fixtures/collect/docker-context``:
Docker Desktop for Linux's ``desktop-linux`` context, verbatim). The engine itself is a
stand-in HTTP server on a Unix socket in the test's own folder, answering with the
engine's recorded ``/info``; no other socket or network is touched.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socketserver
import threading
from collections.abc import Iterator
from hashlib import sha256
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from netatlas.collect import docker_context, docker_engine
from netatlas.collect.runner import SubprocessRunner

pytest.importorskip("docker")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "collect"
DESKTOP = FIXTURES / "docker-context" / "desktop-linux"
INFO = FIXTURES / "docker-engine" / "linux-20.10-web-db" / "info.json"
DESKTOP_SOCKET = "unix:///home/jan/.docker/desktop/docker.sock"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DOCKER_* variables; HOME is an empty folder (no ~/.docker of this machine)."""
    for var in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _config(folder: Path, current: str | None, contexts: dict[str, str]) -> Path:
    """A DOCKER_CONFIG folder as the docker CLI writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"auths": {}, **({"currentContext": current} if current else {})}))
    for name, host in contexts.items():
        meta = folder / "contexts" / "meta" / sha256(name.encode()).hexdigest()
        meta.mkdir(parents=True)
        doc = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}
        (meta / "meta.json").write_text(json.dumps(doc, separators=(",", ":")))
    return folder


def test_desktop_linux_context_is_followed(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(DESKTOP))
    ep = docker_context.resolve()
    assert (ep.host, ep.chosen_by, ep.context, ep.error, ep.remote) == (
        DESKTOP_SOCKET,
        "context desktop-linux",
        "desktop-linux",
        None,
        False,
    )


def test_precedence_is_the_docker_clis(clean_env: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path / "cfg", "colima", {"colima": "unix:///c.sock", "remote": "ssh://dev@build.example"})
    at = {"DOCKER_CONFIG": str(cfg)}
    assert docker_context.resolve(at).host == "unix:///c.sock"  # currentContext
    ep = docker_context.resolve({**at, "DOCKER_CONTEXT": "remote"})
    assert (ep.host, ep.chosen_by, ep.remote) == ("ssh://dev@build.example", "DOCKER_CONTEXT=remote", True)
    assert docker_context.resolve({**at, "DOCKER_CONTEXT": "default"}).host is None  # the default socket
    ep = docker_context.resolve({**at, "DOCKER_HOST": "tcp://10.0.0.5:2375", "DOCKER_CONTEXT": "remote"})
    assert (ep.host, ep.chosen_by, ep.context) == ("tcp://10.0.0.5:2375", "DOCKER_HOST", None)  # DOCKER_HOST first


def test_no_config_at_all_is_the_default(clean_env: Path) -> None:
    assert docker_context.resolve({}) == docker_context.Endpoint(None, "default")
    (clean_env / ".docker").mkdir()
    (clean_env / ".docker" / "config.json").write_text('{"auths": {"ghcr.io": {}}}')  # after docker login
    assert docker_context.resolve({}) == docker_context.Endpoint(None, "default")


def test_the_store_is_the_config_folders_never_the_working_directorys(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a config.json the SDK would read ./contexts: any folder could redirect the scan."""
    cfg = tmp_path / "cfg"
    _config(cfg, None, {"work": "tcp://192.0.2.10:2376"})
    (cfg / "config.json").unlink()  # a context store with no config.json beside it
    planted = tmp_path / "elsewhere"
    _config(planted, None, {"work": "tcp://198.51.100.66:2375"})
    monkeypatch.chdir(planted)
    ep = docker_context.resolve({"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": "work"})
    assert ep.host == "tcp://192.0.2.10:2376"


def test_contexts_of_older_clis_and_tls_settings(clean_env: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path / "cfg", None, {})
    meta = cfg / "contexts" / "meta" / sha256(b"old").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(  # docker CLI 19.03: a StackOrchestrator and a kubernetes endpoint
        '{"Name":"old","Metadata":{"StackOrchestrator":"all"},"Endpoints":{'
        '"docker":{"Host":"tcp://192.0.2.7:2376","SkipTLSVerify":true},'
        '"kubernetes":{"Host":"https://192.0.2.7:6443","SkipTLSVerify":false}}}'
    )
    ep = docker_context.resolve({"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": "old"})
    assert ep.host == "tcp://192.0.2.7:2376" and ep.error is None  # the docker endpoint, not kubernetes
    assert ep.tls is not None and ep.tls.verify is False  # TLS without verification, as the CLI speaks it
    tls = cfg / "contexts" / "tls" / sha256(b"ca-only").hexdigest() / "docker"
    tls.mkdir(parents=True)
    (tls / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    _config(cfg, None, {"ca-only": "tcp://192.0.2.8:2376"})
    ep = docker_context.resolve({"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": "ca-only"})
    assert ep.tls is not None and ep.tls.verify == str(tls / "ca.pem")


def test_missing_and_corrupt_contexts_are_errors(clean_env: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path / "cfg", "gone", {"broken": "unix:///b.sock"})
    at = {"DOCKER_CONFIG": str(cfg)}
    ep = docker_context.resolve(at)
    assert ep.host is None and ep.error is not None and "'gone'" in ep.error and "does not exist" in ep.error
    (cfg / "contexts" / "meta" / sha256(b"broken").hexdigest() / "meta.json").write_text("{")
    ep = docker_context.resolve({**at, "DOCKER_CONTEXT": "broken"})
    assert ep.error is not None and "cannot be read" in ep.error
    api = docker_engine.DockerApi(environment={**at, "DOCKER_CONTEXT": "broken"})
    assert api.installed()  # a context says there is an engine; its trouble is recorded
    res = api.get("/info")
    assert res.failure is not None and res.failure.code == "error" and "broken" in res.failure.message
    (cfg / "config.json").write_text("{not json")
    ep = docker_context.resolve(at)
    assert ep.error is not None and "config.json cannot be read" in ep.error


def test_a_stale_context_is_daemon_down_and_named(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(DESKTOP))
    api = docker_engine.DockerApi(timeout=2)
    assert api.installed()  # no /var/run/docker.sock needed: the context names the engine
    res = api.get("/info")
    assert res.failure is not None and res.failure.code == "daemon-down"
    assert f"docker context 'desktop-linux': {DESKTOP_SOCKET}" in res.failure.message


# --------------------------------------------------------------------------- a stand-in engine


class _Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    routes: dict[str, bytes]
    asked: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Engine

    def do_GET(self) -> None:
        self.server.asked.append(self.path)
        path = self.path.split("?")[0]
        body = self.server.routes.get(path)
        if body is None:
            self.send_response(404)
            body = b'{"message":"page not found"}'
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:  # a Unix socket's peer has no address
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


CID = "4f1c" + "0" * 60


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Path, _Engine]]:
    """A Unix-socket engine answering /version, /info and one running container."""
    sock = tmp_path / "docker.sock"
    server = _Engine(str(sock), _Handler)
    info = json.loads(INFO.read_bytes())
    container = {
        "Id": CID,
        "Name": "/web",
        "State": {"Status": "running", "Running": True, "Pid": os.getpid()},
        "HostConfig": {"NetworkMode": "bridge"},
        "NetworkSettings": {"Networks": {}},
    }
    server.routes = {
        "/version": json.dumps({"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24"}).encode(),
        "/v1.41/info": json.dumps(info).encode(),
        "/v1.41/networks": b"[]",
        "/v1.41/containers/json": json.dumps([{"Id": CID, "Names": ["/web"], "State": "running"}]).encode(),
        f"/v1.41/containers/{CID}/json": json.dumps(container).encode(),
    }
    server.asked = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield sock, server
    finally:
        server.shutdown()
        server.server_close()


def _kernel(server: _Engine, kernel: str) -> None:
    info = json.loads(server.routes["/v1.41/info"])
    info["KernelVersion"] = kernel
    server.routes["/v1.41/info"] = json.dumps(info).encode()


@pytest.mark.skipif(platform.system() != "Linux", reason="Unix-socket engine and /proc: Linux")
def test_the_contexts_engine_is_asked(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: tuple[Path, _Engine]
) -> None:
    sock, server = engine
    cfg = _config(tmp_path / "cfg", "colima", {"colima": f"unix://{sock}"})
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    res = docker_engine.DockerApi(timeout=5).get("/info")
    assert res.failure is None and res.stdout == server.routes["/v1.41/info"]  # the body byte for byte
    assert server.asked[-1] == "/v1.41/info"


@pytest.mark.skipif(platform.system() != "Linux" or shutil.which("docker") is None, reason="needs Linux")
@pytest.mark.parametrize(("same_kernel", "channel"), [(True, None), (False, "docker-exec")])
def test_an_engine_on_another_kernel_is_entered_by_docker_exec(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    engine: tuple[Path, _Engine],
    same_kernel: bool,
    channel: str | None,
) -> None:
    """Its State.Pid names a process of its own kernel, never one of ours.

    The container's Pid is this test's own process. On this kernel, that process is
    checked and is not the container's, so there is no vantage; on another kernel
    (a VM behind the context's socket) it is never looked up here, and the container
    is entered with ``docker exec`` instead.
    """
    sock, server = engine
    _kernel(server, platform.release() if same_kernel else "6.6.32-colima")
    cfg = _config(tmp_path / "cfg", "colima", {"colima": f"unix://{sock}"})
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    plans = docker_engine.plan(SubprocessRunner(), system="Linux")
    web = [p for p in plans if p.vantage.id == "container:web"]
    assert [p.vantage.channel for p in web] == ([channel] if channel else [])
    assert plans[0].vantage.id == docker_engine.ENGINE


def test_without_any_docker_config_the_sdk_is_not_imported(clean_env: Path) -> None:
    """Most scans run where no context can be current; importing the SDK costs ~0.1 s."""
    import subprocess
    import sys

    code = (
        "import sys; from netatlas.collect import docker_context as d; "
        "print(d.resolve().chosen_by, 'docker' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["default", "False"]


def test_an_ssh_context_uses_the_ssh_binary_like_the_cli(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import docker

    cfg = _config(tmp_path / "cfg", "build", {"build": "ssh://dev@build.example"})
    asked: dict[str, object] = {}

    def client(**kwargs: object) -> object:
        asked.update(kwargs)
        raise docker.errors.DockerException("stand-in: nothing is contacted")

    monkeypatch.setattr(docker, "APIClient", client)
    res = docker_engine.DockerApi(environment={"DOCKER_CONFIG": str(cfg)}).get("/info")
    assert asked["base_url"] == "ssh://dev@build.example" and asked["use_ssh_client"] is True
    assert res.failure is not None and "docker context 'build'" in res.failure.message


@pytest.mark.skipif(platform.system() != "Linux", reason="Unix-socket engine: Linux")
def test_an_http_error_names_the_context_too(clean_env: Path, tmp_path: Path, engine: tuple[Path, _Engine]) -> None:
    sock, _server = engine
    cfg = _config(tmp_path / "cfg", "colima", {"colima": f"unix://{sock}"})
    res = docker_engine.DockerApi(timeout=5, environment={"DOCKER_CONFIG": str(cfg)}).get("/plugins")
    assert res.failure is not None and "HTTP 404" in res.failure.message
    assert f"docker context 'colima': unix://{sock}" in res.failure.message


# --------------------------------------------------------------------------- no engine here: no vantage


@pytest.mark.parametrize(
    ("system", "present", "expected"),
    [
        ("Windows", set(), False),
        ("Windows", {"\\\\.\\pipe\\docker_engine"}, True),
        ("Windows", {"\\\\.\\pipe\\dockerDesktopLinuxEngine"}, True),
        ("Windows", {"C:\\Program Files\\Docker\\Docker\\resources\\bin\\docker.exe"}, True),
        ("Windows", {"C:\\Users\\joe\\docker.exe"}, False),  # only in the current folder: not a CLI on PATH
        ("Darwin", set(), False),
        ("Darwin", {"/Users/joe/.docker/run/docker.sock"}, True),
        ("Darwin", {"/var/run/docker.sock"}, True),
        ("Darwin", {"/opt/homebrew/bin/docker"}, True),
    ],
)
def test_an_engine_is_planned_only_with_its_pipe_socket_or_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, system: str, present: set[str], expected: bool
) -> None:
    from netatlas.collect import docker_engine, runner

    monkeypatch.setattr(docker_engine, "_exists", lambda p: p in present)
    monkeypatch.setattr(runner, "_is_file", lambda p: p in present)
    path = (
        ".;C:\\Program Files\\Docker\\Docker\\resources\\bin;C:\\Windows\\System32"
        if system == "Windows"
        else ".:/opt/homebrew/bin:/usr/bin"
    )
    env = {"PATH": path, "HOME": "/Users/joe", "DOCKER_CONFIG": str(tmp_path)}  # no context, no DOCKER_HOST
    for k in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        monkeypatch.delenv(k, raising=False)
    assert docker_engine.DockerApi(environment=env).installed(system) is expected
    monkeypatch.setattr(docker_engine.os, "environ", env)
    plans = docker_engine.plan(SubprocessRunner(), system=system) if not expected else None
    assert plans in ([], None)  # nothing to map, not a failed connection to an engine that is not there
