"""PowerShell ``Get-DnsClientNrptPolicy | ConvertTo-Json``: Windows' split DNS (the NRPT).

The Name Resolution Policy Table sends the names under a namespace to servers of
its own, whatever the adapters' DNS servers are: a VPN client (Always On VPN's
``DomainNameInformation``, many vendors' clients) or DirectAccess adds a rule for the
company's domain. It is the Windows counterpart of macOS's supplemental resolvers in
``scutil --dns``. Microsoft documents each rule (a ``DnsClientPolicyConfiguration``)
with ``Namespace`` (a string), ``NameServers`` and ``DirectAccessDnsServers`` (string
arrays), ``DirectAccessEnabled`` and ``QueryPolicy`` among others (learn.microsoft.com,
``Get-DnsClientNrptPolicy``).

Schema:

* ``Facts.settings["nrpt_rules"]``: one rule per object, in order, as ``{"namespace",
  "servers", "direct_access", "query_policy"}``: ``namespace`` as written (a leading
  ``.`` means every name under it, otherwise that one name), ``servers`` the
  ``NameServers`` as canonical addresses, else the ``DirectAccessDnsServers`` when
  DirectAccess is enabled or only those are set (empty for an exemption rule, whose
  names go to the adapters' own servers), ``direct_access`` ``DirectAccessEnabled``
  (``null`` when unset), ``query_policy`` ``QueryPolicy`` or ``null``.

Example (Windows PowerShell 5.1, ``-Compress``)::

    [{"Namespace":".corp.example.com","NameServers":["10.8.0.53"],"DirectAccessEnabled":null,
      "DirectAccessDnsServers":null,"QueryPolicy":null}]

gives ``[{"namespace": ".corp.example.com", "servers": ["10.8.0.53"],
"direct_access": null, "query_policy": null}]``.

A server that is not an address is skipped with a warning; an object without
``Namespace`` is skipped with a warning. A single string instead of an array is
accepted (Windows PowerShell 5.1 writes one-element arrays as arrays, but a pasted
``Format-List`` may not).
"""

from __future__ import annotations

from typing import Any

from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import Line, Occurrences, ParserInfo, Platform, Warnings, ip_or_none, run_stages
from netatlas.parsers._powershell import load_objects, text

INFO = ParserInfo(
    kind="ps-dnsclientnrptpolicy",
    description="PowerShell Get-DnsClientNrptPolicy as JSON (ConvertTo-Json): split DNS rules (NRPT)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-DnsClientNrptPolicy\b",),
    source='powershell -Command "Get-DnsClientNrptPolicy | ConvertTo-Json -Depth 3 -Compress"',
)


def sniff(text: str) -> float:
    """High for JSON objects with ``Namespace`` and ``NameServers``/``DirectAccessDnsServers``."""
    head = text[:20000]
    if '"Namespace"' in head and ('"NameServers"' in head or '"DirectAccessDnsServers"' in head):
        return 0.96
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry ``Namespace``, each with its ``line``."""
    objs = load_objects(lines, ("Namespace",), "Get-DnsClientNrptPolicy objects")
    seen = Occurrences(lines)
    return [{**o, "line": seen.line("Namespace", o.get("Namespace"))} for o in objs]


def _servers(value: object, what: str, line: int, warnings: Warnings) -> list[JSON]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[JSON] = []
    for item in items:
        addr = ip_or_none(item) if isinstance(item, str) else None
        if addr is None:
            warnings.add(line, f"skipped {what} {item!r}: not an address")
        elif str(addr) not in out:
            out.append(str(addr))
    return out


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    rules: list[JSON] = []
    for o in raw:
        line: int = o["line"]
        namespace = text(o, "Namespace")
        if namespace is None:
            warnings.add(line, "skipped NRPT rule without Namespace")
            continue
        plain = _servers(o.get("NameServers"), f"name server of {namespace!r}", line, warnings)
        direct = _servers(o.get("DirectAccessDnsServers"), f"DirectAccess server of {namespace!r}", line, warnings)
        enabled = o.get("DirectAccessEnabled")
        da = enabled if isinstance(enabled, bool) else None
        servers = direct if (da or not plain) and direct else plain
        rules.append(
            {"namespace": namespace, "servers": servers, "direct_access": da, "query_policy": text(o, "QueryPolicy")}
        )
    settings: dict[str, JSON] = {"nrpt_rules": rules} if rules else {}
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-DnsClientNrptPolicy | ConvertTo-Json``. Raises only ParseError."""
    return run_stages(data, source, INFO, _raw, _process)
