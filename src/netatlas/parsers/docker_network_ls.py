"""``docker network ls`` (table, ``--no-trunc``) and ``--format '{{json .}}'`` (JSON lines).

Fills ``Facts.networks`` with ``name``, ``id``, ``driver`` and ``scope``; the JSON form
also gives ``internal`` and ``labels``. ``ls`` has no subnets: those come from
``docker network inspect``, which the merge step joins on the id (a 12-character
prefix of the full id unless ``--no-trunc``).

Example::

    NETWORK ID     NAME           DRIVER    SCOPE
    7114b5b8cdd3   bridge         bridge    local
    39ae31ba1586   demo_default   bridge    local

gives networks ``bridge`` and ``demo_default`` (driver ``bridge``, scope ``local``).

Columns are split on whitespace, not on the header's positions: network names,
ids, drivers and scopes never contain spaces, so this reads tables whose alignment
was lost when pasted (and Docker < 1.10, which had no ``SCOPE`` column) the same
way. jc has no parser for this table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import EngineNetwork, Facts
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    run_stages,
)

INFO = ParserInfo(
    kind="docker-network-ls",
    description="docker network ls (table or --format '{{json .}}' lines)",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"\bnetwork\s+(?:ls|list)\b",),
    source="docker network ls",
)

_HEADER = re.compile(r"^\s*NETWORK\s+ID\s+NAME\s+DRIVER(?:\s+SCOPE)?\b", re.I)
_COLUMNS = {"NETWORK_ID": "id", "NAME": "name", "DRIVER": "driver", "SCOPE": "scope"}
# ids: 12 hex (truncated), 64 hex (--no-trunc), 25 base36 for swarm overlay networks
_ID = re.compile(r"^[0-9a-z]{12}$|^[0-9a-f]{64}$|^[0-9a-z]{25}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def sniff(text: str) -> float:
    """High for the ``NETWORK ID  NAME  DRIVER`` header or JSON lines with ``ID``/``Driver``/``Scope``."""
    head = text[:8000]
    if any(_HEADER.match(ln) for ln in head.splitlines()):
        return 0.95
    js = [ln for ln in head.splitlines() if ln.strip().startswith("{")]
    if js and all(k in js[0] for k in ('"Driver"', '"Scope"', '"ID"', '"Name"')) and '"IPAM"' not in head:
        return 0.9
    return 0.0


def _json_line(ln: Line, warnings: Warnings) -> dict[str, Any] | None:
    try:
        obj = json.loads(ln.text)
    except json.JSONDecodeError as exc:
        warnings.add(ln.no, f"skipped line that is not valid JSON ({exc.msg})")
        return None
    if not isinstance(obj, Mapping):
        warnings.add(ln.no, "skipped JSON line that is not an object")
        return None
    out: dict[str, Any] = {"line": ln.no}
    for key in ("ID", "Name", "Driver", "Scope", "Internal", "IPv6", "Labels"):
        val = obj.get(key)
        if val is not None:
            out[key.lower()] = val
    return out


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: ``{"line", "id", "name", "driver", "scope"[, "internal", "labels"]}``."""
    out: list[dict[str, Any]] = []
    columns: list[str] | None = None
    seen = False
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        if text.startswith("{"):
            seen = True
            if (tok := _json_line(ln, warnings)) is not None:
                out.append(tok)
            continue
        if _HEADER.match(text):
            seen = True
            header = re.sub(r"NETWORK\s+ID", "NETWORK_ID", text, flags=re.I).upper().split()
            columns = [_COLUMNS.get(h, h.lower()) for h in header]
            continue
        if columns is None:
            warnings.add(ln.no, f"skipped line before the 'NETWORK ID' header: {text[:60]!r}")
            continue
        cells = text.split()
        if len(cells) != len(columns):
            warnings.add(ln.no, f"skipped row with {len(cells)} columns, expected {len(columns)}: {text[:60]!r}")
            continue
        out.append({"line": ln.no, **dict(zip(columns, cells, strict=True))})
    if not seen:
        raise ParseError("no 'NETWORK ID  NAME  DRIVER' header or JSON lines found", line=first_content_line(lines))
    return out


def _labels(value: Any) -> dict[str, str]:
    """``a=b,c=d`` (how ``{{json .}}`` prints labels) to a dict."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if not isinstance(value, str) or not value:
        return {}
    out: dict[str, str] = {}
    for part in value.split(","):
        key, _, val = part.partition("=")
        if key:
            out[key] = val
    return out


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    networks: list[EngineNetwork] = []
    for tok in raw:
        line = int(tok["line"])
        name = str(tok.get("name") or "")
        if not _NAME.match(name):
            warnings.add(line, f"skipped row with an invalid network name {name!r}")
            continue
        net_id = str(tok.get("id") or "") or None
        if net_id is not None and not _ID.match(net_id):
            warnings.add(line, f"unreadable network id {net_id!r}; kept as unknown")
            net_id = None
        networks.append(
            EngineNetwork(
                name=name,
                id=net_id,
                driver=str(tok["driver"]) if tok.get("driver") else None,
                scope=str(tok["scope"]) if tok.get("scope") else None,
                internal=_flag(tok.get("internal")),
                labels=_labels(tok.get("labels")),
            )
        )
    return Facts(kind=INFO.kind, networks=tuple(networks), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``docker network ls`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
