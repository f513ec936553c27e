"""Read links, addresses and routes in-process over netlink (pyroute2).

No process is spawned, for the host or for any named network namespace, which is
what makes a scan of hundreds of namespaces take well under a second. The dump is
kept as evidence in the same JSON shape ``ip -j address`` / ``ip -j route show table
all`` print, so the ``ip-addr-json`` and ``ip-route-json`` parsers read both alike
and a bundle stays readable without pyroute2.

pyroute2 is Linux-only: it is imported inside the functions, and callers on other
platforms never reach them.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from netatlas.collect.runner import Result
from netatlas.model import Failure

__all__ = ["NETNS_DIR", "dump", "named_namespaces"]

NETNS_DIR = "/run/netns"


def named_namespaces() -> list[str]:
    """Names of the namespaces ``ip netns`` knows (``/run/netns``), sorted."""
    try:
        return sorted(p.name for p in Path(NETNS_DIR).iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def _netns_exists(name: str) -> bool:
    return "/" not in name and name not in (".", "..") and (Path(NETNS_DIR) / name).exists()


_SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
_RTYPE = {
    2: "local",
    3: "broadcast",
    4: "anycast",
    5: "multicast",
    6: "blackhole",
    7: "unreachable",
    8: "prohibit",
    9: "throw",
    10: "nat",
}
_PROTO = {
    1: "redirect",
    2: "kernel",
    3: "boot",
    4: "static",
    16: "dhcp",
    186: "bgp",
    187: "isis",
    188: "ospf",
    189: "rip",
}
_TABLE = {253: "default", 254: "main", 255: "local"}
_FAMILY = {2: "inet", 10: "inet6"}
_LINKTYPE = {1: "ether", 772: "loopback", 65534: "none", 768: "ipip", 776: "sit", 65535: "void"}
_IFF = [
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1000, "MULTICAST"),
    (0x10000, "LOWER_UP"),
]


def _links_and_addrs(ipr: Any) -> list[dict[str, Any]]:
    links: dict[int, dict[str, Any]] = {}
    for msg in ipr.get_links():
        idx = msg["index"]
        flags = msg["flags"]
        link: dict[str, Any] = {
            "ifindex": idx,
            "ifname": msg.get_attr("IFLA_IFNAME"),
            "flags": [name for bit, name in _IFF if flags & bit],
            "mtu": msg.get_attr("IFLA_MTU"),
            "operstate": msg.get_attr("IFLA_OPERSTATE"),
            "link_type": _LINKTYPE.get(msg["ifi_type"], str(msg["ifi_type"])),
            "addr_info": [],
        }
        mac = msg.get_attr("IFLA_ADDRESS")
        if mac:
            link["address"] = mac
        master = msg.get_attr("IFLA_MASTER")
        if master:
            link["master_index"] = master
        links[idx] = link
    for msg in ipr.get_addr():
        owner = links.get(msg["index"])
        if owner is None:
            continue
        info: dict[str, Any] = {
            "family": _FAMILY.get(msg["family"], str(msg["family"])),
            "local": msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS"),
            "prefixlen": msg["prefixlen"],
            "scope": _SCOPE.get(msg["scope"], str(msg["scope"])),
        }
        peer = msg.get_attr("IFA_ADDRESS")
        if peer and peer != info["local"]:
            info["address"] = peer
        label = msg.get_attr("IFA_LABEL")
        if label:
            info["label"] = label
        owner["addr_info"].append(info)
    names = {i: link["ifname"] for i, link in links.items()}
    for link in links.values():
        master = link.pop("master_index", None)
        if master in names:
            link["master"] = names[master]
    return list(links.values())


def _routes(ipr: Any, names: dict[int, str]) -> list[dict[str, Any]]:
    out = []
    # table=None dumps every table (main, local, policy tables), like `table all`
    for msg in ipr.get_routes(table=None):
        fam = msg["family"]
        if fam not in (2, 10):
            continue
        table = msg.get_attr("RTA_TABLE") or msg["table"]
        dst = msg.get_attr("RTA_DST")
        route: dict[str, Any] = {}
        rtype = _RTYPE.get(msg["type"])
        if rtype:
            route["type"] = rtype
        route["dst"] = f"{dst}/{msg['dst_len']}" if dst else "default"
        if dst and msg["dst_len"] == (32 if fam == 2 else 128):
            route["dst"] = dst
        gw = msg.get_attr("RTA_GATEWAY")
        if gw:
            route["gateway"] = gw
        oif = msg.get_attr("RTA_OIF")
        if oif in names:
            route["dev"] = names[oif]
        if table != 254:
            route["table"] = _TABLE.get(table, str(table))
        proto = _PROTO.get(msg["proto"])
        if proto:
            route["protocol"] = proto
        if msg["scope"]:
            route["scope"] = _SCOPE.get(msg["scope"], str(msg["scope"]))
        src = msg.get_attr("RTA_PREFSRC")
        if src:
            route["prefsrc"] = src
        prio = msg.get_attr("RTA_PRIORITY")
        if prio is not None:
            route["metric"] = prio
        route["flags"] = []
        out.append(route)
    return out


def dump(netns: str | None = None) -> tuple[Result, Result]:
    """``ip -j address``- and ``ip -j route show table all``-shaped dumps.

    Args:
        netns: a name under ``/run/netns``, or ``None`` for this process's namespace.

    Returns:
        Two results (addresses, routes); a failure (no pyroute2, no such namespace,
        permission denied) is recorded in them, never raised.
    """
    where = ["netns", netns] if netns else []
    argv_a = ("netlink", *where, "RTM_GETLINK+RTM_GETADDR")
    argv_r = ("netlink", *where, "RTM_GETROUTE", "table", "all")
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    if netns and not _netns_exists(netns):
        # pyroute2 would *create* a missing namespace; a scan must never change the system
        fail = Failure("not-installed", f"no network namespace {netns!r}")
        return Result(argv_a, started=started, failure=fail), Result(argv_r, started=started, failure=fail)
    try:
        from pyroute2 import IPRoute
    except ImportError:
        fail = Failure("unsupported", "pyroute2 is not available on this platform")
        return Result(argv_a, started=started, failure=fail), Result(argv_r, started=started, failure=fail)
    try:
        with IPRoute(netns=netns) if netns else IPRoute() as ipr:
            links = _links_and_addrs(ipr)
            t1 = time.monotonic()
            routes = _routes(ipr, {link["ifindex"]: link["ifname"] for link in links})
    except PermissionError as exc:
        fail = Failure("permission-denied", f"netlink{' in netns ' + netns if netns else ''}: {exc}")
        return Result(argv_a, started=started, failure=fail), Result(argv_r, started=started, failure=fail)
    except (OSError, ValueError) as exc:
        fail = Failure("error", f"netlink{' in netns ' + netns if netns else ''}: {exc}")
        return Result(argv_a, started=started, failure=fail), Result(argv_r, started=started, failure=fail)
    t2 = time.monotonic()
    a = Result(argv_a, json.dumps(links).encode(), exit_code=None, duration_s=t1 - t0, started=started)
    r = Result(argv_r, json.dumps(routes).encode(), exit_code=None, duration_s=t2 - t1, started=started)
    return a, r
