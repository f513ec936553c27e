"""The local Docker Engine through its API (the ``docker`` SDK), and its running containers.

Vantages:

* ``docker-engine`` (kind ``docker-engine``, parent ``host``, channel ``docker-api``):
  ``GET /info`` (kind ``docker-info``), one ``GET /networks/{id}?verbose=true`` per
  network (``docker-network-inspect``), one ``GET /containers/{id}/json`` per
  container (``docker-inspect``), and on Linux ``/etc/docker/daemon.json``
  (``daemon-json``, optional).
* ``container:<name>`` (kind ``container``, parent ``docker-engine``, channel
  ``netns``) for each running container whose namespace is reachable from here
  (Linux, the engine's ``State.Pid`` is this container's process here, not the host
  network): its own interfaces, routes, listeners, ``resolv.conf`` and ``hosts``, read
  by :mod:`netatlas.collect.containers`, and the answers of its own resolver (Docker's
  embedded DNS at 127.0.0.11 answers only from inside) for the names that matter
  there (:func:`names_to_ask`). Containers that share another's namespace
  (``--network host`` / ``container:X``) get no vantage of their own; the engine's
  inspect still puts them on the map.
* ``container:<name>`` (channel ``docker-exec``) for each running container whose
  namespace cannot be read here: every one when the engine runs elsewhere (Windows
  and macOS, Docker Desktop on Linux, a ``tcp://``/``ssh://`` engine, an engine on
  another kernel such as Colima's VM), and on Linux each one whose process is missing
  here (``/proc/PID`` gone). They are entered
  with ``docker exec`` (:mod:`netatlas.collect.docker_exec`), at most ``exec_limit``
  of them; not for Windows containers (no ``cat``, no ``ip``).

The engine vantage's parent is ``docker-desktop`` on Windows when the engine is
Docker Desktop's WSL 2 backend (``/info`` says ``OperatingSystem: Docker Desktop``
and a ``…-microsoft-standard-WSL2`` kernel): the engine runs in that distro, which
:mod:`netatlas.collect.windows` scans as the ``docker-desktop`` vantage. Otherwise it
is ``host``.

Evidence is the API's response body byte for byte (``response.content`` of a plain
``GET`` on the SDK's HTTP session), with argv ``("api", "GET /path?query")``. The
list calls (``GET /networks``, ``GET /containers/json?all=1``) only say what to inspect;
everything they name is inspected, so they are not kept (their smaller
representation would give every network and container twice). The list's failure,
when it fails, is kept.

The API is not a command, so it cannot go through the
:class:`~netatlas.collect.runner.Runner`; :class:`ApiClient` is the seam instead:
:class:`DockerApi` is the real one (on a unix socket the standard library's
``http.client``, :class:`UnixSocketApi`; otherwise the SDK, imported lazily),
:class:`ReplayApi` answers from recorded responses. SDK, socket and HTTP errors become failures:
``daemon-down`` (socket missing or refusing, "Error while fetching server API
version"), ``permission-denied`` (the socket's group), ``timeout``, ``error`` (an
HTTP error status), ``unsupported`` (no SDK, for an engine that needs it). The engine is the one the ``docker``
CLI uses: ``DOCKER_HOST``, else the current context (:mod:`netatlas.collect.docker_context`),
and a failure names that context. With neither, and no ``/var/run/docker.sock``,
Docker is simply not installed and there is no engine vantage at all.
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from netatlas.collect import containers, docker_context, docker_exec, names
from netatlas.collect.base import Planned, Source
from netatlas.collect.docker_context import Endpoint
from netatlas.collect.runner import Result, Runner, SubprocessRunner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "ENGINE",
    "PLATFORMS",
    "PRODUCES",
    "ApiClient",
    "DockerApi",
    "ReplayApi",
    "classify_error",
    "default_api",
    "names_to_ask",
    "plan",
]

PRODUCES = (
    "docker-info",
    "docker-network-inspect",
    "docker-inspect",
    "daemon-json",
    "ip-addr-json",
    "ip-route-json",
    "sock-diag-json",
    "dns-answers-json",
    "resolv-conf",
    "hosts",
)
PLATFORMS = ("Linux", "Windows", "Darwin")
ENGINE = "docker-engine"
"""The engine vantage's id."""
DOCKER_DESKTOP_VANTAGE = "docker-desktop"
"""The vantage :mod:`netatlas.collect.windows` makes of Docker Desktop's WSL distro."""

MAX_NAMES = 24
"""Names asked from inside one container at most (each asked for A and AAAA)."""
DEFAULT_API_TIMEOUT = 5.0
_DEFAULT_SOCKET = "/var/run/docker.sock"
_WINDOWS_PIPES = ("\\\\.\\pipe\\docker_engine", "\\\\.\\pipe\\dockerDesktopLinuxEngine")
"""The engine's named pipes on Windows: ``docker_engine`` (the default ``DOCKER_HOST``,
``npipe:////./pipe/docker_engine``) and Docker Desktop's Linux engine (its
``desktop-linux`` context)."""
_MACOS_SOCKETS = ("/var/run/docker.sock", "~/.docker/run/docker.sock")
"""Where a macOS engine listens: the system socket Docker Desktop links when allowed,
and Docker Desktop's per-user socket (4.13+), which its ``desktop-linux`` context names."""


def _exists(path: str) -> bool:
    """A socket, pipe or file at ``path`` (a named pipe answers ``os.stat`` on Windows)."""
    return os.path.lexists(path)


def engine_present(system: str, env: Mapping[str, str]) -> bool:
    """Whether anything on this machine says a Docker engine is here.

    Linux: the default socket. Windows: the engine's named pipe or the ``docker``
    CLI on ``PATH``. macOS: the system or Docker Desktop's socket, or the CLI. A
    machine with none of these gets no engine vantage, rather than one whose only
    news is a failed connection.
    """
    if system == "Linux":
        return _exists(_DEFAULT_SOCKET)
    path = next((v for k, v in env.items() if k.upper() == "PATH"), "")
    if system == "Windows":
        from netatlas.collect.runner import windows_program

        pathext = next((v for k, v in env.items() if k.upper() == "PATHEXT"), None)
        return any(_exists(p) for p in _WINDOWS_PIPES) or windows_program("docker", path, pathext) is not None
    home = env.get("HOME") or str(Path.home())
    sockets = [s.replace("~", home, 1) for s in _MACOS_SOCKETS]
    cli = [str(Path(d) / "docker") for d in path.split(os.pathsep) if d.startswith("/")]  # never the current folder
    return any(_exists(p) for p in sockets + cli)


class ApiClient(Protocol):
    """One ``GET`` on the Engine API; the failure is in the result, never raised."""

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Result:
        """``GET path?params``; ``Result.stdout`` is the body byte for byte."""
        ...


def call_argv(path: str, params: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``("api", "GET /path?query")``: how an API call is named in evidence."""
    query = f"?{urlencode(dict(params))}" if params else ""
    return ("api", f"GET {path}{query}")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def classify_error(exc: BaseException) -> Failure:
    """A failure code people can act on, from an SDK, ``requests`` or socket error.

    The SDK wraps the real cause in text ("Error while fetching server API version:
    ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"), so
    both the exception chain and the message are looked at.
    """
    chain = _chain(exc)
    text = " ".join(f"{type(e).__name__} {e}" for e in chain)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if any(isinstance(e, PermissionError) for e in chain) or "Permission denied" in text:
        return Failure("permission-denied", f"Docker API: {first}")
    if any(isinstance(e, TimeoutError) for e in chain) or "Timeout" in text or "timed out" in text:
        return Failure("timeout", f"Docker API: {first}")
    down = (
        "FileNotFoundError",
        "ConnectionRefusedError",
        "Connection refused",
        "No such file or directory",
        "Error while fetching server API version",
        "Connection aborted",
        "The system cannot find the file specified",  # Windows named pipe missing
    )
    if any(isinstance(e, (FileNotFoundError, ConnectionRefusedError)) for e in chain) or any(d in text for d in down):
        return Failure("daemon-down", f"Docker API: {first}")
    return Failure("error", f"Docker API: {first}")


class DockerApi:
    """The real Engine API: ``http.client`` on a unix socket, else the ``docker`` SDK.

    The engine is the one the ``docker`` CLI would use (``DOCKER_HOST``, else the
    current context: :mod:`netatlas.collect.docker_context`). The client is made on
    first use (it asks the engine its API version then, which is where a stopped
    daemon shows). Calls are plain ``GET``s (:class:`UnixSocketApi`'s, or on the SDK's
    ``requests`` session), so the body is kept exactly as the engine sent it. Failures name the context that chose
    the engine, since a stale one is a common cause.

    Args:
        timeout: seconds per call (and for connecting).
        environment: instead of ``os.environ`` (``DOCKER_HOST``, ``DOCKER_CONTEXT``,
            ``DOCKER_TLS_VERIFY`` …).
    """

    def __init__(self, timeout: float = DEFAULT_API_TIMEOUT, environment: Mapping[str, str] | None = None):
        self._timeout = timeout
        self._env = dict(os.environ if environment is None else environment)
        self._client: Any = None
        self._failure: Failure | None = None
        self._where: Endpoint | None = None

    @property
    def endpoint(self) -> Endpoint:
        """Where the engine is, as the ``docker`` CLI would choose it (resolved once)."""
        if self._where is None:
            self._where = docker_context.resolve(self._env)
        return self._where

    def installed(self, system: str | None = None) -> bool:
        """False when nothing says an engine exists: no ``DOCKER_HOST``, no context, and
        no engine socket, pipe or CLI here (:func:`engine_present`)."""
        ep = self.endpoint
        if ep.host is not None or ep.error is not None:
            return True
        return engine_present(system or platform.system(), self._env)

    def _failed(self, failure: Failure) -> Failure:
        ep = self.endpoint
        if ep.context is None:
            return failure
        return Failure(failure.code, f"{failure.message} (docker context {ep.context!r}: {ep.host})")

    def _api(self) -> Any:
        if self._client is None and self._failure is None:
            local = _unix_socket(self.endpoint)
            if local is not None:
                try:
                    self._client = UnixSocketApi(local, max(1.0, self._timeout))
                except Exception as exc:  # socket errors, a malformed /version: classified
                    self._failure = self._failed(classify_error(exc))
                return self._client
            try:
                import docker
            except ImportError:
                self._failure = Failure("unsupported", "the 'docker' Python package is not installed")
                return None
            ep = self.endpoint
            if ep.error is not None:
                self._failure = Failure("error", ep.error)
                return None
            timeout = int(max(1, self._timeout))
            # ssh:// through the ssh binary and ~/.ssh/config, as the docker CLI does (not paramiko)
            ssh = (ep.host or "").startswith("ssh://")
            try:
                if ep.context is None:  # DOCKER_HOST (with its TLS variables) or the default socket
                    self._client = docker.from_env(timeout=timeout, environment=self._env, use_ssh_client=ssh).api
                else:
                    self._client = docker.APIClient(
                        base_url=ep.host, tls=ep.tls or False, timeout=timeout, use_ssh_client=ssh
                    )
            except Exception as exc:  # the SDK raises DockerException, requests or OS errors alike
                self._failure = self._failed(classify_error(exc))
            else:
                _local_transport(self._client)
        return self._client

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Result:
        argv = call_argv(path, params)
        started, t0 = datetime.now(timezone.utc), time.monotonic()
        api = self._api()
        if api is None:
            return Result(argv, started=started, failure=self._failure)
        url = f"{api.base_url}/v{api.api_version}{path}"
        try:
            resp = api.get(url, params=dict(params or {}), timeout=self._timeout)
        except Exception as exc:  # requests/urllib3/socket errors, classified
            fail = self._failed(classify_error(exc))
            return Result(argv, duration_s=time.monotonic() - t0, started=started, failure=fail)
        body: bytes = resp.content
        took = time.monotonic() - t0
        if resp.status_code >= 400:
            msg = _message(body) or resp.reason or ""
            code = "permission-denied" if resp.status_code == 403 else "error"
            fail = self._failed(Failure(code, f"{argv[1]}: HTTP {resp.status_code}: {msg}"))
            return Result(argv, stderr=body, duration_s=took, started=started, failure=fail)
        return Result(argv, body, duration_s=took, started=started)


def _unix_socket(ep: Endpoint) -> str | None:
    """The socket path when the engine is on a local unix socket chosen by ``DOCKER_HOST`` or the default.

    Contexts (TLS, ssh) and ``tcp://`` engines keep the SDK.
    """
    if ep.error is not None or ep.context is not None:
        return None
    if ep.host is None:
        return None if os.name == "nt" else "/var/run/docker.sock"  # the SDK's and the CLI's default
    if ep.host.startswith("unix://"):
        return ep.host[len("unix://") :] or None
    return None


class _Response:
    """What :meth:`DockerApi.get` reads of an answer (the part of ``requests.Response`` it uses)."""

    __slots__ = ("content", "reason", "status_code")

    def __init__(self, status_code: int, reason: str, content: bytes) -> None:
        self.status_code, self.reason, self.content = status_code, reason, content


class UnixSocketApi:
    """``GET`` on an engine's unix socket with the standard library's ``http.client``.

    What :class:`DockerApi` needs of the SDK's client on a local socket (``base_url``,
    ``api_version``, ``get``), without importing the SDK and ``requests`` (~0.4 s of
    CPU at every start on this machine: urllib3, charset_normalizer, certifi …) or
    running ``requests``' per-call machinery (~1.5 ms a ``GET``; a scan of 200
    containers makes some 250). The API version is asked as the SDK asks it
    (``GET /version``, ``ApiVersion``). Each call opens its own connection (a unix
    socket connects in microseconds), so threads share nothing. The bodies are the
    engine's bytes, as through the SDK.

    Raises:
        OSError: the socket is missing (``FileNotFoundError``), refused, or silent
            (``TimeoutError``); ``ValueError``: ``/version`` gave no ``ApiVersion``.
    """

    base_url = "http+docker://localhost"

    def __init__(self, path: str, timeout: float) -> None:
        self._path, self._timeout = path, timeout
        try:
            got = self._request("/version", self._timeout)
        except OSError as exc:  # said as the SDK says it; the cause stays in the chain for classify_error
            raise type(exc)(f"Error while fetching server API version: {exc}") from exc
        if got.status_code >= 400:
            raise OSError(f"Error while fetching server API version: HTTP {got.status_code} {got.reason}")
        try:
            self.api_version = str(json.loads(got.content)["ApiVersion"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"Error while fetching server API version: {exc}") from exc

    def get(self, url: str, params: Mapping[str, str] | None = None, timeout: float | None = None) -> _Response:
        """``GET url`` (``http+docker://localhost/…``), ``params`` as its query string."""
        target = url[len(self.base_url) :] if url.startswith(self.base_url) else url
        if params:
            target += "?" + urlencode(params)
        return self._request(target, timeout or self._timeout)

    def _request(self, target: str, timeout: float) -> _Response:
        import http.client
        import socket

        path = self._path

        class _Conn(http.client.HTTPConnection):
            def connect(self) -> None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(timeout)
                try:
                    sock.connect(path)
                except BaseException:
                    sock.close()
                    raise
                self.sock = sock

        conn = _Conn("localhost", timeout=timeout)
        try:
            conn.request("GET", target, headers={"Accept-Encoding": "identity"})
            resp = conn.getresponse()
            return _Response(resp.status, resp.reason, resp.read())
        finally:
            conn.close()


def _local_transport(client: Any) -> None:
    """No proxy or ``.netrc`` look-ups for an engine on a socket, pipe or ssh channel.

    The SDK's client is a ``requests`` session; with ``trust_env`` (its default) each
    call reads the proxy variables and ``~/.netrc`` again (~0.5 ms of the ~2 ms a
    ``GET`` costs here, and a scan of 200 containers makes some 250). Its
    ``http+docker://`` URLs (a unix socket, a Windows pipe, ``ssh``) go through the
    SDK's own adapters, where no proxy applies (an ``ALL_PROXY`` would only
    misroute them); engines over ``tcp://`` keep ``requests``' defaults.
    """
    if str(getattr(client, "base_url", "")).startswith("http+docker://"):
        client.trust_env = False


def _message(body: bytes) -> str:
    try:
        obj = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:200]
    return str(obj.get("message", "")) if isinstance(obj, dict) else ""


class ReplayApi:
    """Answers from recorded responses, for tests and demos.

    Args:
        responses: ``"GET /path?query"`` → body bytes, or a :class:`Result` (failures).
        default: the answer to anything not recorded (default: an HTTP 404 ``error``).
    """

    def __init__(self, responses: Mapping[str, bytes | Result], default: Failure | None = None) -> None:
        self.responses = dict(responses)
        self.default = default
        self.calls: list[str] = []

    @classmethod
    def from_dir(cls, folder: str | Path) -> ReplayApi:
        """Recorded responses in ``folder``: ``index.json`` maps each call to a body file."""
        base = Path(folder)
        index = json.loads((base / "index.json").read_text(encoding="utf-8"))
        return cls({call: (base / name).read_bytes() for call, name in index["calls"].items()})

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Result:
        argv = call_argv(path, params)
        self.calls.append(argv[1])
        got = self.responses.get(argv[1])
        if got is None:
            fail = self.default or Failure("error", f"{argv[1]}: HTTP 404: no such object")
            return Result(argv, failure=fail)
        if isinstance(got, Result):
            return got
        return Result(argv, got)


# --------------------------------------------------------------------------- plan


def default_api(runner: Runner, system: str | None = None) -> ApiClient | None:
    """The engine :func:`plan` asks when it is given none.

    A runner may carry its own (``runner.docker_api``: a :class:`ReplayApi` in a
    replayed scan). A real :class:`SubprocessRunner` gets the live engine from the
    environment, when one is installed. Any other runner (a replay without an API)
    has no engine: a replayed scan never mixes in the live engine of the machine it
    happens to run on.
    """
    given = getattr(runner, "docker_api", None)
    if given is not None:
        return given  # type: ignore[no-any-return]
    if not isinstance(runner, SubprocessRunner):
        return None
    real = DockerApi()
    return real if real.installed(system) else None


def _info(res: Result) -> dict[str, Any]:
    if res.failure is not None:
        return {}
    try:
        obj = json.loads(res.stdout)
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}


def _foreign_kernel(live: ApiClient | None, info: Mapping[str, Any]) -> bool:
    """True when the live engine says it runs on another kernel than this one.

    Only for the live engine: a replayed ``/info`` comes from whatever machine
    recorded it.
    """
    if not isinstance(live, DockerApi):
        return False
    theirs = str(info.get("KernelVersion") or "")
    return bool(theirs) and theirs != platform.release()


def _desktop(info: Mapping[str, Any]) -> bool:
    return str(info.get("OperatingSystem") or "").startswith("Docker Desktop")


def _parent(system: str, info: Mapping[str, Any]) -> str:
    """``docker-desktop`` for Docker Desktop's WSL 2 engine on Windows, else ``host``."""
    kernel = str(info.get("KernelVersion") or "").casefold()
    if system == "Windows" and _desktop(info) and "wsl2" in kernel:
        return DOCKER_DESKTOP_VANTAGE
    return "host"


def _json_list(res: Result) -> tuple[list[Any], Result]:
    """The decoded list body, or ``[]`` with the result turned into a failure."""
    if res.failure is not None:
        return [], res
    try:
        value = json.loads(res.stdout)
    except ValueError as exc:
        return [], Result(res.argv, res.stdout, started=res.started, failure=Failure("error", f"bad JSON: {exc}"))
    if not isinstance(value, list):
        return [], Result(res.argv, res.stdout, started=res.started, failure=Failure("error", "not a JSON list"))
    return [v for v in value if isinstance(v, dict)], res


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "_"


def _inspect(api: ApiClient, path: str, params: Mapping[str, str] | None = None) -> Callable[[Runner], Result]:
    return lambda _r: api.get(path, params)


def plan(
    runner: Runner,
    api: ApiClient | None = None,
    *,
    system: str | None = None,
    namespaces: bool | None = None,
    exec_limit: int | None = None,
) -> list[Planned]:
    """The engine vantage and one vantage per reachable running container.

    Args:
        runner: for ``daemon.json``, the ``/proc`` checks and files, ``docker exec``.
        api: the Engine API (default: :func:`default_api`).
        system: ``platform.system()`` to plan as.
        namespaces: read running containers' namespaces (default: on Linux, when the
            engine runs on this kernel); containers whose namespace is not here are
            entered with ``docker exec`` instead.
        exec_limit: how many containers ``docker exec`` enters at most. Default:
            :data:`netatlas.collect.docker_exec.MAX_CONTAINERS` when ``api`` is not
            given (the runner's ``docker`` CLI and the API then reach the same
            engine: both the live environment's, or both a replay's), and 0 when a
            caller hands in its own API, which the runner's ``docker`` may not reach.
    """
    system = system or platform.system()
    found: ApiClient | None = None
    if api is None:
        found = default_api(runner, system)
        if found is None:
            return []
        api = found
        remote = isinstance(found, DockerApi) and found.endpoint.remote
        default_limit = docker_exec.MAX_CONTAINERS
    else:
        remote = False
        default_limit = 0
    limit = default_limit if exec_limit is None else max(0, exec_limit)
    sources: list[Source] = []
    info = api.get("/info")
    about = _info(info)
    if namespaces is None:
        # a container's State.Pid names a process here only if the engine runs on this
        # kernel: not Docker Desktop's VM, not an engine reached over the network, not
        # a VM behind a context's socket (Colima, Podman machine), whose kernel differs
        namespaces = system == "Linux" and not remote and not _desktop(about) and not _foreign_kernel(found, about)
    if str(about.get("OSType") or "linux") != "linux":
        limit = 0  # Windows containers: no cat, no ip to run inside
    engine = Vantage(
        ENGINE, VantageKind.DOCKER_ENGINE, "Docker Engine", parent=_parent(system, about), channel="docker-api"
    )
    sources.append(Source(f"{ENGINE}/info", "docker-info", lambda _r: info, fetched=info))
    if system == "Linux":
        sources.append(
            Source(
                f"{ENGINE}/daemon-json",
                "daemon-json",
                lambda r: r.read("/etc/docker/daemon.json"),
                optional=True,
            )
        )
    if info.failure is not None:  # daemon down: one failure says it; asking more says nothing new
        return [Planned(engine, sources)]
    out: list[Planned] = []
    nets, nets_res = _json_list(api.get("/networks"))
    if nets_res.failure is not None:
        sources.append(Source(f"{ENGINE}/networks", "docker-network-inspect", lambda _r: nets_res, fetched=nets_res))
    for net in nets:
        nid, name = str(net.get("Id") or ""), str(net.get("Name") or net.get("Id") or "")
        if nid:
            sources.append(
                Source(
                    f"{ENGINE}/network/{_safe(name)}",
                    "docker-network-inspect",
                    _inspect(api, f"/networks/{nid}", {"verbose": "true"}),
                )
            )
    entered = 0
    conts, conts_res = _json_list(api.get("/containers/json", {"all": "1"}))
    if conts_res.failure is not None:
        sources.append(Source(f"{ENGINE}/containers", "docker-inspect", lambda _r: conts_res, fetched=conts_res))
    running = [f"/containers/{c.get('Id')}/json" for c in conts if c.get("Id") and c.get("State") == "running"]
    inspected = _get_all(api, running)
    details: dict[str, Any] = {}  # running containers' inspect, for their aliases
    asked: dict[str, list[str]] = {}  # filled once every container is known; read when sources run
    for c in conts:
        cid = str(c.get("Id") or "")
        names = c.get("Names") if isinstance(c.get("Names"), list) else []
        name = str(names[0]).lstrip("/") if names else cid[:12]
        if not cid:
            continue
        src_id = f"{ENGINE}/container/{_safe(name)}"
        if c.get("State") != "running":
            sources.append(Source(src_id, "docker-inspect", _inspect(api, f"/containers/{cid}/json")))
            continue
        detail = inspected[f"/containers/{cid}/json"]
        sources.append(Source(src_id, "docker-inspect", _inspect(api, f"/containers/{cid}/json"), fetched=detail))
        details[name] = _info(detail)
        planned = _container_vantage(runner, name, cid, detail, namespaces, entered < limit, _lookup(asked, name))
        if planned is not None:
            out.append(planned)
            entered += planned.vantage.channel == "docker-exec"
    asked.update(names_to_ask(conts, details))
    return [Planned(engine, sources), *out]


def _get_all(api: ApiClient, paths: Sequence[str], workers: int = 8) -> dict[str, Result]:
    """``GET`` each path, several at once: a plan needs every running container's inspect
    before its vantages exist, and one after another costs 200 round trips at 200 containers."""
    if len(paths) < 2:
        return {p: api.get(p) for p in paths}
    with ThreadPoolExecutor(max_workers=min(workers, len(paths)), thread_name_prefix="docker-inspect") as pool:
        return dict(zip(paths, pool.map(api.get, paths), strict=True))


def _container_vantage(
    runner: Runner,
    name: str,
    cid: str,
    detail: Result,
    namespaces: bool,
    may_exec: bool,
    ask: Callable[[], Sequence[str]],
) -> Planned | None:
    """The container as a vantage: its namespace when reachable here, else ``docker exec``."""
    if detail.failure is not None:
        return None
    try:
        obj = json.loads(detail.stdout)
    except ValueError:
        return None
    state = obj.get("State") if isinstance(obj, dict) else None
    host_cfg = obj.get("HostConfig") if isinstance(obj, dict) else None
    pid = state.get("Pid") if isinstance(state, dict) else None
    mode = str(host_cfg.get("NetworkMode") or "") if isinstance(host_cfg, dict) else ""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    if mode == "host" or mode.startswith("container:"):
        return None  # not a namespace of its own: the host's, or another container's
    if namespaces:
        why = containers.owns_container(runner, pid, cid)
        if why is None:
            vid = f"container:{name}"
            vantage = Vantage(vid, VantageKind.CONTAINER, name, parent=ENGINE, channel="netns")
            return Planned(vantage, containers.container_sources(vid, pid, ask))
        if why.code != "not-installed":
            return None  # pid is some other process here: see the module docstring
    return docker_exec.vantage(name, cid, ENGINE) if may_exec else None


def _lookup(table: Mapping[str, list[str]], key: str) -> Callable[[], list[str]]:
    return lambda: table.get(key, [])


_NO_DNS_NETWORKS = frozenset({"bridge", "host", "none"})
"""Networks whose containers get no names from Docker's embedded DNS."""


def _networks_of(c: Mapping[str, Any]) -> list[str]:
    settings = c.get("NetworkSettings")
    nets = settings.get("Networks") if isinstance(settings, Mapping) else None
    return [str(n) for n in nets] if isinstance(nets, Mapping) else []


def names_to_ask(conts: list[dict[str, Any]], details: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """Container name → the names worth resolving from inside it.

    Docker's special names (:data:`netatlas.collect.names.SPECIAL_NAMES`), its own
    name, the names and aliases (a compose service's name) of the containers it
    shares a user-defined network with, which the embedded DNS answers there, then
    the other containers' names, which it does not (so the map shows a name that
    resolves on one network and not from another), up to :data:`MAX_NAMES` in all.

    Args:
        conts: the engine's container list (``GET /containers/json?all=1``).
        details: container name → its ``GET /containers/{id}/json`` (running ones),
            for their aliases.
    """
    name_of = {id(c): _name(c) for c in conts}
    members: dict[str, list[str]] = {}
    for c in conts:
        me = name_of[id(c)]
        mine = _aliases((details or {}).get(me))
        for net in _networks_of(c):
            if net not in _NO_DNS_NETWORKS:
                members.setdefault(net, []).extend([me, *mine.get(net, [])])
    everyone = sorted(name_of.values())
    out: dict[str, list[str]] = {}
    for c in conts:
        me = name_of[id(c)]
        peers = sorted({p for net in _networks_of(c) for p in members.get(net, []) if p != me})
        wanted = [*names.SPECIAL_NAMES, me, *peers, *everyone]
        out[me] = list(dict.fromkeys(n for n in wanted if n))[:MAX_NAMES]
    return out


def _name(c: Mapping[str, Any]) -> str:
    got = c.get("Names")
    listed = got if isinstance(got, list) else []
    return str(listed[0]).lstrip("/") if listed else str(c.get("Id") or "")[:12]


_SHORT_ID = re.compile(r"^[0-9a-f]{12}$")


def _aliases(obj: Any) -> dict[str, list[str]]:
    """Network → a container's aliases there (compose service names; Docker's own short-id alias left out)."""
    settings = obj.get("NetworkSettings") if isinstance(obj, Mapping) else None
    nets = settings.get("Networks") if isinstance(settings, Mapping) else None
    out: dict[str, list[str]] = {}
    for net, ep in nets.items() if isinstance(nets, Mapping) else ():
        aliases = ep.get("Aliases") if isinstance(ep, Mapping) else None
        if isinstance(aliases, list):
            out[str(net)] = [a for a in aliases if isinstance(a, str) and a and not _SHORT_ID.match(a)]
    return out
