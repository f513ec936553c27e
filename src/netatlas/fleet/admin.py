"""``netatlas fleet …``: the admin's queries, translated through the organisation key.

Without a key, each function asks the server about the machines that push plain
atlases and returns its answer as is. With the key (``--key-file``), it asks about the
machines that push redacted under that key: query ranges are rewritten into their
images before they leave (the server never sees the real range), machine references
are sealed, and the answer is turned back: ranges and addresses through the inverse
of the prefix-preserving map, machine names by unsealing. Other names in a redacted
atlas (node names, labels) are one-way pseudonyms and stay so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netatlas.fleet.client import Retry, request
from netatlas.fleet.keyed import (
    SEALED,
    image_networks,
    kept_of,
    key_id,
    real_network,
    real_text,
    seal,
    unseal,
)
from netatlas.model import IPNetwork

__all__ = ["Admin"]


@dataclass(frozen=True, slots=True)
class Admin:
    """The admin's client: server, admin token, and optionally the organisation key."""

    server: str
    token: str
    key: bytes | None = None
    retry: Retry = field(default_factory=lambda: Retry(attempts=3))
    timeout: float = 30.0

    # ------------------------------------------------------------------ plumbing

    def _get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        scope = [("key_id", key_id(self.key))] if self.key is not None else []
        _status, answer = request(
            self.server, path, self.token, params=[*params, *scope], retry=self.retry, timeout=self.timeout
        )
        return answer

    def _name(self, name: str) -> str:
        if self.key is None or not name.startswith(SEALED):
            return name
        return unseal(self.key, name) or name

    def _ref(self, ref: str) -> str:
        """A machine reference as the server knows it: ids stay, names are sealed."""
        if self.key is None or ref.isdigit() or ref.startswith(SEALED):
            return ref
        return seal(self.key, ref)

    def _net(self, text: str, kept: tuple[IPNetwork, ...] | None = None) -> str:
        if self.key is None:
            return text
        return str(real_network(self.key, ipaddress.ip_network(text, strict=False), kept))

    def _text(self, text: str | None, kept: tuple[IPNetwork, ...] | None = None) -> str | None:
        if self.key is None or text is None:
            return text
        return real_text(self.key, text, kept)

    def _kept(self, m: dict[str, Any], cidrs: Sequence[str]) -> tuple[IPNetwork, ...] | None:
        """The ranges a machine's scan kept, fetched only when an answer has an image in an engine range."""
        if self.key is None or all(
            real_network(self.key, ipaddress.ip_network(c), ()) == real_network(self.key, ipaddress.ip_network(c))
            for c in cidrs
        ):
            return None
        answer = self._get(f"/api/v1/machines/{_quote(str(m['id']))}", [("scan", str(m["scan_id"]))])
        return kept_of(answer.get("atlas") or {})

    def _machine(self, m: dict[str, Any]) -> dict[str, Any]:
        return {**m, "name": self._name(str(m["name"]))}

    def _atlas(self, value: Any, kept: tuple[IPNetwork, ...] | None = None) -> Any:
        """Every address, CIDR and sealed name inside an atlas given back (``kept``: what its agent kept)."""
        if self.key is None:
            return value
        if isinstance(value, str):
            return self._text(value, kept)
        if isinstance(value, list):
            return [self._atlas(v, kept) for v in value]
        if isinstance(value, dict):
            return {k: self._atlas(v, kept) for k, v in value.items()}
        return value

    # ------------------------------------------------------------------ queries

    def collisions(self, ranges: Sequence[str]) -> dict[str, Any]:
        """Machines whose current ranges overlap any of ``ranges`` (real CIDRs)."""
        real = [ipaddress.ip_network(r.strip(), strict=False) for r in ranges]
        # a range inside an engine range is asked both kept and mapped (keyed.image_networks)
        pairs = [(s, r) for r in real for s in (image_networks(self.key, r) if self.key is not None else (r,))]
        sent = list(dict.fromkeys(s for s, _ in pairs))
        back = {str(s): str(r) for s, r in pairs}
        answer = self._get("/api/v1/collisions", [("cidr", str(s)) for s in sent])
        machines = []
        for m in answer["machines"]:
            kept = self._kept(m, [o["cidr"] for o in m["overlaps"]])
            overlaps = [
                {
                    **o,
                    "query": back.get(o["query"], o["query"]),
                    "cidr": self._net(o["cidr"], kept),
                    "label": self._text(o["label"], kept),
                }
                for o in m["overlaps"]
            ]
            machines.append({**self._machine(m), "overlaps": overlaps})
        return {"query": [str(r) for r in real], "redacted": self.key is not None, "machines": machines}

    def findings(self, code: str | None) -> dict[str, Any]:
        """Per finding code, the machines that have it now."""
        answer = self._get("/api/v1/findings", [("code", code)] if code else [])
        codes = []
        for c in answer["codes"]:
            by_machine = [{**self._machine(m), "titles": [self._text(t) for t in m["titles"]]} for m in c["by_machine"]]
            codes.append({**c, "by_machine": by_machine})
        return {"code": code, "redacted": self.key is not None, "codes": codes}

    def machines(self) -> dict[str, Any]:
        """Every machine in scope and its latest scan."""
        answer = self._get("/api/v1/machines")
        return {"redacted": self.key is not None, "machines": [self._machine(m) for m in answer["machines"]]}

    def machine(self, ref: str, scan: int | None = None) -> dict[str, Any]:
        """A machine's latest (or ``scan``) atlas, addresses given back."""
        answer = self._get(f"/api/v1/machines/{_quote(self._ref(ref))}", [("scan", str(scan))] if scan else [])
        atlas = answer["atlas"]
        return {"machine": self._machine(answer["machine"]), "atlas": self._atlas(atlas, kept_of(atlas or {}))}

    def history(self, ref: str) -> dict[str, Any]:
        """A machine's scans, newest first."""
        answer = self._get(f"/api/v1/machines/{_quote(self._ref(ref))}/history")
        return {"machine": self._machine(answer["machine"]), "scans": answer["scans"]}

    def plan(self, count: int, smallest: int) -> dict[str, Any]:
        """The largest private blocks that no machine's current ranges touch."""
        answer = self._get("/api/v1/plan", [("count", str(count)), ("smallest", str(smallest))])
        free = [{**b, "cidr": self._net(b["cidr"])} for b in answer["free"]]
        return {"redacted": self.key is not None, "used_ranges": answer["used_ranges"], "free": free}


def _quote(ref: str) -> str:
    import urllib.parse

    return urllib.parse.quote(ref, safe="")
