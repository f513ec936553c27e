"""The commands that read a Linux packet filter, shared by every place that runs them.

The host and named namespaces (:mod:`netatlas.collect.linux`, through ``ip netns
exec``) and containers' own namespaces (:mod:`netatlas.collect.containers`, through
``nsenter --net=/proc/PID/ns/net``) run the same three; one list keeps them the same.
"""

from __future__ import annotations

__all__ = ["FIREWALL_COMMANDS"]

FIREWALL_COMMANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("iptables-save", "iptables-save", ("iptables-save",)),
    ("ip6tables-save", "iptables-save", ("ip6tables-save",)),
    ("nft-json", "nft-json", ("nft", "-j", "list", "ruleset")),
)
"""(source name, parser kind, argv) of the packet filter reads."""
