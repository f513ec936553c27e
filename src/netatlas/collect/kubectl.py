"""The ``kubectl exec`` channel: the cluster's pods, and the network seen from inside them.

Only when ``kubectl`` has a current context (``kubectl config current-context``
answers): an unconfigured ``kubectl`` (Docker Desktop installs one on every Windows
and macOS machine) means no cluster, so there is nothing to map and no vantage.

Vantages (kinds in parentheses):

* ``kubernetes`` (``pod``, parent ``host``, channel ``kubectl``): the cluster as the
  current context shows it, ``kubectl get pods -A -o json`` (``kubectl-pods-json``).
  The model has no vantage kind for a cluster API yet, so it is a ``pod`` vantage
  (the place the pods are listed from).
* ``pod:<namespace>/<name>`` (``pod``, parent ``kubernetes``, channel
  ``kubectl-exec``) for each ``Running`` pod that has its own network (``hostNetwork``
  pods share the node's, which the pod list already names), at most
  :data:`MAX_PODS`: ``kubectl exec -n NS POD -- cat /etc/resolv.conf`` (``resolv-conf``),
  ``… -- cat /etc/hosts`` (``hosts``) and ``… -- ip -j address`` (``ip-addr-json``).
  Images often lack ``ip`` (or everything: distroless): that is a ``missing-binary``
  failure, the other sources still count. ``kubectl exec`` enters the pod's first
  container; all containers of a pod share its network namespace and these files.

Failures: ``kubectl`` not installed, or installed with no context, plans nothing (no
Kubernetes to map here, as a machine without a Docker engine has no engine vantage);
a cluster that does not answer ("The
connection to the server … was refused", "Unable to connect to the server") is
``daemon-down``; "Unauthorized"/"Forbidden" is ``permission-denied``.

Safety: argv lists only; the namespace and pod name are separate argv elements,
checked against Kubernetes' DNS-label/subdomain rules first (so neither can be read
as an option), and ``--`` ends kubectl's options before the command run inside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from netatlas.collect.base import Planned, Source
from netatlas.collect.docker_exec import exec_checked
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "KUBECTL",
    "MAX_PODS",
    "PLATFORMS",
    "PRODUCES",
    "VANTAGE",
    "checked",
    "plan",
    "pod_argv",
    "pod_sources",
    "running_pods",
]

PRODUCES = ("kubectl-pods-json", "resolv-conf", "hosts", "ip-addr-json")
PLATFORMS = ("Linux", "Windows", "Darwin")
KUBECTL = "kubectl"
VANTAGE = "kubernetes"
"""The cluster vantage's id."""
MAX_PODS = 50
"""How many pods one scan enters at most (the pod list still maps the rest)."""
EXEC_TIMEOUT = 10.0
LIST_TIMEOUT = 20.0

_NS = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_POD = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_DOWN = re.compile(
    rb"The connection to the server .* was refused|Unable to connect to the server|"
    rb"no such host|i/o timeout|connection refused",
    re.I,
)
_DENIED = re.compile(rb"Unauthorized|Forbidden|You must be logged in", re.I)
_NO_CONTEXT = re.compile(rb"current-context is not set|no context|context was not found", re.I)


def checked(res: Result) -> Result:
    """A ``kubectl`` result with the cluster's own failure modes named."""
    if res.failure is None or res.failure.code != "exit-status":
        return res
    text = res.stderr + b"\n" + res.stdout
    if _DOWN.search(text):
        return replace(res, failure=Failure("daemon-down", res.failure.message))
    if _DENIED.search(text):
        return replace(res, failure=Failure("permission-denied", res.failure.message))
    return res


def pod_argv(namespace: str, pod: str, *argv: str) -> list[str]:
    """``kubectl exec -n NAMESPACE POD -- ARGV…``.

    Raises:
        ValueError: the namespace or pod name breaks Kubernetes' naming rules.
    """
    if not _NS.match(namespace) or not _POD.match(pod):
        raise ValueError(f"not a Kubernetes namespace/pod name: {namespace!r}/{pod!r}")
    return [KUBECTL, "exec", "-n", namespace, pod, "--", *argv]


def _run(argv: Sequence[str], *, file: bool = False) -> Callable[[Runner], Result]:
    args = list(argv)
    return lambda r: exec_checked(checked(r.run(args, timeout=EXEC_TIMEOUT)), file=file)


def pod_sources(vantage_id: str, namespace: str, pod: str) -> list[Source]:
    """The sources read inside ``namespace/pod`` through ``kubectl exec``."""
    p = vantage_id
    return [
        Source(f"{p}/resolv-conf", "resolv-conf", _run(pod_argv(namespace, pod, "cat", "/etc/resolv.conf"), file=True)),
        Source(f"{p}/hosts", "hosts", _run(pod_argv(namespace, pod, "cat", "/etc/hosts"), file=True)),
        Source(f"{p}/ip-addr-json", "ip-addr-json", _run(pod_argv(namespace, pod, "ip", "-j", "address"))),
    ]


def running_pods(pods: Result) -> list[tuple[str, str]]:
    """(namespace, name) of the Running pods with a network of their own, in list order."""
    if pods.failure is not None:
        return []
    try:
        doc = json.loads(pods.stdout)
    except ValueError:
        return []
    items = doc.get("items") if isinstance(doc, dict) else None
    out: list[tuple[str, str]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        meta, spec, status = (_map(item.get(k)) for k in ("metadata", "spec", "status"))
        if status.get("phase") != "Running" or spec.get("hostNetwork") is True:
            continue
        ns, name = meta.get("namespace"), meta.get("name")
        if isinstance(ns, str) and isinstance(name, str) and _NS.match(ns) and _POD.match(name):
            out.append((ns, name))
    return out


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def plan(runner: Runner, *, max_pods: int = MAX_PODS) -> list[Planned]:
    """The cluster vantage and one vantage per running pod (none without a context)."""
    ctx = runner.run([KUBECTL, "config", "current-context"], timeout=5)
    cluster = Vantage(VANTAGE, VantageKind.POD, "Kubernetes", parent="host", channel="kubectl")
    if ctx.failure is not None:
        if ctx.failure.code == "missing-binary":
            return []  # no kubectl: no Kubernetes to map here (not a failure of this machine)
        if _NO_CONTEXT.search(ctx.stderr) or ctx.failure.code == "exit-status":
            return []  # kubectl without a cluster configured: nothing to map
    context = ctx.stdout.decode("utf-8", "replace").strip() if ctx.failure is None else ""
    if context:
        cluster = replace(cluster, name=f"Kubernetes ({context})")
    pods = checked(runner.run([KUBECTL, "get", "pods", "-A", "-o", "json"], timeout=LIST_TIMEOUT))
    out = [Planned(cluster, [Source(f"{VANTAGE}/pods", "kubectl-pods-json", lambda _r: pods, fetched=pods)])]
    for ns, name in running_pods(pods)[: max(0, max_pods)]:
        vid = f"pod:{ns}/{name}"
        v = Vantage(vid, VantageKind.POD, f"{ns}/{name}", parent=VANTAGE, channel="kubectl-exec")
        out.append(Planned(v, pod_sources(vid, ns, name)))
    return out
