"""Redaction: a bundle a user can send to a colleague without their addresses and names.

:func:`redact_bundle` rewrites every evidence file, its stderr, argv, ids and the
vantage names, and gives back a bundle the rest of netatlas reads like the original:
the atlas has the same networks, nodes, overlaps and findings, only the values differ.

* Addresses go through a keyed prefix-preserving map (see ``_scheme``): networks
  keep their lengths and their overlaps, special ranges stay, and an engine's default
  range stays only where the bundle shows that engine using it and no host range near
  it (``_kept``; listed in ``meta.redaction.kept``).
* MACs get keyed pseudonyms that keep the vendor part; a MAC inside an IPv6 address
  (EUI-64) gets the same pseudonym as the adapter's physical address.
* Host names, DNS suffixes, user names and names from hosts files and DNS answers get
  keyed label pseudonyms (``z820`` → ``h2kq7xva``); well-known names
  (``localhost``, ``host.docker.internal`` …), WSL distro, container, network and
  interface names stay, since they are product defaults or what the map is about.

The same key gives the same pseudonyms in every bundle, so two redacted scans of one
machine can still be compared; keep the key (:func:`load_or_create_key`) and never
send it. A redacted bundle is checked before it is returned: evidence in which any
address, MAC or secret name the scan revealed is still found (in UTF-8, UTF-16LE or
any case) loses its data and gets ``Failure(code="error", message="dropped: could not
redact")``, so redaction fails closed rather than leaking.

Example (RFC 5737 addresses):
    >>> from netatlas.bundle import Bundle
    >>> from netatlas.model import Evidence, Vantage, VantageKind
    >>> b = Bundle((Vantage("host", VantageKind.LINUX_HOST, "build7"),),
    ...            (Evidence("host/hosts", "host", "hosts", ("read", "/etc/hosts"),
    ...                      b"192.0.2.7 build7.example.com build7\\n"),))
    >>> r = redact_bundle(b, b"k" * 32)
    >>> data = r.evidence[0].data.decode()
    >>> "192.0.2." in data, "build7" in data, r.vantages[0].name == "build7", r.meta["redacted"]
    (False, False, False, True)
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from netatlas.bundle import Bundle
from netatlas.errors import NetatlasError, RedactKeyError
from netatlas.model import Evidence, Facts, Failure, IPNetwork, Vantage, VantageKind
from netatlas.parsers._base import decode
from netatlas.redact._kept import Kept, Parsed, bundle_scheme, describe, kept_ranges, leaves, parsed_evidence
from netatlas.redact._kept import ip_value as _as_ip
from netatlas.redact._scheme import Rule, Scheme, default_rules, engine_rules, eui64_mac
from netatlas.redact._text import _V4_WORD, Context, Rewriter, is_kept_name, is_tld, never_secret, version_tokens

__all__ = [
    "DROPPED",
    "KEY_BYTES",
    "SCHEME",
    "Context",
    "Kept",
    "Parsed",
    "RedactKeyError",
    "Rule",
    "Scheme",
    "blank_env",
    "bundle_scheme",
    "collect_context",
    "default_rules",
    "engine_rules",
    "kept_ranges",
    "load_or_create_key",
    "parsed_evidence",
    "redact_bundle",
]

KEY_BYTES = 32
SCHEME = "netatlas-prefix-hmac-sha256/1"
"""Recorded in the redacted bundle's ``meta`` with the key's id (not the key)."""
DROPPED = "dropped: could not redact"

_HOST_KINDS = frozenset({VantageKind.WINDOWS_HOST, VantageKind.LINUX_HOST, VantageKind.MACOS_HOST})
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_PROMPT_USER_HOST = re.compile(
    r"^\s*(?:\(\S+\)\s*)?(?P<user>[\w.-]+)@(?P<host>[\w.-]+)(?::\S*)?\s?[$#%>]"
    r"|\((?P<kuser>[\w.-]+)㉿(?P<khost>[\w.-]+)\)",
    re.MULTILINE,
)
_HOME = re.compile(r"(?:^|[\\/\"' ])(?:Users|home)[\\/]+(?P<user>[^\\/\s\"':*?<>|]+)", re.IGNORECASE)
_VERSION_KEY = re.compile(r"version|release", re.IGNORECASE)
# A container's host name is its id (12 hex digits): an engine value, not a secret.
_CONTAINER_ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")
_NOT_USERS = frozenset({"all users", "default user", "default", "public", "shared", "guest"})


# --------------------------------------------------------------------------- key


def load_or_create_key(path: str | Path) -> bytes:
    """The redaction key stored at ``path``, created (mode 0600) when missing.

    The file holds the key as hex on one line. Creating it is atomic (``O_EXCL``), so
    two scans started together agree on one key.

    Raises:
        RedactKeyError: the file exists but is not a hex key of at least 16 bytes.
        OSError: the file cannot be read or created.
    """
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    text = p.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise RedactKeyError(f"{p}: not a redaction key (expected hex on one line)") from exc
    if len(key) < 16:
        raise RedactKeyError(f"{p}: redaction key is {len(key)} bytes; at least 16 are needed")
    return key


# --------------------------------------------------------------------------- context


def _mac_int(text: str | None) -> int | None:
    if not text:
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", text)
    if len(digits) != 12:
        return None
    return int(digits, 16)


def _text_view(data: bytes) -> str:
    try:
        return decode(data)
    except NetatlasError:
        return data.decode("latin-1")


_HOSTS_LINE = re.compile(r"^[ \t]*[0-9A-Fa-f:.%]*[0-9A-Fa-f][0-9A-Fa-f:.%]*[ \t]+([^#\n]+)", re.M)


class _Names:
    """Candidate names, split into always-secret (host names) and maybe-secret."""

    def __init__(self) -> None:
        self.host: set[str] = set()
        self.other: set[str] = set()
        self.public: set[str] = set()
        self.users: set[str] = set()

    def facts(self, facts: Facts) -> None:
        for h in facts.hosts:
            target = self.host if str(h.address) == "127.0.1.1" else self.other
            target.update(h.names)
        for a in facts.answers:
            self.other.add(a.name)
            self.other.update(a.aliases)
        self.other.update(hop.name for hop in facts.hops if hop.name)
        self.other.update(f.connect_host for f in facts.forwards if f.connect_host)
        self.other.update(facts.dns.search)
        s = facts.settings
        for key in ("host_name", "name"):
            if isinstance(s.get(key), str):
                self.host.add(str(s[key]))
        for key in ("primary_dns_suffix", "target_name", "target"):
            if isinstance(s.get(key), str):
                self.other.add(str(s[key]))
        self.other.update(i.dns_suffix for i in facts.interfaces if i.dns_suffix)
        self.other.update(facts.dns.search)
        for c in facts.containers:
            self.public.add(c.name.lstrip("/"))
            self.public.update(m.name for m in c.networks)
        for n in facts.networks:
            self.public.add(n.name)
            self.public.update(m.name for m in n.members)
        self.public.update(d.name for d in facts.distros)
        self.public.update(i.name for i in facts.interfaces)

    def hosts_lines(self, text: str) -> None:
        """The names on every address line of a hosts file, also on lines its parser refused.

        ``203.000.113.005 leadzero4`` is no valid line (leading zeros), so the parser
        skips it, but its name is still somebody's machine.
        """
        for m in _HOSTS_LINE.finditer(text):
            self.other.update(m.group(1).split())

    def raw(self, text: str) -> None:
        for m in _PROMPT_USER_HOST.finditer(text):
            self.users.add(m["user"] or m["kuser"])
            self.host.add(m["host"] or m["khost"])
        for m in _HOME.finditer(text):
            self.users.add(m["user"])

    def secrets(self) -> tuple[set[str], set[str]]:
        """(labels, dotted names) to replace.

        Host names and user names give labels: they also appear alone (``z820``,
        ``z820_default``, ``C:\\Users\\joe``). Other names give a label when they are
        one label (``printer``), nothing when they end in a known TLD (the dotted-name
        safety net replaces them wherever they appear), and the whole dotted name
        otherwise (``nas.fritz.box``): splitting those into labels would make common
        words like ``me`` or ``cc`` secret everywhere.
        """
        keep = never_secret()
        public = {p.lower() for p in self.public}

        def usable(label: str) -> bool:
            low = label.lower()
            return not (len(low) < 2 or low.isdigit() or low in keep or _CONTAINER_ID.fullmatch(low))

        labels: set[str] = set()
        dotted: set[str] = set()
        for name in self.host:
            if _as_ip(name) is None and not is_kept_name(name):
                labels.update(lab.lower() for lab in name.strip().rstrip(".").split(".") if usable(lab))
        for name in self.other - self.host:
            n = name.strip().rstrip(".").lower()
            if not n or _as_ip(n) is not None or is_kept_name(n):
                continue
            parts = n.split(".")
            if len(parts) == 1:
                if usable(n) and n not in public:
                    labels.add(n)
            elif not is_tld(parts[-1]) and any(p not in keep and not p.isdigit() for p in parts[:-1]):
                dotted.add(n)
        labels.update(u.lower() for u in self.users if usable(u) and u.lower() not in _NOT_USERS)
        return labels, dotted


def collect_context(bundle: Bundle, parsed: Parsed | None = None) -> Context:
    """What the whole bundle reveals: its addresses, networks, MACs and secret labels.

    Every evidence is parsed with the real parsers (best effort: evidence that does
    not parse still has its raw text searched for prompts and home folders); pass
    ``parsed`` (:func:`parsed_evidence`) to reuse facts already parsed.
    """
    ctx = Context()
    names = _Names()
    for v in bundle.vantages:
        (names.host if v.kind in _HOST_KINDS else names.public).add(v.name)
    facts_of = parsed if parsed is not None else parsed_evidence(bundle)
    for ev, facts in facts_of.facts:
        for blob in (ev.data, ev.stderr):
            if blob:
                view = _text_view(blob)
                names.raw(view)
                if ev.kind == "hosts":
                    names.hosts_lines(view)
                ctx.versions |= version_tokens(view)
        names.raw("\n".join(ev.argv))
        if facts is None:
            continue
        names.facts(facts)
        _facts_values(facts, ctx)
    ctx.secret_labels, ctx.secret_names = names.secrets()
    return ctx


def _facts_values(facts: Facts, ctx: Context) -> None:
    settings = {k: v for k, v in facts.settings.items() if not _VERSION_KEY.search(k)}
    for k, v in facts.settings.items():
        if _VERSION_KEY.search(k):
            ctx.versions.update(_V4_WORD.findall(str(v)))
    for leaf in leaves((replace(facts, settings={}), settings)):
        value = _as_ip(leaf)
        if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
            ctx.addresses.add(value)
        elif value is not None:
            _network_end(ctx, value)
    for iface in facts.interfaces:
        for a in iface.addresses:
            if a.network is not None:
                _network_end(ctx, a.network)
        if (mac := _mac_int(iface.mac)) is not None:
            ctx.macs.add(mac)
    members = [m for n in facts.networks for m in n.members] + [m for c in facts.containers for m in c.networks]
    for m in members:
        if (mac := _mac_int(m.mac)) is not None:
            ctx.macs.add(mac)
    for nb in facts.neighbours:  # other devices' MACs, from the neighbour table
        if (mac := _mac_int(nb.mac)) is not None:
            ctx.macs.add(mac)
    for addr in list(ctx.addresses):
        if isinstance(addr, ipaddress.IPv6Address) and (mac := eui64_mac(addr)) is not None:
            ctx.macs.add(mac)


def _network_end(ctx: Context, net: IPNetwork) -> None:
    if net.prefixlen >= net.max_prefixlen - 1:
        return
    ends = [(net.network_address, False)]
    if net.version == 4:
        ends.append((net.broadcast_address, True))
    for addr, broadcast in ends:
        old = ctx.network_ends.get(addr)
        if old is None or old[0] < net.prefixlen:
            ctx.network_ends[addr] = (net.prefixlen, broadcast)


# --------------------------------------------------------------------------- bytes


def _codec(data: bytes) -> tuple[str, Callable[[str], bytes]] | None:
    """The text of ``data`` and how to write it back byte-exactly, or ``None``.

    The text is what :func:`netatlas.parsers._base.decode` reads; the writer keeps the
    BOM and the encoding (UTF-16LE as ``wsl.exe`` writes it). Line ends need no care:
    replacements never touch them.
    """
    try:
        text = decode(data)
    except NetatlasError:
        return None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                t = body.decode(enc)
            except UnicodeDecodeError:
                return None
            return (t, _writer(enc, bom)) if t.lstrip("\ufeff") == text else None
    for enc in ("utf-8", "utf-16-le"):
        try:
            t = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if t.lstrip("\ufeff") == text and t.encode(enc) == data:
            return t, _writer(enc, b"")
    return None


def _writer(encoding: str, bom: bytes) -> Callable[[str], bytes]:
    def write(text: str) -> bytes:
        return bom + text.encode(encoding)

    return write


_ENV_KEY = re.compile(r'"Env"\s*:\s*(?=\[)')


def blank_env(text: str) -> str:
    r"""Container environment values replaced by ``<redacted>`` (``KEY=<redacted>``).

    ``docker inspect`` shows ``Config.Env`` whole, passwords and tokens included
    (``POSTGRES_PASSWORD=…``); the map needs none of it. Each array is read with the
    JSON decoder, so a ``]`` inside a value cannot end it early, and each string is
    replaced where it stands, so the layout and line ends stay as they were.

    >>> blank_env('"Env": [\n  "A=1",\n  "PASSWORD=s3cr]t"\n], "Cmd": null')
    '"Env": [\n  "A=<redacted>",\n  "PASSWORD=<redacted>"\n], "Cmd": null'
    """
    decoder = json.JSONDecoder()
    out: list[str] = []
    pos = 0
    for m in _ENV_KEY.finditer(text):
        if m.start() < pos:
            continue
        try:
            values, end = decoder.raw_decode(text, m.end())
        except ValueError:
            continue
        if not isinstance(values, list):
            continue
        out.append(text[pos : m.end()])
        out.append(_JSON_STRING.sub(_blank_one, text[m.end() : end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _blank_one(m: re.Match[str]) -> str:
    value = json.loads(m.group(0))
    return json.dumps(f"{value.split('=', 1)[0]}=<redacted>", ensure_ascii=False)


def _recorded_codec(data: bytes, encoding: str | None) -> tuple[str, Callable[[str], bytes]] | None:
    """The text of ``data`` in the encoding the collector recorded (an OEM code page), if it reads back exactly."""
    if not encoding:
        return None
    try:
        text = data.decode(encoding)
        if text.encode(encoding) != data:
            return None
    except (LookupError, UnicodeError):
        return None
    return text, _writer(encoding, b"")


def _rewrite(rw: Rewriter, data: bytes, kind: str | None = None, encoding: str | None = None) -> bytes | None:
    """Text rewritten in its own encoding; anything else rewritten as Latin-1 bytes.

    The encoding is the evidence's recorded one when it has one (a Windows tool's OEM
    code page), so a name in it is found and replaced as the parsers read it.
    Binary or undecodable evidence still has its ASCII addresses and names replaced
    byte for byte. If UTF-16 text inside it still holds something the rewriter would
    change, there is no safe in-place rewrite: ``None``, and the caller drops the data.
    """
    if not data:
        return data
    recorded = _recorded_codec(data, encoding)
    if recorded is not None:
        text, write = recorded
        if kind == "docker-inspect":
            text = blank_env(text)
        try:
            return write(rw.text(text, kind=kind))
        except UnicodeEncodeError:
            pass  # a pseudonym the code page cannot hold: rewrite as below
    codec = _codec(data)
    if codec is not None:
        text, write = codec
        if kind == "docker-inspect":
            text = blank_env(text)
        return write(rw.text(text, kind=kind))
    out = rw.text(data.decode("latin-1"), kind=kind).encode("latin-1")
    for start in (0, 1):
        view = out[start:].decode("utf-16-le", "replace")
        if rw.text(view) != view:
            return None  # UTF-16 text inside binary: cannot be rewritten in place
    return out


# --------------------------------------------------------------------------- leak check


_V4_TOKEN = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d|\.\d)")
_HEX_TOKEN = re.compile(r"[0-9A-Fa-f:.-]*[:.-][0-9A-Fa-f:.-]*|[0-9A-Fa-f]{12}")
_SPACED_TOKEN = re.compile(r"[0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2}){5,}")


class _Leaks:
    """Every original value that must not survive redaction, and a search for them.

    Values the redaction itself produced (an image that happens to equal another
    original) are left out, since they cannot be told apart and are not a leak. The
    search tokenises first and looks values up in sets: one regex with thousands of
    bounded alternatives is quadratic on a large bundle.
    """

    def __init__(self, scheme: Scheme, ctx: Context, rw: Rewriter) -> None:
        addrs = set(ctx.addresses) | set(rw.seen_addresses)
        images = {rw.address(a) for a in addrs} | {scheme.address(a) for a in addrs} | set(rw.images)
        self.v4 = {str(a) for a in addrs - images if a.version == 4}
        self.v6 = {a for a in addrs - images if a.version == 6}
        macs = set(ctx.macs) | set(rw.seen_macs)
        self.macs = macs - {scheme.mac(m) for m in macs}
        pats = []
        for label in sorted(ctx.secret_labels):
            edge = "A-Za-z0-9:.-" if re.fullmatch(r"[0-9a-f]+", label) else "A-Za-z0-9"
            pats.append(rf"(?<![{edge}]){re.escape(label)}(?![{edge}])")
        self.labels = re.compile("|".join(pats), re.IGNORECASE) if pats else None

    def _hex(self, token: str) -> str | None:
        core = token.strip(":.-")
        for cand in (core, core.rpartition(":")[0]):
            try:
                addr = ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            if addr in self.v6:
                return cand
            mac = eui64_mac(addr)
            if mac is not None and mac in self.macs:
                return cand
        groups = re.split(r"[:.-]", core)
        if len(groups) == 3 and all(len(g) == 4 for g in groups):
            groups = [g[i : i + 2] for g in groups for i in (0, 2)]
        if len(groups) == 1 and len(core) == 12:
            groups = [core[i : i + 2] for i in range(0, 12, 2)]
        if len(groups) >= 6 and all(1 <= len(g) <= 2 for g in groups if g):
            for i in range(len(groups) - 5):
                window = groups[i : i + 6]
                if all(window) and int("".join(g.zfill(2) for g in window), 16) in self.macs:
                    return core
        return None

    def found(self, text: str) -> str | None:
        """The first surviving secret in ``text``, or ``None``."""
        for m in _V4_TOKEN.finditer(text):
            if m.group(0) in self.v4:
                return m.group(0)
        if self.v6 or self.macs:
            for m in _HEX_TOKEN.finditer(text):
                hit = self._hex(m.group(0))
                if hit is not None:
                    return hit
            for m in _SPACED_TOKEN.finditer(text):
                groups = m.group(0).split(" ")
                for i in range(len(groups) - 5):
                    if int("".join(groups[i : i + 6]), 16) in self.macs:
                        return m.group(0)
        if self.labels is not None and (m2 := self.labels.search(text)) is not None:
            return m2.group(0)
        return None

    def in_bytes(self, data: bytes, encoding: str | None = None) -> str | None:
        """Search every way ``data`` can be read: its recorded encoding, its own text, Latin-1, UTF-16LE."""
        if not data:
            return None
        views = [data.decode("latin-1")]
        recorded = _recorded_codec(data, encoding)
        if recorded is not None:
            views.append(recorded[0])
        codec = _codec(data)
        if codec is not None:
            views.append(codec[0])
        views += [data[i:].decode("utf-16-le", "replace") for i in (0, 1)]
        for view in views:
            hit = self.found(view)
            if hit is not None:
                return hit
        return None


# --------------------------------------------------------------------------- bundle


def _meta(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_meta(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _meta(v, text) for k, v in value.items()}
    return value


def redact_bundle(bundle: Bundle, key: bytes) -> Bundle:
    """A copy of ``bundle`` with addresses, MACs and secret names pseudonymised.

    Args:
        bundle: the scan as written (read with :func:`netatlas.bundle.read_bundle`).
        key: the secret (at least 16 bytes; :func:`load_or_create_key`).

    Returns:
        The redacted bundle; ``meta`` gains ``redacted: true`` and ``redaction``
        (scheme, key id, and ``kept``: the engine ranges kept verbatim and why,
        :func:`netatlas.redact._kept.kept_ranges`). Evidence that could not be rewritten without a leak has
        no data and a ``Failure(code="error", message="dropped: could not redact")``.

    Raises:
        ValueError: the key is shorter than 16 bytes.
    """
    parsed = parsed_evidence(bundle)
    scheme, kept = bundle_scheme(bundle, key, parsed)
    ctx = collect_context(bundle, parsed)
    rw = Rewriter(scheme, ctx)
    rewritten = [(ev, _rewrite(rw, ev.data, ev.kind, ev.encoding), _rewrite(rw, ev.stderr)) for ev in bundle.evidence]
    small: dict[str, str] = {}

    def text(value: str) -> str:
        if value not in small:
            small[value] = rw.text(value)
        return small[value]

    vantages = tuple(
        replace(v, id=text(v.id), name=text(v.name), parent=text(v.parent) if v.parent else None)
        for v in bundle.vantages
    )
    evidence: list[Evidence] = []
    for ev, data, stderr in rewritten:
        failure = ev.failure
        if failure is not None:
            failure = Failure(failure.code, text(failure.message))
        if data is None or stderr is None:
            data, stderr, failure = b"", b"", Failure("error", DROPPED)
        evidence.append(
            replace(
                ev,
                id=text(ev.id),
                vantage=text(ev.vantage),
                argv=tuple(text(a) for a in ev.argv),
                data=data,
                stderr=stderr,
                failure=failure,
            )
        )
    meta = _meta(dict(bundle.meta), text)
    leaks = _Leaks(scheme, ctx, rw)
    evidence = [_checked(ev, leaks) for ev in evidence]
    vantages, evidence = _checked_labels(vantages, evidence, leaks)
    meta["redacted"] = True
    meta["redaction"] = {"scheme": SCHEME, "key_id": scheme.key_id, "kept": _meta(describe(kept), text)}
    return Bundle(
        vantages=vantages,
        evidence=tuple(evidence),
        created=bundle.created,
        tool_version=bundle.tool_version,
        meta=meta,
    )


def _checked(ev: Evidence, leaks: _Leaks) -> Evidence:
    """``ev`` unchanged, or with data and stderr dropped if a secret survived in them."""
    hit = leaks.in_bytes(ev.data, ev.encoding) or leaks.in_bytes(ev.stderr)
    if hit is None and (ev.failure is None or leaks.found(ev.failure.message) is None):
        return ev
    return replace(ev, data=b"", stderr=b"", failure=Failure("error", DROPPED))


def _checked_labels(
    vantages: Iterable[Vantage], evidence: list[Evidence], leaks: _Leaks
) -> tuple[tuple[Vantage, ...], list[Evidence]]:
    """Ids, names and argv with a surviving secret replaced by a neutral placeholder."""
    renamed: dict[str, str] = {}

    def safe(value: str, placeholder: str) -> str:
        if leaks.found(value) is None:
            return value
        return renamed.setdefault(value, placeholder)

    out_v = tuple(
        replace(
            v,
            id=safe(v.id, f"vantage-{i}"),
            name=safe(v.name, f"vantage-{i}"),
            parent=renamed.get(v.parent, v.parent) if v.parent else None,
        )
        for i, v in enumerate(vantages)
    )
    out_v = tuple(replace(v, parent=renamed.get(v.parent, v.parent) if v.parent else None) for v in out_v)
    out_e = [
        replace(
            ev,
            id=safe(ev.id, f"evidence-{i}"),
            vantage=renamed.get(ev.vantage, ev.vantage),
            argv=tuple(safe(a, "[redacted]") for a in ev.argv),
        )
        for i, ev in enumerate(evidence)
    ]
    return out_v, out_e
