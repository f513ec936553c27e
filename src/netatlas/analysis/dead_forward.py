"""dead-forward: a portproxy rule netsh accepted that can never forward.

``netsh interface portproxy add v4tov4 listenport=30000-50000 connectport=30000-50000
…`` is accepted: netsh stores the text as given, and ``show all`` lists the rule with
its range (microsoft/WSL#8963 shows one). But netsh's reference gives ``listenport``
and ``connectport`` as one port each, "by port number or service name" (Microsoft
Learn, *Netsh interface portproxy commands*); portproxy has no ranges, so the rule
never forwards anything while the user believes a whole range reaches WSL. The same
holds for a port out of 1-65535. The parser keeps such
rules in ``settings["portproxy_dead_rules"]`` (see
:mod:`netatlas.parsers.netsh_portproxy`); this check reports each one.

The fix deletes the rule and either adds one rule per port that is really needed, or,
for a whole range of ports, switches WSL to mirrored networking (Windows 11 22H2 and
later), where WSL shares the host's addresses and needs no forwarding at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from netatlas.analysis import Options
from netatlas.model.atlas import Atlas, Finding

__all__ = ["CODE", "DESCRIPTION", "check", "fix_commands"]

CODE = "dead-forward"
DESCRIPTION = "netsh portproxy rules that can never forward (a port range, a port out of 1-65535)."

_PER_PORT_SHOWN = 16
"""Up to this many ports, the fix lists one ``add`` per port; beyond it, a PowerShell loop."""


def _ports(text: str) -> tuple[int, int] | None:
    """``30000-50000`` as ``(30000, 50000)``; ``None`` unless a range within 1-65535."""
    first, sep, last = text.partition("-")
    if not (sep and first.isdigit() and last.isdigit()):
        return None
    lo, hi = int(first), int(last)
    return (lo, hi) if 0 < lo <= hi < 65536 else None


def fix_commands(rule: Mapping[str, object], mirrored: bool) -> str:
    """The netsh lines that delete ``rule`` and forward its ports one rule per port.

    Example:
        >>> rule = {"family": "v4tov4", "listen_address": None, "listen_ports": "8000-8001",
        ...         "connect_address": "172.23.1.6", "connect_ports": "8000-8001"}
        >>> print(fix_commands(rule, mirrored=False))
        netsh interface portproxy delete v4tov4 listenport=8000-8001
        # portproxy forwards single ports: one rule per port you need
        netsh interface portproxy add v4tov4 listenport=8000 connectport=8000 connectaddress=172.23.1.6
        netsh interface portproxy add v4tov4 listenport=8001 connectport=8001 connectaddress=172.23.1.6
        # or, for a whole range: let WSL share Windows' addresses (Windows 11 22H2+), in %UserProfile%\\.wslconfig:
        #   [wsl2]
        #   networkingMode=mirrored
        # then: wsl --shutdown
    """
    family = str(rule.get("family") or "v4tov4")
    listen = rule.get("listen_address")
    at = f" listenaddress={listen}" if listen else ""
    lines = [f"netsh interface portproxy delete {family} listenport={rule.get('listen_ports')}{at}"]
    if mirrored:
        lines.append("# WSL already uses mirrored networking: its ports are the host's, no rule is needed")
        return "\n".join(lines)
    span = _ports(str(rule.get("listen_ports")))
    target = _ports(str(rule.get("connect_ports")))
    connect = rule.get("connect_address")
    if span is not None and connect:
        lo, hi = span
        same = target == span
        one_port = str(rule.get("connect_ports")).isdigit()

        def cport(port: int | str) -> str:
            return str(port) if same else str(rule.get("connect_ports")) if one_port else "PORT"

        lines.append("# portproxy forwards single ports: one rule per port you need")
        if hi - lo < _PER_PORT_SHOWN:
            lines += [
                f"netsh interface portproxy add {family} listenport={p}{at} connectport={cport(p)} "
                f"connectaddress={connect}"
                for p in range(lo, hi + 1)
            ]
        else:
            lines.append(
                f"{lo}..{hi} | ForEach-Object {{ netsh interface portproxy add {family} listenport=$_{at} "
                f"connectport={cport('$_')} connectaddress={connect} }}   # PowerShell, {hi - lo + 1} rules"
            )
    lines += [
        "# or, for a whole range: let WSL share Windows' addresses (Windows 11 22H2+), in %UserProfile%\\.wslconfig:",
        "#   [wsl2]",
        "#   networkingMode=mirrored",
        "# then: wsl --shutdown",
    ]
    return "\n".join(lines)


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """One finding per portproxy rule that can never forward."""
    rules = atlas.settings.get("portproxy_dead_rules")
    if not isinstance(rules, list):
        return []
    mirrored = str(atlas.settings.get("networking_mode") or "").lower() == "mirrored"
    found: list[Finding] = []
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        listen = f"{rule.get('listen_address') or '*'}:{rule.get('listen_ports')}"
        connect = f"{rule.get('connect_address') or '?'}:{rule.get('connect_ports')}"
        node = str(rule.get("node") or "")
        evidence = str(rule.get("evidence") or "")
        line = rule.get("line")
        where = f" (evidence {evidence}, line {line})" if evidence else ""
        found.append(
            Finding(
                code=CODE,
                severity="warning",
                title=f"portproxy {listen} -> {connect} never forwards: {rule.get('why')}",
                detail=(
                    f"netsh stored the portproxy rule {listen} -> {connect}{where} and lists it, but portproxy "
                    "forwards single ports 1-65535 only, so this rule forwards nothing: connections to those "
                    "ports are refused or reach whatever else listens there. Forward each port you need with "
                    "its own rule, or, for a whole range, use mirrored networking so WSL shares Windows' "
                    "addresses and needs no forwarding."
                ),
                fix=fix_commands(rule, mirrored),
                nodes=(node,) if node else (),
                evidence=(evidence,) if evidence else (),
            )
        )
    return found
