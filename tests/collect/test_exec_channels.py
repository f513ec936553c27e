"""The ``docker exec`` and ``kubectl exec`` channels, and Docker Desktop's engine, replayed.

Every scan goes through the real :func:`scan` with a :class:`ReplayRunner` (commands
and files) that also carries a :class:`ReplayApi` (``runner.docker_api``, the Engine
API seam of :func:`netatlas.collect.docker_engine.default_api`). Nothing here runs a
real ``docker`` or ``kubectl`` or opens a socket.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import docker_engine, docker_exec, kubectl
from netatlas.collect import scan as scan_mod
from netatlas.collect.docker_engine import ReplayApi
from netatlas.collect.runner import ReplayRunner, Result, classify_exit
from netatlas.collect.scan import scan
from netatlas.model import VantageKind
from netatlas.parsers import parse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "collect"
EXEC = FIX / "exec-channels"
Z820 = FIX / "windows-z820"
MAC = FIX / "macos-host"
LINUX = FIX / "docker-engine" / "linux-20.10-web-db"
WEB = "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
TINY = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"
STOP = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
EXEC_KINDS = {"resolv-conf", "hosts", "ip-addr-json", "ip-route-json", "getent-hosts"}


class Replay(ReplayRunner):
    """A replayed machine whose Docker Engine API is a :class:`ReplayApi`."""

    def __init__(self, *a: Any, docker_api: ReplayApi | None = None, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.docker_api = docker_api


def _failed(argv: tuple[str, ...], code: int, err: bytes) -> Result:
    return Result(argv, b"", err, code, failure=classify_exit(argv, code, err))


def _exec(cid: str, *argv: str) -> tuple[str, ...]:
    return ("docker", "exec", cid, *argv)


def _container_cmds() -> dict[tuple[str, ...], bytes | Result]:
    """docker exec answers: web has everything; tiny (distroless) has cat only."""
    no_ip = (EXEC / "oci-no-ip.err").read_bytes()
    cmds: dict[tuple[str, ...], bytes | Result] = {
        _exec(WEB, "cat", "/etc/resolv.conf"): (EXEC / "web-resolv.conf").read_bytes(),
        _exec(WEB, "cat", "/etc/hosts"): (EXEC / "web-hosts").read_bytes(),
        _exec(WEB, "ip", "-j", "address"): (EXEC / "web-ip-addr.json").read_bytes(),
        _exec(WEB, "ip", "-j", "route", "show", "table", "all"): (EXEC / "web-ip-route.json").read_bytes(),
        _exec(WEB, "getent", "hosts", *docker_exec.NAMES): (EXEC / "web-getent.out").read_bytes(),
        _exec(TINY, "cat", "/etc/resolv.conf"): (EXEC / "web-resolv.conf").read_bytes(),
        _exec(TINY, "cat", "/etc/hosts"): (EXEC / "tiny-hosts").read_bytes(),
    }
    for argv in (("ip", "-j", "address"), ("ip", "-j", "route", "show", "table", "all")):
        cmds[_exec(TINY, *argv)] = _failed(_exec(TINY, *argv), 127, no_ip)
    getent = _exec(TINY, "getent", "hosts", *docker_exec.NAMES)
    cmds[getent] = _failed(getent, 127, no_ip.replace(b'"ip"', b'"getent"'))
    return cmds


def _api(info: str = "info-desktop-wsl2.json") -> ReplayApi:
    api = ReplayApi.from_dir(EXEC)
    api.responses["GET /info"] = (EXEC / info).read_bytes()
    return api


def _z820(api: ReplayApi, extra: dict[tuple[str, ...], bytes | Result] | None = None) -> Replay:
    index = json.loads((Z820 / "index.json").read_text(encoding="utf-8"))
    cmds: dict[tuple[str, ...], bytes | Result] = {}
    for c in index["commands"]:
        argv = tuple(c["argv"])
        data = (Z820 / c["file"]).read_bytes()
        code = c.get("exit_code", 0)
        err = (Z820 / c["stderr"]).read_bytes() if "stderr" in c else b""
        cmds[argv] = (
            data
            if code == 0 and not err
            else Result(argv, data, err, code, failure=classify_exit(argv, code, err) if code else None)
        )
    cmds.update(extra if extra is not None else _container_cmds())
    files: dict[str, bytes | Result] = {f["path"]: (Z820 / f["file"]).read_bytes() for f in index["files"]}
    return Replay(cmds, files, docker_api=api)


def _mac(api: ReplayApi, extra: dict[tuple[str, ...], bytes | Result] | None = None) -> Replay:
    index = json.loads((MAC / "index.json").read_text(encoding="utf-8"))
    cmds: dict[tuple[str, ...], bytes | Result] = {
        tuple(c["argv"]): (MAC / c["file"]).read_bytes() for c in index["commands"]
    }
    cmds.update(extra if extra is not None else _container_cmds())
    files: dict[str, bytes | Result] = {f["path"]: (MAC / f["file"]).read_bytes() for f in index["files"]}
    return Replay(cmds, files, docker_api=api)


@pytest.fixture
def as_system(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Plan the engine as if on ``system`` (docker_engine asks ``platform.system()``)."""

    def set_system(system: str) -> None:
        monkeypatch.setattr(docker_engine, "platform", SimpleNamespace(system=lambda: system))
        for name in ("z820", "macos"):
            index = json.loads(((Z820 if name == "z820" else MAC) / "index.json").read_text(encoding="utf-8"))
            if (system == "Windows") == (name == "z820"):
                for k, v in index.get("env", {}).items():
                    monkeypatch.setenv(k, v)
        monkeypatch.delenv("DOCKER_HOST", raising=False)

    return set_system


def _by_id(b: Bundle) -> dict[str, Any]:
    return {e.id: e for e in b.evidence}


# --------------------------------------------------------------------------- docker exec


def test_docker_desktop_on_windows_containers_are_entered_with_docker_exec(as_system: Any) -> None:
    as_system("Windows")
    rr = _z820(_api())
    b = scan(rr, system="Windows")
    got = {v.id: (v.kind, v.parent, v.channel) for v in b.vantages}
    # the WSL 2 engine lives in the docker-desktop distro, which the windows collector scans
    assert got["docker-engine"] == (VantageKind.DOCKER_ENGINE, "docker-desktop", "docker-api")
    assert "docker-desktop" in got
    assert got["container:app-web-1"] == (VantageKind.CONTAINER, "docker-engine", "docker-exec")
    assert got["container:app-tiny-1"] == (VantageKind.CONTAINER, "docker-engine", "docker-exec")
    assert "container:app-migrate-1" not in got  # exited: only the engine's inspect
    kinds: dict[str, set[str]] = {}
    for e in b.evidence:
        kinds.setdefault(e.vantage, set()).add(e.kind)
    assert kinds["container:app-web-1"] == EXEC_KINDS
    ev = _by_id(b)
    web = {k: ev[f"container:app-web-1/{k}"] for k in EXEC_KINDS}
    assert all(e.failure is None for e in web.values())
    assert web["resolv-conf"].argv == ("docker", "exec", WEB, "cat", "/etc/resolv.conf")
    assert web["ip-route-json"].argv == ("docker", "exec", WEB, "ip", "-j", "route", "show", "table", "all")
    assert web["getent-hosts"].argv == (
        "docker",
        "exec",
        WEB,
        "getent",
        "hosts",
        "host.docker.internal",
        "gateway.docker.internal",
    )
    # argv lists only: the container id is one element, nothing is a shell string
    for call in rr.calls:
        if call[:2] == ("docker", "exec"):
            assert call[2] in (WEB, TINY) and not any(" " in a for a in call)
    for e in web.values():
        parse(e.kind, e.data, source=e.id)
    assert not [c for c in rr.calls if c[:2] == ("docker", "exec") and c[2] == STOP]


def test_container_without_ip_is_a_recorded_failure_and_the_rest_stays(as_system: Any) -> None:
    as_system("Windows")
    b = scan(_z820(_api()), system="Windows")
    ev = _by_id(b)
    for kind in ("ip-addr-json", "ip-route-json", "getent-hosts"):
        f = ev[f"container:app-tiny-1/{kind}"].failure
        assert f is not None and f.code == "missing-binary", f
    assert "ip: not in the image" in ev["container:app-tiny-1/ip-addr-json"].failure.message
    assert ev["container:app-tiny-1/hosts"].failure is None
    assert ev["container:app-tiny-1/resolv-conf"].failure is None
    atlas = build_atlas(b, analyze=False)
    assert {p.evidence for p in atlas.problems} == {
        "container:app-tiny-1/ip-addr-json",
        "container:app-tiny-1/ip-route-json",
        "container:app-tiny-1/getent-hosts",
    }
    web = atlas.node("node:container:app-web-1")
    assert web is not None and web.kind == "container"
    assert any(str(a.address) == "172.18.0.2" for i in web.interfaces for a in i.addresses)


def test_getent_exit_2_is_an_answer_and_cat_of_a_missing_file_is_not_installed() -> None:
    argv = _exec(WEB, "getent", "hosts", *docker_exec.NAMES)
    res = docker_exec.exec_checked(_failed(argv, 2, b""), getent=True)
    assert res.failure is None
    cat = _exec(WEB, "cat", "/etc/hosts")
    res = docker_exec.exec_checked(_failed(cat, 1, b"cat: /etc/hosts: No such file or directory\n"), file=True)
    assert res.failure is not None and res.failure.code == "not-installed"
    down = _failed(cat, 1, b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n")
    assert docker_exec.exec_checked(down, file=True).failure.code == "daemon-down"  # type: ignore[union-attr]


def test_exec_is_bounded(as_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    as_system("Windows")
    monkeypatch.setattr(docker_exec, "MAX_CONTAINERS", 1)
    b = scan(_z820(_api()), system="Windows")
    entered = [v.id for v in b.vantages if v.channel == "docker-exec"]
    assert entered == ["container:app-web-1"]
    plans = docker_engine.plan(_z820(_api()), system="Windows", exec_limit=0)
    assert [p.vantage.id for p in plans] == ["docker-engine"]


def test_container_ids_and_pod_names_never_become_options() -> None:
    with pytest.raises(ValueError):
        docker_exec.exec_argv("--privileged", "cat", "/etc/hosts")
    with pytest.raises(ValueError):
        docker_exec.exec_argv("abc; rm -rf /", "cat")
    assert docker_exec.vantage("x", "-it", "docker-engine") is None
    with pytest.raises(ValueError):
        kubectl.pod_argv("docker-desktop", "default", "--all-namespaces", "cat", "/etc/hosts")
    with pytest.raises(ValueError):
        kubectl.pod_argv("docker-desktop", "-n", "web", "cat")
    with pytest.raises(ValueError):
        kubectl.pod_argv("kind-a\n--context=prod", "default", "web-1", "cat")
    assert kubectl.pod_argv("docker-desktop", "default", "web-1", "cat", "/etc/hosts") == [
        "kubectl",
        "--context=docker-desktop",
        "--request-timeout=10s",
        "exec",
        "-n",
        "default",
        "web-1",
        "--",
        "cat",
        "/etc/hosts",
    ]


def test_replayed_runner_without_api_has_no_engine() -> None:
    # a replay never reaches the live engine of the machine it runs on
    assert docker_engine.default_api(ReplayRunner()) is None
    assert docker_engine.plan(ReplayRunner(), system="Darwin") == []


# --------------------------------------------------------------------------- merge rule


def test_docker_desktop_on_macos_is_its_own_vm_and_ports_land_on_the_host(as_system: Any) -> None:
    as_system("Darwin")
    b = scan(_mac(_api("info-desktop-mac.json")), system="Darwin")
    engine = b.vantage("docker-engine")
    assert engine.parent == "host"
    assert {v.id for v in b.vantages if v.channel == "docker-exec"} == {"container:app-web-1", "container:app-tiny-1"}
    atlas = build_atlas(b, analyze=False)
    vm = atlas.node("node:docker-engine")
    assert vm is not None and (vm.kind, vm.name, vm.parent) == ("vm", "Docker Desktop VM", "node:host")
    web = atlas.node("node:container:app-web-1")
    assert web is not None and web.parent == "node:docker-engine"
    fwd = [f for f in atlas.forwards if f.via == "docker-publish"]
    assert [(f.node, f.listen_port, f.connect_port, f.target_node) for f in fwd] == [
        ("node:host", 8080, 80, "node:container:app-web-1")
    ]


def test_docker_desktop_wsl2_engine_is_the_docker_desktop_vm_and_ports_land_on_windows(as_system: Any) -> None:
    as_system("Windows")
    atlas = build_atlas(scan(_z820(_api()), system="Windows"), analyze=False)
    engine_node = next(n for n in atlas.nodes if "docker-engine" in n.vantages)
    assert "docker-desktop" in engine_node.vantages and engine_node.kind == "vm"
    assert engine_node.parent == "node:host"
    fwd = [f for f in atlas.forwards if f.via == "docker-publish"]
    assert [(f.node, f.listen_port) for f in fwd] == [("node:host", 8080)]


def test_a_linux_engine_still_merges_into_the_host_and_missing_pids_use_docker_exec(as_system: Any) -> None:
    as_system("Linux")
    rr = Replay(docker_api=ReplayApi.from_dir(LINUX))
    b = scan(rr, system="Linux", netns=[], only=["docker-info", "docker-inspect", "docker-network-inspect", "hosts"])
    assert b.vantage("docker-engine").parent == "host"
    # no /proc/<pid> here (the replay has none): the engine's containers are entered with docker exec
    exec_ids = {v.id for v in b.vantages if v.channel == "docker-exec"}
    assert exec_ids == {"container:web", "container:db"}
    atlas = build_atlas(b, analyze=False)
    host = atlas.node("node:host")
    assert host is not None and "docker-engine" in host.vantages
    assert atlas.node("node:docker-engine") is None
    fwd = [f for f in atlas.forwards if f.via == "docker-publish"]
    assert [(f.node, f.listen_port) for f in fwd] == [("node:host", 8080)]


# --------------------------------------------------------------------------- kubectl


def _with_kubectl(monkeypatch: pytest.MonkeyPatch, system: str) -> None:
    """kubectl is one of the platform's collectors (asserted, so a change is noticed)."""
    assert "kubectl" in scan_mod.COLLECTORS[system]


CTX = ("kubectl", "config", "view", "--minify", "-o", "json")
DD = ("kubectl", "--context=docker-desktop", "--request-timeout=10s")
PODS = (*DD, "get", "pods", "-A", "-o", "json")
DD_VIEW = (EXEC / "kubeconfig-docker-desktop.json").read_bytes()


def _kube(ns: str, pod: str, *argv: str) -> tuple[str, ...]:
    return (*DD, "exec", "-n", ns, pod, "--", *argv)


def test_kubectl_missing_maps_no_kubernetes(as_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without kubectl there is no Kubernetes to map: no vantage, no failure, nothing more asked."""
    as_system("Darwin")
    _with_kubectl(monkeypatch, "Darwin")
    rr = _mac(_api("info-desktop-mac.json"))
    b = scan(rr, system="Darwin")
    assert "kubernetes/pods" not in _by_id(b)
    assert not [v for v in b.vantages if v.kind is VantageKind.POD]
    assert [c for c in rr.calls if c[0] == "kubectl"] == [CTX]  # nothing more is asked
    assert b.vantage("docker-engine")  # the rest of the scan went on


def test_kubectl_without_context_maps_nothing() -> None:
    err = b"error: current-context must exist in order to minify\n"
    rr = ReplayRunner({CTX: _failed(CTX, 1, err)})
    assert kubectl.plan(rr) == []
    assert rr.calls == [CTX]


def test_kubectl_cluster_down_is_daemon_down(as_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    as_system("Windows")
    _with_kubectl(monkeypatch, "Windows")
    refused = (EXEC / "kubectl-refused.err").read_bytes()
    extra = {**_container_cmds(), CTX: DD_VIEW, PODS: _failed(PODS, 1, refused)}
    b = scan(_z820(_api(), extra), system="Windows")
    ev = _by_id(b)["kubernetes/pods"]
    assert ev.failure is not None and ev.failure.code == "daemon-down"
    assert ev.argv == PODS and ev.stderr == refused
    assert b.vantage("kubernetes").name == "Kubernetes (docker-desktop)"
    assert not [v for v in b.vantages if v.channel == "kubectl-exec"]
    assert "daemon-down" in {p.code for p in build_atlas(b, analyze=False).problems}


def test_kubectl_two_pods_one_host_network_skipped(as_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    as_system("Darwin")
    _with_kubectl(monkeypatch, "Darwin")
    pod = ("default", "web-7d8f9c6b5-mz4kq")
    no_ip = (EXEC / "oci-no-ip.err").read_bytes() + b"command terminated with exit code 127\n"
    extra: dict[tuple[str, ...], bytes | Result] = {
        **_container_cmds(),
        CTX: DD_VIEW,
        PODS: (EXEC / "pods-two.json").read_bytes(),
        _kube(*pod, "cat", "/etc/resolv.conf"): (EXEC / "pod-resolv.conf").read_bytes(),
        _kube(*pod, "cat", "/etc/hosts"): (EXEC / "pod-hosts").read_bytes(),
        _kube(*pod, "ip", "-j", "address"): _failed(_kube(*pod, "ip", "-j", "address"), 127, no_ip),
    }
    rr = _mac(_api("info-desktop-mac.json"), extra)
    b = scan(rr, system="Darwin")
    pods = [v for v in b.vantages if v.channel == "kubectl-exec"]
    assert [(v.id, v.kind, v.parent, v.name) for v in pods] == [
        ("pod:default/web-7d8f9c6b5-mz4kq", VantageKind.POD, "kubernetes", "default/web-7d8f9c6b5-mz4kq")
    ]
    assert not [c for c in rr.calls if "kube-proxy-7xq2d" in c]  # hostNetwork: never entered
    ev = _by_id(b)
    assert ev["kubernetes/pods"].kind == "kubectl-pods-json" and ev["kubernetes/pods"].failure is None
    p = "pod:default/web-7d8f9c6b5-mz4kq"
    assert ev[f"{p}/resolv-conf"].argv == _kube(*pod, "cat", "/etc/resolv.conf")
    assert ev[f"{p}/hosts"].failure is None and ev[f"{p}/resolv-conf"].failure is None
    f = ev[f"{p}/ip-addr-json"].failure
    assert f is not None and f.code == "missing-binary"
    facts = parse("kubectl-pods-json", ev["kubernetes/pods"].data)
    assert [c.name for c in facts.containers] == ["default/web-7d8f9c6b5-mz4kq", "kube-system/kube-proxy-7xq2d"]
    assert facts.settings["host_network_pods"] == ["kube-system/kube-proxy-7xq2d"]
    atlas = build_atlas(b, analyze=False)
    assert [str(s) for s in atlas.node(f"node:{p}").dns.servers] == ["10.96.0.10"]  # type: ignore[union-attr]


def test_kubectl_unauthorized_is_permission_denied() -> None:
    err = b"error: You must be logged in to the server (Unauthorized)\n"
    rr = ReplayRunner({CTX: DD_VIEW, PODS: _failed(PODS, 1, err)})
    plans = kubectl.plan(rr)
    src = plans[0].sources[0]
    assert src.fetched is not None and src.fetched.failure is not None
    assert src.fetched.failure.code == "permission-denied"
    assert len(plans) == 1


def test_modules_import_no_sdk_and_use_no_shell() -> None:
    for mod in (docker_exec, kubectl):
        src = Path(mod.__file__ or "").read_text()
        assert "subprocess" not in src and "shell=" not in src
        assert "import docker\n" not in src
