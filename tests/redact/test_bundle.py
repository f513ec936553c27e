"""Redacting whole bundles: nothing original survives, and the atlas keeps its shape.

Two bundles are redacted: ``examples/z820`` (the seed machine) and one built from every
parser fixture (each ``tests/fixtures/parsers/<kind>/<case>.out`` as evidence of its
kind in one vantage). What must not survive is collected independently of the
redactor: with the real parsers (``netatlas.parsers.parse``) and by regex over the raw
text, then searched in every byte of the written bundle as ASCII, UTF-16LE and in
every case, MACs in every separator form and inside EUI-64 interface ids.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from netatlas.analysis import run_checks
from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle, read_bundle, write_bundle
from netatlas.model import Evidence, Facts, Failure, Vantage, VantageKind
from netatlas.parsers import parse
from netatlas.parsers._base import decode
from netatlas.redact import DROPPED, RedactKeyError, Scheme, bundle_scheme, load_or_create_key, redact_bundle
from netatlas.redact._scheme import eui64_mac
from netatlas.redact._text import never_secret, version_tokens

ROOT = Path(__file__).resolve().parents[2]
Z820 = ROOT / "examples" / "z820"
FIXTURES = ROOT / "tests" / "fixtures" / "parsers"
KEY = b"k" * 32
SCHEME = Scheme(KEY)

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


def fixture_bundle() -> Bundle:
    evidence = tuple(
        Evidence(f"fx/{p.parent.name}/{p.stem}", "fx", p.parent.name, ("read", p.name), p.read_bytes())
        for p in sorted(FIXTURES.glob("*/*.out"))
    )
    return Bundle((Vantage("fx", VantageKind.LINUX_HOST, "fixtures"),), evidence)


def _bundles() -> list[Any]:
    out = [pytest.param("fixtures", id="parser-fixtures")]
    out.append(
        pytest.param(
            "z820",
            id="z820",
            marks=pytest.mark.skipif(not (Z820 / "manifest.json").is_file(), reason="examples/z820 not built"),
        )
    )
    return out


@pytest.fixture(scope="module", params=_bundles())
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, Bundle, Path]:
    original = fixture_bundle() if request.param == "fixtures" else read_bundle(Z820)
    redacted = redact_bundle(original, KEY)
    written = write_bundle(redacted, tmp_path_factory.mktemp("redacted") / "bundle")
    return original, redacted, written


# --------------------------------------------------------------------------- originals


def _leaves(obj: object) -> Iterator[object]:
    if is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            yield from _leaves(getattr(obj, f.name))
    elif isinstance(obj, tuple | list):
        for x in obj:
            yield from _leaves(x)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(k)
            yield from _leaves(v)
    else:
        yield obj


def _facts(bundle: Bundle) -> Iterator[tuple[Evidence, Facts]]:
    for ev in bundle.evidence:
        try:
            yield ev, parse(ev.kind, ev.data)
        except Exception:
            continue


def _text(data: bytes) -> str:
    try:
        return decode(data)
    except Exception:
        return data.decode("latin-1")


_V4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)")
# an IPv6 address may end in a dotted quad (::ffff:0.0.0.0): read as one token, never
# as "::ffff:0" (= ::255.255.0.0, an address no evidence holds)
_V6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![\w:.])")
_MAC = re.compile(r"(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f:-])")


_ORIGINALS: dict[int, tuple[set[IPAddr], set[int], set[str]]] = {}


def originals(bundle: Bundle) -> tuple[set[IPAddr], set[int], set[str]]:
    """Addresses, MACs, host and user names, and search domains the bundle reveals."""
    if id(bundle) not in _ORIGINALS:
        _ORIGINALS[id(bundle)] = _originals(bundle)
    return _ORIGINALS[id(bundle)]


def _originals(bundle: Bundle) -> tuple[set[IPAddr], set[int], set[str]]:
    addrs: set[IPAddr] = set()
    macs: set[int] = set()
    names: set[str] = set()
    versions: set[str] = set()
    for ev in bundle.evidence:
        text = _text(ev.data)
        versions |= version_tokens(text)
        for m in _V4.finditer(text):
            with contextlib.suppress(ValueError):
                addrs.add(ipaddress.IPv4Address(m.group(0)))
        for m in _V6.finditer(text):
            with contextlib.suppress(ValueError):
                addrs.add(ipaddress.IPv6Address(m.group(0)))
        for m in _MAC.finditer(text):
            macs.add(int(re.sub("[:-]", "", m.group(0)), 16))
        names.update(re.findall(r"[\\/]Users[\\/]+(\w+)", text))
    for _ev, facts in _facts(bundle):
        for leaf in _leaves(facts):
            if isinstance(leaf, ipaddress.IPv4Address | ipaddress.IPv6Address):
                addrs.add(leaf)
        for iface in facts.interfaces:
            if iface.mac:
                macs.add(int(iface.mac.replace(":", ""), 16))
        host = facts.settings.get("host_name")
        if isinstance(host, str):
            names.add(host)
        for h in facts.hosts:
            if str(h.address) == "127.0.1.1":
                names.update(n.split(".")[0] for n in h.names)
        names.update(d.rstrip(".") for d in facts.dns.search if not d.endswith(".local"))
    names.update(v.name for v in bundle.vantages if v.kind is VantageKind.WINDOWS_HOST)
    in_facts = _fact_addresses(bundle)
    addrs = {a for a in addrs if str(a) not in versions or a in in_facts}
    for a in list(addrs):
        if isinstance(a, ipaddress.IPv6Address) and (mac := eui64_mac(a)) is not None:
            macs.add(mac)
    scheme = bundle_scheme(bundle, KEY)[0]  # the engine ranges this bundle keeps are no secret
    images = {scheme.address(a) for a in addrs}
    lengths = _prefix_lengths(bundle)
    for a in addrs:  # a network or broadcast address is written as its network's image
        for plen in lengths[a.version]:
            net = scheme.network(ipaddress.ip_network(f"{a}/{plen}", strict=False))
            images |= {net.network_address, net.broadcast_address}
    secret_addrs = {a for a in addrs if scheme.address(a) != a} - images
    secret_macs = {m for m in macs if scheme.mac(m) != m} - {scheme.mac(m) for m in macs}
    keep = never_secret()
    secret_names = {n.lower() for n in names if len(n) >= 3 and n.lower() not in keep}
    return secret_addrs, secret_macs, secret_names


def _prefix_lengths(bundle: Bundle) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {4: set(), 6: set()}
    for _, facts in _facts(bundle):
        for leaf in _leaves(facts):
            if isinstance(leaf, str) and "/" in leaf:  # a ruleset's match keeps "10.20.0.0/16"
                with contextlib.suppress(ValueError):
                    leaf = ipaddress.ip_network(leaf, strict=False)
            if isinstance(leaf, ipaddress.IPv4Network | ipaddress.IPv6Network):
                out[leaf.version].add(leaf.prefixlen)
        for iface in facts.interfaces:
            for a in iface.addresses:
                if a.network is not None:
                    out[a.network.version].add(a.network.prefixlen)
    return out


def _fact_addresses(bundle: Bundle) -> set[IPAddr]:
    return {
        leaf
        for _, facts in _facts(bundle)
        for leaf in _leaves(facts)
        if isinstance(leaf, ipaddress.IPv4Address | ipaddress.IPv6Address)
    }


def _views(path: Path) -> Iterator[tuple[str, str]]:
    for file in sorted(path.rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            yield str(file), data.decode("latin-1")
            yield str(file), data.decode("utf-16-le", "replace")
            yield str(file), data[1:].decode("utf-16-le", "replace")


# --------------------------------------------------------------------------- no leaks


def test_originals_are_found_at_all(pair: tuple[Bundle, Bundle, Path]) -> None:
    addrs, macs, names = originals(pair[0])
    assert len(addrs) > 10 and len(macs) > 3 and names


_V4_TOKEN = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d|\.\d)")
_V6_TOKEN = re.compile(
    r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,6}:(?:\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)|[0-9A-Fa-f]{0,4})"
)
_MAC_TOKENS = (
    re.compile(r"[0-9A-Fa-f]{1,2}(?:[:-][0-9A-Fa-f]{1,2}){5,}"),
    re.compile(r"[0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2}){5,}"),
    re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"),
    re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"),
)


def _v6_tokens(view: str) -> Iterator[ipaddress.IPv6Address]:
    """Every IPv6 address in any textual form, also with a port glued on."""
    for m in _V6_TOKEN.finditer(view):
        token = m.group(0)
        for cand in (token, token.rpartition(":")[0], token.partition(":")[2]):
            try:
                yield ipaddress.IPv6Address(cand)
            except ValueError:
                continue


def test_no_original_address_survives(pair: tuple[Bundle, Bundle, Path]) -> None:
    addrs, _, _ = originals(pair[0])
    v4 = {str(a) for a in addrs if a.version == 4}
    v6 = {a for a in addrs if a.version == 6}
    hits = []
    for f, view in _views(pair[2]):
        hits += [(f, m.group(0)) for m in _V4_TOKEN.finditer(view) if m.group(0) in v4]
        hits += [(f, str(a)) for a in _v6_tokens(view) if a in v6]
    assert hits == []


def test_no_original_mac_survives(pair: tuple[Bundle, Bundle, Path]) -> None:
    _, macs, _ = originals(pair[0])
    hits = []
    for f, view in _views(pair[2]):
        for pattern in _MAC_TOKENS:
            for m in pattern.finditer(view):
                groups = re.split(r"[:. -]", m.group(0))
                digits = "".join(g.zfill(2) if len(groups) >= 6 else g for g in groups)
                windows = {int(digits[i : i + 12], 16) for i in range(0, len(digits) - 11, 2)}
                hits += [(f, m.group(0)) for w in windows if w in macs]
        hits += [(f, str(a)) for a in _v6_tokens(view) if eui64_mac(a) in macs]
    assert hits == []


def test_no_host_domain_or_user_name_survives(pair: tuple[Bundle, Bundle, Path]) -> None:
    _, _, names = originals(pair[0])
    pattern = re.compile("|".join(r"(?<![A-Za-z0-9.])" + re.escape(n) + r"(?![A-Za-z0-9])" for n in names), re.I)
    hits = [(f, m.group(0)) for f, view in _views(pair[2]) for m in pattern.finditer(view)]
    assert hits == []


def test_nothing_dropped_from_the_clean_bundles(pair: tuple[Bundle, Bundle, Path]) -> None:
    dropped = [ev.id for ev in pair[1].evidence if ev.failure and ev.failure.message == DROPPED]
    assert dropped == []


def test_encoding_bom_and_line_ends_kept(pair: tuple[Bundle, Bundle, Path]) -> None:
    for old, new in zip(pair[0].evidence, pair[1].evidence, strict=True):
        assert new.data[:2] == old.data[:2] or not old.data[:2].startswith((b"\xff\xfe", b"\xef\xbb"))
        assert new.data.count(b"\r\n") == old.data.count(b"\r\n"), old.id
        assert new.data.count(b"\n") == old.data.count(b"\n"), old.id
        assert (b"\x00" in new.data) == (b"\x00" in old.data), old.id


def test_written_bundle_reads_back(pair: tuple[Bundle, Bundle, Path]) -> None:
    back = read_bundle(pair[2])
    assert back.meta["redacted"] is True
    assert back.meta["redaction"]["key_id"] == SCHEME.key_id
    assert [e.data for e in back.evidence] == [e.data for e in pair[1].evidence]


# --------------------------------------------------------------------------- same atlas


def test_atlas_keeps_its_shape_and_findings(pair: tuple[Bundle, Bundle, Path]) -> None:
    a1, a2 = build_atlas(pair[0]), build_atlas(pair[1])
    assert len(a1.nodes) == len(a2.nodes)
    assert Counter(n.kind for n in a1.nodes) == Counter(n.kind for n in a2.nodes)
    assert len(a1.networks) == len(a2.networks)
    assert sum(len(n.attachments) for n in a1.networks) == sum(len(n.attachments) for n in a2.networks)
    by_cidr = {n.cidr: n for n in a2.networks}
    image = {}
    scheme = bundle_scheme(pair[0], KEY)[0]
    for n1 in a1.networks:
        expected = scheme.network(n1.cidr)
        assert expected in by_cidr, (n1.cidr, expected)
        n2 = by_cidr[expected]
        assert (n2.kind, n2.cidr.prefixlen, len(n2.attachments)) == (
            n1.kind,
            n1.cidr.prefixlen,
            len(n1.attachments),
        )
        image[n1.cidr] = n2.cidr
    for x, y in [(x, y) for x in image for y in image if x.version == y.version]:
        assert x.overlaps(y) == image[x].overlaps(image[y])  # type: ignore[arg-type]
        assert x.subnet_of(y) == image[x].subnet_of(image[y])  # type: ignore[arg-type]
    f1 = Counter((f.code, f.severity) for f in run_checks(a1))
    f2 = Counter((f.code, f.severity) for f in run_checks(a2))
    assert f1 == f2


def test_same_key_same_bundle_other_key_other_bundle(pair: tuple[Bundle, Bundle, Path]) -> None:
    again = redact_bundle(pair[0], KEY)
    assert [e.data for e in again.evidence] == [e.data for e in pair[1].evidence]
    other = redact_bundle(pair[0], b"o" * 32)
    assert [e.data for e in other.evidence] != [e.data for e in pair[1].evidence]


# --------------------------------------------------------------------------- odd input


def _one(data: bytes, kind: str = "ip-addr", stderr: bytes = b"") -> Evidence:
    b = Bundle(
        (Vantage("host", VantageKind.LINUX_HOST, "build7"),),
        (Evidence("host/x", "host", kind, ("cat", "/home/joe/x"), data, stderr),),
    )
    return redact_bundle(b, KEY).evidence[0]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02\xff\xfe\xfd" * 50,
        b"\xff\xd8\xff garbage 198.51.100.7 \x00\x00 00:15:5d:b3:93:cc build7",
        b"\xc3\x28 invalid utf-8 198.51.100.7 build7\n",
        b"inet 198.51.100.7/24\x00\x00 nul in text",
        "１９８.５１.１００.７ fullwidth".encode(),
        b"a" * 200_000 + b" 198.51.100.7",
        b"::::::::::: 1.2.3.4.5.6 999.1.1.1 :::1::: [::]:80 fe80::%",
    ],
)
def test_odd_evidence_never_crashes_and_never_leaks(data: bytes) -> None:
    ev = _one(data, stderr=data)
    for blob in (ev.data, ev.stderr):
        latin = blob.decode("latin-1")
        assert "198.51.100.7" not in latin and "build7" not in latin and "00:15:5d:b3:93:cc" not in latin
    assert "joe" not in " ".join(ev.argv)


def test_utf16_text_inside_binary_is_dropped() -> None:
    data = b"\x00\x01\xff\x00" + "198.51.100.9 secret".encode("utf-16-le") + b"\x00\xff\x03"
    ev = _one(data)
    assert ev.data == b"" and ev.failure == Failure("error", DROPPED)


def test_utf16le_file_round_trips_with_bom_and_crlf() -> None:
    text = "\ufeffEthernet adapter X:\r\n   IPv4 Address. . . : 198.51.100.7\r\n"
    ev = _one(text.encode("utf-16-le"), kind="ipconfig")
    out = ev.data.decode("utf-16-le")
    assert ev.data.startswith(b"\xff\xfe") and out.count("\r\n") == 2
    assert "198.51.100.7" not in out and str(SCHEME.address(ipaddress.ip_address("198.51.100.7"))) in out


def test_manifest_fields_are_redacted() -> None:
    b = Bundle(
        (
            Vantage("host:build7", VantageKind.LINUX_HOST, "build7"),
            Vantage("c", VantageKind.CONTAINER, "web", "host:build7"),
        ),
        (
            Evidence(
                "host:build7/ping",
                "host:build7",
                "ip-addr",
                ("ping", "198.51.100.7"),
                b"",
                failure=Failure("exit-status", "build7: 198.51.100.7 unreachable"),
            ),
        ),
        meta={"note": "scan of build7", "redacted": False},
    )
    r = redact_bundle(b, KEY)
    dump = repr((r.vantages, [(e.id, e.vantage, e.argv, e.failure) for e in r.evidence], r.meta))
    assert "build7" not in dump and "198.51.100.7" not in dump
    assert r.vantages[1].parent == r.vantages[0].id == r.evidence[0].vantage
    assert r.vantages[1].name == "web"  # container names are not secret
    assert r.meta["redacted"] is True


# --------------------------------------------------------------------------- key file


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "redact.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and load_or_create_key(path) == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["not hex\n", "abcd\n", ""])
def test_bad_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "redact.key"
    path.write_text(content)
    with pytest.raises(RedactKeyError):
        load_or_create_key(path)


def test_internationalised_names_and_names_on_refused_lines_are_redacted() -> None:
    """A hosts file with a non-ASCII name and a line its parser refuses (leading zeros)."""
    hosts_text = (
        "127.0.0.1 localhost\n"
        "203.0.113.99 café-server.megacorp.io café-server\n"
        "203.000.113.005 leadzero4\n"
        "198.51.100.7 printer.megacorp.io\n"
    ).encode()
    ev = Evidence("host/hosts", "host", "hosts", ("read", "/etc/hosts"), hosts_text)
    r = redact_bundle(Bundle((Vantage("host", VantageKind.LINUX_HOST, "box"),), (ev,)), KEY)
    out = r.evidence[0].data.decode()
    for secret in ("café", "megacorp", "leadzero4", "printer", "203.0.113.99", "198.51.100.7"):
        assert secret not in out, (secret, out)
    assert "localhost" in out and out.count("\n") == 4


# --------------------------------------------------------------------------- nft's split prefix


def _nft_rule(handle: int, addr: str, plen: int, family: str = "ip") -> str:
    """One rule as ``nft -j list ruleset`` writes it (docker20-iptables-nft fixture's shape)."""
    proto = "ip" if family == "ip" else "ip6"
    return (
        f'{{"rule": {{"family": "{family}", "table": "filter", "chain": "FORWARD", "handle": {handle}, '
        f'"expr": [{{"match": {{"op": "==", "left": {{"payload": {{"protocol": "{proto}", "field": "daddr"}}}}, '
        f'"right": {{"prefix": {{"addr": "{addr}", "len": {plen}}}}}}}}}, {{"drop": null}}]}}}}'
    )


_NFT_PREFIXES = [
    ("10.20.0.0", 16, "ip"),
    ("10.20.0.0", 24, "ip"),
    ("2002:a00::", 24, "ip6"),
    ("fd12:3456::", 32, "ip6"),
]


def _nft_ruleset(*, truncated: bool) -> bytes:
    head = (
        '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", '
        '"json_schema_version": 1}}, {"table": {"family": "ip", "name": "filter", "handle": 1}}, '
        '{"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", '
        '"hook": "forward", "prio": 0, "policy": "accept"}}, '
        '{"table": {"family": "ip6", "name": "filter", "handle": 2}}, '
        '{"chain": {"family": "ip6", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", '
        '"hook": "forward", "prio": 0, "policy": "accept"}}, '
    )
    rules = ", ".join(_nft_rule(10 + i, a, n, f) for i, (a, n, f) in enumerate(_NFT_PREFIXES))
    return (head + rules + ("" if truncated else "]}") + "\n").encode()


@pytest.mark.parametrize("truncated", [False, True], ids=["parsed", "unparseable"])
def test_nft_json_prefix_becomes_its_networks_image(truncated: bool) -> None:
    """``{"prefix": {"addr": "10.20.0.0", "len": 16}}`` is one network, not a host.

    Read as a bare address its image keeps pseudonymised host bits, and when one
    address starts two prefixes (a /16 and a /24) only one of them can be its
    network's image. Both must be, also when the JSON does not parse.
    """
    ev = Evidence("host/nft", "host", "nft-json", ("nft", "-j", "list", "ruleset"), _nft_ruleset(truncated=truncated))
    out = redact_bundle(Bundle((Vantage("host", VantageKind.LINUX_HOST, "box"),), (ev,)), KEY).evidence[0].data.decode()
    assert "10.20.0.0" not in out and "fd12:3456::" not in out
    for addr, plen, _ in _NFT_PREFIXES:
        image = SCHEME.network(ipaddress.ip_network(f"{addr}/{plen}"))
        assert image.network_address != ipaddress.ip_address(addr) or addr == "2002:a00::"
        assert f'{{"addr": "{image.network_address}", "len": {plen}}}' in out, (addr, plen, out)


def test_nft_json_redacted_ruleset_parses_to_the_images() -> None:
    ev = Evidence("host/nft", "host", "nft-json", ("nft",), _nft_ruleset(truncated=False))
    new = redact_bundle(Bundle((Vantage("host", VantageKind.LINUX_HOST, "box"),), (ev,)), KEY).evidence[0]
    found = set()
    for leaf in _leaves(parse("nft-json", new.data).firewall):
        if isinstance(leaf, str) and "/" in leaf and " " not in leaf:
            found.add(ipaddress.ip_network(leaf))
    assert found == {SCHEME.network(ipaddress.ip_network(f"{a}/{n}")) for a, n, _ in _NFT_PREFIXES}


def test_v4_mapped_prefix_keeps_its_dotted_form() -> None:
    """nft writes ``::ffff:0.0.0.0/96``; RFC 6890's ranges are kept, in the same form."""
    data = (
        b'{"prefix": {"addr": "::ffff:0.0.0.0", "len": 96}} {"prefix": {"addr": "::", "len": 96}} ::ffff:198.51.100.7\n'
    )
    out = _one(data, kind="nft-json").data.decode()
    assert '{"addr": "::ffff:0.0.0.0", "len": 96}' in out and '{"addr": "::", "len": 96}' in out
    mapped = SCHEME.address(ipaddress.ip_address("::ffff:198.51.100.7"))
    assert "198.51.100.7" not in out and f"::ffff:{ipaddress.IPv4Address(int(mapped) & 0xFFFFFFFF)}" in out


@pytest.mark.parametrize("kind", ["proc-net-route", "proc-net-if-inet6"])
def test_proc_net_hex_addresses_are_redacted(kind: str) -> None:
    """/proc/net/route and if_inet6 write addresses in hex, where no dotted-quad search finds them."""
    from netatlas.parsers import parse

    original = fixture_bundle()
    redacted = {e.id: e for e in redact_bundle(original, KEY).evidence}
    checked = 0
    for ev in original.evidence:
        if ev.kind != kind:
            continue
        before, after = parse(kind, ev.data), parse(kind, redacted[ev.id].data)
        if kind == "proc-net-route":
            assert [SCHEME.network(r.destination) for r in before.routes] == [r.destination for r in after.routes]
            pairs = [(r1.gateway, r2.gateway) for r1, r2 in zip(before.routes, after.routes, strict=True)]
        else:
            pairs = [
                (a1.address, a2.address)
                for i1, i2 in zip(before.interfaces, after.interfaces, strict=True)
                for a1, a2 in zip(i1.addresses, i2.addresses, strict=True)
            ]
        for old, new in pairs:
            if old is not None and not old.is_loopback:
                assert new != old and new is not None, (ev.id, old)
                checked += 1
    assert checked
