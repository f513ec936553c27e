"""Windows Firewall's inbound side as JSON: profiles, enabled inbound rules and their filters.

The collector runs one fixed script, free of script blocks and variables (the
collector's rule), that concatenates four cmdlets' objects into one array and converts
it; each object's keys say what it is::

    (@(Get-NetFirewallProfile | Select-Object Name,Enabled,DefaultInboundAction)
     + @(Get-NetFirewallRule -Enabled True -Direction Inbound
         | Select-Object Name,DisplayName,Enabled,Direction,Action,Profile)
     + @(… | Get-NetFirewallPortFilter | Select-Object InstanceID,Protocol,LocalPort,RemotePort)
     + @(… | Get-NetFirewallAddressFilter | Select-Object InstanceID,LocalAddress,RemoteAddress)
     + @(… | Get-NetFirewallApplicationFilter | Select-Object InstanceID,Program)) | ConvertTo-Json

Schema: fills ``Facts.firewall`` with one :class:`~netatlas.model.firewall.Ruleset`
(``dialect`` ``windows-firewall``) holding one table ``inbound`` (family ``windows``):

* one chain per profile (``Domain``, ``Private``, ``Public``), no rules, ``policy``
  from ``DefaultInboundAction`` (``Allow`` or ``Block``; ``NotConfigured``, 0, is
  Windows' default inbound action, ``Block``), ``type`` ``profile``, or
  ``profile-off`` when the profile's ``Enabled`` is false (the firewall does not
  filter there);
* one chain ``Rules`` with every enabled inbound rule, in output order, ``action``
  ``Allow`` or ``Block``, ``comment`` its ``DisplayName``, matches ``profile``
  (``Any``, or the profiles it is limited to), ``protocol``, ``dport`` (LocalPort),
  ``sport`` (RemotePort), ``destination`` (LocalAddress), ``source`` (RemoteAddress),
  and ``other`` for a ``Program`` other than ``Any`` (a rule for one program only);
  ``Any`` values are left out, as iptables leaves out ``0.0.0.0/0``.

Enums are numbers in Windows PowerShell 5.1 (``Action`` 2 Allow, 4 Block;
``Profile`` flags 1 Domain, 2 Private, 4 Public, 0 Any; ``Enabled`` 1 True, 2 False;
``Direction`` 1 Inbound; a profile's ``Enabled`` 0 False, 1 True, 2 NotConfigured),
names with PowerShell 7's ``-EnumsAsStrings``; both are read. Filters are joined to
their rule by ``InstanceID`` (the rule's ``Name``). A rule that is disabled or
outbound (a paste of a wider query) is left out with a warning.
"""

from __future__ import annotations

from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model.firewall import FirewallChain, FirewallMatch, FirewallRule, FirewallTable, Ruleset
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line, run_stages
from netatlas.parsers._linux import load_json

INFO = ParserInfo(
    kind="ps-netfirewall",
    description="PowerShell Get-NetFirewallProfile/Rule with port, address and program filters as one JSON",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetFirewall",),
    source="Get-NetFirewallProfile, Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewall*Filter",
)

_ACTION = {0: "NotConfigured", 2: "Allow", 4: "Block"}
_PROFILES = ((1, "Domain"), (2, "Private"), (4, "Public"))


def sniff(text: str) -> float:
    """A profile's ``DefaultInboundAction`` with a rule's ``Action`` or a filter's ``InstanceID``."""
    head = text[:20000]
    return 0.95 if '"DefaultInboundAction"' in head and ('"InstanceID"' in head or '"Action"' in head) else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> tuple[list[Line], dict[str, list[Any]]]:
    doc = load_json(lines)
    items = doc if isinstance(doc, list) else [doc]
    out: dict[str, list[Any]] = {k: [] for k in ("Profiles", "Rules", "PortFilters", "AddressFilters", "Programs")}
    for o in items:
        if not isinstance(o, dict):
            continue
        if "DefaultInboundAction" in o:
            out["Profiles"].append(o)
        elif "Action" in o and "Name" in o:
            out["Rules"].append(o)
        elif "LocalPort" in o or "Protocol" in o:
            out["PortFilters"].append(o)
        elif "RemoteAddress" in o or "LocalAddress" in o:
            out["AddressFilters"].append(o)
        elif "Program" in o:
            out["Programs"].append(o)
    if not out["Profiles"] and not out["Rules"]:
        raise ParseError(
            "no firewall profile or rule objects: not the netatlas firewall query", line=first_content_line(lines)
        )
    return lines, out


def _list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _enum(v: Any, names: dict[int, str]) -> str | None:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return names.get(v)
    return str(v) if v is not None else None


def _profiles(v: Any) -> tuple[str, ...]:
    if isinstance(v, int):
        return ("Any",) if v == 0 else tuple(n for bit, n in _PROFILES if v & bit)
    return tuple(p.strip() for p in str(v).split(",")) if v is not None else ("Any",)


def _strings(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in _list(v))


def _line_of(lines: list[Line], needle: str) -> int:
    for ln in lines:
        if needle in ln.text:
            return ln.no
    return first_content_line(lines)


def _process(raw: tuple[list[Line], dict[str, list[Any]]], warnings: Warnings) -> Facts:
    lines, doc = raw
    chains: list[FirewallChain] = []
    for p in _list(doc.get("Profiles")):
        if not isinstance(p, dict) or not p.get("Name"):
            continue
        default = _enum(p.get("DefaultInboundAction"), _ACTION) or "NotConfigured"
        enabled = _enum(p.get("Enabled"), {0: "False", 1: "True", 2: "NotConfigured"})
        off = enabled in ("False", "false")
        policy = "Block" if default == "NotConfigured" else default
        chains.append(FirewallChain(str(p["Name"]), policy, type="profile-off" if off else "profile"))
    filters: dict[str, dict[str, Any]] = {}
    for key in ("PortFilters", "AddressFilters", "Programs"):
        for f in _list(doc.get(key)):
            if isinstance(f, dict) and f.get("InstanceID"):
                filters.setdefault(str(f["InstanceID"]), {}).update(f)
    rules: list[FirewallRule] = []
    for r in _list(doc.get("Rules")):
        if not isinstance(r, dict) or not r.get("Name"):
            continue
        name = str(r["Name"])
        at = _line_of(lines, f'"{name}"')
        enabled = _enum(r.get("Enabled"), {1: "True", 2: "False"})
        direction = _enum(r.get("Direction"), {1: "Inbound", 2: "Outbound"})
        if enabled not in ("True", "true") or direction not in ("Inbound", None):
            warnings.add(at, f"rule {name!r} is not an enabled inbound rule: left out")
            continue
        action = _enum(r.get("Action"), _ACTION)
        f = filters.get(name, {})
        profiles = _profiles(r.get("Profile"))
        matches = [FirewallMatch("profile", profiles, False, f"-Profile {','.join(profiles)}")]
        for kind, key, flag in (
            ("protocol", "Protocol", "-Protocol"),
            ("dport", "LocalPort", "-LocalPort"),
            ("sport", "RemotePort", "-RemotePort"),
            ("destination", "LocalAddress", "-LocalAddress"),
            ("source", "RemoteAddress", "-RemoteAddress"),
        ):
            vals = _strings(f.get(key))
            if vals and vals != ("Any",):
                matches.append(FirewallMatch(kind, vals, False, f"{flag} {','.join(vals)}"))
        program = f.get("Program")
        if program not in (None, "Any"):
            matches.append(FirewallMatch("other", (str(program),), False, f"-Program {program}"))
        display = str(r.get("DisplayName") or name)
        if not f:
            warnings.add(at, f"rule {name!r} has no port or address filter in the output")
        text = f"{display} ({name}): {action} inbound " + " ".join(m.text or "" for m in matches)
        rules.append(FirewallRule(len(rules) + 1, text.strip(), action, tuple(matches), line=at, comment=display))
    chains.append(FirewallChain("Rules", None, tuple(rules)))
    ruleset = Ruleset("windows-firewall", (FirewallTable("windows", "inbound", tuple(chains)),))
    return Facts(kind=INFO.kind, firewall=(ruleset,), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one input. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
