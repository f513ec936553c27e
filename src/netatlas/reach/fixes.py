"""Remedies: why a listener cannot be reached from a vantage, and the concrete commands that would fix it."""

from __future__ import annotations

from netatlas.model import hostport
from netatlas.model.atlas import PUBLISH_VIAS, Atlas, Node, PortForward
from netatlas.model.facts import IPAddress
from netatlas.reach.endpoints import _find_node, _source
from netatlas.reach.result import LAN, Diagnosis
from netatlas.reach.world import _World, lan_address, wsl_address


def _publishes(world: _World, node_id: str, port: int) -> list[PortForward]:
    return [
        f
        for fs in world.forwards.values()
        for f in fs
        if f.via in PUBLISH_VIAS and f.target_node == node_id and f.connect_port == port
    ]


def _portproxies(world: _World, node: Node, port: int) -> list[PortForward]:
    mine = {a.address for i in node.interfaces for a in i.addresses if a.address is not None}
    return [
        f
        for fs in world.forwards.values()
        for f in fs
        if f.via == "portproxy"
        and f.connect_port == port
        and f.connect_address is not None
        and (f.connect_address in mine or (f.connect_address.is_loopback and world.localhost_forwarding))
    ]


def _is_proxy(process: str | None) -> bool:
    """Whether a listener's process is an engine's userland proxy for a published port."""
    return bool(process) and any(p in str(process) for p in ("docker-proxy", "rootlessport", "conmon"))


def _proxied_publish(world: _World, node: Node, port: int) -> PortForward | None:
    """The published port a proxy listening on ``node``'s ``port`` serves, if the atlas has it."""
    return next(
        (f for f in world.forwards.get(node.id, []) if f.via in PUBLISH_VIAS and f.listen_port == port),
        None,
    )


def _cli(world: _World, node: Node) -> str:
    """The engine's command for a container: ``podman`` when its networks are podman's, else ``docker``."""
    engines = {net.engine.get("engine") for net, _i, _a in world.attached.get(node.id, [])}
    return "podman" if "podman" in engines else "docker"


def _container_name(node: Node) -> str:
    return node.name.removeprefix("container:")


def _firewall(port: int) -> str:
    return (
        f'New-NetFirewallRule -DisplayName "netatlas {port}/tcp" -Direction Inbound '
        f"-LocalPort {port} -Protocol TCP -Action Allow"
    )


def _portproxy_add(port: int, wsl: IPAddress | None) -> str:
    to = wsl if wsl is not None else "<WSL address: wsl hostname -I>"
    return (
        f"netsh interface portproxy add v4tov4 listenport={port} listenaddress=0.0.0.0 "
        f"connectport={port} connectaddress={to}"
    )


def _diagnose(world: _World, node: Node, port: int, src: Node) -> Diagnosis:
    reasons: list[str] = []
    fixes: list[str] = []
    mine = [li for li in world.listeners.get(node.id, []) if li.port == port and li.protocol == "tcp"]
    loopback_only = bool(mine) and all(li.address is not None and li.address.is_loopback for li in mine)
    same = src.id == node.id
    host = world.host
    from_host = host is not None and src.id == host.id
    in_wsl = node.id in world.wsl
    if loopback_only and not same and not (in_wsl and from_host and world.localhost_forwarding):
        li = mine[0]
        reasons.append(f"it listens on {hostport(li.address, port)} only (evidence {li.evidence})")
        proxied = _proxied_publish(world, node, port) if all(_is_proxy(x.process) for x in mine) else None
        if proxied is not None:
            # the listener is docker-proxy serving a loopback publish: the publish is what to change
            target = world.nodes.get(proxied.target_node or "")
            name = _container_name(target) if target is not None else "<container>"
            cli = _cli(world, target) if target is not None else "docker"
            fixes.append(
                f"publish on every address: {cli} run -p 0.0.0.0:{port}:{proxied.connect_port} … {name}\n"
                f"# compose.yaml, under services.{name}:\n"
                f'    ports:\n      - "0.0.0.0:{port}:{proxied.connect_port}"'
            )
        else:
            fixes.append(
                f"make the service listen on 0.0.0.0:{port} instead of {hostport(li.address, port)} "
                f"(e.g. --host 0.0.0.0 / --bind 0.0.0.0:{port})"
            )
    if node.kind == "container" and not same:
        pubs = _publishes(world, node.id, port)
        name = _container_name(node)
        behind_same_host = host is not None and node.id in world.descendants(host.id) and from_host
        if not pubs:
            reasons.append(f"container {name} does not publish port {port}")
            fixes.append(
                f"publish it: {_cli(world, node)} run -p {port}:{port} … {name}\n"
                f'# compose.yaml, under services.{name}:\n    ports:\n      - "{port}:{port}"'
            )
            lan = lan_address(world.atlas, world.host) if world.host is not None else None
            if lan is not None:
                fixes[-1] += f"\n# then reach it at {lan}:{port} (the host's LAN address)"
        elif all(f.listen_address is not None and f.listen_address.is_loopback for f in pubs) and not behind_same_host:
            f = pubs[0]
            reasons.append(f"port {port} is published on {f.listen_address} only (evidence {f.evidence})")
            fixes.append(
                f"publish on every address: {_cli(world, node)} run -p 0.0.0.0:{f.listen_port}:{port} … {name}\n"
                f"# compose.yaml, under services.{name}:\n"
                f'    ports:\n      - "0.0.0.0:{f.listen_port}:{port}"'
            )
    if in_wsl and not same and world.mode == "nat":
        if from_host:
            if not world.localhost_forwarding:
                reasons.append("WSL localhost forwarding is off (.wslconfig localhostForwarding=false)")
                fixes.append("%UserProfile%\\.wslconfig:\n[wsl2]\nlocalhostForwarding=true\n# then: wsl --shutdown")
        elif not _portproxies(world, node, port):
            wsl = wsl_address(world.atlas, node)
            then = "then forward the port: " if loopback_only else ""
            reasons.append(
                f"it is inside WSL's NAT network ({wsl}) and no netsh portproxy rule forwards port {port}; "
                "localhost forwarding only helps from Windows itself"
            )
            fixes.append(then + _portproxy_add(port, wsl) + "\n" + _firewall(port))
            fixes.append(
                "or share the host's addresses: %UserProfile%\\.wslconfig\n[wsl2]\nnetworkingMode=mirrored\n"
                f"# then: wsl --shutdown, and allow the port: {_firewall(port)}"
            )
    return Diagnosis(tuple(reasons), tuple(fixes))


def diagnose(atlas: Atlas, node_id: str, port: int, src: str = LAN) -> Diagnosis:
    """Why ``src`` cannot reach port ``port`` on node ``node_id``, and the remedies.

    The causes it knows: a loopback bind, a container port not published or published
    on ``127.0.0.1`` only, a WSL (NAT mode) service without a portproxy rule, and WSL
    localhost forwarding turned off (the one way in from Windows itself).
    """
    world = _World(atlas)
    node = _find_node(world, node_id)
    if node is None:
        raise ValueError(f"unknown node {node_id!r}")
    return _diagnose(world, node, port, _source(world, src))
