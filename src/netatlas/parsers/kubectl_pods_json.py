"""``kubectl get pods -A -o json``: the pods of a Kubernetes cluster and their addresses.

Reads kubectl's ``{"kind": "List", "items": [...]}``, the API's own ``PodList``
(``GET /api/v1/pods``), one ``Pod`` (``kubectl get pod NAME -o json``) or a bare array
of pods (``… | jq .items``). Items of another kind (a ``kubectl get all`` list also
holds services and deployments) are skipped with a warning.

Fills ``Facts.containers``, one :class:`~netatlas.model.Container` per pod:

* ``name``: ``NAMESPACE/POD`` (``metadata.namespace``/``metadata.name``); ``id``:
  ``metadata.uid``; ``image``: the first container's ``image``; ``state``:
  ``status.phase`` in lower case (``running``, ``pending``, ``succeeded``,
  ``failed``, ``unknown``), so it reads like Docker's states.
* ``networks``: one :class:`~netatlas.model.Member` per ``status.podIPs`` entry
  (``status.podIP`` before Kubernetes 1.16), on the network named ``pod-network``,
  whose ``id`` is the node the pod runs on (``spec.nodeName``): pod addresses are
  handed out per node. The API gives no prefix length, so ``prefixlen`` is ``None``.
  A ``hostNetwork`` pod has the node's own addresses, not a pod address: it gets one
  member on the network ``host`` with no address (as Docker reports ``--network
  host``) and ``network_mode`` ``host``.
* ``ports``: every container's ``ports[].containerPort`` (protocol in lower case), with
  no host side. ``hostPort`` bindings are listed in ``settings["host_ports"]`` instead:
  they listen on a Kubernetes node, not on the machine a Docker ``-p`` would.
* ``dns``: ``spec.dnsConfig.nameservers``; ``extra_hosts``: ``spec.hostAliases`` as
  ``NAME:IP`` (Docker's ``--add-host`` form), the entries kubelet writes into the
  pod's ``/etc/hosts``.

``Facts.settings`` (only keys with something in them):

* ``node_ips``: ``{node: [addresses]}`` from ``status.hostIPs`` (1.28+) or
  ``status.hostIP``, canonical strings.
* ``host_network_pods``: names of the ``hostNetwork`` pods, sorted.
* ``host_ports``: ``[{"pod", "host_ip", "host_port", "container_port", "protocol"}]``.

Example (abridged)::

    {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod",
      "metadata": {"name": "web-5d4b", "namespace": "default", "uid": "3f1c…"},
      "spec": {"nodeName": "docker-desktop", "containers": [{"image": "nginx"}]},
      "status": {"phase": "Running", "hostIP": "192.168.65.3",
                 "podIPs": [{"ip": "10.1.0.12"}]}}]}

gives pod ``default/web-5d4b`` (``running``) at ``10.1.0.12`` on ``pod-network``
(node ``docker-desktop``) and ``node_ips`` ``{"docker-desktop": ["192.168.65.3"]}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Container, Facts, IPAddress, Member, PublishedPort
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, read_text
from netatlas.parsers._docker import Locator, extract_json, json_address

INFO = ParserInfo(
    kind="kubectl-pods-json",
    description="kubectl get pods -A -o json (a List or PodList of pods)",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"\bkubectl\b.*\bget\s+(?:pods?|po)\b",),
    source="kubectl get pods -A -o json",
)

POD_NETWORK = "pod-network"
"""The name pod addresses are listed on (the cluster's pod network)."""

_KIND = re.compile(r'"kind"\s*:\s*"(Pod|PodList)"')
_LIST_KINDS = ("List", "PodList")


def sniff(text: str) -> float:
    """High for JSON naming ``"kind": "Pod"``/``"PodList"`` with a pod ``spec``/``status``."""
    head = text[:200000]
    if _KIND.search(head) and ('"containers"' in head or '"podIP' in head):
        return 0.95
    if '"podIPs"' in head and '"nodeName"' in head:
        return 0.8
    return 0.0


def _is_pod(item: Mapping[str, Any]) -> bool:
    kind = item.get("kind")
    if kind is not None:
        return bool(kind == "Pod")
    return isinstance(item.get("metadata"), Mapping) and ("spec" in item or "status" in item)


def _raw(text: str, warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: ``{"line", "end", "obj"}`` per pod object."""
    out: list[dict[str, Any]] = []
    seen_format = False
    for value in extract_json(text, warnings):
        for first, last, item in value.items:
            if isinstance(item, Mapping) and (item.get("kind") in _LIST_KINDS or isinstance(item.get("items"), list)):
                seen_format = True
                inner = item.get("items")
                if not isinstance(inner, list):
                    warnings.add(first, f"a {item.get('kind')} without an items array; nothing to read")
                    continue
                for sub in inner:
                    out.extend(_item(sub, first, last, warnings))
            elif isinstance(item, Mapping) and _is_pod(item):
                seen_format = True
                out.append({"line": first, "end": last, "obj": item})
            elif isinstance(item, Mapping) and isinstance(item.get("kind"), str):
                seen_format = True  # a Kubernetes object, just not a pod
                warnings.add(first, f"skipped a {item['kind']}, not a pod")
            else:
                warnings.add(first, f"skipped a JSON {type(item).__name__} where a pod belongs")
    if not seen_format:
        raise ParseError("not kubectl JSON: no List, PodList or Pod object", line=1)
    return out


def _item(sub: Any, first: int, last: int, warnings: Warnings) -> list[dict[str, Any]]:
    if not isinstance(sub, Mapping):
        warnings.add(first, f"skipped a JSON {type(sub).__name__} in items")
        return []
    if not _is_pod(sub):
        warnings.add(first, f"skipped a {sub.get('kind') or 'non-pod object'} in items, not a pod")
        return []
    return [{"line": first, "end": last, "obj": sub}]


def _sub(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _addr(value: Any, line: int, w: Warnings, what: str) -> IPAddress | None:
    return json_address(value, line, w, what, "left out")


def _ips(status: Any, many: str, one: str, line: int, w: Warnings, what: str) -> list[IPAddress]:
    """Addresses from ``status[many] = [{"ip": …}]``, else ``status[one]``."""
    out: list[IPAddress] = []
    entries = _sub(status, many)
    if isinstance(entries, list) and entries:
        for e in entries:
            raw = e.get("ip") if isinstance(e, Mapping) else None
            addr = _addr(raw, line, w, what)
            if addr is not None and addr not in out:
                out.append(addr)
        return out
    addr = _addr(_sub(status, one), line, w, what)
    return [addr] if addr is not None else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value < 65536 else None


class _Settings:
    def __init__(self) -> None:
        self.node_ips: dict[str, list[str]] = {}
        self.host_net: list[str] = []
        self.host_ports: list[JSON] = []

    def facts(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        if self.node_ips:
            out["node_ips"] = {k: list(v) for k, v in sorted(self.node_ips.items())}
        if self.host_net:
            out["host_network_pods"] = list(sorted(self.host_net))
        if self.host_ports:
            out["host_ports"] = list(self.host_ports)
        return out


def _ports(name: str, spec: Any, line: int, w: Warnings, settings: _Settings) -> tuple[PublishedPort, ...]:
    out: list[PublishedPort] = []
    containers = _sub(spec, "containers")
    for c in containers if isinstance(containers, list) else []:
        ports = c.get("ports") if isinstance(c, Mapping) else None
        for p in ports if isinstance(ports, list) else []:
            if not isinstance(p, Mapping):
                continue
            number = _int(p.get("containerPort"))
            if number is None:
                w.add(line, f"pod {name}: skipped port {p.get('containerPort')!r}: not a port number")
                continue
            proto = str(p.get("protocol") or "TCP").lower()
            out.append(PublishedPort(container_port=number, protocol=proto))
            host_port = _int(p.get("hostPort"))
            if host_port is not None:
                host_ip = _addr(p.get("hostIP"), line, w, "hostIP")
                settings.host_ports.append(
                    {
                        "pod": name,
                        "host_ip": None if host_ip is None else str(host_ip),
                        "host_port": host_port,
                        "container_port": number,
                        "protocol": proto,
                    }
                )
    return tuple(out)


def _pod(tok: dict[str, Any], loc: Locator, w: Warnings, settings: _Settings) -> Container | None:
    obj: Mapping[str, Any] = tok["obj"]
    meta, spec, status = obj.get("metadata"), obj.get("spec"), obj.get("status")
    pod_name = _sub(meta, "name")
    if not isinstance(pod_name, str) or not pod_name:
        w.add(int(tok["line"]), "skipped a pod without metadata.name")
        return None
    line = loc.value(pod_name, int(tok["line"]), int(tok["end"]))
    ns = _sub(meta, "namespace")
    if isinstance(ns, str) and ns:
        name = f"{ns}/{pod_name}"
    else:
        name = pod_name
        w.add(line, f"pod {pod_name!r} has no metadata.namespace; named without one")
    node = _sub(spec, "nodeName")
    node = node if isinstance(node, str) and node else None
    host_network = _sub(spec, "hostNetwork") is True
    host_ips = _ips(status, "hostIPs", "hostIP", line, w, "hostIP")
    if node is not None and host_ips:
        known = settings.node_ips.setdefault(node, [])
        known.extend(str(a) for a in host_ips if str(a) not in known)
    members: list[Member]
    if host_network:
        settings.host_net.append(name)
        members = [Member(name="host", address=None, id=node)]
    else:
        pod_ips = _ips(status, "podIPs", "podIP", line, w, "podIP")
        members = [Member(name=POD_NETWORK, address=a, id=node) for a in pod_ips]
    containers = _sub(spec, "containers")
    first = containers[0] if isinstance(containers, list) and containers else None
    image = first.get("image") if isinstance(first, Mapping) else None
    phase = _sub(status, "phase")
    nameservers = _sub(spec, "dnsConfig", "nameservers")
    dns = tuple(
        a for s in (nameservers if isinstance(nameservers, list) else []) if (a := _addr(s, line, w, "nameserver"))
    )
    return Container(
        name=name,
        id=str(_sub(meta, "uid")) if _sub(meta, "uid") else None,
        image=str(image) if isinstance(image, str) and image else None,
        state=phase.lower() if isinstance(phase, str) and phase else None,
        networks=tuple(members),
        ports=_ports(name, spec, line, w, settings),
        network_mode="host" if host_network else None,
        extra_hosts=_aliases(spec),
        dns=dns,
    )


def _aliases(spec: Any) -> tuple[str, ...]:
    out: list[str] = []
    aliases = _sub(spec, "hostAliases")
    for a in aliases if isinstance(aliases, list) else []:
        if not isinstance(a, Mapping) or not isinstance(a.get("ip"), str):
            continue
        names = a.get("hostnames")
        out.extend(f"{h}:{a['ip']}" for h in (names if isinstance(names, list) else []) if isinstance(h, str) and h)
    return tuple(out)


def _process(raw: list[dict[str, Any]], warnings: Warnings, loc: Locator) -> Facts:
    settings = _Settings()
    pods = [c for tok in raw if (c := _pod(tok, loc, warnings, settings)) is not None]
    return Facts(kind=INFO.kind, containers=tuple(pods), settings=settings.facts(), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``kubectl get pods -o json`` output. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        return _process(_raw(text, warnings), warnings, Locator(text))

    return guard(run, source=source)
