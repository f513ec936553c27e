"""``nft -j list ruleset``: the nftables ruleset as JSON (firewalld, Docker 29, netavark, iptables-nft).

Schema: fills ``Facts.firewall`` with one :class:`~netatlas.model.firewall.Ruleset`
(``dialect`` ``nftables``, ``backend`` the ``metainfo`` version): one table per
``table`` object (``family`` ``ip``, ``ip6``, ``inet`` …), its chains with ``hook``,
``priority`` (``prio``), ``type`` and ``policy`` (upper case, as iptables writes
them) for base chains, and its rules numbered in order within their chain. Each rule's
``text`` is its expressions in ``nft`` syntax, built from the JSON (which has no
text of its own), ending in ``# handle N``. Named sets keep their elements.

Expressions read into matches: ``meta iifname/oifname`` (and ``iif``/``oif``),
``ip``/``ip6 saddr/daddr`` (an address, prefix, range, anonymous set or ``@set``),
``tcp``/``udp``/``th dport/sport`` (which also imply the protocol), ``meta l4proto``
and ``ip protocol``, ``ct state``, ``ct status dnat``, ``fib daddr type``. Statements:
``accept``, ``drop``, ``reject``, ``return``, ``jump``, ``goto`` and the NAT ones
(``dnat`` with its address and port as ``target_args``); ``counter``, ``log`` and
``mangle`` decide nothing and are left out. Anything else, notably the ``xt``
expressions iptables-nft writes for matches nft cannot show (``xt match
"conntrack"``), is kept as an ``other`` match or an unknown action.

Example: ``{"rule": {"family": "inet", "table": "filter", "chain": "input", "handle":
4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field":
"dport"}}, "right": 22}}, {"accept": null}]}}`` is rule 1 of chain ``input``:
``tcp dport 22 accept # handle 4``, matches ``protocol tcp`` and ``dport 22``.
"""

from __future__ import annotations

import json
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model.firewall import FirewallChain, FirewallMatch, FirewallRule, FirewallSet, FirewallTable, Ruleset
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line, run_stages

INFO = ParserInfo(
    kind="nft-json",
    description="nft -j list ruleset: the nftables ruleset as JSON",
    platforms=(Platform.LINUX,),
    commands=(r"\bnft\b.*\s-j\b|\bnft\b.*--json\b",),
    source="nft -j list ruleset",
)

_VERDICTS = {"accept": "ACCEPT", "drop": "DROP", "reject": "REJECT", "return": "RETURN"}
_NAT = {"dnat": "DNAT", "snat": "SNAT", "masquerade": "MASQUERADE", "redirect": "REDIRECT"}
_L4 = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "ipv6-icmp", "sctp": "sctp", "udplite": "udplite"}
_QUIET = frozenset({"counter", "log", "mangle", "notrack", "quota", "meta", "ct"})
"""Statements that never decide a packet's fate (a ``meta``/``ct`` statement sets a value)."""


def sniff(text: str) -> float:
    """A JSON object with an ``nftables`` array."""
    head = text.lstrip()[:200]
    return 0.97 if head.startswith("{") and '"nftables"' in head else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> tuple[list[Line], Any]:
    text = "\n".join(ln.text for ln in lines)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc.msg}", line=(lines[0].no if lines else 1) + exc.lineno - 1) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nftables"), list):
        raise ParseError("no 'nftables' array: not nft -j output", line=first_content_line(lines))
    return lines, doc["nftables"]


def value_text(v: Any) -> str:
    """An expression's right-hand side in nft syntax (``10.0.0.0/8``, ``{ 80, 443 }``, ``@blocked``)."""
    if isinstance(v, dict):
        if "prefix" in v:
            return f"{v['prefix'].get('addr')}/{v['prefix'].get('len')}"
        if "range" in v:
            a, b = v["range"]
            return f"{value_text(a)}-{value_text(b)}"
        if "set" in v:
            return "{ " + ", ".join(value_text(x) for x in v["set"]) + " }"
        if "elem" in v:
            return value_text(v["elem"].get("val"))
        if "concat" in v:
            return " . ".join(value_text(x) for x in v["concat"])
        return json.dumps(v, sort_keys=True)
    if isinstance(v, list):
        return "{ " + ", ".join(value_text(x) for x in v) + " }"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def _values(v: Any) -> tuple[str, ...]:
    if isinstance(v, dict) and "set" in v:
        return tuple(value_text(x) for x in v["set"])
    if isinstance(v, list):
        return tuple(value_text(x) for x in v)
    return (value_text(v),)


def _left_text(left: Any) -> str:
    if isinstance(left, dict):
        if "meta" in left:
            return f"meta {left['meta'].get('key')}"
        if "payload" in left:
            p = left["payload"]
            return f"{p.get('protocol', p.get('base', ''))} {p.get('field', p.get('offset', ''))}"
        if "ct" in left:
            return f"ct {left['ct'].get('key')}"
        if "fib" in left:
            return f"fib {' . '.join(left['fib'].get('flags', []))} {left['fib'].get('result')}"
    return json.dumps(left, sort_keys=True)


def _match(expr: dict[str, Any]) -> list[FirewallMatch]:
    """The matches of one ``match`` expression (a port match also says the protocol)."""
    op, left, right = expr.get("op", "=="), expr.get("left"), expr.get("right")
    neg = op == "!="
    text = f"{_left_text(left)} {'' if op in ('==', 'in') else op + ' '}{value_text(right)}"
    other = [FirewallMatch("other", _values(right), neg, text)]
    if op not in ("==", "!=", "in") or not isinstance(left, dict):
        return other
    if "meta" in left:
        key = left["meta"].get("key")
        ifaces = {"iifname": "in_interface", "oifname": "out_interface", "iif": "in_interface", "oif": "out_interface"}
        if key in ifaces:
            return [FirewallMatch(ifaces[key], _values(right), neg, text)]
        if key == "l4proto":
            return [FirewallMatch("protocol", _values(right), neg, text)]
        if key == "nfproto":
            return [FirewallMatch("nfproto", _values(right), neg, text)]
        return other
    if "payload" in left:
        p = left["payload"]
        proto, field = p.get("protocol"), p.get("field")
        if proto in ("ip", "ip6") and field in ("saddr", "daddr"):
            if isinstance(right, str) and right.startswith("@"):
                kind = "set_source" if field == "saddr" else "set_destination"
                return [FirewallMatch(kind, (right[1:],), neg, text)]
            return [FirewallMatch("source" if field == "saddr" else "destination", _values(right), neg, text)]
        if proto in ("ip", "ip6") and field in ("protocol", "nexthdr"):
            return [FirewallMatch("protocol", _values(right), neg, text)]
        if proto in ("tcp", "udp", "th") and field in ("dport", "sport"):
            if isinstance(right, str) and right.startswith("@"):
                return other
            found = [FirewallMatch(field, _values(right), neg, text)]
            if proto != "th":
                found.insert(0, FirewallMatch("protocol", (proto,), False, text))
            return found
        if proto in _L4:
            # any header field of a transport protocol implies that protocol (icmpv6 type … is ICMPv6 only)
            return [FirewallMatch("protocol", (_L4[proto],), False, text), *other]
        return other
    if "ct" in left and left["ct"].get("key") in ("state", "status"):
        key = left["ct"]["key"]
        vals = tuple(v.upper() for v in _values(right))
        return [FirewallMatch("ctstate" if key == "state" else "ctstatus", vals, neg, text)]
    if "fib" in left and left["fib"].get("result") == "type" and left["fib"].get("flags") == ["daddr"]:
        return [FirewallMatch("dst_type", tuple(v.upper() for v in _values(right)), neg, text)]
    return other


def _stmt_text(key: str, val: Any) -> str:
    if val is None:
        return key
    if key in ("jump", "goto"):
        return f"{key} {val.get('target')}"
    if key == "xt":
        return f'xt {val.get("type")} "{val.get("name")}"'
    if key == "counter":
        return "counter"
    if isinstance(val, dict):
        inner = " ".join(f"{k} {value_text(v)}" for k, v in val.items() if v is not None)
        return f"{key} {inner}".strip()
    return f"{key} {value_text(val)}"


def _rule(obj: dict[str, Any], number: int, line: int) -> FirewallRule:
    matches: list[FirewallMatch] = []
    parts: list[str] = []
    action: str | None = None
    target: str | None = None
    targs: tuple[str, ...] = ()
    comment = obj.get("comment") if isinstance(obj.get("comment"), str) else None
    for expr in obj.get("expr") or []:
        if not isinstance(expr, dict) or len(expr) != 1:
            continue
        ((key, val),) = expr.items()
        if key == "match" and isinstance(val, dict):
            found = _match(val)
            matches.extend(found)
            parts.append(found[-1].text or "")
            continue
        parts.append(_stmt_text(key, val))
        if action is not None:
            continue
        if key in _VERDICTS:
            action = _VERDICTS[key]
            if key == "reject" and isinstance(val, dict):
                targs = tuple(f"{k} {v}" for k, v in val.items())
        elif key in ("jump", "goto") and isinstance(val, dict):
            action, target = key.upper(), str(val.get("target"))
        elif key in _NAT:
            action = _NAT[key]
            if isinstance(val, dict):
                targs = tuple(f"{k} {value_text(v)}" for k, v in val.items())
        elif key == "xt" and isinstance(val, dict):
            if val.get("type") == "target":
                action = str(val.get("name"))
                if action not in ("LOG", "MARK", "CONNMARK", "CT"):
                    targs = ("xt target: its options are not in the JSON",)
            else:
                matches.append(FirewallMatch("other", (str(val.get("name")),), False, parts[-1]))
        elif key == "vmap":
            action = "VMAP"
            matches.append(FirewallMatch("other", (), False, parts[-1]))
        elif key not in _QUIET:
            matches.append(FirewallMatch("other", (), False, parts[-1]))
    handle = obj.get("handle")
    text = " ".join(p for p in parts if p) + (f" # handle {handle}" if handle is not None else "")
    return FirewallRule(number, text.strip(), action, tuple(matches), target, targs, line, comment)


def _process(raw: tuple[list[Line], Any], warnings: Warnings) -> Facts:
    lines, items = raw
    line = first_content_line(lines)
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    chains: dict[tuple[str, str, str], dict[str, Any]] = {}
    rules: dict[tuple[str, str, str], list[FirewallRule]] = {}
    sets: list[FirewallSet] = []
    version: str | None = None
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            continue
        ((key, obj),) = item.items()
        if not isinstance(obj, dict):
            continue
        if key == "metainfo":
            version = str(obj.get("version")) if obj.get("version") else None
        elif key == "table":
            tables[(obj.get("family", "?"), obj.get("name", "?"))] = obj
        elif key == "chain":
            chains[(obj.get("family", "?"), obj.get("table", "?"), obj.get("name", "?"))] = obj
        elif key == "rule":
            ck = (obj.get("family", "?"), obj.get("table", "?"), obj.get("chain", "?"))
            got = rules.setdefault(ck, [])
            got.append(_rule(obj, len(got) + 1, line))
        elif key in ("set", "map"):
            elems = tuple(value_text(e) for e in obj.get("elem") or [])
            typ = obj.get("type")
            sets.append(
                FirewallSet(
                    str(obj.get("name")),
                    obj.get("family"),
                    obj.get("table"),
                    " . ".join(typ) if isinstance(typ, list) else typ,
                    elems,
                )
            )
    for ck in rules:
        if ck not in chains:
            warnings.add(line, f"rules for chain {ck[2]} of table {ck[0]} {ck[1]}, which the JSON does not declare")
            chains[ck] = {"family": ck[0], "table": ck[1], "name": ck[2]}
    out = []
    for (fam, name), _t in tables.items():
        chs = tuple(
            FirewallChain(
                c["name"],
                str(c["policy"]).upper() if c.get("policy") else None,
                tuple(rules.get(ck, [])),
                c.get("hook"),
                c.get("prio") if isinstance(c.get("prio"), int) else None,
                c.get("type"),
            )
            for ck, c in chains.items()
            if ck[0] == fam and ck[1] == name
        )
        out.append(FirewallTable(fam, name, chs))
    ruleset = Ruleset("nftables", tuple(out), tuple(sets), backend=f"nftables {version}" if version else None)
    return Facts(kind=INFO.kind, firewall=(ruleset,), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one input. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
