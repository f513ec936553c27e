"""Docker Engine configuration: ``/etc/docker/daemon.json`` and Docker Desktop's "Docker Engine" JSON.

Fills ``Facts.settings`` with the networking options, snake_case, values checked the
way dockerd checks them:

=========================  ==================================================
key                        value
=========================  ==================================================
``bip``                    ``"192.168.1.1/24"`` (docker0's address and subnet)
``fixed_cidr``             network docker0 hands addresses out of
``fixed_cidr_v6``          the same for IPv6
``default_address_pools``  ``[{"base": "10.10.0.0/16", "size": 24}, …]``
``default_gateway``        address, also ``default_gateway_v6``
``dns``                    ``["10.20.1.2", …]``; ``dns_search``, ``dns_opts``
``ip``                     default host address for published ports
``mtu``                    int
``ipv6``, ``ip6tables``,   booleans
``iptables``, ``ip_forward``, ``ip_masq``, ``icc``, ``userland_proxy``,
``experimental``, ``live_restore``
``bridge``                 bridge device for the default network (``none``)
``hosts``                  ``-H`` listen addresses (``tcp://0.0.0.0:2375``)
``http_proxy`` …           from ``"proxies": {"http-proxy", "https-proxy", "no-proxy"}``
``dockerd_would_refuse``   options dockerd rejects (``"syntax"`` for comments or
                           trailing commas): the running engine is not using this file
=========================  ==================================================

Other options (``registry-mirrors``, ``log-driver`` …) are not networking and are
left out. A value dockerd would reject (a pool base that is not a CIDR, a pool size
outside ``base length..32``/``..128``, a DNS server that is not an address, a string
where dockerd wants a number) is left out with a warning saying *dockerd would refuse
to start*: the file on disk is then not what the running engine uses. Comments and
trailing commas, which people add but dockerd's JSON reader rejects, are removed
with the same warning. A pool or ``fixed-cidr`` written with host bits set is masked
as dockerd does (Go's ``net.ParseCIDR``), with a warning.

Example::

    {"bip": "192.168.1.1/24", "default-address-pools": [{"base": "10.10.0.0/16", "size": 24}]}

gives ``{"bip": "192.168.1.1/24", "default_address_pools": [{"base": "10.10.0.0/16",
"size": 24}]}``.

dockerd matches keys case-sensitively at the top level but Go's JSON decoder matches
the ``base``/``size`` fields of a pool case-insensitively, so those are read that way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, read_text
from netatlas.parsers._docker import Locator, extract_json, get_ci

INFO = ParserInfo(
    kind="daemon-json",
    description="Docker Engine daemon.json (also Docker Desktop's Docker Engine settings)",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"daemon\.json",),
    source="/etc/docker/daemon.json, %ProgramData%\\docker\\config\\daemon.json, ~/.docker/daemon.json",
)

REFUSE = "dockerd would refuse to start"

_BOOLS = (
    "ipv6",
    "ip6tables",
    "iptables",
    "ip-forward",
    "ip-masq",
    "icc",
    "userland-proxy",
    "experimental",
    "live-restore",
)
_STRINGS = ("bridge",)
_LISTS = ("dns-search", "dns-opts", "hosts")
_ADDRESSES = ("default-gateway", "default-gateway-v6", "ip")
_NETWORKS = ("fixed-cidr", "fixed-cidr-v6")
# Options people write by mistake; dockerd rejects unknown keys.
_MISTAKES = {
    "default-address-pool": "default-address-pools",
    "default_address_pools": "default-address-pools",
    "defaultAddressPools": "default-address-pools",
    "fixed_cidr": "fixed-cidr",
    "registry-mirror": "registry-mirrors",
}


def sniff(text: str) -> float:
    """High for a JSON object with several dockerd option names."""
    head = text[:20000]
    if "{" not in head:
        return 0.0
    if '"NetworkSettings"' in head or '"IPAM"' in head or '"ServerVersion"' in head:
        return 0.0
    keys = (
        '"bip"',
        '"default-address-pools"',
        '"fixed-cidr"',
        '"registry-mirrors"',
        '"insecure-registries"',
        '"log-driver"',
        '"storage-driver"',
        '"data-root"',
        '"live-restore"',
        '"exec-opts"',
        '"log-opts"',
        '"dns"',
        '"mtu"',
        '"ip6tables"',
        '"userland-proxy"',
        '"default-gateway"',
        '"features"',
        '"builder"',
    )
    hits = sum(1 for k in keys if k in head)
    return min(0.95, 0.45 * hits) if hits else 0.0


def _raw(text: str, warnings: Warnings) -> dict[str, Any]:
    """Token: ``{"line", "end", "obj"}`` for the (one) top-level object."""
    before = len(warnings.items)
    values = extract_json(text, warnings, tolerant=True, consequence=REFUSE)
    syntax = any(REFUSE in w.message for w in warnings.items[before:])
    first = values[0]
    if not isinstance(first.value, dict):
        raise ParseError("daemon.json must be a JSON object", line=first.first_line)
    for extra in values[1:]:
        warnings.add(extra.first_line, "skipped a second JSON value after the first (dockerd reads one object)")
    return {"line": first.first_line, "end": first.last_line, "obj": first.value, "syntax": syntax}


class _Reader:
    """Checks one option at a time, warning at the option's line."""

    def __init__(self, obj: Mapping[str, Any], loc: Locator, w: Warnings, line: int, end: int) -> None:
        self.obj, self.loc, self.w, self.line, self.end = obj, loc, w, line, end
        self.out: dict[str, JSON] = {}
        self.refused: list[str] = []

    def at(self, key: str) -> int:
        return self.loc.key(key, self.line, self.end)

    def refuse(self, key: str, why: str, line: int | None = None) -> None:
        """Warn that dockerd rejects ``key`` and remember it for ``dockerd_would_refuse``."""
        self.w.add(self.at(key) if line is None else line, f"{key}: {why}; {REFUSE}")
        if key not in self.refused:
            self.refused.append(key)

    def bip(self) -> None:
        val = self.obj.get("bip")
        if val is None:
            return
        try:
            iface = ipaddress.ip_interface(str(val).strip())
            if "/" not in str(val):
                raise ValueError(val)
        except ValueError:
            self.refuse("bip", f"{val!r} is not ADDRESS/LENGTH")
            return
        self.out["bip"] = iface.with_prefixlen

    def network(self, key: str) -> None:
        val = self.obj.get(key)
        if val is None:
            return
        try:
            net = ipaddress.ip_network(str(val).strip(), strict=False)
        except ValueError:
            self.refuse(key, f"{val!r} is not a CIDR network")
            return
        if net.with_prefixlen != str(val).strip():
            self.w.add(self.at(key), f"{key}: {val!r} has host bits set; dockerd uses {net}")
        self.out[key.replace("-", "_")] = str(net)

    def address(self, key: str) -> None:
        val = self.obj.get(key)
        if val is None:
            return
        try:
            self.out[key.replace("-", "_")] = str(ipaddress.ip_address(str(val).strip()))
        except ValueError:
            self.refuse(key, f"{val!r} is not an IP address")

    def pools(self) -> None:
        val = self.obj.get("default-address-pools")
        if val is None:
            return
        if not isinstance(val, list):
            self.refuse("default-address-pools", 'must be a list of {"base", "size"}')
            return
        kept: list[JSON] = []
        start = self.at("default-address-pools")
        for item in val:
            if not isinstance(item, Mapping):
                self.refuse("default-address-pools", f"entry {item!r} is not an object", start)
                continue
            base, size = get_ci(item, "base"), get_ci(item, "size")
            line = self.loc.value(str(base), start, self.end) if base is not None else start
            try:
                net = ipaddress.ip_network(str(base).strip(), strict=False)
            except ValueError:
                self.refuse("default-address-pools", f"invalid base pool {base!r}", line)
                continue
            if isinstance(size, bool) or not isinstance(size, int):
                self.refuse("default-address-pools", f"size {size!r} of {base} is not a number", line)
                continue
            if not net.prefixlen <= size <= net.max_prefixlen:
                self.refuse(
                    "default-address-pools",
                    f"size {size} does not fit base {net} (must be {net.prefixlen}..{net.max_prefixlen})",
                    line,
                )
                continue
            if net.with_prefixlen != str(base).strip():
                self.w.add(line, f"default-address-pools: base {base!r} has host bits set; dockerd uses {net}")
            kept.append({"base": str(net), "size": size})
        if kept or not val:
            self.out["default_address_pools"] = kept

    def dns(self) -> None:
        val = self.obj.get("dns")
        if val is None:
            return
        if not isinstance(val, list):
            self.refuse("dns", "must be a list of addresses")
            return
        kept: list[JSON] = []
        for item in val:
            try:
                kept.append(str(ipaddress.ip_address(str(item).strip())))
            except ValueError:
                self.refuse("dns", f"{item!r} is not an IP address", self.loc.value(str(item), self.line, self.end))
        if kept or not val:
            self.out["dns"] = kept

    def mtu(self) -> None:
        val = self.obj.get("mtu")
        if val is None:
            return
        if isinstance(val, bool) or not isinstance(val, int):
            self.refuse("mtu", f"{val!r} is not a number")
            return
        self.out["mtu"] = val

    def simple(self) -> None:
        for key in _BOOLS:
            if key in self.obj:
                val = self.obj[key]
                if isinstance(val, bool):
                    self.out[key.replace("-", "_")] = val
                else:
                    self.refuse(key, f"{val!r} is not true/false")
        for key in _STRINGS:
            if isinstance(val := self.obj.get(key), str):
                self.out[key] = val
        for key in _LISTS:
            val = self.obj.get(key)
            if isinstance(val, list):
                self.out[key.replace("-", "_")] = [str(x) for x in val]
            elif val is not None:
                self.refuse(key, "must be a list")
        proxies = self.obj.get("proxies")
        if isinstance(proxies, Mapping):
            for src in ("http-proxy", "https-proxy", "no-proxy"):
                if isinstance(val := proxies.get(src), str) and val:
                    self.out[src.replace("-", "_")] = val

    def unknown(self) -> None:
        for key in self.obj:
            if key in _MISTAKES:
                self.refuse(key, f"not a dockerd option (did you mean {_MISTAKES[key]!r}?)")


def _process(raw: dict[str, Any], warnings: Warnings, loc: Locator) -> Facts:
    r = _Reader(raw["obj"], loc, warnings, int(raw["line"]), int(raw["end"]))
    r.bip()
    for key in _NETWORKS:
        r.network(key)
    r.pools()
    r.dns()
    for key in _ADDRESSES:
        r.address(key)
    r.mtu()
    r.simple()
    r.unknown()
    refused: list[JSON] = ["syntax"] if raw.get("syntax") else []
    refused.extend(r.refused)
    if refused:
        r.out["dockerd_would_refuse"] = refused
    return Facts(kind=INFO.kind, settings=r.out, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse a daemon.json. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        raw = _raw(text, warnings)
        return _process(raw, warnings, Locator(text))

    return guard(run, source=source)
