"""``docker network inspect NAME...`` and ``podman network inspect NAME...`` (JSON).

Fills ``Facts.networks``: one :class:`~netatlas.model.EngineNetwork` per array element.

* ``name``, ``id``, ``driver``, ``scope``, ``internal``, ``labels`` as the engine says.
* ``created``: ``Created`` (Docker) or ``created`` (Podman), the engine's RFC 3339
  text unchanged (nanoseconds and all); ``None`` when absent.
* ``enable_ipv6`` (Docker ``EnableIPv6``, Podman ``ipv6_enabled``), ``attachable``
  (Docker ``Attachable``; Podman has none, so ``None``) and ``options``: the driver
  options (``Options``/``options``) as strings, e.g.
  ``com.docker.network.bridge.host_binding_ipv4``, the host address published ports
  bind to.
* ``subnets``, ``gateways``, ``ip_ranges`` from ``IPAM.Config[]`` (Docker) or
  ``subnets[]`` (Podman: ``subnet``, ``gateway``). A subnet written with host bits
  set (``8.8.6.1/24``) is stored as the network the engine uses (``8.8.6.0/24``) with
  a warning.
* ``bridge``: the Linux bridge device: the ``com.docker.network.bridge.name`` option,
  Podman's ``network_interface``, or for a Docker ``bridge``-driver network without
  that option ``br-`` plus the first 12 characters of the id, which is how
  libnetwork's bridge driver names it.
* ``members`` from ``Containers`` (Docker: ``Name``, ``IPv4Address`` ``a.b.c.d/len``,
  ``MacAddress``, and the container id as ``id``; an ``IPv6Address`` gives a second
  member entry for the same container) or Podman 5's ``containers[].interfaces``.
  An empty address (host or ``none`` networks) is ``None``; one that is there but
  unreadable (redacted, cut) is ``None`` with a warning.

Example (abridged)::

    [{"Name": "bridge", "Id": "c2c6…", "Driver": "bridge", "Scope": "local",
      "IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
      "Containers": {"2774…": {"Name": "es", "MacAddress": "02:42:ac:11:00:02",
                               "IPv4Address": "172.17.0.2/16", "IPv6Address": ""}},
      "Options": {"com.docker.network.bridge.name": "docker0"}}]

gives one network ``bridge`` with subnet ``172.17.0.0/16``, gateway ``172.17.0.1``,
bridge ``docker0`` and member ``es`` at ``172.17.0.2/16``.

jc has no parser for this (it is JSON); the value is cut out of a pasted transcript by
:func:`netatlas.parsers._docker.extract_json`, which keeps line numbers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from netatlas.model import EngineNetwork, Facts, IPAddress, IPNetwork, Member
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, mac, read_text
from netatlas.parsers._docker import Locator, extract_json, get_ci

INFO = ParserInfo(
    kind="docker-network-inspect",
    description="docker/podman network inspect (JSON array of networks)",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"\bnetwork\s+inspect\b",),
    source="docker network inspect NAME...",
)

_BRIDGE_OPTION = "com.docker.network.bridge.name"


def sniff(text: str) -> float:
    """High for a JSON array of objects with Docker's or Podman's network keys."""
    head = text[:20000]
    if "[" not in head and "{" not in head:
        return 0.0
    docker = '"IPAM"' in head and '"Containers"' in head
    podman = '"network_interface"' in head and '"subnets"' in head
    if docker or podman:
        return 0.95
    if '"IPAM"' in head and '"Driver"' in head:
        return 0.8
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: ``{"line", "end", "obj"}`` per network object, in input order."""
    out: list[dict[str, Any]] = []
    for value in extract_json(text, warnings):
        for first, last, item in value.items:
            if isinstance(item, list):  # ``[[...]]`` from some API wrappers
                out.extend({"line": first, "end": last, "obj": sub} for sub in item if isinstance(sub, dict))
            elif isinstance(item, dict):
                out.append({"line": first, "end": last, "obj": item})
            else:
                warnings.add(first, f"skipped a JSON {type(item).__name__} where a network object belongs")
    return out


def _subnet(text: Any, line: int, warnings: Warnings) -> IPNetwork | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        warnings.add(line, f"unreadable subnet {text!r}; left out")
        return None
    try:
        ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        warnings.add(line, f"subnet {text!r} has host bits set; the engine uses {net}")
    return net


def _address(text: Any, line: int, warnings: Warnings, what: str) -> tuple[IPAddress | None, int | None]:
    """``a.b.c.d/len`` (or a bare address) to (address, prefixlen); '' is (None, None)."""
    if not isinstance(text, str) or not text.strip():
        return None, None
    raw = text.strip()
    try:
        iface = ipaddress.ip_interface(raw)
    except ValueError:
        warnings.add(line, f"unreadable {what} {raw!r} (redacted or cut?); kept as unknown")
        return None, None
    return iface.ip, (iface.network.prefixlen if "/" in raw else None)


def _gateway(text: Any, line: int, warnings: Warnings) -> IPAddress | None:
    addr, _ = _address(text, line, warnings, "gateway")
    return addr


def _mac(text: Any, line: int, warnings: Warnings) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    canon = mac(text)
    if canon is None:
        warnings.add(line, f"unreadable MAC address {text!r}; kept as unknown")
    return canon


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _docker_members(obj: Mapping[str, Any], loc: Locator, line: int, end: int, w: Warnings) -> list[Member]:
    members: list[Member] = []
    containers = get_ci(obj, "Containers")
    if not isinstance(containers, Mapping):
        return members
    for cid, info in containers.items():
        if not isinstance(info, Mapping):
            continue
        at = loc.find([str(cid)], line, end)
        name = str(get_ci(info, "Name") or cid)
        hw = _mac(get_ci(info, "MacAddress"), at, w)
        v4, v4len = _address(get_ci(info, "IPv4Address"), at, w, "container address")
        v6, v6len = _address(get_ci(info, "IPv6Address"), at, w, "container IPv6 address")
        members.append(Member(name=name, address=v4, prefixlen=v4len, mac=hw, id=str(cid)))
        if v6 is not None:
            members.append(Member(name=name, address=v6, prefixlen=v6len, mac=hw, id=str(cid)))
    return members


def _podman_members(obj: Mapping[str, Any], loc: Locator, line: int, end: int, w: Warnings) -> list[Member]:
    """Podman 5: ``containers: {id: {name, interfaces: {eth0: {subnets: [{ipnet}]}}}}``."""
    members: list[Member] = []
    containers = get_ci(obj, "containers")
    if not isinstance(containers, Mapping):
        return members
    for cid, info in containers.items():
        if not isinstance(info, Mapping):
            continue
        at = loc.find([str(cid)], line, end)
        name = str(get_ci(info, "name") or cid)
        ifaces = get_ci(info, "interfaces")
        for iface in ifaces.values() if isinstance(ifaces, Mapping) else ():
            if not isinstance(iface, Mapping):
                continue
            hw = _mac(get_ci(iface, "mac_address"), at, w)
            subnets = get_ci(iface, "subnets")
            for sub in subnets if isinstance(subnets, list) else ():
                if isinstance(sub, Mapping):
                    addr, plen = _address(get_ci(sub, "ipnet"), at, w, "container address")
                    members.append(Member(name=name, address=addr, prefixlen=plen, mac=hw, id=str(cid)))
    return members


def _network(tok: dict[str, Any], loc: Locator, w: Warnings) -> EngineNetwork | None:
    obj: Mapping[str, Any] = tok["obj"]
    line, end = int(tok["line"]), int(tok["end"])
    name = get_ci(obj, "Name")
    if not isinstance(name, str) or not name:
        w.add(line, "skipped a JSON object without a network name")
        return None
    podman = get_ci(obj, "network_interface") is not None or get_ci(obj, "subnets") is not None
    net_id = get_ci(obj, "Id", "ID")
    driver = get_ci(obj, "Driver")
    subnets: list[IPNetwork] = []
    gateways: list[IPAddress] = []
    ranges: list[IPNetwork] = []
    if podman:
        configs = get_ci(obj, "subnets")
    else:
        ipam = get_ci(obj, "IPAM")
        configs = get_ci(ipam, "Config") if isinstance(ipam, Mapping) else None
    for cfg in configs if isinstance(configs, list) else ():
        if not isinstance(cfg, Mapping):
            continue
        sub_text = get_ci(cfg, "Subnet")
        at = loc.value(str(sub_text), line, end) if sub_text else line
        if (net := _subnet(sub_text, at, w)) is not None:
            subnets.append(net)
        if (gw := _gateway(get_ci(cfg, "Gateway"), at, w)) is not None:
            gateways.append(gw)
        if (rng := _subnet(get_ci(cfg, "IPRange"), at, w)) is not None:
            ranges.append(rng)
    options = get_ci(obj, "Options")
    bridge = options.get(_BRIDGE_OPTION) if isinstance(options, Mapping) else None
    if podman:
        bridge = get_ci(obj, "network_interface") or None
    elif not bridge and driver == "bridge" and isinstance(net_id, str) and len(net_id) >= 12:
        bridge = f"br-{net_id[:12]}"
    members = (_podman_members if podman else _docker_members)(obj, loc, line, end, w)
    internal = get_ci(obj, "Internal")
    scope = get_ci(obj, "Scope")
    ipv6 = get_ci(obj, "ipv6_enabled" if podman else "EnableIPv6")
    attachable = None if podman else get_ci(obj, "Attachable")
    created = get_ci(obj, "Created")
    return EngineNetwork(
        name=name,
        id=str(net_id) if net_id else None,
        driver=str(driver) if driver else None,
        subnets=tuple(subnets),
        gateways=tuple(gateways),
        members=tuple(members),
        scope=str(scope) if scope else None,
        internal=internal if isinstance(internal, bool) else None,
        bridge=str(bridge) if bridge else None,
        ip_ranges=tuple(ranges),
        labels=_string_map(get_ci(obj, "Labels")),
        enable_ipv6=ipv6 if isinstance(ipv6, bool) else None,
        attachable=attachable if isinstance(attachable, bool) else None,
        options=_string_map(options),
        created=created.strip() or None if isinstance(created, str) else None,
    )


def _process(raw: list[dict[str, Any]], warnings: Warnings, loc: Locator) -> Facts:
    networks = [n for tok in raw if (n := _network(tok, loc, warnings)) is not None]
    return Facts(kind=INFO.kind, networks=tuple(networks), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``docker network inspect`` output. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        return _process(_raw(text, warnings), warnings, Locator(text))

    return guard(run, source=source)
