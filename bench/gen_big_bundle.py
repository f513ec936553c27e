#!/usr/bin/env python3
"""Generate the bundle of a big Docker host: 500 containers on 50 networks.

Vantages: the Linux ``host`` (``ip -j address`` / ``ip -j route show table all``
shapes, as the netlink reader writes them: ``eth0``, ``docker0``, 50 ``br-<id>``
bridges, one ``veth`` per container endpoint), and its ``docker-engine`` (parent
``host``, channel ``docker-api``) with what the engine API answers: ``GET /info``,
one ``GET /networks/{id}?verbose=true`` per network and one ``GET /containers/{id}/json``
per container, the way :mod:`netatlas.collect.docker_engine` records them (argv
``("api", "GET …")``, the response body as the evidence). ``docker0`` is 172.17.0.0/16 and the
other networks take /24s from a configured ``default-address-pools`` 10.201.0.0/16;
each container sits on one network, every fifth also on a second, 80-odd publish a
port. Deterministic (seeded), so every run maps the same host.

Usage: ``bench/gen_big_bundle.py OUT.zip [--containers 500] [--networks 50]``
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import random
import sys
from datetime import datetime, timezone

from netatlas.bundle import Bundle, write_bundle
from netatlas.collect.netlink import ROUTE_DUMP
from netatlas.model import Evidence, Vantage, VantageKind

CREATED = datetime(2025, 1, 15, 9, 0, tzinfo=timezone.utc)


def _hex(seed: str, n: int = 64) -> str:
    return (hashlib.sha256(seed.encode()).hexdigest() * 2)[:n]


def _mac(ip: ipaddress.IPv4Address) -> str:
    return "02:42:" + ":".join(f"{b:02x}" for b in ip.packed)


def _subnets(n: int) -> list[ipaddress.IPv4Network]:
    """What ``default-address-pools: [{base: 10.201.0.0/16, size: 24}]`` hands out.

    (Docker's built-in pools run out after 31 networks, so a host with 50 has its
    pools configured, as this one does.)
    """
    return list(ipaddress.ip_network("10.201.0.0/16").subnets(new_prefix=24))[:n]


def build(containers: int, networks: int, seed: int = 500) -> Bundle:
    rnd = random.Random(seed)
    nets = [
        {"name": "bridge", "id": _hex("net-bridge"), "subnet": ipaddress.ip_network("172.17.0.0/16"), "dev": "docker0"}
    ]
    for i, sub in enumerate(_subnets(networks - 1)):
        nid = _hex(f"net-{i}")
        nets.append({"name": f"proj{i:02d}_default", "id": nid, "subnet": sub, "dev": f"br-{nid[:12]}"})
    for n in nets:
        n["next"] = 2
        n["members"] = {}
    conts = []
    for c in range(containers):
        cid = _hex(f"ctr-{c}")
        on = [nets[c % len(nets)]]
        if c % 5 == 0:
            on.append(nets[(c * 7 + 3) % len(nets)])
        eps = {}
        for n in dict((id(x), x) for x in on).values():
            ip = n["subnet"].network_address + n["next"]
            n["next"] += 1
            eps[n["name"]] = (n, ip)
            n["members"][cid] = (f"svc{c:03d}", ip)
        conts.append({"name": f"svc{c:03d}", "id": cid, "eps": eps, "pid": 20000 + c, "port": c % 6 == 0})

    # --- the engine's answers ---------------------------------------------------------
    ev: list[Evidence] = []
    eng = "docker-engine"

    def api(eid: str, kind: str, call: str, body: object) -> None:
        ev.append(
            Evidence(
                eid,
                eng,
                kind,
                ("api", call),
                json.dumps(body, indent=None).encode(),
                taken_at=CREATED,
                duration_s=0.002,
            )
        )

    api(
        f"{eng}/info",
        "docker-info",
        "GET /info",
        {
            "ID": _hex("engine", 36),
            "Containers": containers,
            "ContainersRunning": containers,
            "Name": "bighost",
            "ServerVersion": "27.3.1",
            "OperatingSystem": "Ubuntu 24.04.1 LTS",
            "OSType": "linux",
            "KernelVersion": "6.8.0-45-generic",
            "Driver": "overlay2",
            "Plugins": {"Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"]},
            "DefaultAddressPools": [{"Base": "10.201.0.0/16", "Size": 24}],
        },
    )
    for n in nets:
        gw = n["subnet"].network_address + 1
        body = {
            "Name": n["name"],
            "Id": n["id"],
            "Created": "2025-01-10T08:00:00.000000000Z",
            "Scope": "local",
            "Driver": "bridge",
            "EnableIPv6": False,
            "IPAM": {
                "Driver": "default",
                "Options": None,
                "Config": [{"Subnet": str(n["subnet"]), "Gateway": str(gw)}],
            },
            "Internal": False,
            "Attachable": False,
            "Ingress": False,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": False,
            "Containers": {
                cid: {
                    "Name": name,
                    "EndpointID": _hex(f"ep-{cid}-{n['name']}"),
                    "MacAddress": _mac(ip),
                    "IPv4Address": f"{ip}/{n['subnet'].prefixlen}",
                    "IPv6Address": "",
                }
                for cid, (name, ip) in n["members"].items()
            },
            "Options": {"com.docker.network.bridge.name": n["dev"]} if n["name"] == "bridge" else {},
            "Labels": {} if n["name"] == "bridge" else {"com.docker.compose.network": "default"},
        }
        api(f"{eng}/network/{n['name']}", "docker-network-inspect", f"GET /networks/{n['id']}?verbose=true", body)
    for c in conts:
        first = next(iter(c["eps"].values()))
        ports = {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(18000 + int(c["name"][3:]))}]} if c["port"] else {}
        body = {
            "Id": c["id"],
            "Created": "2025-01-10T08:00:00.000000000Z",
            "Path": "/docker-entrypoint.sh",
            "Name": "/" + c["name"],
            "State": {"Status": "running", "Running": True, "Pid": c["pid"], "ExitCode": 0},
            "Config": {
                "Hostname": c["id"][:12],
                "Image": rnd.choice(["nginx:1.27", "postgres:16", "redis:7", "app:latest"]),
            },
            "HostConfig": {"NetworkMode": first[0]["name"], "PortBindings": {}},
            "NetworkSettings": {
                "Ports": ports,
                "Networks": {
                    name: {
                        "NetworkID": n["id"],
                        "EndpointID": _hex(f"ep-{c['id']}-{name}"),
                        "Gateway": str(n["subnet"].network_address + 1),
                        "IPAddress": str(ip),
                        "IPPrefixLen": n["subnet"].prefixlen,
                        "MacAddress": _mac(ip),
                        "Aliases": [c["name"]],
                    }
                    for name, (n, ip) in c["eps"].items()
                },
            },
        }
        api(f"{eng}/container/{c['name']}", "docker-inspect", f"GET /containers/{c['id']}/json", body)

    # --- the host's own interfaces and routes -----------------------------------------
    links: list[dict[str, object]] = [
        {
            "ifindex": 1,
            "ifname": "lo",
            "flags": ["UP", "LOOPBACK", "LOWER_UP"],
            "mtu": 65536,
            "operstate": "UNKNOWN",
            "link_type": "loopback",
            "addr_info": [
                {"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host", "label": "lo"},
                {"family": "inet6", "local": "::1", "prefixlen": 128, "scope": "host"},
            ],
            "address": "00:00:00:00:00:00",
        },
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["UP", "BROADCAST", "MULTICAST", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "addr_info": [
                {"family": "inet", "local": "192.0.2.10", "prefixlen": 24, "scope": "global", "label": "eth0"}
            ],
            "address": "52:54:00:12:34:56",
        },
    ]
    routes: list[dict[str, object]] = [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0", "protocol": "dhcp", "metric": 100, "flags": []},
        {
            "dst": "192.0.2.0/24",
            "dev": "eth0",
            "protocol": "kernel",
            "scope": "link",
            "prefsrc": "192.0.2.10",
            "flags": [],
        },
    ]
    idx = 3
    for n in nets:
        gw = n["subnet"].network_address + 1
        links.append(
            {
                "ifindex": idx,
                "ifname": n["dev"],
                "flags": ["UP", "BROADCAST", "MULTICAST", "LOWER_UP"],
                "mtu": 1500,
                "operstate": "UP",
                "link_type": "ether",
                "addr_info": [
                    {
                        "family": "inet",
                        "local": str(gw),
                        "prefixlen": n["subnet"].prefixlen,
                        "scope": "global",
                        "label": n["dev"],
                    }
                ],
                "address": "02:42:"
                + _hex(n["id"], 8)[:2]
                + ":"
                + ":".join(_hex(n["id"], 8)[i : i + 2] for i in (2, 4, 6)),
            }
        )
        routes.append(
            {
                "dst": str(n["subnet"]),
                "dev": n["dev"],
                "protocol": "kernel",
                "scope": "link",
                "prefsrc": str(gw),
                "flags": [],
            }
        )
        idx += 1
    for c in conts:
        for name, (n, _ip) in c["eps"].items():
            links.append(
                {
                    "ifindex": idx,
                    "ifname": "veth" + _hex(f"veth-{c['id']}-{name}", 7),
                    "flags": ["UP", "BROADCAST", "MULTICAST", "LOWER_UP"],
                    "mtu": 1500,
                    "operstate": "UP",
                    "link_type": "ether",
                    "addr_info": [],
                    "address": "6a:" + ":".join(_hex(f"vm-{c['id']}-{name}", 10)[i : i + 2] for i in range(0, 10, 2)),
                    "master": n["dev"],
                }
            )
            idx += 1
    host = [
        Evidence(
            "host/ip-addr-json",
            "host",
            "ip-addr-json",
            ("netlink", "RTM_GETLINK+RTM_GETADDR"),
            json.dumps(links).encode(),
            taken_at=CREATED,
        ),
        Evidence(
            "host/ip-route-json",
            "host",
            "ip-route-json",
            ("netlink", *ROUTE_DUMP),
            json.dumps(routes).encode(),
            taken_at=CREATED,
        ),
        Evidence(
            "host/resolv-conf",
            "host",
            "resolv-conf",
            ("read", "/etc/resolv.conf"),
            b"nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.internal\n",
            taken_at=CREATED,
        ),
        Evidence(
            "host/hosts",
            "host",
            "hosts",
            ("read", "/etc/hosts"),
            b"127.0.0.1 localhost\n127.0.1.1 bighost\n::1 localhost ip6-localhost ip6-loopback\n",
            taken_at=CREATED,
        ),
    ]
    vantages = (
        Vantage("host", VantageKind.LINUX_HOST, "bighost"),
        Vantage(eng, VantageKind.DOCKER_ENGINE, "bighost docker", parent="host", channel="docker-api"),
    )
    return Bundle(
        vantages, tuple(host + ev), created=CREATED, meta={"generated": "bench/gen_big_bundle.py", "redacted": False}
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="bundle to write: DIR or FILE.zip")
    ap.add_argument("--containers", type=int, default=500)
    ap.add_argument("--networks", type=int, default=50)
    args = ap.parse_args()
    path = write_bundle(build(args.containers, args.networks), args.out)
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
