"""stale-forward: a portproxy rule that forwards to an address nobody holds any more.

WSL 2 in NAT mode gets its address from HNS at every start, so a ``netsh interface
portproxy add v4tov4 … connectaddress=172.28.1.5`` written last week may point at an
address that no longer exists: the port on Windows still accepts connections, then
drops them. This check reports every portproxy rule whose connect address is held by
no interface of any node, when that address lies in a WSL/VM/container network or in
no network the atlas knows (an old WSL range). A rule to another LAN device is left
alone: the atlas does not see every device on the LAN.

The fix deletes the rule and adds it again with the WSL VM's current address.
"""

from __future__ import annotations

import ipaddress

from netatlas.analysis import Options
from netatlas.model.atlas import Atlas, Finding, PortForward
from netatlas.model.facts import IPAddress
from netatlas.reach import host_node, wsl_address

__all__ = ["CODE", "DESCRIPTION", "check", "netsh_commands"]

CODE = "stale-forward"
DESCRIPTION = "netsh portproxy rules whose connect address no WSL or VM interface holds."

_INSIDE_KINDS = frozenset(
    {"wsl-nat", "hyperv-default-switch", "docker-desktop-vm", "docker-bridge", "k8s-pods", "unknown"}
)


_PRIVATE = tuple(
    ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
"""Where WSL, VMs and containers get addresses (RFC 1918, CGNAT, ULA); an unknown
address outside them is some public host, not a stale VM address."""


def _held(atlas: Atlas) -> set[IPAddress]:
    out = {a.address for n in atlas.nodes for i in n.interfaces for a in i.addresses if a.address is not None}
    out |= {a.address for net in atlas.networks for a in net.attachments if a.address is not None}
    return out


def _fam(address: IPAddress | None) -> str:
    return "v6" if address is not None and address.version == 6 else "v4"


def netsh_commands(f: PortForward, new_connect: IPAddress | None) -> str:
    """The ``netsh`` lines that delete ``f`` and, given an address, add it back there.

    Example:
        >>> from ipaddress import ip_address
        >>> f = PortForward("node:host", "portproxy", ip_address("0.0.0.0"), 8080,
        ...                 ip_address("172.28.1.5"), 80)
        >>> delete, add = netsh_commands(f, ip_address("172.25.150.37")).splitlines()
        >>> delete
        'netsh interface portproxy delete v4tov4 listenport=8080 listenaddress=0.0.0.0'
        >>> add.split(" connectport=")[1]
        '80 connectaddress=172.25.150.37'
    """
    kind = f"{_fam(f.listen_address)}to{_fam(f.connect_address)}"
    listen = f" listenaddress={f.listen_address}" if f.listen_address is not None else ""
    lines = [f"netsh interface portproxy delete {kind} listenport={f.listen_port}{listen}"]
    if new_connect is not None:
        kind = f"{_fam(f.listen_address)}to{_fam(new_connect)}"
        lines.append(
            f"netsh interface portproxy add {kind} listenport={f.listen_port}{listen} "
            f"connectport={f.connect_port} connectaddress={new_connect}"
        )
    return "\n".join(lines)


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """Every portproxy rule that forwards into the void."""
    held = _held(atlas)
    current = wsl_address(atlas)
    host = host_node(atlas)
    found: list[Finding] = []
    for f in atlas.forwards:
        target = f.connect_address
        if f.via != "portproxy" or target is None or target.is_loopback or target in held:
            continue
        nets = [n for n in atlas.networks if n.cidr.version == target.version and target in n.cidr]
        net = max(nets, key=lambda n: n.cidr.prefixlen, default=None)
        if net is not None and net.kind not in _INSIDE_KINDS:
            continue
        if net is None and not any(target in block for block in _PRIVATE if block.version == target.version):
            continue
        where = (
            f"in {net.label} ({net.cidr}), where no interface holds it"
            if net is not None
            else "in no network of this machine any more"
        )
        now = f"; the WSL VM is now {current}" if current is not None else ""
        listen = f.listen_address or "*"
        found.append(
            Finding(
                code=CODE,
                severity="warning",
                title=f"portproxy {listen}:{f.listen_port} forwards to {target}:{f.connect_port}, which nobody holds",
                detail=(
                    f"The netsh interface portproxy rule on {host.name if host else f.node} "
                    f"(evidence {f.evidence}) forwards {listen}:{f.listen_port} to "
                    f"{target}:{f.connect_port}, an address {where}{now}. "
                    "WSL 2 (NAT mode) gets a new address from HNS at start, so rules written with an old "
                    "address accept connections and then drop them."
                ),
                fix=netsh_commands(f, current)
                + ("" if current is not None else "\n# then add it again with the address of: wsl hostname -I"),
                networks=(net.id,) if net is not None else (),
                nodes=(f.node,),
                evidence=(f.evidence,) if f.evidence else (),
            )
        )
    return found
