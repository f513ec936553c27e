"""Answers straight from DNS servers, as netatlas records them (``dns-answers-json``).

The input is the JSON list :mod:`netatlas.collect.names` writes: one record per
(name, server, record type), each asked of one server only::

    [
    {"name": "host.docker.internal", "server": "192.0.2.53", "port": 53, "rdtype": "A",
     "status": "NOERROR", "addresses": ["192.168.65.254"], "cnames": [], "authority": [],
     "flags": ["QR", "AA", "RD", "RA"], "ttl": 0, "elapsed_ms": 1.4},
    {"name": "host.docker.internal", "server": "192.0.2.53", "port": 53, "rdtype": "AAAA",
     "status": "NOERROR", "addresses": [], "cnames": [], "authority":
     ["docker.internal. 600 IN SOA ns.docker.internal. hostmaster.docker.internal. 1 3600 600 86400 600"]}
    ]

Schema: fills ``Facts.answers`` with one :class:`~netatlas.model.NameAnswer` per
(name, server), the A and AAAA records folded together in input order:

* ``source`` is ``"dns"``, ``server`` the server asked (its ``port``, ``flags``,
  ``ttl`` and ``authority`` stay in the evidence).
* ``addresses``: every A then AAAA address, distinct, canonical.
* ``aliases``: the CNAME chain the server followed (``cnames``).
* ``status``: ``None`` when some address came back; otherwise the most telling of the
  record statuses: ``NXDOMAIN`` (the name does not exist there), ``SERVFAIL``,
  ``REFUSED``, ``timeout``, ``unreachable``, ``error``, and ``NODATA`` when the server
  said NOERROR with no address of either type.

The example gives ``{"name": "host.docker.internal", "addresses": ["192.168.65.254"],
"source": "dns", "server": "192.0.2.53", "aliases": [], "status": null}``.

A record without a name or a readable server address is skipped with a warning; an
address that is not one is dropped with a warning. jc has nothing for this (it is
netatlas's own JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.model import Facts, IPAddress, NameAnswer
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, ip_or_none, read_text
from netatlas.parsers._docker import extract_json

INFO = ParserInfo(
    kind="dns-answers-json",
    description="answers asked of each configured DNS server (netatlas's JSON records)",
    platforms=(Platform.ANY,),
    commands=(),
    source="netatlas scan (dnspython, one query per name, type and server)",
)

_ORDER = ("NXDOMAIN", "SERVFAIL", "REFUSED", "timeout", "unreachable", "error")


def sniff(text: str) -> float:
    """High for a JSON list of records with ``rdtype``, ``status`` and ``server``."""
    head = text[:4000]
    if head.lstrip().startswith("[") and '"rdtype"' in head and '"status"' in head and '"server"' in head:
        return 0.95
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens ``{"line", "obj"}``: one per record object, in input order."""
    out: list[dict[str, Any]] = []
    for value in extract_json(text, warnings):
        for first, _last, item in value.items:
            if isinstance(item, Mapping):
                out.append({"line": first, "obj": item})
            else:
                warnings.add(first, f"skipped a JSON {type(item).__name__} where a DNS record belongs")
    return out


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    groups: dict[tuple[str, IPAddress, object], dict[str, Any]] = {}
    for tok in raw:
        obj: Mapping[str, Any] = tok["obj"]
        line = int(tok["line"])
        name, server = obj.get("name"), obj.get("server")
        if not isinstance(name, str) or not name.strip():
            warnings.add(line, "skipped a record without a name")
            continue
        srv = ip_or_none(server) if isinstance(server, str) else None
        if srv is None:
            warnings.add(line, f"skipped the answer for {name!r}: unreadable server {server!r}")
            continue
        g = groups.setdefault(
            (name, srv, obj.get("port")), {"addresses": [], "aliases": [], "statuses": [], "line": line, "name": name}
        )
        for text in _strings(obj.get("addresses")):
            addr = ip_or_none(text)
            if addr is None:
                warnings.add(line, f"dropped {text!r} from the answer for {name!r}: not an address")
            elif addr not in g["addresses"]:
                g["addresses"].append(addr)
        for alias in _strings(obj.get("cnames")):
            if alias not in g["aliases"]:
                g["aliases"].append(alias)
        said = obj.get("status")
        g["statuses"].append(said if isinstance(said, str) and said else "error")
    answers = []
    for (name, srv, _port), g in groups.items():
        status: str | None = None
        if not g["addresses"]:
            bad = [s for s in g["statuses"] if s != "NOERROR"]
            ranked = sorted(bad, key=lambda s: _ORDER.index(s) if s in _ORDER else len(_ORDER))
            status = ranked[0] if ranked else "NODATA"
        answers.append(
            NameAnswer(
                name=name,
                addresses=tuple(g["addresses"]),
                source="dns",
                server=srv,
                aliases=tuple(g["aliases"]),
                status=status,
            )
        )
    return Facts(kind=INFO.kind, answers=tuple(answers), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one ``dns-answers-json`` list. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        return _process(_raw(read_text(data), warnings), warnings)

    return guard(run, source=source)
