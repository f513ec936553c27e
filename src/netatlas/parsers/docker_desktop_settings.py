"""Docker Desktop's settings file: ``settings-store.json`` (4.35+) or legacy ``settings.json``.

The legacy file uses camelCase keys (``"vpnkitCIDR"``), the newer one PascalCase
(``"VpnkitCIDR"``), and the admin ``admin-settings.json`` nests them with a lock
(``"linuxVM": {"vpnkitCIDR": {"locked": false, "value": "192.168.65.0/24"}}``), so
keys are matched case-insensitively at any depth and ``{"value": …}`` is unwrapped.

Fills ``Facts.settings`` with the keys that shape the network map:

==================================  ==========================================
key                                 from (any case)
==================================  ==========================================
``vpnkit_cidr``                     ``vpnkitCIDR``: the VM subnet, canonical
``use_vpnkit``, ``network_type``    ``useVpnkit``, ``networkType`` (``gvisor`` …)
``vpnkit_mtu``                      ``vpnKitMTU``
``vpnkit_allowed_bind_addresses``   ``vpnKitAllowedBindAddresses``
``vpnkit_transparent_proxy``        ``vpnKitTransparentProxy``
``wsl_engine_enabled``              ``wslEngineEnabled`` (WSL 2 backend)
``integrated_wsl_distros``          ``integratedWslDistros``
``wsl_integrate_default_distro``    ``enableIntegrationWithDefaultWslDistro``
``kubernetes_enabled``              ``kubernetesEnabled`` (pods on 10.1.0.0/16)
``kubernetes_mode``                 ``kubernetesMode`` (``kubeadm``/``kind``), when set
``expose_docker_api_on_tcp2375``    ``exposeDockerAPIOnTCP2375``
``host_networking_enabled``         ``hostNetworkingEnabled``
``kernel_for_udp``                  ``kernelForUDP``
``network_mode``                    ``defaultNetworkingMode``, or ``ipv4only``/
                                    ``ipv6only``/``dual-stack`` from ``IPv4Only``/``IPv6Only``
``dns_inhibition``                  ``dnsInhibition``
``update_hosts_file``               ``updateHostsFile`` (writes ``*.docker.internal``
                                    into the host's hosts file)
``dns``, ``use_dns_forwarder``      legacy ``dns``, ``useDnsForwarder``
``proxy_http_mode``                 ``proxyHttpMode`` and ``override_proxy_http``/
                                    ``_https``/``_exclude`` when not empty
``containers_proxy_http_mode``      ``containersProxyHTTPMode`` and its overrides
``socks_proxy_port``                ``socksProxyPort``
``use_windows_containers``          ``useWindowsContainers``
``settings_version``, ``format``    ``settingsVersion``; ``settings-store``,
                                    ``settings`` (legacy) or ``admin-settings``
``defaulted``                       keys filled with Docker Desktop's default
==================================  ==========================================

When ``vpnkitCIDR`` is absent, ``vpnkit_cidr`` is the documented default
``192.168.65.0/24`` (docker/docs settings-reference, see
``facts/pool-facts.md`` §2) and ``"vpnkit_cidr"`` is listed in ``defaulted``.

Example::

    {"VpnkitCIDR": "192.168.65.0/24", "KubernetesEnabled": false, "WslEngineEnabled": true}

gives ``{"vpnkit_cidr": "192.168.65.0/24", "kubernetes_enabled": false,
"wsl_engine_enabled": true, "format": "settings-store"}``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, read_text
from netatlas.parsers._docker import Locator, extract_json

INFO = ParserInfo(
    kind="docker-desktop-settings",
    description="Docker Desktop settings-store.json / settings.json",
    platforms=(Platform.WINDOWS, Platform.MACOS, Platform.LINUX),
    commands=(r"settings(?:-store)?\.json",),
    source=("%APPDATA%\\Docker\\settings-store.json, ~/Library/Group Containers/group.com.docker/settings-store.json"),
)

DEFAULT_VPNKIT_CIDR = "192.168.65.0/24"
"""docker/docs settings-reference.md@1577a57 "Docker subnet" default (pool-facts §2)."""

_BOOLS = {
    "usevpnkit": "use_vpnkit",
    "vpnkittransparentproxy": "vpnkit_transparent_proxy",
    "wslengineenabled": "wsl_engine_enabled",
    "enableintegrationwithdefaultwsldistro": "wsl_integrate_default_distro",
    "kubernetesenabled": "kubernetes_enabled",
    "exposedockerapiontcp2375": "expose_docker_api_on_tcp2375",
    "hostnetworkingenabled": "host_networking_enabled",
    "kernelforudp": "kernel_for_udp",
    "updatehostsfile": "update_hosts_file",
    "usednsforwarder": "use_dns_forwarder",
    "usewindowscontainers": "use_windows_containers",
}
_INTS = {
    "vpnkitmtu": "vpnkit_mtu",
    "socksproxyport": "socks_proxy_port",
    "settingsversion": "settings_version",
}
_STRS = {
    "networktype": "network_type",
    "vpnkitallowedbindaddresses": "vpnkit_allowed_bind_addresses",
    "kubernetesmode": "kubernetes_mode",
    "defaultnetworkingmode": "network_mode",
    "dnsinhibition": "dns_inhibition",
    "dns": "dns",
    "proxyhttpmode": "proxy_http_mode",
    "overrideproxyhttp": "override_proxy_http",
    "overrideproxyhttps": "override_proxy_https",
    "overrideproxyexclude": "override_proxy_exclude",
    "containersproxyhttpmode": "containers_proxy_http_mode",
    "containersoverrideproxyhttp": "containers_override_proxy_http",
    "containersoverrideproxyhttps": "containers_override_proxy_https",
    "containersoverrideproxyexclude": "containers_override_proxy_exclude",
}
_SIGNS = (
    "vpnkitcidr",
    "wslengineenabled",
    "settingsversion",
    "kubernetesenabled",
    "usevpnkit",
    "filesharingdirectories",
    "vpnkitmtu",
    "exposedockerapiontcp2375",
    "memorymib",
    "disksizemib",
    "swapmib",
    "integratedwsldistros",
)


def sniff(text: str) -> float:
    """High for a JSON object with several Docker Desktop setting names."""
    head = text[:40000].lower()
    if "{" not in head:
        return 0.0
    hits = sum(1 for k in _SIGNS if f'"{k}"' in head)
    return min(0.95, 0.3 * hits) if hits else 0.0


def _flatten(obj: Any, into: dict[str, tuple[str, Any]]) -> None:
    """Lower-cased key -> (key as written, value), outermost first; unwraps ``{"value": x}``."""
    if not isinstance(obj, Mapping):
        return
    for key, val in obj.items():
        if not isinstance(key, str):
            continue
        if isinstance(val, Mapping) and "value" in val and ("locked" in val or len(val) == 1):
            into.setdefault(key.lower(), (key, val["value"]))
        elif isinstance(val, Mapping) and key.lower() == "kubernetes":
            for sub, sval in val.items():  # admin-settings: "kubernetes": {"enabled": …}
                if isinstance(sub, str):
                    into.setdefault(f"kubernetes{sub.lower()}", (f"kubernetes.{sub}", sval))
        elif isinstance(val, Mapping):
            _flatten(val, into)
        else:
            into.setdefault(key.lower(), (key, val))


def _raw(text: str, warnings: Warnings) -> dict[str, Any]:
    """Token: ``{"line", "end", "keys": {lower: (written, value)}, "obj"}``."""
    values = extract_json(text, warnings, tolerant=True, consequence="Docker Desktop would not read this file")
    first = values[0]
    if not isinstance(first.value, dict):
        raise ParseError("a Docker Desktop settings file is a JSON object", line=first.first_line)
    keys: dict[str, tuple[str, Any]] = {}
    _flatten(first.value, keys)
    return {"line": first.first_line, "end": first.last_line, "keys": keys, "obj": first.value}


def _format(obj: Mapping[str, Any]) -> str:
    if "configurationFileVersion" in obj:
        return "admin-settings"
    top = [k for k in obj if isinstance(k, str) and k[:1].isalpha()]
    upper = sum(1 for k in top if k[0].isupper())
    return "settings-store" if top and upper * 2 > len(top) else "settings"


def _process(raw: dict[str, Any], warnings: Warnings, loc: Locator) -> Facts:
    keys: dict[str, tuple[str, Any]] = raw["keys"]
    line, end = int(raw["line"]), int(raw["end"])
    out: dict[str, JSON] = {}

    def at(written: str) -> int:
        return loc.key(written.rsplit(".", 1)[-1], line, end)

    def wrong(written: str, val: Any, want: str) -> None:
        warnings.add(at(written), f"{written}: {val!r} is not {want}; left out")

    defaulted: list[JSON] = []
    if "vpnkitcidr" in keys:
        written, val = keys["vpnkitcidr"]
        try:
            out["vpnkit_cidr"] = str(ipaddress.ip_network(str(val).strip(), strict=False))
        except ValueError:
            wrong(written, val, "a CIDR network (Docker Desktop falls back to its default)")
    else:
        out["vpnkit_cidr"] = DEFAULT_VPNKIT_CIDR
        defaulted.append("vpnkit_cidr")
    for low, name in _BOOLS.items():
        if low in keys:
            written, val = keys[low]
            if isinstance(val, bool):
                out[name] = val
            else:
                wrong(written, val, "true/false")
    for low, name in _INTS.items():
        if low in keys:
            written, val = keys[low]
            if isinstance(val, int) and not isinstance(val, bool):
                out[name] = val
            else:
                wrong(written, val, "a number")
    for low, name in _STRS.items():
        if low in keys:
            written, val = keys[low]
            if isinstance(val, str):
                if val:
                    out[name] = val
            elif val is not None:
                wrong(written, val, "text")
    if "integratedwsldistros" in keys:
        written, val = keys["integratedwsldistros"]
        if isinstance(val, list):
            out["integrated_wsl_distros"] = [str(x) for x in val]
        else:
            wrong(written, val, "a list of distro names")
    if "network_mode" not in out:
        v4, v6 = keys.get("ipv4only", ("", None))[1], keys.get("ipv6only", ("", None))[1]
        if isinstance(v4, bool) and isinstance(v6, bool):
            out["network_mode"] = "ipv4only" if v4 else "ipv6only" if v6 else "dual-stack"
    out["format"] = _format(raw["obj"])
    if defaulted:
        out["defaulted"] = defaulted
    return Facts(kind=INFO.kind, settings=out, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse a Docker Desktop settings file. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        return _process(_raw(text, warnings), warnings, Locator(text))

    return guard(run, source=source)
