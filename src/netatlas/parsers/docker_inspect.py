"""``docker inspect CONTAINER...`` / ``docker container inspect`` (JSON array).

Fills ``Facts.containers``: one :class:`~netatlas.model.Container` per element.

* ``name`` (``Name`` without the leading ``/``), ``id``, ``image`` (``Config.Image``,
  the name the user asked for, not the ``sha256:`` id), ``state`` (``State.Status``;
  Docker < 1.10 has only ``State.Running``), ``pid`` (``State.Pid``; ``0``, i.e. not
  running, is ``None``), ``network_mode`` (``HostConfig.NetworkMode``).
* ``networks`` from ``NetworkSettings.Networks``: one
  :class:`~netatlas.model.Member` per network, whose ``name`` is the *network's*
  name and ``id`` its ``NetworkID``, with ``IPAddress``/``IPPrefixLen``/
  ``MacAddress`` and ``Gateway`` as ``gateway``; a ``GlobalIPv6Address`` adds a second
  entry for that network, whose ``gateway`` is the ``IPv6Gateway``.
  Docker < 1.9 has no ``Networks``: the top-level ``NetworkSettings`` address is used,
  named after the network mode.
* ``ports`` from ``NetworkSettings.Ports``: ``"80/tcp": [{"HostIp": "0.0.0.0",
  "HostPort": "8080"}]`` is one :class:`~netatlas.model.PublishedPort` per binding;
  ``"9000/tcp": null`` (exposed, not published) has no host side. A stopped
  container has no runtime ports, so ``HostConfig.PortBindings`` (what it will
  publish) is used instead, where ``HostIp: ""`` means every host address (``None``).
* ``extra_hosts``: ``HostConfig.ExtraHosts`` as written (``host.docker.internal:host-gateway``);
  ``dns``: the addresses of ``HostConfig.Dns`` (``--dns``; one that is not an address
  is left out with a warning).
* ``service``: ``PROJECT/SERVICE`` from the ``Config.Labels``
  ``com.docker.compose.project`` and ``com.docker.compose.service`` (compose writes
  both on every container it starts; either alone gives just that part).

Elements that are networks or images (``docker inspect`` takes any object) are
skipped with a warning.

Example (abridged)::

    [{"Id": "19ae…", "Name": "/web", "State": {"Status": "running", "Pid": 10115},
      "Config": {"Image": "nginx"}, "HostConfig": {"NetworkMode": "default"},
      "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
        "Networks": {"bridge": {"NetworkID": "7114…", "IPAddress": "172.17.0.2",
                                "IPPrefixLen": 16, "MacAddress": "02:42:ac:11:00:02"}}}}]

gives container ``web`` on network ``bridge`` at ``172.17.0.2/16`` publishing
``0.0.0.0:8080 -> 80/tcp``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.model import Container, Facts, IPAddress, Member, PublishedPort
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, ip_or_none, mac, read_text
from netatlas.parsers._docker import Locator, extract_json, get_ci, json_address

INFO = ParserInfo(
    kind="docker-inspect",
    description="docker inspect / docker container inspect (JSON array of containers)",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"\b(?:container\s+)?inspect\b",),
    source="docker inspect CONTAINER...",
)

_NO_TIME = "0001-01-01T00:00:00Z"


def sniff(text: str) -> float:
    """High for JSON with a container's ``NetworkSettings`` next to ``State``/``HostConfig``."""
    head = text[:60000]
    if '"NetworkSettings"' in head and ('"HostConfig"' in head or '"State"' in head):
        return 0.95
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: ``{"line", "end", "obj"}`` per container object."""
    out: list[dict[str, Any]] = []
    for value in extract_json(text, warnings):
        for first, last, item in value.items:
            if not isinstance(item, dict):
                warnings.add(first, f"skipped a JSON {type(item).__name__} where a container belongs")
            elif "IPAM" in item or "RepoTags" in item or "Mountpoint" in item:
                what = "network" if "IPAM" in item else "image" if "RepoTags" in item else "volume"
                warnings.add(first, f"skipped a {what}, not a container")
            else:
                out.append({"line": first, "end": last, "obj": item})
    return out


def _sub(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = get_ci(obj, key)
    return obj


def _addr(value: Any, line: int, w: Warnings, what: str) -> IPAddress | None:
    return json_address(value, line, w, what, "kept as unknown")


def _mac(value: Any, line: int, w: Warnings) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    canon = mac(value)
    if canon is None:
        w.add(line, f"unreadable MAC address {value!r}; kept as unknown")
    return canon


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _members(obj: Mapping[str, Any], loc: Locator, line: int, end: int, w: Warnings) -> list[Member]:
    settings = get_ci(obj, "NetworkSettings")
    if not isinstance(settings, Mapping):
        return []
    networks = get_ci(settings, "Networks")
    if not isinstance(networks, Mapping):  # Docker < 1.9: one address, no per-network map
        mode = _sub(obj, "HostConfig", "NetworkMode")
        networks = {str(mode or "bridge"): settings}
    out: list[Member] = []
    for name, ep in networks.items():
        if not isinstance(ep, Mapping):
            continue
        at = loc.key(str(name), line, end)
        net_id = get_ci(ep, "NetworkID")
        hw = _mac(get_ci(ep, "MacAddress"), at, w)
        v4 = _addr(get_ci(ep, "IPAddress"), at, w, "container address")
        v4len = _int(get_ci(ep, "IPPrefixLen")) if v4 is not None else None
        gw4 = _addr(get_ci(ep, "Gateway"), at, w, "gateway")
        ident = str(net_id) if net_id else None
        out.append(Member(name=str(name), address=v4, prefixlen=v4len, mac=hw, id=ident, gateway=gw4))
        v6 = _addr(get_ci(ep, "GlobalIPv6Address"), at, w, "container IPv6 address")
        if v6 is not None:
            v6len = _int(get_ci(ep, "GlobalIPv6PrefixLen"))
            gw6 = _addr(get_ci(ep, "IPv6Gateway"), at, w, "IPv6 gateway")
            out.append(Member(name=str(name), address=v6, prefixlen=v6len, mac=hw, id=ident, gateway=gw6))
    return out


def _ports(obj: Mapping[str, Any], loc: Locator, line: int, end: int, w: Warnings) -> list[PublishedPort]:
    ports = _sub(obj, "NetworkSettings", "Ports")
    if not isinstance(ports, Mapping) or not ports:
        ports = _sub(obj, "HostConfig", "PortBindings")
    if not isinstance(ports, Mapping):
        return []
    out: list[PublishedPort] = []
    for spec, bindings in ports.items():
        at = loc.key(str(spec), line, end)
        number, _, proto = str(spec).partition("/")
        if not number.isdigit() or not 0 < int(number) < 65536:
            w.add(at, f"skipped port {spec!r}: not 'PORT/PROTOCOL'")
            continue
        proto = proto or "tcp"
        if not isinstance(bindings, list) or not bindings:
            out.append(PublishedPort(container_port=int(number), protocol=proto))
            continue
        for b in bindings:
            if not isinstance(b, Mapping):
                continue
            host_port = _int(get_ci(b, "HostPort"))
            raw_port = get_ci(b, "HostPort")
            if host_port is not None and not 0 < host_port < 65536:
                host_port = None  # Docker refuses such a binding; someone edited this JSON
            if host_port is None and raw_port not in (None, ""):
                w.add(at, f"unreadable host port {raw_port!r} for {spec}; kept as unknown")
            out.append(
                PublishedPort(
                    container_port=int(number),
                    protocol=proto,
                    host_ip=_addr(get_ci(b, "HostIp"), at, w, "host address"),
                    host_port=host_port,
                )
            )
    return out


def _extra_hosts(obj: Mapping[str, Any]) -> tuple[str, ...]:
    hosts = _sub(obj, "HostConfig", "ExtraHosts")
    return tuple(str(h) for h in hosts if isinstance(h, str) and h) if isinstance(hosts, list) else ()


def _dns(obj: Mapping[str, Any], loc: Locator, line: int, end: int, w: Warnings) -> tuple[IPAddress, ...]:
    servers = _sub(obj, "HostConfig", "Dns")
    if not isinstance(servers, list):
        return ()
    out: list[IPAddress] = []
    for s in servers:
        if not isinstance(s, str) or not s.strip():
            continue
        addr = ip_or_none(s)
        if addr is None:
            w.add(loc.value(s, line, end), f"DNS server {s!r} is not an address (redacted or cut?); left out")
        else:
            out.append(addr)
    return tuple(out)


def _service(obj: Mapping[str, Any]) -> str | None:
    labels = _sub(obj, "Config", "Labels")
    if not isinstance(labels, Mapping):
        return None
    parts = [labels.get(k) for k in ("com.docker.compose.project", "com.docker.compose.service")]
    named = [str(p) for p in parts if isinstance(p, str) and p]
    return "/".join(named) or None


def _state(obj: Mapping[str, Any]) -> str | None:
    state = get_ci(obj, "State")
    if isinstance(state, str):  # podman ps-style, or a hand-edited file
        return state or None
    if not isinstance(state, Mapping):
        return None
    status = get_ci(state, "Status")
    if isinstance(status, str) and status:
        return status
    if get_ci(state, "Running") is True:
        return "paused" if get_ci(state, "Paused") is True else "running"
    finished = get_ci(state, "FinishedAt")
    return "exited" if isinstance(finished, str) and finished and finished != _NO_TIME else None


def _container(tok: dict[str, Any], loc: Locator, w: Warnings) -> Container | None:
    obj: Mapping[str, Any] = tok["obj"]
    line, end = int(tok["line"]), int(tok["end"])
    cid = get_ci(obj, "Id", "ID")
    name = get_ci(obj, "Name")
    if not isinstance(name, str) or not name.strip("/"):
        if not cid:
            w.add(line, "skipped a JSON object with neither a container name nor an id")
            return None
        name = str(cid)[:12]
    image = _sub(obj, "Config", "Image") or get_ci(obj, "ImageName", "Image")
    pid = _int(_sub(obj, "State", "Pid"))
    mode = _sub(obj, "HostConfig", "NetworkMode")
    return Container(
        name=name.lstrip("/"),
        id=str(cid) if cid else None,
        image=str(image) if image else None,
        state=_state(obj),
        networks=tuple(_members(obj, loc, line, end, w)),
        ports=tuple(_ports(obj, loc, line, end, w)),
        pid=pid or None,
        network_mode=str(mode) if mode else None,
        extra_hosts=_extra_hosts(obj),
        dns=_dns(obj, loc, line, end, w),
        service=_service(obj),
    )


def _process(raw: list[dict[str, Any]], warnings: Warnings, loc: Locator) -> Facts:
    containers = [c for tok in raw if (c := _container(tok, loc, warnings)) is not None]
    return Facts(kind=INFO.kind, containers=tuple(containers), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``docker inspect`` output. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        return _process(_raw(text, warnings), warnings, Locator(text))

    return guard(run, source=source)
