"""Why can't A reach B: the path, hop by hop, and what is missing.

:func:`why` walks a packet through the atlas the way the machines would: at each node a
longest-prefix match over the node's routes (its connected networks when it has none),
NAT on the way out of containers, WSL and the Docker Desktop VM (they reach out through
their parent, and nothing reaches *in* without a forward), the forwards that relay a
port (``-p`` published ports on the host, ``netsh interface portproxy`` rules, WSL's
localhost forwarding and mirrored mode), and finally the listener's bind address
(``127.0.0.1`` is reachable only from the same node).

When the destination is a node rather than an address, every way in is tried (its own
addresses, each forward that leads to it, localhost forwarding, mirrored mode) and the
shortest working path wins; if none works, the most telling failure is shown with the
concrete remedies. :func:`remedies` is shared with the ``unreachable-service`` check so
both say the same thing.

Example:
    >>> from netatlas.model.atlas import Atlas
    >>> why(Atlas("netatlas-atlas/1", (), (), ()), "192.0.2.1", "192.0.2.1").reachable
    True
"""

from __future__ import annotations

from netatlas.model import hostport
from netatlas.reach.fixes import diagnose
from netatlas.reach.result import LAN, LEAVES_MAP, Diagnosis, Hop, PathResult
from netatlas.reach.walk import _listen_matches  # noqa: F401 - the bind rules, for their tests
from netatlas.reach.why import why
from netatlas.reach.world import host_node, lan_address, wsl_address, wsl_nodes

__all__ = [
    "LAN",
    "LEAVES_MAP",
    "Diagnosis",
    "Hop",
    "PathResult",
    "diagnose",
    "host_node",
    "hostport",
    "lan_address",
    "why",
    "wsl_address",
    "wsl_nodes",
]
