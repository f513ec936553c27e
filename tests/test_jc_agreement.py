"""Our parsers agree with jc wherever jc can read the input.

jc (the reference parser collection) is the oracle here rather than the tokeniser: on
the inputs netatlas exists for it loses what the map needs (comments that say who
wrote a hosts entry, cut-out addresses, localized labels, line numbers; see each
parser's docstring). Where both read the same output, the facts must match; a case jc
reads wrongly is listed with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PARSER_FIXTURES
from netatlas.parsers import parse

jc = pytest.importorskip("jc")


def cases(kind: str, *, skip: dict[str, str] | None = None) -> list[object]:
    out: list[object] = []
    for p in sorted((PARSER_FIXTURES / kind).glob("*.out")):
        reason = (skip or {}).get(p.stem)
        out.append(pytest.param(p, id=p.stem, marks=pytest.mark.skip(reason=reason)) if reason else p)
    return out


def text(p: Path) -> str:
    return p.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize(
    "path",
    cases(
        "ifconfig",
        skip={
            "seed-ubuntu-wsl-redacted": "jc drops an inet line whose address was cut out; we keep it as unknown",
        },
    ),
)
def test_ifconfig_addresses(path: Path) -> None:
    ours = {
        i.name: {str(a.address) for a in i.addresses if a.family == "inet"}
        for i in parse("ifconfig", path.read_bytes()).interfaces
    }
    theirs = {}
    for i in jc.parse("ifconfig", text(path), quiet=True):
        v4 = {a["address"] for a in i.get("ipv4") or []} or ({i["ipv4_addr"]} if i.get("ipv4_addr") else set())
        theirs[i["name"]] = v4
    assert ours == theirs


@pytest.mark.parametrize("path", cases("route-print"))
def test_route_print_interface_list(path: Path) -> None:
    ours = {i.index: i.mac for i in parse("route-print", path.read_bytes()).interfaces if i.index is not None}
    theirs = {
        i["interface_index"]: i.get("mac_address")
        for i in jc.parse("route_print", text(path), quiet=True)["interface_list"]
    }
    assert ours == theirs


@pytest.mark.parametrize(
    "path",
    cases(
        "ipconfig",
        skip={
            "corpus-001-ja-wsl-npcap-wlan": "jc reads English labels only (Japanese output)",
            "de-all-wsl-hyperv-firewall-prompt": "jc reads English labels only (German output)",
            "zh-hant-privoxy-post-dockernat-nat": "jc reads English labels only (second block is Traditional Chinese)",
            "corpus-005-all-en-nordlynx-flattened": "jc finds no addresses once the paste lost its indentation",
            "corpus-001-ja-wsl-npcap-wlan-cp932": "jc reads text only (code page 932 bytes), English labels only",
            "de-all-wsl-hyperv-firewall-prompt-cp850": "jc reads text only (code page 850 bytes), English labels only",
            "zh-hant-privoxy-post-dockernat-nat-cp950": "jc reads text only (code page 950 bytes), English labels only",
        },
    ),
)
def test_ipconfig_ipv4_per_adapter(path: Path) -> None:
    ours = {
        i.name: {str(a.address) for a in i.addresses if a.family == "inet"}
        for i in parse("ipconfig", path.read_bytes()).interfaces
    }
    theirs = {
        a["name"]: {x["address"] for x in a.get("ipv4_addresses") or []}
        for a in jc.parse("ipconfig", text(path), quiet=True)["adapters"]
    }
    assert ours == theirs


@pytest.mark.parametrize(
    "path",
    cases(
        "traceroute",
        skip={
            "corpus-003-traceroute-wsl2-nat": "jc returns inetutils' hops without probes ('0.476ms' with no space)",
            "netns-inetutils-resolve-H": "jc returns inetutils' hops without probes",
        },
    ),
)
def test_traceroute_hop_addresses(path: Path) -> None:
    ours: dict[int, set[str]] = {}
    for h in parse("traceroute", path.read_bytes()).hops:
        if h.address is not None:
            ours.setdefault(h.ttl, set()).add(str(h.address))
    theirs: dict[int, set[str]] = {}
    for hop in jc.parse("traceroute", text(path), quiet=True)["hops"]:
        for probe in hop["probes"]:
            if probe.get("ip"):
                theirs.setdefault(hop["hop"], set()).add(probe["ip"])
    assert ours == theirs


@pytest.mark.parametrize("path", cases("hosts"))
def test_hosts_entries(path: Path) -> None:
    ours = [(str(h.address), list(h.names)) for h in parse("hosts", path.read_bytes()).hosts]
    theirs = [(e["ip"], e["hostname"]) for e in jc.parse("hosts", text(path), quiet=True)]
    # jc keeps names that are not host names (e.g. literal '\n' pasted by Docker Desktop); we drop them with a warning
    assert [a for a, _ in ours] == [a for a, _ in theirs][: len(ours)] or set(a for a, _ in ours) <= set(
        a for a, _ in theirs
    )


@pytest.mark.parametrize("path", cases("resolv-conf"))
def test_resolv_conf_nameservers(path: Path) -> None:
    ours = [str(s) for s in parse("resolv-conf", path.read_bytes()).dns.servers]
    theirs = jc.parse("resolve_conf", text(path), quiet=True).get("nameservers", [])
    assert ours == [s for s in theirs if _is_ip(s)]


def _is_ip(s: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(s.split("%")[0])
    except ValueError:
        return False
    return True
