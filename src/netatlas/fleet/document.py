"""The push document: what an agent sends, and how the server reads it.

One JSON object, ``docs/schema/push-document.schema.json``::

    {"schema": "netatlas-push/1", "machine": "Z820", "tool_version": "0.1.0",
     "scanned": "2026-11-28T12:00:00+00:00", "redacted": false, "key_id": null,
     "atlas": { ... exactly what `netatlas map --json` prints ... }}

The atlas is not serialised a second way: it is :meth:`Atlas.to_dict`, and the server
reads it back with :meth:`Atlas.from_dict`, whose typed conversion is the schema check
(an address that is no address, a missing field, a kind that is no kind: refused).
The idempotency key travels in the ``Idempotency-Key`` header: the hash of the bundle
the atlas was made from (:func:`bundle_hash`), so a retried push is the same push.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netatlas.bundle import Bundle
from netatlas.fleet.errors import BadRequest
from netatlas.model.atlas import ATLAS_SCHEMA, Atlas

__all__ = ["PUSH_SCHEMA", "Parsed", "bundle_hash", "make_document", "read_document"]

PUSH_SCHEMA = "netatlas-push/1"
MAX_MACHINE = 400
_KEYS = frozenset({"schema", "machine", "tool_version", "scanned", "redacted", "key_id", "atlas"})


def bundle_hash(bundle: Bundle) -> str:
    """``sha256:…`` over everything the bundle holds: the same bundle, the same hash.

    Covers the scan's time, tool version, meta, vantages and each evidence's id,
    kind, argv, exit code, failure, data and stderr (by their own SHA-256).
    """
    h = hashlib.sha256()
    head = {
        "created": bundle.created.isoformat(),
        "tool_version": bundle.tool_version,
        "meta": bundle.meta,
        "vantages": [v.to_dict() for v in bundle.vantages],
    }
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    for ev in bundle.evidence:
        entry = {
            "id": ev.id,
            "vantage": ev.vantage,
            "kind": ev.kind,
            "argv": list(ev.argv),
            "exit_code": ev.exit_code,
            "failure": ev.failure.to_dict() if ev.failure else None,
            "data": hashlib.sha256(ev.data).hexdigest(),
            "stderr": hashlib.sha256(ev.stderr).hexdigest(),
        }
        h.update(json.dumps(entry, sort_keys=True).encode())
    return "sha256:" + h.hexdigest()


def make_document(
    atlas: Atlas, *, machine: str, scanned: datetime, tool_version: str, key_id: str | None
) -> dict[str, Any]:
    """The push document of an atlas (``key_id`` given: the atlas is redacted under that key)."""
    return {
        "schema": PUSH_SCHEMA,
        "machine": machine,
        "tool_version": tool_version,
        "scanned": scanned.isoformat(),
        "redacted": key_id is not None,
        "key_id": key_id,
        "atlas": atlas.to_dict(),
    }


@dataclass(frozen=True, slots=True)
class Parsed:
    """A push document the server accepted."""

    machine: str
    tool_version: str
    scanned: datetime | None
    redacted: bool
    key_id: str | None
    atlas: Atlas


def _field(doc: dict[str, Any], name: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    value = doc.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise BadRequest(f"push document: {name!r} must be {getattr(kind, '__name__', kind)}, got {value!r:.80}")
    return value


def read_document(body: bytes) -> Parsed:
    """Check and read a push document.

    Raises:
        BadRequest: not JSON, not a push document, or an atlas the model refuses; the
            message says which field.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"push document is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest("push document must be a JSON object")
    if doc.get("schema") != PUSH_SCHEMA:
        raise BadRequest(f"push document: schema must be {PUSH_SCHEMA!r}, got {doc.get('schema')!r:.80}")
    extra = sorted(set(doc) - _KEYS)
    if extra:
        raise BadRequest(f"push document: unknown field(s) {', '.join(extra)}")
    machine = _field(doc, "machine", str)
    if not 0 < len(machine) <= MAX_MACHINE or not machine.isprintable():
        raise BadRequest(f"push document: machine must be 1 to {MAX_MACHINE} printable characters")
    tool_version = _field(doc, "tool_version", str)[:100]
    redacted = _field(doc, "redacted", bool)
    key_id = _field(doc, "key_id", str, optional=True)
    if redacted != (key_id is not None):
        raise BadRequest("push document: a redacted atlas names its key_id, a plain one does not")
    scanned_text = _field(doc, "scanned", str, optional=True)
    try:
        scanned = datetime.fromisoformat(scanned_text) if scanned_text else None
    except ValueError:
        raise BadRequest(f"push document: scanned {scanned_text!r:.80} is not an ISO time") from None
    raw = _field(doc, "atlas", dict)
    if raw.get("schema") != ATLAS_SCHEMA:
        raise BadRequest(f"push document: atlas.schema must be {ATLAS_SCHEMA!r}, got {raw.get('schema')!r:.80}")
    try:
        atlas = Atlas.from_dict(raw)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadRequest(f"push document: atlas does not fit the atlas schema: {str(exc)[:300]}") from None
    if not isinstance(atlas, Atlas):
        raise BadRequest("push document: atlas is not an atlas")
    return Parsed(machine, tool_version, scanned, redacted, key_id, atlas)
