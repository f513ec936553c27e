"""Atlases for the picture tests: the z820 example, and a tiny hand-built one.

The tiny atlas uses documentation addresses (RFC 5737/3849) and hostile strings in
every user-data field (host names, interface names, hosts-file paths, finding text), so
each exporter's escaping is tested on the same input the golden files hold.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import shutil
from pathlib import Path

import pytest

from netatlas.model import Address, DnsConfig, Interface, Route, Vantage, VantageKind
from netatlas.model.atlas import ATLAS_SCHEMA, Atlas, Attachment, Finding, NameRecord, Network, Node, PortForward

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = ROOT / "artifacts"

HOSTILE = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'

ip = ipaddress.ip_address


@functools.cache
def z820() -> Atlas:
    """The z820 example, merged and analysed."""
    from netatlas.atlas import build_atlas
    from netatlas.bundle import read_bundle

    return build_atlas(read_bundle(ROOT / "examples" / "z820"))


def _iface(name: str, *cidrs: str) -> Interface:
    addrs = []
    for c in cidrs:
        i = ipaddress.ip_interface(c)
        addrs.append(Address(i.ip, i.network.prefixlen, "inet" if i.version == 4 else "inet6"))
    return Interface(name=name, addresses=tuple(addrs))


def tiny() -> Atlas:
    """A host on a LAN, a VM behind it, a container with a hostile name, a stale forward."""
    host = Node(
        "node:host",
        "host",
        "lab-host",
        vantages=("host",),
        interfaces=(_iface("Ethernet", "192.0.2.10/24"), _iface("vEthernet (WSL)", "198.51.100.1/24")),
        routes=(Route(ipaddress.ip_network("0.0.0.0/0"), gateway=ip("192.0.2.1"), interface="Ethernet"),),
        dns=DnsConfig(servers=(ip("192.0.2.1"),)),
    )
    vm = Node(
        "node:vm",
        "vm",
        "WSL 2 VM",
        vantages=("wsl:kali-linux",),
        parent="node:host",
        interfaces=(_iface("eth0", "198.51.100.7/24", "2001:db8::7/64"),),
        routes=(Route(ipaddress.ip_network("0.0.0.0/0"), gateway=ip("198.51.100.1"), interface="eth0"),),
    )
    evil = Node(
        "node:container:evil",
        "container",
        HOSTILE,
        vantages=("container:evil",),
        parent="node:vm",
        interfaces=(_iface('eth0"|%zone`', "203.0.113.5/24"),),
    )
    networks = (
        Network(
            "net:192.0.2.0/24",
            ipaddress.ip_network("192.0.2.0/24"),
            "lan",
            "Home LAN",
            attachments=(Attachment("node:host", "Ethernet", ip("192.0.2.10")),),
        ),
        Network(
            "net:198.51.100.0/24",
            ipaddress.ip_network("198.51.100.0/24"),
            "wsl-nat",
            "vEthernet (WSL)",
            owner="wsl",
            attachments=(
                Attachment("node:host", "vEthernet (WSL)", ip("198.51.100.1")),
                Attachment("node:vm", "eth0", ip("198.51.100.7")),
            ),
        ),
        Network(
            "net:2001:db8::/64",
            ipaddress.ip_network("2001:db8::/64"),
            "wsl-nat",
            "WSL IPv6",
            attachments=(Attachment("node:vm", "eth0", ip("2001:db8::7")),),
        ),
        Network(
            "net:203.0.113.0/24",
            ipaddress.ip_network("203.0.113.0/24"),
            "docker-bridge",
            "br-[x] | *y*",
            owner="docker-engine",
            attachments=(
                Attachment("node:vm", "docker0", ip("203.0.113.1")),
                Attachment("node:container:evil", 'eth0"|%zone`', ip("203.0.113.5")),
            ),
        ),
    )
    names = (
        NameRecord(
            "host",
            "host.docker.internal",
            (ip("192.0.2.99"),),
            "hosts",
            file=r"C:\Windows\System32\drivers\etc\hosts",
            line=23,
            writer="docker-desktop",
            marker="Added by Docker Desktop",
        ),
        NameRecord(
            "wsl:kali-linux",
            "host.docker.internal",
            (ip("192.0.2.99"),),
            "hosts",
            file="/etc/hosts",
            line=6,
            writer="wsl",
        ),
        NameRecord("wsl:kali-linux", "lab-host", (ip("192.0.2.10"),), "dns", server=ip("198.51.100.1")),
        NameRecord("container:evil", HOSTILE, (ip("203.0.113.5"),), "hosts", file="/etc/hosts|`x`", line=7),
    )
    forwards = (
        PortForward("node:host", "portproxy", None, 2222, ip("198.51.100.99"), 22),
        PortForward(
            "node:host", "docker-publish", ip("0.0.0.0"), 8080, ip("203.0.113.5"), 80, target_node="node:container:evil"
        ),
    )
    findings = (
        Finding(
            "stale-forward",
            "warning",
            "portproxy *:2222 forwards to 198.51.100.99:22, which nobody holds",
            "The rule on lab-host points at an address no node holds.\n\nWSL changed its address.",
            fix="netsh interface portproxy delete v4tov4 listenport=2222\n```\n</script>",
            networks=("net:198.51.100.0/24",),
            nodes=("node:host",),
        ),
        Finding(
            "pool-overlap",
            "error",
            f"bridge overlaps {HOSTILE}",
            "Two pools | one range.",
            networks=("net:203.0.113.0/24", "net:192.0.2.0/24"),
            nodes=("node:container:evil",),
        ),
    )
    return Atlas(
        ATLAS_SCHEMA,
        vantages=(
            Vantage("host", VantageKind.WINDOWS_HOST, "lab-host"),
            Vantage("wsl:kali-linux", VantageKind.WSL_DISTRO, "kali-linux", parent="host", channel="wsl"),
            Vantage("container:evil", VantageKind.CONTAINER, "evil", parent="wsl:kali-linux", channel="docker-exec"),
        ),
        nodes=(host, vm, evil),
        networks=networks,
        names=names,
        forwards=forwards,
        findings=findings,
    )


def scrub(text: str) -> str:
    """Volatile values out of a rendering: the netatlas version."""
    return re.sub(r"netatlas \d+\.\d+[^\s.]*(\.\d+)*", "netatlas <version>", text)


def check_golden(name: str, text: str) -> None:
    """Compare with ``golden/NAME``; ``NETATLAS_UPDATE_GOLDEN=1`` rewrites it."""
    path = GOLDEN / name
    text = scrub(text)
    if os.environ.get("NETATLAS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with NETATLAS_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def need_binary(name: str, why: str) -> str:
    """The path of a tool; skips where it is missing, but fails in CI, which installs it."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI ({why}); .ci/run installs it")
        pytest.skip(f"{name} not installed ({why})")
    return found
