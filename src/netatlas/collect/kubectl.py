"""The ``kubectl exec`` channel: the cluster's pods, and the network seen from inside them.

Which cluster (safety first): ``kubectl get pods -A`` and up to :data:`MAX_PODS`
``kubectl exec`` sessions land in the cluster's audit log, and in a production
cluster they may page someone. So a plain scan maps only a cluster that runs on
this machine, and any other only when asked by name (``--kube-context NAME``):

* ``kubectl config view --minify -o json`` (``--context NAME`` when asked) tells the
  context, its cluster's server and whether its user runs a credential plugin. It
  reads the kubeconfig only (never the cluster), and kubectl itself resolves which
  file and which context apply (``KUBECONFIG``, merging), so nothing here reads YAML.
* Local (:func:`is_local`): a context named as the local distributions name theirs
  (``knowledge/local_clusters.json``: docker-desktop, kind-*, minikube, k3d-*,
  rancher-desktop, orbstack) whose server is not a public address, or any context
  whose server is loopback, ``kubernetes.docker.internal`` or in Docker Desktop's VM
  subnet. A local context whose user runs an ``exec`` or ``auth-provider``
  credential plugin is not local enough: plugins (OIDC, cloud CLIs) may open a
  browser or wait on a device code.
* Anything else is not contacted: the scan records ``kubernetes/pods`` as a
  ``skipped`` failure that names the context, its server and the option that maps it.
* Every later command names the context (``--context=NAME``, one argv element), so a
  ``kubectl config use-context`` in another terminal mid-scan cannot redirect it, and
  carries ``--request-timeout``, so a dead API server costs seconds, not minutes.
* Credential plugins never prompt: commands run with standard input from the null
  device, so client-go finds no terminal. It then refuses to run a plugin whose
  ``interactiveMode`` is ``Always`` ("the exec plugin will only be run if standard
  input is available for user input. If standard input is not available [...] an
  error will be returned", ExecInteractiveMode in client.authentication.k8s.io /
  clientcmd v1, kubernetes.io/docs/reference/config-api/kubeconfig.v1/), runs
  ``IfAvailable``/``Never`` plugins without standard input, and tells them
  ``spec.interactive: false`` in ``KUBERNETES_EXEC_INFO``
  (kubernetes.io/docs/reference/config-api/client-authentication.v1/).

Vantages (kinds in parentheses):

* ``kubernetes`` (``pod``, parent ``host``, channel ``kubectl``): the cluster as the
  chosen context shows it, ``kubectl get pods -A -o json`` (``kubectl-pods-json``).
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
a ``--kube-context`` that kubectl does not know is a failure of its own; a cluster
that does not answer ("The connection to the server … was refused", "Unable to
connect to the server") is ``daemon-down``; "Unauthorized"/"Forbidden" is
``permission-denied``.

Safety: argv lists only; the namespace and pod name are separate argv elements,
checked against Kubernetes' DNS-label/subdomain rules first (so neither can be read
as an option), the context travels as ``--context=NAME`` (one element, never an
option of its own), and ``--`` ends kubectl's options before the command run inside.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from netatlas.collect.base import Planned, Source
from netatlas.collect.docker_exec import exec_checked
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "KUBECTL",
    "MAX_PODS",
    "PLATFORMS",
    "PRODUCES",
    "REQUEST_TIMEOUT",
    "VANTAGE",
    "Context",
    "checked",
    "config_view_argv",
    "context_of",
    "is_local",
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
CONFIG_TIMEOUT = 5.0
REQUEST_TIMEOUT = "10s"
"""kubectl's own limit on each API request (``--request-timeout``)."""

_NS = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_POD = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_DOWN = re.compile(
    rb"The connection to the server .* was refused|Unable to connect to the server|"
    rb"no such host|i/o timeout|connection refused",
    re.I,
)
_DENIED = re.compile(rb"Unauthorized|Forbidden|You must be logged in|getting credentials", re.I)
_NO_CONTEXT = re.compile(
    rb"current-context is not set|current-context must exist|no context|context was not found", re.I
)


@dataclass(frozen=True, slots=True)
class Context:
    """What the kubeconfig says about one context (from ``kubectl config view --minify``)."""

    name: str
    server: str
    plugin: str | None = None
    """``exec`` or ``auth-provider`` when the context's user runs a credential plugin."""


def checked(res: Result) -> Result:
    """A ``kubectl`` result with the cluster's own failure modes named."""
    if res.failure is None or res.failure.code != "exit-status":
        return res
    text = res.stderr + b"\n" + res.stdout
    if _DENIED.search(text):  # before "Unable to connect": a refused credential plugin says both
        return replace(res, failure=Failure("permission-denied", res.failure.message))
    if _DOWN.search(text):
        return replace(res, failure=Failure("daemon-down", res.failure.message))
    return res


def _valid_context(name: str) -> bool:
    """A context name kubectl could hold: anything printable on one line."""
    return bool(name) and name.isprintable() and name == name.strip()


def _global(context: str) -> list[str]:
    """kubectl's global options for every command after discovery."""
    return [KUBECTL, f"--context={context}", f"--request-timeout={REQUEST_TIMEOUT}"]


def config_view_argv(context: str | None = None) -> list[str]:
    """``kubectl config view --minify -o json``, for ``context`` when one is asked.

    Raises:
        ValueError: ``context`` is empty or spans lines.
    """
    if context is None:
        return [KUBECTL, "config", "view", "--minify", "-o", "json"]
    if not _valid_context(context):
        raise ValueError(f"not a kubeconfig context name: {context!r}")
    return [KUBECTL, "config", "view", "--minify", "-o", "json", f"--context={context}"]


def pod_argv(context: str, namespace: str, pod: str, *argv: str) -> list[str]:
    """``kubectl --context=C --request-timeout=T exec -n NAMESPACE POD -- ARGV…``.

    Raises:
        ValueError: the namespace or pod name breaks Kubernetes' naming rules, or the
            context name is empty or spans lines.
    """
    if not _NS.match(namespace) or not _POD.match(pod):
        raise ValueError(f"not a Kubernetes namespace/pod name: {namespace!r}/{pod!r}")
    if not _valid_context(context):
        raise ValueError(f"not a kubeconfig context name: {context!r}")
    return [*_global(context), "exec", "-n", namespace, pod, "--", *argv]


def _run(argv: Sequence[str], *, file: bool = False) -> Callable[[Runner], Result]:
    args = list(argv)
    return lambda r: exec_checked(checked(r.run(args, timeout=EXEC_TIMEOUT)), file=file)


def pod_sources(vantage_id: str, context: str, namespace: str, pod: str) -> list[Source]:
    """The sources read inside ``namespace/pod`` of ``context`` through ``kubectl exec``."""
    p = vantage_id

    def argv(*cmd: str) -> list[str]:
        return pod_argv(context, namespace, pod, *cmd)

    return [
        Source(f"{p}/resolv-conf", "resolv-conf", _run(argv("cat", "/etc/resolv.conf"), file=True)),
        Source(f"{p}/hosts", "hosts", _run(argv("cat", "/etc/hosts"), file=True)),
        Source(f"{p}/ip-addr-json", "ip-addr-json", _run(argv("ip", "-j", "address"))),
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


def _first(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    items = doc.get(key)
    return _map(items[0]) if isinstance(items, list) and items else {}


def context_of(view: bytes) -> Context | None:
    """The one context in ``kubectl config view --minify -o json`` output (None: none)."""
    try:
        doc = json.loads(view)
    except ValueError:
        return None
    if not isinstance(doc, Mapping):
        return None
    ctx = _first(doc, "contexts")
    name = ctx.get("name") if isinstance(ctx.get("name"), str) else doc.get("current-context")
    if not isinstance(name, str) or not _valid_context(name):
        return None
    server = _map(_first(doc, "clusters").get("cluster")).get("server")
    user = _map(_first(doc, "users").get("user"))
    plugin = next((k for k in ("exec", "auth-provider") if user.get(k)), None)
    return Context(name, server if isinstance(server, str) else "", plugin)


def _local_rules() -> tuple[set[str], tuple[str, ...], set[str], list[ipaddress.IPv4Network]]:
    from netatlas.knowledge import load

    k = load("local_clusters")
    return (
        {n["name"] for n in k["names"]},
        tuple(p["prefix"] for p in k["prefixes"]),
        {h["host"] for h in k["hosts"]},
        [ipaddress.IPv4Network(n["cidr"]) for n in k["networks"]],
    )


def is_local(ctx: Context) -> tuple[bool, str]:
    """Whether ``ctx`` is a cluster on this machine, and why (or why not), in words.

    A context named like a local distribution's counts unless its server is a
    public address or a name that is not a local one; any context counts whose
    server is loopback, unspecified (k3d's ``0.0.0.0``), a local name or in Docker
    Desktop's VM subnet. A credential plugin makes any context not local.
    """
    names, prefixes, hosts, nets = _local_rules()
    try:
        host = (urlsplit(ctx.server).hostname or "").lower()
    except ValueError:
        host = ""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    where = f"server {ctx.server!r}" if ctx.server else "no server"
    if ctx.plugin:
        return False, f"its user runs a credential plugin ({ctx.plugin}), which may prompt or open a browser"
    on_machine = host in hosts or (
        ip is not None and (ip.is_loopback or ip.is_unspecified or any(ip.version == 4 and ip in n for n in nets))
    )
    if on_machine:
        return True, f"{where} is on this machine"
    named = ctx.name in names or ctx.name.startswith(prefixes)
    if named and ip is not None and any(ip in ipaddress.ip_network(n) for n in _PRIVATE if ip.version == _v(n)):
        return True, f"a local distribution's context with {where}, a private address"
    if named:
        return False, f"named like a local cluster, but {where} is not a local address"
    return False, f"{where} is not on this machine"


_PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")
"""Where a local distribution's VM or container sits (RFC 1918, link-local, RFC 4193 ULA)."""


def _v(net: str) -> int:
    return 6 if ":" in net else 4


def _skipped(view: Result, ctx: Context, why: str) -> Result:
    """The pods source of a context not asked for: nothing was sent to its cluster."""
    msg = (
        f"Kubernetes context {ctx.name!r} skipped: {why}; netatlas only enters clusters on this "
        f"machine unless asked (--kube-context {ctx.name})"
    )
    # the kubeconfig itself is not kept: it names users and servers, and it is not
    # what the kubectl-pods-json parser reads
    return replace(view, stdout=b"", failure=Failure("skipped", msg))


def _only_pods(cluster: Vantage, pods: Result) -> Planned:
    """The cluster vantage with its pod list (already run, or a recorded failure)."""
    return Planned(cluster, [Source(f"{VANTAGE}/pods", "kubectl-pods-json", lambda _r: pods, fetched=pods)])


def plan(runner: Runner, *, context: str | None = None, max_pods: int = MAX_PODS) -> list[Planned]:
    """The cluster vantage and one vantage per running pod.

    Args:
        runner: how to reach the system.
        context: the kubeconfig context asked for by name (``--kube-context``); it is
            mapped wherever its cluster runs. Without it, only the current context,
            and only when it is local (:func:`is_local`); otherwise the cluster
            vantage carries a ``skipped`` failure and nothing reaches the cluster.
        max_pods: how many pods to enter at most.

    Raises:
        ValueError: ``context`` is empty or spans lines.
    """
    view = runner.run(config_view_argv(context), timeout=CONFIG_TIMEOUT)
    cluster = Vantage(VANTAGE, VantageKind.POD, "Kubernetes", parent="host", channel="kubectl")
    if view.failure is not None:
        if context is None:
            return []  # no kubectl, or no context: no Kubernetes to map here (not news)
        msg = f"--kube-context {context}: {view.failure.message}"
        return [_only_pods(cluster, replace(view, failure=replace(view.failure, message=msg)))]
    ctx = context_of(view.stdout)
    if ctx is None:
        if context is None:
            return []  # a kubeconfig without a usable current context
        ctx = Context(context, "")
    cluster = replace(cluster, name=f"Kubernetes ({ctx.name})")
    if context is None:
        local, why = is_local(ctx)
        if not local:
            return [_only_pods(cluster, _skipped(view, ctx, why))]
    pods = checked(runner.run([*_global(ctx.name), "get", "pods", "-A", "-o", "json"], timeout=LIST_TIMEOUT))
    out = [_only_pods(cluster, pods)]
    for ns, name in running_pods(pods)[: max(0, max_pods)]:
        vid = f"pod:{ns}/{name}"
        v = Vantage(vid, VantageKind.POD, f"{ns}/{name}", parent=VANTAGE, channel="kubectl-exec")
        out.append(Planned(v, pod_sources(vid, ctx.name, ns, name)))
    return out
