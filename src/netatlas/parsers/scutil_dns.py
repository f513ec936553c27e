"""macOS ``scutil --dns``: the resolvers the system actually uses (not ``/etc/resolv.conf``).

Schema:

* ``Facts.dns``: the *default* resolver, i.e. the first ``resolver #N`` of the
  ``DNS configuration`` section that has nameservers and no ``domain`` (a resolver
  with a ``domain`` or the ``Supplemental`` flag only answers for that domain):
  ``servers`` from its ``nameserver[i]`` (a ``%en0`` zone is dropped), ``search``
  from its ``search domain[i]``, ``options`` from ``options``;
* ``Facts.settings["scutil_resolvers"]``: every resolver of every section as
  ``{"section": "default" | "scoped" | "service-specific", "number", "nameservers",
  "search", "domain", "if_index", "interface", "flags", "reach", "order", "options",
  "port", "timeout"}`` (absent values are ``null``/empty lists), so split DNS (a
  VPN's ``domain : corp.example`` resolver, Docker's or Tailscale's) stays visible.

Example::

    DNS configuration

    resolver #1
      nameserver[0] : 192.168.1.1
      if_index : 4 (en0)
      flags    : Request A records
      reach    : 0x00020002 (Reachable,Directly Reachable Address)

gives ``dns.servers`` ``["192.168.1.1"]`` and one resolver ``{"section": "default",
"number": 1, "nameservers": ["192.168.1.1"], "if_index": 4, "interface": "en0",
"flags": ["Request A records"], "reach": "Reachable,Directly Reachable Address", …}``.

The layout is configd's ``_dns_resolver_print`` (``scutil`` sources,
``dnsinfo_internal.h``): a ``resolver #N`` line, then ``  key : value`` lines with
the key padded to 8 columns; sections are headed ``DNS configuration``, ``DNS
configuration (for scoped queries)`` and ``DNS configuration (for service-specific
queries)``. Old releases print ``reach`` without the hex value (``reach :
Reachable,Directly Reachable Address``); both are read. ``No DNS configuration
available`` gives empty facts with a warning. Unknown keys are skipped with a warning.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import DnsConfig, Facts, IPAddress
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    run_stages,
)

INFO = ParserInfo(
    kind="scutil-dns",
    description="macOS scutil --dns (system resolvers, scoped and supplemental)",
    platforms=(Platform.MACOS,),
    commands=(r"\bscutil\s+--dns\b",),
    source="scutil --dns",
)

_SECTION = re.compile(r"^DNS configuration(?:\s+\(for (?P<what>scoped|service-specific) queries\))?\s*$")
_RESOLVER = re.compile(r"^resolver\s+#(?P<n>\d+)\s*$")
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z_][\w ]*?)(?:\[(?P<i>\d+)\])?\s*:\s*(?P<value>.*?)\s*$")
_IFINDEX = re.compile(r"^(?P<n>\d+)(?:\s+\((?P<name>[^)]*)\))?$")
_REACH = re.compile(r"^(?:0x[0-9a-fA-F]+\s*)?(?:\((?P<inner>[^)]*)\)|(?P<bare>.*))$")
_NONE = re.compile(r"^No DNS configuration available", re.I)
_KNOWN = {
    "nameserver",
    "search domain",
    "domain",
    "if_index",
    "flags",
    "reach",
    "order",
    "options",
    "port",
    "timeout",
    "sa_family",
    "config id",
    "interface",
    "service_identifier",
    "cid",
}


def sniff(text: str) -> float:
    """High for ``resolver #N`` blocks with ``nameserver[i] :`` or a ``DNS configuration`` header."""
    head = text[:20000]
    has_resolver = re.search(r"(?m)^resolver\s+#\d+\s*$", head) is not None
    if has_resolver and re.search(r"(?m)^\s+(?:nameserver|domain|search domain)(?:\[\d+\])?\s*:", head):
        return 0.95
    if re.search(r"(?m)^DNS configuration\s*$", head) and has_resolver:
        return 0.9
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, JSON]]:
    """Tokens: one dict per resolver, ``{"line", "section", "number", "fields": [[key, value, line]]}``."""
    section = "default"
    seen = False
    out: list[dict[str, JSON]] = []
    cur: dict[str, JSON] | None = None
    for ln in lines:
        t = ln.text
        if not t.strip():
            continue
        m = _SECTION.match(t.strip())
        if m:
            section = m["what"] or "default"
            seen, cur = True, None
            continue
        m = _RESOLVER.match(t.strip())
        if m:
            cur = {"line": ln.no, "section": section, "number": int(m["n"]), "fields": []}
            out.append(cur)
            seen = True
            continue
        if _NONE.match(t.strip()):
            warnings.add(ln.no, f"scutil says: {t.strip()!r}")
            seen = True
            continue
        f = _FIELD.match(t)
        if f and cur is not None:
            fields = cur["fields"]
            assert isinstance(fields, list)
            fields.append([f["key"].strip(), f["value"], ln.no])
            continue
        warnings.add(ln.no, f"skipped line that is not part of a resolver: {t.strip()[:60]!r}")
    if not seen:
        raise ParseError("no 'DNS configuration' section or 'resolver #N' found", line=first_content_line(lines))
    return out


def _resolver(tok: dict[str, JSON], warnings: Warnings) -> dict[str, JSON]:
    r: dict[str, JSON] = {
        "section": tok["section"],
        "number": tok["number"],
        "nameservers": [],
        "search": [],
        "domain": None,
        "if_index": None,
        "interface": None,
        "flags": [],
        "reach": None,
        "order": None,
        "options": None,
        "port": None,
        "timeout": None,
    }
    fields = tok["fields"]
    assert isinstance(fields, list)
    for key, value, line in (f for f in fields if isinstance(f, list)):
        assert isinstance(key, str) and isinstance(value, str) and isinstance(line, int)
        if key == "nameserver":
            addr = ip_or_none(value)
            if addr is None:
                warnings.add(line, f"nameserver {value!r} is not an address; skipped")
                continue
            ns = r["nameservers"]
            assert isinstance(ns, list)
            ns.append(str(addr))
        elif key == "search domain":
            search = r["search"]
            assert isinstance(search, list)
            if value:
                search.append(value)
        elif key == "domain":
            r["domain"] = value or None
        elif key == "if_index":
            m = _IFINDEX.match(value)
            if m is None:
                warnings.add(line, f"if_index {value!r} is not 'N (name)'")
                continue
            r["if_index"] = int(m["n"]) if len(m["n"]) < 10 else None
            r["interface"] = m["name"] or None
        elif key == "flags":
            r["flags"] = [x.strip() for x in value.split(",") if x.strip()]
        elif key == "reach":
            m = _REACH.match(value)
            inner = (m["inner"] if m["inner"] is not None else m["bare"]) if m else value
            r["reach"] = inner.strip() or None
        elif key in ("order", "port", "timeout"):
            r[key] = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
            if r[key] is None:
                warnings.add(line, f"{key} {value!r} is not a number")
        elif key == "options":
            r["options"] = value or None
        elif key not in _KNOWN:
            warnings.add(line, f"skipped unknown resolver key {key!r}")
    return r


def _process(raw: list[dict[str, JSON]], warnings: Warnings) -> Facts:
    resolvers = [_resolver(tok, warnings) for tok in raw]
    dns = DnsConfig()
    for r in resolvers:
        flags = r["flags"]
        assert isinstance(flags, list)
        if r["section"] != "default" or r["domain"] is not None or "Supplemental" in flags:
            continue
        if not r["nameservers"]:
            continue
        servers: list[IPAddress] = []
        ns = r["nameservers"]
        assert isinstance(ns, list)
        for s in ns:
            addr = ip_or_none(s) if isinstance(s, str) else None
            if addr is not None and addr not in servers:
                servers.append(addr)
        search = r["search"]
        assert isinstance(search, list)
        opts = r["options"]
        dns = DnsConfig(
            servers=tuple(servers),
            search=tuple(str(s) for s in search),
            options=tuple(opts.split()) if isinstance(opts, str) else (),
        )
        break
    settings: dict[str, JSON] = {"scutil_resolvers": list(resolvers)} if resolvers else {}
    return Facts(kind=INFO.kind, dns=dns, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``scutil --dns`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
