"""``netatlas push``: send this machine's atlas (or a bundle's) to the fleet server.

The atlas is built here, on the agent, from the bundle: the server never parses
evidence. With the organisation's key, the bundle is redacted first
(:func:`netatlas.redact.redact_bundle`, the same prefix-preserving scheme as
``netatlas redact``), the atlas is built from the redacted bundle, and the machine's
name is sealed (:func:`netatlas.fleet.keyed.seal`): the server never sees a real
address or host name. The redaction keeps an engine range verbatim only where this
bundle shows the engine using it and no host range near it (the same per-bundle
decision as ``netatlas redact``, :mod:`netatlas.redact._kept`); every other address
has the one image the organisation key gives it on every machine. The atlas lists the
ranges it kept (``settings["redaction_kept"]``), so the admin's client reads each
machine's addresses back exactly (:mod:`netatlas.fleet.keyed`). The idempotency key
is the hash of the bundle that was sent, so a retry, or a second push of the same
bundle, is stored once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from netatlas.bundle import Bundle
from netatlas.fleet.client import DEFAULT_RETRY, Retry, request
from netatlas.fleet.document import bundle_hash, make_document
from netatlas.fleet.errors import FleetError
from netatlas.fleet.keyed import key_id, seal
from netatlas.model._serde import JSON

__all__ = ["Prepared", "host_name", "parse_every", "prepare", "send"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_every(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``15m``, ``1h``, ``1d`` (at least 1 ms).

    >>> parse_every("1h"), parse_every("15m"), parse_every("2.5")
    (3600.0, 900.0, 2.5)
    """
    m = _DURATION.match(text)
    if m is None or float(m.group(1)) * _UNITS[m.group(2)] < 0.001:
        raise ValueError(f"--every {text!r}: give a duration such as 30m, 1h or 90s")
    return float(m.group(1)) * _UNITS[m.group(2)]


def host_name(bundle: Bundle) -> str:
    """The machine's name as the scan saw it: its top host vantage's name."""
    tops = [v for v in bundle.vantages if v.parent is None]
    for v in tops or bundle.vantages:
        if v.name:
            return v.name
    raise FleetError("the bundle names no host; give --machine NAME")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A push ready to send: the document, its idempotency key, and who it is for."""

    document: dict[str, Any]
    idempotency_key: str
    machine: str
    """The real name (the document holds the sealed one when redacted)."""
    networks: int


def prepare(bundle: Bundle, *, machine: str | None = None, key: bytes | None = None) -> Prepared:
    """Build the atlas of ``bundle`` (redacted under ``key`` when given) and its document."""
    from netatlas.atlas import build_atlas

    name = machine or host_name(bundle)
    sent = bundle
    sent_name = name
    if key is not None:
        from netatlas.redact import redact_bundle

        sent = redact_bundle(bundle, key)
        sent_name = seal(key, name)
    atlas = build_atlas(sent)
    if key is not None:
        kept: list[JSON] = [str(k["cidr"]) for k in sent.meta["redaction"]["kept"]]
        atlas = replace(atlas, settings={**atlas.settings, "redaction_kept": kept})
    doc = make_document(
        atlas,
        machine=sent_name,
        scanned=sent.created,
        tool_version=sent.tool_version,
        key_id=None if key is None else key_id(key),
    )
    return Prepared(doc, bundle_hash(sent), name, len(atlas.networks))


def send(
    server: str,
    token: str,
    prepared: Prepared,
    *,
    retry: Retry = DEFAULT_RETRY,
    timeout: float = 60.0,
    log: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """POST the document; the server's answer (``scan_id``, ``stored``) with what was sent."""
    body = json.dumps(prepared.document, ensure_ascii=False).encode("utf-8")
    kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    status, answer = request(
        server,
        "/api/v1/scans",
        token,
        method="POST",
        body=body,
        headers={"Idempotency-Key": prepared.idempotency_key},
        retry=retry,
        timeout=timeout,
        log=log,
        **kwargs,
    )
    if not isinstance(answer, dict) or "scan_id" not in answer:
        raise FleetError(f"the server answered {status} without a scan id: {answer!r:.200}")
    return {
        "server": server,
        "machine": prepared.machine,
        "redacted": prepared.document["redacted"],
        "key_id": prepared.document["key_id"],
        "idempotency_key": prepared.idempotency_key,
        "networks": prepared.networks,
        "bytes": len(body),
        "scan_id": answer["scan_id"],
        "machine_id": answer.get("machine_id"),
        "stored": bool(answer.get("stored")),
    }
