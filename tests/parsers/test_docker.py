"""Docker parsers: corpus cases against hand-checked facts, and focused edge cases."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers import parse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"
LOC = re.compile(r"^x:(\d+): ")


def _line_of(exc: pytest.ExceptionInfo[ParseError]) -> int:
    m = LOC.match(str(exc.value))
    assert m, str(exc.value)
    return int(m.group(1))


def _warned(facts: Facts, pattern: str) -> list[int]:
    return [w.line for w in facts.warnings if re.search(pattern, w.message)]


# --------------------------------------------------------------------------- corpus


CORPUS = sorted((FIX / "docker-network-inspect").glob("corpus-*.case.json"))


@pytest.mark.parametrize("case_path", CORPUS, ids=lambda p: p.name.split(".")[0])
def test_corpus_case_matches_hand_checked_facts(case_path: Path) -> None:
    case = json.loads(case_path.read_text(encoding="utf-8"))
    out = case_path.with_name(case_path.name.replace(".case.json", ".out"))
    facts = parse("docker-network-inspect", out.read_bytes(), source=str(out))
    expected: list[dict[str, Any]] = case["expected"]["networks"]
    assert [n.name for n in facts.networks] == [e["name"] for e in expected]
    for net, exp in zip(facts.networks, expected, strict=True):
        assert net.id == exp["id"]
        assert net.driver == exp["driver"]
        assert net.scope == exp["scope"]
        assert net.internal is exp["internal"]
        subnets = [ipaddress.ip_network(c["subnet"], strict=False) for c in exp["ipam_config"]]
        assert list(net.subnets) == subnets
        if "normalized_subnet" in exp:
            assert [str(s) for s in net.subnets] == [exp["normalized_subnet"]]
        assert list(net.gateways) == [ipaddress.ip_address(c["gateway"]) for c in exp["ipam_config"]]
        if "bridge_name" in exp:
            assert net.bridge == exp["bridge_name"]
        assert dict(net.labels) == exp.get("labels", {})
        # every container: one member per address family, same MAC and id
        members = list(net.members)
        for c in exp["containers"]:
            mine = [m for m in members if m.name == c["name"]]
            want = [c["ipv4"]] + ([c["ipv6"]] if c["ipv6"] else [])
            assert [f"{m.address}/{m.prefixlen}" for m in mine] == want
            assert {m.mac for m in mine} == {c["mac"]}
            if "id" in c:
                assert {m.id for m in mine} == {c["id"]}
        assert len(members) == sum(1 + bool(c["ipv6"]) for c in exp["containers"])
    anomalies = case["expected"].get("anomalies", [])
    if any("host bits" in a for a in anomalies):
        assert _warned(facts, r"host bits set; the engine uses 8\.8\.6\.0/24") == [14]
    if any("public" in a for a in anomalies):  # flagged by analysis; the parser keeps the fact
        assert all(s.is_global for s in facts.networks[0].subnets)
    if not anomalies:
        assert not _warned(facts, "host bits")


# --------------------------------------------------------------------------- network inspect


def test_network_inspect_transcript_with_prompt_and_trailing_text() -> None:
    text = (
        "joe@z820:~$ docker network inspect bridge nope\n"
        '[\n  {"Name": "bridge", "Id": "abc", "Driver": "bridge",\n'
        '   "IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},\n'
        '   "Containers": {}, "Options": {"com.docker.network.bridge.name": "docker0"}}\n]\n'
        "Error: No such network: nope\n"
        "joe@z820:~$ \n"
    )
    facts = parse("docker-network-inspect", text)
    assert [str(s) for s in facts.networks[0].subnets] == ["172.17.0.0/16"]
    assert facts.networks[0].bridge == "docker0"
    assert _warned(facts, "prompt line") == [1, 8]
    assert _warned(facts, "not JSON") == [7]


def test_network_inspect_lost_indentation_and_crlf() -> None:
    raw = Path(FIX / "docker-network-inspect" / "corpus-034-dual-stack-kind-style.out").read_text()
    flat = "\r\n".join(line.strip() for line in raw.splitlines())
    assert (
        parse("docker-network-inspect", flat).to_dict()["networks"]
        == parse("docker-network-inspect", raw).to_dict()["networks"]
    )


def test_network_inspect_redacted_address_is_none_with_warning() -> None:
    text = json.dumps(
        [
            {
                "Name": "corp",
                "Id": "0123456789abcdef",
                "Driver": "bridge",
                "IPAM": {"Config": [{"Subnet": "10.x.x.0/24", "Gateway": "10.x.x.1"}]},
                "Containers": {
                    "c1": {"Name": "app", "MacAddress": "02:42:XX:XX:00:02", "IPv4Address": "<redacted>/24"}
                },
            }
        ],
        indent=2,
    )
    facts = parse("docker-network-inspect", text)
    net = facts.networks[0]
    assert net.subnets == () and net.gateways == ()
    assert net.members[0].address is None and net.members[0].mac is None
    assert net.bridge == "br-0123456789ab"  # libnetwork's name for an unnamed bridge
    assert _warned(facts, "unreadable subnet") and _warned(facts, "unreadable container address")
    assert all(line > 1 for line in _warned(facts, "unreadable"))


def test_network_inspect_podman5_containers() -> None:
    text = json.dumps(
        [
            {
                "name": "podman",
                "id": "2f25",
                "driver": "bridge",
                "network_interface": "podman0",
                "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}],
                "internal": False,
                "containers": {
                    "9a1b": {
                        "name": "web",
                        "interfaces": {
                            "eth0": {
                                "subnets": [{"ipnet": "10.88.0.5/16"}],
                                "mac_address": "9E:1C:00:00:00:01",
                            }
                        },
                    }
                },
            }
        ]
    )
    net = parse("docker-network-inspect", text).networks[0]
    assert net.bridge == "podman0"
    assert [(m.name, str(m.address), m.prefixlen, m.mac) for m in net.members] == [
        ("web", "10.88.0.5", 16, "9e:1c:00:00:00:01")
    ]


def test_network_inspect_invalid_json_names_the_original_line() -> None:
    text = '$ docker network inspect bridge\n[\n  {\n    "Name": "bridge",\n    "Id" "abc"\n  }\n]\n'
    with pytest.raises(ParseError) as exc:
        parse("docker-network-inspect", text, source="x")
    assert _line_of(exc) == 5
    assert "invalid JSON" in str(exc.value)


def test_network_inspect_without_json_is_an_error() -> None:
    with pytest.raises(ParseError) as exc:
        parse(
            "docker-network-inspect",
            "\n$ docker network inspect bridge\nError: No such network: bridge\n",
            source="x",
        )
    assert _line_of(exc) == 2


# --------------------------------------------------------------------------- network ls


def test_network_ls_lost_alignment_and_bad_rows() -> None:
    text = (
        "PS C:\\Users\\me> docker network ls\n"
        "NETWORK ID NAME DRIVER SCOPE\n"
        "427ac6ece954 bridge bridge local\n"
        "jfmrunhxckb5 ingress overlay swarm\n"
        "this row is broken somehow\n"
        "z4yqebb802zb mystack_default overlay\n"
    )
    facts = parse("docker-network-ls", text)
    assert [(n.name, n.driver, n.scope) for n in facts.networks] == [
        ("bridge", "bridge", "local"),
        ("ingress", "overlay", "swarm"),
    ]
    assert _warned(facts, "columns") == [5, 6]


def test_network_ls_old_docker_without_scope() -> None:
    text = "NETWORK ID          NAME                DRIVER\n32b93b141bae        bridge              bridge\n"
    net = parse("docker-network-ls", text).networks[0]
    assert (net.id, net.name, net.driver, net.scope) == ("32b93b141bae", "bridge", "bridge", None)


def test_network_ls_json_lines_bad_line_warns() -> None:
    good = '{"Driver":"bridge","ID":"7114b5b8cdd3","Internal":"false","Labels":"","Name":"bridge","Scope":"local"}'
    facts = parse("docker-network-ls", good + '\n{"Driver": \n')
    assert [n.name for n in facts.networks] == ["bridge"]
    assert _warned(facts, "not valid JSON") == [2]


def test_network_ls_without_header_is_an_error() -> None:
    with pytest.raises(ParseError) as exc:
        parse("docker-network-ls", "\n\nbridge bridge local\n", source="x")
    assert _line_of(exc) == 3


# --------------------------------------------------------------------------- container inspect


def test_inspect_old_docker_without_networks_map() -> None:
    text = json.dumps(
        [
            {
                "Id": "e991512c9e33",
                "Name": "/boring_newton",
                "State": {"Running": True, "Pid": 14685},
                "Config": {"Image": "busybox"},
                "NetworkSettings": {
                    "IPAddress": "192.168.0.6",
                    "IPPrefixLen": 32,
                    "MacAddress": "",
                    "Ports": None,
                },
            }
        ]
    )
    c = parse("docker-inspect", text).containers[0]
    assert (c.name, c.state, c.pid, c.image) == ("boring_newton", "running", 14685, "busybox")
    assert [(m.name, str(m.address), m.prefixlen) for m in c.networks] == [("bridge", "192.168.0.6", 32)]


def test_inspect_redacted_ip_skipped_network_and_bad_port() -> None:
    text = json.dumps(
        [
            {"Name": "bridge", "IPAM": {"Config": []}},
            {
                "Id": "abc",
                "Name": "/web",
                "State": {"Status": "running", "Pid": 7},
                "HostConfig": {"NetworkMode": "default"},
                "NetworkSettings": {
                    "Ports": {"80/tcp": [{"HostIp": "x.x.x.x", "HostPort": "8080"}], "weird": None},
                    "Networks": {"bridge": {"IPAddress": "172.17.0.xxx", "IPPrefixLen": 16, "MacAddress": "??"}},
                },
            },
        ],
        indent=1,
    )
    facts = parse("docker-inspect", text)
    c = facts.containers[0]
    assert c.networks[0].address is None and c.networks[0].prefixlen is None
    assert c.ports[0].host_ip is None and c.ports[0].host_port == 8080
    assert _warned(facts, "a network, not a container") == [2]
    assert _warned(facts, "unreadable container address")
    assert _warned(facts, "skipped port 'weird'")


def test_inspect_invalid_json_located() -> None:
    text = '[\n  {\n    "Id": "abc",\n    "Name": "/web"\n    "State": {}\n  }\n]\n'
    with pytest.raises(ParseError) as exc:
        parse("docker-inspect", text, source="x")
    assert _line_of(exc) == 5


# --------------------------------------------------------------------------- docker info


def test_info_lost_indentation_reads_the_same() -> None:
    raw = (FIX / "docker-info" / "linux-20.10-default-address-pools.out").read_text()
    flat = "\n".join(line.strip() for line in raw.splitlines())
    assert parse("docker-info", flat).settings == parse("docker-info", raw).settings


def test_info_docker_desktop_windows_daemon_down() -> None:
    text = (
        "C:\\Users\\me>docker info\n"
        "Client:\n Version:    27.3.1\n Context:    desktop-linux\n Debug Mode: false\n Plugins:\n"
        "  buildx: Docker Buildx (Docker Inc.)\n    Version:  v0.18.0-desktop.2\n\n"
        "Server:\n"
        'ERROR: error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.47/info": '
        "open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.\n"
        "errors pretty printing info\n"
    )
    facts = parse("docker-info", text)
    assert facts.settings["client_version"] == "27.3.1"
    assert facts.settings["context"] == "desktop-linux"
    assert str(facts.settings["error"]).startswith("error during connect")


def test_info_bad_pool_line_warns() -> None:
    text = "Server:\n Server Version: 24.0.7\n Default Address Pools:\n   Base: 10.x.0.0/16, Size: 24\n"
    facts = parse("docker-info", text)
    assert "default_address_pools" not in facts.settings
    assert _warned(facts, "unreadable address pool") == [4]


def test_info_nothing_recognisable_is_an_error() -> None:
    with pytest.raises(ParseError) as exc:
        parse("docker-info", "\nhello world\nthis is not docker\n", source="x")
    assert _line_of(exc) == 2


# --------------------------------------------------------------------------- daemon.json


def test_daemon_json_refusals_are_warnings_with_lines() -> None:
    text = (
        "$ cat /etc/docker/daemon.json\n"
        "{\n"
        "  // pools for the office VPN\n"
        '  "bip": "10.200.0.1",\n'
        '  "default-address-pools": [\n'
        '    {"base": "10.201.0.0/16", "size": 33},\n'
        '    {"Base": "172.17.0.0/12", "Size": 24},\n'
        '    {"base": "10.0.0.0/33", "size": 24},\n'
        "  ],\n"
        '  "dns": ["8.8.8.8", "dns.google"],\n'
        '  "mtu": "1450",\n'
        '  "default-address-pool": []\n'
        "}\n"
    )
    facts = parse("daemon-json", text)
    s = facts.settings
    assert s["default_address_pools"] == [{"base": "172.16.0.0/12", "size": 24}]
    assert s["dns"] == ["8.8.8.8"]
    assert "bip" not in s and "mtu" not in s
    assert s["dockerd_would_refuse"] == [
        "syntax",
        "bip",
        "default-address-pools",
        "dns",
        "mtu",
        "default-address-pool",
    ]
    assert _warned(facts, "comment") == [3]
    assert _warned(facts, "size 33") == [6]
    assert _warned(facts, "host bits") == [7]
    assert _warned(facts, "invalid base pool") == [8]
    assert _warned(facts, "trailing comma") == [8]
    assert _warned(facts, "dns.google") == [10]
    assert _warned(facts, "did you mean 'default-address-pools'") == [12]


def test_daemon_json_must_be_an_object() -> None:
    with pytest.raises(ParseError) as exc:
        parse("daemon-json", '\n["bip"]\n', source="x")
    assert _line_of(exc) == 2


def test_daemon_json_broken_json_is_located() -> None:
    with pytest.raises(ParseError) as exc:
        parse("daemon-json", '{\n  "bip": "10.0.0.1/24"\n  "mtu": 1400\n}\n', source="x")
    assert _line_of(exc) == 3


# --------------------------------------------------------------------------- Docker Desktop settings


def test_desktop_settings_default_vpnkit_cidr_is_recorded() -> None:
    facts = parse("docker-desktop-settings", '{"wslEngineEnabled": true, "kubernetesEnabled": true}')
    assert facts.settings["vpnkit_cidr"] == "192.168.65.0/24"
    assert facts.settings["defaulted"] == ["vpnkit_cidr"]
    assert facts.settings["kubernetes_enabled"] is True


def test_desktop_admin_settings_nested_and_locked() -> None:
    text = json.dumps(
        {
            "configurationFileVersion": 2,
            "linuxVM": {
                "wslEngineEnabled": {"locked": False, "value": False},
                "vpnkitCIDR": {"locked": True, "value": "10.255.0.0/24"},
            },
            "kubernetes": {"locked": False, "enabled": True},
        },
        indent=2,
    )
    s = parse("docker-desktop-settings", text).settings
    assert (s["vpnkit_cidr"], s["wsl_engine_enabled"], s["kubernetes_enabled"], s["format"]) == (
        "10.255.0.0/24",
        False,
        True,
        "admin-settings",
    )


def test_desktop_settings_bad_values_warn() -> None:
    text = '{\n  "VpnkitCIDR": "192.168.65.x/24",\n  "KubernetesEnabled": "yes",\n}\n'
    facts = parse("docker-desktop-settings", text)
    assert "vpnkit_cidr" not in facts.settings and "kubernetes_enabled" not in facts.settings
    assert _warned(facts, "VpnkitCIDR") == [2]
    assert _warned(facts, "KubernetesEnabled") == [3]
    assert _warned(facts, "trailing comma") == [3]


@pytest.mark.parametrize("host_port", ['"99999"', '"0"', "65536"])
def test_a_host_port_out_of_range_is_unknown_with_a_warning(host_port: str) -> None:
    text = (
        '[{"Id": "4f1c", "Name": "/web", "NetworkSettings": {"Ports": '
        '{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": ' + host_port + "}]}}}]"
    )
    facts = parse("docker-inspect", text)
    assert [p.host_port for c in facts.containers for p in c.ports] == [None]
    assert any("unreadable host port" in w.message for w in facts.warnings)
