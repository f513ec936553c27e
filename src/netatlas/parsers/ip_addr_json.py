"""``ip -j address`` / ``ip -j -p address`` (iproute2 JSON) output.

Schema: fills ``Facts.interfaces`` exactly as the ``ip-addr`` parser does, from the
JSON keys: ``ifname`` → ``name``, ``ifindex`` → ``index``, ``mtu``, ``link_type`` →
``type``, ``address`` → ``mac`` (``None`` where it is no MAC, e.g. ``sit``'s
``0.0.0.0``), ``operstate`` and ``flags`` → ``up`` (``UP``, or ``UNKNOWN`` with the
``UP`` flag and no ``NO-CARRIER``), and ``addr_info[]`` → ``addresses`` (``family``,
``local``, ``prefixlen``), ``master`` → ``master``, and ``link`` (the peer's name)
or ``link_index`` (its ifindex in another namespace, written ``if<N>`` as the text
form prints it) → ``peer``. This is the form netatlas's own collector asks for, since
it needs no tokenising at all.

Example::

    [{"ifindex": 2, "ifname": "eth0", "flags": ["BROADCAST", "UP", "LOWER_UP"],
      "mtu": 1500, "operstate": "UP", "link_type": "ether",
      "address": "02:42:ac:11:00:02",
      "addr_info": [{"family": "inet", "local": "172.17.0.2", "prefixlen": 16}]}]

gives one interface ``eth0`` with address ``172.17.0.2/16``.

Entries that ``ip -j -4 address`` prints as ``{}`` for links without an address of
that family are skipped, as are empty ``addr_info`` items. Invalid JSON is a
ParseError at the line the JSON decoder names (counted in the original paste, so
prompt lines and code fences around the JSON are allowed). JSON has no per-entry
line numbers; warnings point at the line that names the entry's ``ifname``.
"""

from __future__ import annotations

from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Address, Facts, Family, Interface
from netatlas.parsers._base import (
    Line,
    Occurrences,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    mac,
    run_stages,
)
from netatlas.parsers._linux import is_up, load_json_array, to_int

INFO = ParserInfo(
    kind="ip-addr-json",
    description="Linux 'ip -j address' JSON output (iproute2)",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ip\s+(?:-\S+\s+)*a(?:d(?:d(?:r(?:e(?:ss?)?)?)?)?)?\b",),
    source="ip -j address",
)


def sniff(text: str) -> float:
    """High for a JSON array whose objects carry ``ifname`` and ``addr_info``."""
    head = text[:20000]
    if "[" not in head or '"ifname"' not in head:
        return 0.0
    return 0.95 if '"addr_info"' in head else 0.5


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the decoded JSON objects, each with the ``line`` that names it."""
    where = Occurrences(lines)
    doc = load_json_array(lines, "interfaces")
    out: list[dict[str, Any]] = []
    for item in doc:
        if not isinstance(item, dict) or not item:
            continue  # ip -j -4 a prints {} for links without an IPv4 address
        name = item.get("ifname")
        if not isinstance(name, str) or not name:
            warnings.add(first_content_line(lines), "skipped JSON object without 'ifname'")
            continue
        out.append({**item, "line": where.line("ifname", name)})
    if not out and not any(isinstance(i, dict) for i in doc):
        raise ParseError("no interface objects in the JSON", line=first_content_line(lines))
    return out


def _address(info: dict[str, Any], line: int, warnings: Warnings) -> Address | None:
    fam = info.get("family")
    if fam not in ("inet", "inet6"):
        if fam is not None:
            warnings.add(line, f"skipped address of family {fam!r}")
        return None
    family: Family = "inet6" if fam == "inet6" else "inet"
    local = info.get("local")
    address = ip_or_none(local) if isinstance(local, str) else None
    if address is None or address.version != (4 if family == "inet" else 6):
        warnings.add(line, f"{family} address missing or not an address: {local!r}; kept as unknown")
        return Address(None, None, family)
    prefixlen = to_int(info.get("prefixlen"))
    if prefixlen is None or prefixlen > address.max_prefixlen:
        warnings.add(line, f"bad prefix length {info.get('prefixlen')!r} for {local}")
        prefixlen = None
    return Address(address, prefixlen, family)


def _peer(item: dict[str, Any]) -> str | None:
    """The text form's ``@`` suffix: ``link`` (a name here) or ``if`` + ``link_index``."""
    link = item.get("link")
    if isinstance(link, str) and link:
        return link
    index = to_int(item.get("link_index"))
    return f"if{index}" if index else None


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    interfaces: list[Interface] = []
    for item in raw:
        line: int = item["line"]
        infos = item.get("addr_info")
        addresses: list[Address] = []
        for info in infos if isinstance(infos, list) else []:
            if isinstance(info, dict) and info:
                a = _address(info, line, warnings)
                if a is not None:
                    addresses.append(a)
        flags = item.get("flags")
        flag_list = [str(f) for f in flags] if isinstance(flags, list) else []
        state = item.get("operstate")
        hw = item.get("address")
        link_type = item.get("link_type")
        master = item.get("master")
        interfaces.append(
            Interface(
                name=str(item["ifname"]),
                mac=mac(hw) if isinstance(hw, str) else None,
                mtu=to_int(item.get("mtu")),
                up=is_up(flag_list, state if isinstance(state, str) else None),
                addresses=tuple(addresses),
                type=link_type if isinstance(link_type, str) and link_type else None,
                index=to_int(item.get("ifindex")),
                master=master if isinstance(master, str) and master else None,
                peer=_peer(item),
            )
        )
    return Facts(kind=INFO.kind, interfaces=tuple(interfaces), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ip -j address`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
