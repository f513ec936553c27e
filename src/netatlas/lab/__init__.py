"""The lab: rebuild a topology in real network namespaces, and verify the atlas against it.

``netatlas lab up z820`` builds the seed machine out of namespaces, veth pairs,
bridges, nftables NAT/DNAT, relays, DNS servers and hosts files (:mod:`.build`);
``netatlas verify --lab z820`` scans it (:mod:`.collect`), builds the atlas, probes it
for real from every vantage (:mod:`.probes`) and compares each answer with the atlas'
prediction (:mod:`.verify`). The lab is sealed: no namespace of it has a link to the
machine's own, and probes go only to addresses the topology defines.
"""

from netatlas.lab.build import LabStatus, down, running_topology, status, up
from netatlas.lab.topology import Topology, bundled_topologies, load_topology, renumber

__all__ = [
    "LabStatus",
    "Topology",
    "bundled_topologies",
    "down",
    "load_topology",
    "renumber",
    "running_topology",
    "status",
    "up",
]
