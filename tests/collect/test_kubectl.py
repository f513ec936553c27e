"""kubectl collector: only clusters on this machine unless one is asked for by name.

Replays of real ``kubectl config view --minify -o json`` outputs
(``tests/fixtures/collect/kubectl/``, see its README.source): every test goes through
:func:`kubectl.plan` or the real :func:`scan` with a :class:`ReplayRunner`, so what
would reach a cluster is exactly the recorded ``rr.calls``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netatlas.atlas import build_atlas
from netatlas.collect import kubectl
from netatlas.collect.runner import ReplayRunner, Result, SubprocessRunner, classify_exit
from netatlas.collect.scan import scan

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "kubectl"
VIEW = ("kubectl", "config", "view", "--minify", "-o", "json")


def _view(name: str) -> bytes:
    return (FIX / f"view-{name}.json").read_bytes()


def _failed(argv: tuple[str, ...], code: int, err: bytes) -> Result:
    return Result(argv, b"", err, code, failure=classify_exit(argv, code, err))


def _g(context: str) -> tuple[str, ...]:
    return ("kubectl", f"--context={context}", "--request-timeout=10s")


def _cluster_calls(rr: ReplayRunner) -> list[tuple[str, ...]]:
    """Every kubectl call that could reach a cluster (anything but reading the kubeconfig)."""
    return [c for c in rr.calls if c[0] == "kubectl" and c[1:3] != ("config", "view")]


# --------------------------------------------------------------------------- remote: skipped


@pytest.mark.parametrize(
    ("view", "context", "why"),
    [
        ("eks-exec-plugin", "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "credential plugin (exec)"),
        ("prod", "prod", "server 'https://k8s.prod.example.com:6443' is not on this machine"),
    ],
)
def test_a_remote_current_context_is_never_contacted_and_the_skip_says_why(view: str, context: str, why: str) -> None:
    rr = ReplayRunner({VIEW: _view(view)})
    plans = kubectl.plan(rr)
    assert _cluster_calls(rr) == []  # no get pods, no exec: nothing reached the cluster
    assert [p.vantage.id for p in plans] == ["kubernetes"]
    assert plans[0].vantage.name == f"Kubernetes ({context})"
    [src] = plans[0].sources
    res = src.fetched
    assert res is not None and res.failure is not None
    assert res.failure.code == "skipped"
    assert why in res.failure.message
    assert f"--kube-context {context}" in res.failure.message
    assert res.stdout == b""  # the kubeconfig is not kept in the bundle


def test_a_skipped_cluster_is_a_problem_on_the_map() -> None:
    rr = ReplayRunner({VIEW: _view("prod")})
    b = scan(rr, system="Linux", netns=[], only=["kubectl-pods-json"])
    ev = {e.id: e for e in b.evidence}["kubernetes/pods"]
    assert ev.failure is not None and ev.failure.code == "skipped"
    problems = build_atlas(b, analyze=False).problems
    assert [(p.code, p.evidence) for p in problems] == [("skipped", "kubernetes/pods")]
    assert _cluster_calls(rr) == []


# --------------------------------------------------------------------------- local: mapped


@pytest.mark.parametrize("name", ["docker-desktop", "kind-dev", "minikube"])
def test_local_clusters_are_mapped_with_context_and_request_timeout(name: str) -> None:
    pods = (*_g(name), "get", "pods", "-A", "-o", "json")
    rr = ReplayRunner({VIEW: _view(name), pods: b'{"apiVersion": "v1", "items": [], "kind": "List"}'})
    plans = kubectl.plan(rr)
    assert _cluster_calls(rr) == [pods]
    [src] = plans[0].sources
    assert src.fetched is not None and src.fetched.failure is None


def test_every_command_after_discovery_names_the_context_and_a_request_timeout() -> None:
    items = (
        b'{"items": [{"metadata": {"namespace": "default", "name": "web-1"}, "spec": {},'
        b' "status": {"phase": "Running"}}]}'
    )
    pods = (*_g("kind-dev"), "get", "pods", "-A", "-o", "json")
    rr = ReplayRunner({VIEW: _view("kind-dev"), pods: items})
    plans = kubectl.plan(rr)
    for src in plans[1].sources:
        src.get(rr)
    calls = _cluster_calls(rr)
    assert len(calls) == 4
    for c in calls:
        assert c[:3] == _g("kind-dev")
    assert calls[1] == (*_g("kind-dev"), "exec", "-n", "default", "web-1", "--", "cat", "/etc/resolv.conf")


def test_a_refused_local_cluster_is_daemon_down_and_was_asked_with_a_timeout() -> None:
    pods = (*_g("kind-dev"), "get", "pods", "-A", "-o", "json")
    err = (FIX / "kind-refused.err").read_bytes()
    assert b"?timeout=10s" in err  # kubectl really carries --request-timeout to the server
    rr = ReplayRunner({VIEW: _view("kind-dev"), pods: _failed(pods, 1, err)})
    res = kubectl.plan(rr)[0].sources[0].fetched
    assert res is not None and res.failure is not None and res.failure.code == "daemon-down"


@pytest.mark.parametrize(
    ("name", "server", "local"),
    [
        ("docker-desktop", "https://kubernetes.docker.internal:6443", True),
        ("kind-x", "https://127.0.0.1:40153", True),
        ("k3d-dev", "https://0.0.0.0:6550", True),
        ("k3d-dev", "https://host.docker.internal:6550", True),
        ("rancher-desktop", "https://127.0.0.1:6443", True),
        ("orbstack", "https://127.0.0.1:26443", True),
        ("minikube", "https://192.168.49.2:8443", True),
        ("my-lab", "https://[::1]:6443", True),
        ("my-lab", "https://localhost:6443", True),
        ("my-lab", "https://192.168.65.3:6443", True),  # Docker Desktop's VM subnet
        # named like a local cluster, served from elsewhere: not local
        ("minikube", "https://k8s.prod.example.com:6443", False),
        ("kind-prod", "https://203.0.113.10:6443", False),
        ("docker-desktop", "", False),
        # a private address is not this machine without a local distribution's name
        ("office", "https://10.20.0.5:6443", False),
        ("gke_proj_europe-west1_prod", "https://34.0.0.1", False),
    ],
)
def test_is_local(name: str, server: str, local: bool) -> None:
    assert kubectl.is_local(kubectl.Context(name, server))[0] is local


def test_a_local_context_with_a_credential_plugin_is_not_local() -> None:
    ctx = kubectl.Context("kind-sso", "https://127.0.0.1:40153", plugin="exec")
    ok, why = kubectl.is_local(ctx)
    assert not ok and "credential plugin" in why


def test_context_of_reads_the_real_minified_views() -> None:
    assert kubectl.context_of(_view("docker-desktop")) == kubectl.Context(
        "docker-desktop", "https://kubernetes.docker.internal:6443"
    )
    eks = kubectl.context_of(_view("eks-exec-plugin"))
    assert eks is not None and eks.plugin == "exec"
    assert kubectl.context_of(b"not json") is None
    assert kubectl.context_of(b"[]") is None


def test_no_kubectl_or_no_context_plans_nothing() -> None:
    assert kubectl.plan(ReplayRunner()) == []
    err = (FIX / "no-current-context.err").read_bytes()
    rr = ReplayRunner({VIEW: _failed(VIEW, 1, err)})
    assert kubectl.plan(rr) == []
    assert rr.calls == [VIEW]


# --------------------------------------------------------------------------- asked by name


def test_an_asked_for_remote_context_is_mapped() -> None:
    view = (*VIEW, "--context=prod")
    pods = (*_g("prod"), "get", "pods", "-A", "-o", "json")
    rr = ReplayRunner({view: _view("prod"), pods: b'{"items": []}'})
    plans = kubectl.plan(rr, context="prod")
    assert rr.calls == [view, pods]
    assert plans[0].vantage.name == "Kubernetes (prod)"
    assert plans[0].sources[0].fetched is not None and plans[0].sources[0].fetched.failure is None


def test_an_unknown_asked_for_context_is_a_recorded_failure() -> None:
    view = (*VIEW, "--context=nope")
    err = (FIX / "unknown-context.err").read_bytes()
    rr = ReplayRunner({view: _failed(view, 1, err)})
    [planned] = kubectl.plan(rr, context="nope")
    res = planned.sources[0].fetched
    assert res is not None and res.failure is not None
    assert res.failure.message.startswith("--kube-context nope: ")
    assert "cannot locate context nope" in res.failure.message
    assert _cluster_calls(rr) == []


@pytest.mark.parametrize("bad", ["", " prod", "prod\n--context=x", "a\x00b"])
def test_context_names_that_could_smuggle_options_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        kubectl.config_view_argv(bad)


def test_scan_threads_kube_context_to_kubectl() -> None:
    view = (*VIEW, "--context=prod")
    pods = (*_g("prod"), "get", "pods", "-A", "-o", "json")
    rr = ReplayRunner({view: _view("prod"), pods: b'{"items": []}'})
    b = scan(rr, system="Linux", netns=[], only=["kubectl-pods-json"], kube_context="prod")
    assert {e.id: e.failure for e in b.evidence}["kubernetes/pods"] is None
    assert pods in rr.calls


def test_cli_kube_context_is_a_scan_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from netatlas import cli
    from netatlas.collect import scan as scan_mod

    seen: dict[str, object] = {}

    def fake_scan(**kw: object) -> object:
        seen.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr(scan_mod, "scan", fake_scan)
    runner = CliRunner()
    runner.invoke(cli.app, ["scan", "-o", str(tmp_path / "b.zip"), "--kube-context", "prod"])
    assert seen.get("kube_context") == "prod"
    seen.clear()
    runner.invoke(cli.app, ["map", "--no-save", "--kube-context", "kind-dev"])
    assert seen.get("kube_context") == "kind-dev"
    r = runner.invoke(cli.app, ["map", "--bundle", str(tmp_path), "--kube-context", "prod"])
    assert isinstance(r.exception, cli.UsageFailure) and "--kube-context" in str(r.exception)


# --------------------------------------------------------------------------- credential plugins


def test_a_refused_credential_plugin_is_permission_denied_not_a_dead_cluster() -> None:
    pods = (*_g("kind-dev"), "get", "pods", "-A", "-o", "json")
    err = (FIX / "plugin-always-no-terminal.err").read_bytes()
    rr = ReplayRunner({VIEW: _view("kind-dev"), pods: _failed(pods, 1, err)})
    res = kubectl.plan(rr)[0].sources[0].fetched
    assert res is not None and res.failure is not None and res.failure.code == "permission-denied"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs a real kubectl (reads a kubeconfig only)")
def test_real_kubectl_never_lets_an_interactive_plugin_prompt(tmp_path: Path) -> None:
    """The runner gives kubectl no terminal, so client-go refuses an ``Always`` plugin.

    Nothing is contacted: the plugin is refused before any request, and its server
    is a closed loopback port.
    """
    marker = tmp_path / "plugin-ran"
    plugin = tmp_path / "plugin.sh"
    plugin.write_text(f"#!/bin/sh\ntouch {marker}\nread answer\n")
    plugin.chmod(0o755)
    config = (FIX / "kubeconfig-plugin-always.yaml").read_text().replace("/tmp/kc/plugin.sh", str(plugin))
    (tmp_path / "config").write_text(config)
    runner = SubprocessRunner(env={"KUBECONFIG": str(tmp_path / "config"), "HOME": str(tmp_path)})
    res = kubectl.checked(runner.run([*_g("corp"), "get", "pods", "-A", "-o", "json"], timeout=20))
    assert res.failure is not None and res.failure.code == "permission-denied", res
    assert b"standard input is not a terminal" in res.stderr
    assert not marker.exists()
    assert os.environ.get("KUBECONFIG") != str(tmp_path / "config")
