"""``wsl --status``: the default distribution and WSL version (plus kernel on old builds).

Fills ``Facts.settings``:

* ``default_distribution`` (``Ubuntu``) and ``default_version`` (``2``, an int), from
  ``Default Distribution:`` / ``Default Version:`` in any of WSL's locales (labels from
  WSL's ``Resources.resw`` via ``knowledge/wsl_defaults.json``);
* on inbox builds before Store WSL (English only): ``kernel_version``
  (``Kernel version: 5.10.102.1``), ``last_updated`` as printed (``27-Mar-22``) and
  ``automatic_updates`` (``WSL automatic updates are on.`` → ``true``).

A setting the output lacks is ``null``. A ``label: value`` line whose label is not in the
table is still read when its value gives it away (a number 1 or 2 is the default
version, a distro name is the default distribution), with a warning.

Example::

    Default Distribution: Ubuntu-22.04
    Default Version: 2

gives ``{"default_distribution": "Ubuntu-22.04", "default_version": 2, …}``.
jc has no parser for this; wsl.exe writes UTF-16LE, which ``read_text`` decodes.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers import _wsl
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line

INFO = ParserInfo(
    kind="wsl-status",
    description="WSL defaults and kernel (wsl --status)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bwsl(?:\.exe)?\s+(?:--update\s+)?--status\b",),
    source="wsl.exe --status",
)

_LABELLED = re.compile(r"^\s*(?P<label>[^:：]{1,60}?)[\s\u00a0]*[:：][\s\u00a0]*(?P<value>\S.*?)\s*$")
_KERNEL = re.compile(r"^\s*Kernel version:\s*(?P<value>\S+)\s*$", re.I)
_UPDATED = re.compile(r"^\s*Windows Subsystem for Linux was last updated on (?P<value>.+?)\.?\s*$", re.I)
_AUTO = re.compile(r"^\s*WSL automatic updates are (?P<value>on|off)\.?\s*$", re.I)
_NO_AUTO = re.compile(r"automatic updates cannot occur|enable the Windows Update setting", re.I)
_KEYS = ("default_distribution", "default_version", "kernel_version", "last_updated", "automatic_updates")


def _labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, per_locale in _wsl.data()["cli"]["status_labels"].items():
        for label in per_locale.values():
            out[_wsl.norm_label(label)] = key
    return out


def sniff(text: str) -> float:
    """High when a line carries a known ``Default Distribution:``/``Default Version:`` label."""
    labels = _labels()
    for t in text[:20000].splitlines():
        m = _LABELLED.match(t)
        if m and _wsl.norm_label(m["label"]) in labels:
            return 0.9
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens ``{"line", "key", "value", "label"}``; ``key`` ``""`` for an unknown label."""
    labels = _labels()
    out: list[dict[str, str | int]] = []
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        for key, rx in (
            ("kernel_version", _KERNEL),
            ("last_updated", _UPDATED),
            ("automatic_updates", _AUTO),
        ):
            m = rx.match(text)
            if m:
                out.append({"line": ln.no, "key": key, "value": m["value"], "label": ""})
                break
        else:
            if _NO_AUTO.search(text):
                out.append({"line": ln.no, "key": "automatic_updates", "value": "off", "label": ""})
                continue
            m = _LABELLED.match(text)
            if m and not m["value"].startswith("//"):
                key = labels.get(_wsl.norm_label(m["label"]), "")
                out.append({"line": ln.no, "key": key, "value": m["value"], "label": m["label"]})
                continue
            warnings.add(ln.no, f"skipped line: {text[:60]!r}")
    if not any(tok["key"] for tok in out):
        raise ParseError(
            "no 'wsl --status' lines found (Default Distribution:, Default Version: …)",
            line=first_content_line(lines),
        )
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    settings: dict[str, JSON] = dict.fromkeys(_KEYS)
    for tok in raw:
        line = int(tok["line"])
        key = str(tok["key"])
        value = str(tok["value"])
        if not key:
            if re.fullmatch(r"[12]", value) and settings["default_version"] is None:
                key = "default_version"
            elif re.fullmatch(r"[\w.\-]+", value) and settings["default_distribution"] is None:
                key = "default_distribution"
            else:
                warnings.add(line, f"skipped line with unknown label {tok['label']!r}")
                continue
            warnings.add(line, f"label {tok['label']!r} not known; read as {key} by its value")
        if settings[key] is not None:
            warnings.add(line, f"second {key} line; the first one is kept")
            continue
        if key == "default_version":
            if not value.isdigit():
                warnings.add(line, f"default version {value!r} is not a number")
                continue
            settings[key] = int(value)
        elif key == "automatic_updates":
            settings[key] = value.lower() == "on"
        else:
            settings[key] = value
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``wsl --status`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return _wsl.run_wsl_stages(data, source, INFO, _raw, _process)
