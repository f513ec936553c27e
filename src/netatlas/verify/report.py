"""The result of a live verify: every check, what could not be checked and why, as text and JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netatlas.verify.judge import Check

__all__ = ["ATTACH", "LiveReport", "table"]

ATTACH = "netatlas scan --redact -o netatlas-scan.zip"
"""The scan to attach to a bug report beside the disagreements (addresses and names rewritten)."""


@dataclass(frozen=True)
class LiveReport:
    """Every check of one ``netatlas verify`` on this machine.

    Args:
        machine: the host's name.
        checks: every probe that ran and was compared (tcp, name, route).
        skipped: probes not run, each with why (the fence refused the destination, a
            tool is missing in the place, a channel is not supported).
        not_entered: (place, why) of namespaces that could not be entered (not root,
            the process ended).
        over_limit: TCP probes left out by ``--max-probes``.
        places: how many places were probed from.
        sent: how many packets' worth of probes were really sent, by kind (``tcp``
            handshakes, ``dns`` questions).
        timeout: seconds per probe; ``max_probes`` the cap.
    """

    machine: str
    checks: tuple[Check, ...]
    skipped: tuple[str, ...] = ()
    not_entered: tuple[tuple[str, str], ...] = ()
    over_limit: int = 0
    places: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    timeout: float = 1.0
    max_probes: int = 0

    @property
    def agree(self) -> int:
        """Checks whose observation is what the atlas predicted."""
        return sum(1 for c in self.checks if c.result == "agree")

    @property
    def unknown(self) -> list[Check]:
        """Checks the atlas makes no prediction for (``why`` says unknown): neither agreement nor disagreement."""
        return [c for c in self.checks if c.result == "unknown"]

    @property
    def disagreements(self) -> list[Check]:
        """Checks whose observation contradicts the prediction."""
        return [c for c in self.checks if c.result == "disagree"]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (docs/schema/verify.schema.json)."""
        return {
            "machine": self.machine,
            "checks": len(self.checks),
            "agree": self.agree,
            "unknown": len(self.unknown),
            "disagreements": [c.to_dict() for c in self.disagreements],
            "unknowns": [c.to_dict() for c in self.unknown],
            "by_probe": dict(sorted(Counter(c.probe for c in self.checks).items())),
            "places": self.places,
            "not_entered": [{"place": p, "why": w} for p, w in self.not_entered],
            "skipped": list(self.skipped),
            "over_limit": self.over_limit,
            "sent": dict(sorted(self.sent.items())),
            "timeout": self.timeout,
            "max_probes": self.max_probes,
            "attach": ATTACH,
        }


def _rows(checks: Sequence[Check]) -> list[str]:
    if not checks:
        return []
    w_from = max(len(c.place) for c in checks)
    w_to = max(len(c.target) for c in checks)
    w_pred = max(len(c.predicted) for c in checks)
    out = [f"   {'probe':<6} {'from':<{w_from}} {'to':<{w_to}} {'predicted':<{w_pred}} observed"]
    for c in checks:
        mark = {"agree": "ok ", "disagree": "XX ", "unknown": "?? "}[c.result]
        out.append(f"{mark}{c.probe:<6} {c.place:<{w_from}} {c.target:<{w_to}} {c.predicted:<{w_pred}} {c.observed}")
        if c.result == "disagree" and c.hop:
            out.append(f"       decided at {c.hop}")
    return out


def table(report: LiveReport, *, everything: bool = False, limit: int = 20) -> list[str]:
    """The report as lines: disagreements (every check with ``everything``), then the summary."""
    rows = list(report.checks) if everything else report.disagreements
    out = _rows(rows)
    if out:
        out.append("")
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(Counter(c.probe for c in report.checks).items()))
    out.append(
        f"{report.machine}: {len(report.checks)} checks ({kinds or 'none'}) from {report.places} places, "
        f"{report.agree} agree, {len(report.disagreements)} disagree, {len(report.unknown)} unknown "
        "(the atlas does not say: neither agreement nor disagreement)"
    )
    sent = ", ".join(f"{v} {k}" for k, v in sorted(report.sent.items())) or "nothing"
    out.append(
        f"sent: {sent}; only to this machine's own addresses and loopback, no data beyond a TCP handshake "
        f"(timeout {report.timeout:g} s, at most {report.max_probes} probes)"
    )
    if report.over_limit:
        out.append(f"not run: {report.over_limit} probes over --max-probes {report.max_probes}")
    if report.not_entered:
        out.append(f"not entered ({len(report.not_entered)}), the rest verified:")
        out += [f"  {p}: {w}" for p, w in report.not_entered[:limit]]
        if len(report.not_entered) > limit:
            out.append(f"  … and {len(report.not_entered) - limit} more (--json lists them all)")
    if report.skipped:
        out.append(f"skipped ({len(report.skipped)}):")
        out += [f"  {s}" for s in report.skipped[:limit]]
        if len(report.skipped) > limit:
            out.append(f"  … and {len(report.skipped) - limit} more (--json lists them all)")
    if report.disagreements:
        out.append("")
        out.append(
            "The disagreements above are what to attach to a bug report (netatlas verify --json > verify.json), "
            f"with the scan, addresses rewritten: {ATTACH}"
        )
    return out
