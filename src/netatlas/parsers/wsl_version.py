"""``wsl --version``: versions of WSL and its parts (Store WSL 0.64+, wsl.exe).

Fills ``Facts.settings`` with one string per printed line: ``wsl_version``
(``2.0.9.0``), ``kernel_version`` (``5.15.133.1-1``), ``wslg_version``,
``msrdc_version``, ``direct3d_version``, ``dxcore_version`` and ``windows_version``
(``10.0.22631.2715``). A line the output lacks is ``null``.

Example::

    WSL version: 2.0.9.0
    Kernel version: 5.15.133.1-1
    Windows version: 10.0.22631.2715

gives ``{"wsl_version": "2.0.9.0", "kernel_version": "5.15.133.1-1", …,
"windows_version": "10.0.22631.2715"}``.

The labels are localized (``WSL-Version``, ``WSL バージョン``, ``Version WSL :``, full-width
colons in zh-TW); the table of every locale's labels comes from WSL's
``localization/strings/*/Resources.resw`` (``MessagePackageVersions``) via
``knowledge/wsl_defaults.json``, and is compared with spaces, hyphens and case ignored.
wsl.exe always prints the seven lines in the same order, so a label missing from the
table (an older translation) is read by its position, with a warning. jc has no parser
for this; the text is UTF-16LE from wsl.exe, which ``read_text`` decodes.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers import _wsl
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line

INFO = ParserInfo(
    kind="wsl-version",
    description="WSL component versions (wsl --version)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bwsl(?:\.exe)?\s+(?:--version|-v)\s*$",),
    source="wsl.exe --version",
)

_LINE = re.compile(r"^\s*(?P<label>[^:：]{1,60}?)[\s\u00a0]*[:：][\s\u00a0]*(?P<value>\S+)\s*$")


def _labels() -> dict[str, str]:
    cli = _wsl.data()["cli"]
    keys: list[str] = cli["version_settings"]
    out: dict[str, str] = {}
    for labels in cli["version_labels"].values():
        for key, label in zip(keys, labels, strict=True):
            out[_wsl.norm_label(label)] = key
    return out


def sniff(text: str) -> float:
    """High when three or more lines carry a known ``wsl --version`` label."""
    labels = _labels()
    hits = sum(1 for t in text[:20000].splitlines() if (m := _LINE.match(t)) and _wsl.norm_label(m["label"]) in labels)
    if hits >= 3:
        return 0.95
    return 0.3 if hits >= 2 else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens ``{"line", "label", "value", "key"}``; ``key`` is ``""`` for an unknown label."""
    labels = _labels()
    out: list[dict[str, str | int]] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        m = _LINE.match(ln.text)
        if not m:
            warnings.add(ln.no, f"skipped line that is not 'label: version': {ln.text.strip()[:60]!r}")
            continue
        key = labels.get(_wsl.norm_label(m["label"]), "")
        out.append({"line": ln.no, "label": m["label"].strip(), "value": m["value"], "key": key})
    if not any(tok["key"] for tok in out):
        raise ParseError(
            "no 'wsl --version' lines found (WSL version:, Kernel version: …)", line=first_content_line(lines)
        )
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    keys: list[str] = _wsl.data()["cli"]["version_settings"]
    settings: dict[str, JSON] = dict.fromkeys(keys)
    by_position = len(raw) == len(keys)
    for index, tok in enumerate(raw):
        line = int(tok["line"])
        key = str(tok["key"])
        if not key:
            if by_position:
                key = keys[index]
                warnings.add(line, f"label {tok['label']!r} not known; read as {key} by its position")
            else:
                warnings.add(line, f"skipped line with unknown label {tok['label']!r}")
                continue
        if settings[key] is not None:
            warnings.add(line, f"second {key} line; the first one is kept")
            continue
        settings[key] = str(tok["value"])
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``wsl --version`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return _wsl.run_wsl_stages(data, source, INFO, _raw, _process)
