"""Docker Desktop's ``admin-settings.json``: the settings an organisation sets, and which it locks.

Settings Management (Docker Business) reads this file from
``C:\\ProgramData\\DockerDesktop\\admin-settings.json`` (Windows),
``/Library/Application Support/com.docker.docker/admin-settings.json`` (macOS) or
``/usr/share/docker-desktop/admin-settings.json`` (Linux). It is a JSON object with
``"configurationFileVersion": 2`` and one entry per setting, ``{"locked": …, "value":
…}``, some grouped (``"linuxVM": {"vpnkitCIDR": {"locked": false, "value":
"192.168.65.0/24"}}``) and some with the lock beside other fields (``"proxy":
{"locked": true, "mode": "system", …}``). "When ``locked`` is set to ``true``, users
can't change that value in Docker Desktop, the CLI, or config files" (docker/docs,
``content/manuals/enterprise/security/hardened-desktop/settings-management/configure-json-file.md``).
So a ``plan`` that proposes another Docker subnet must say when the organisation
locked it.

Schema (``Facts.settings``):

* ``admin_settings``: every entry that has a ``locked`` field, by dotted path as
  written (``linuxVM.vpnkitCIDR``, ``proxy``), as ``{"locked": bool, "value": …}``
  (``value`` ``null`` for a group such as ``proxy``);
* ``admin_settings_locked``: the dotted paths whose ``locked`` is ``true``, in file order;
* ``admin_configuration_file_version``: ``configurationFileVersion``.

Example::

    {"configurationFileVersion": 2,
     "linuxVM": {"vpnkitCIDR": {"locked": true, "value": "192.168.65.0/24"}}}

gives ``admin_settings`` ``{"linuxVM.vpnkitCIDR": {"locked": true, "value":
"192.168.65.0/24"}}`` and ``admin_settings_locked`` ``["linuxVM.vpnkitCIDR"]``.

A ``locked`` that is not true/false is read as not locked, with a warning (Docker
Desktop documents only booleans). JSON that is not an object with
``configurationFileVersion`` is not this format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, read_text
from netatlas.parsers._docker import Locator, extract_json

INFO = ParserInfo(
    kind="docker-desktop-admin-settings",
    description="Docker Desktop admin-settings.json (Settings Management): settings and their locks",
    platforms=(Platform.WINDOWS, Platform.MACOS, Platform.LINUX),
    commands=(r"\badmin-settings\.json\b",),
    source=r"C:\ProgramData\DockerDesktop\admin-settings.json",
)


def sniff(text: str) -> float:
    """Certain for a JSON object with ``configurationFileVersion``."""
    head = text[:40000]
    return 0.97 if '"configurationFileVersion"' in head and "{" in head else 0.0


def _entries(obj: Mapping[str, Any], prefix: str, out: list[tuple[str, Mapping[str, Any]]]) -> None:
    """Every mapping with a ``locked`` key, by dotted path, outermost first."""
    for key, val in obj.items():
        if not isinstance(key, str) or not isinstance(val, Mapping):
            continue
        path = f"{prefix}{key}"
        if "locked" in val:
            out.append((path, val))
        else:
            _entries(val, f"{path}.", out)


def _raw(text: str, warnings: Warnings) -> dict[str, Any]:
    """Token: the object, its lines, and its locked entries."""
    values = extract_json(text, warnings, tolerant=True, consequence="Docker Desktop would not read this file")
    first = values[0]
    if not isinstance(first.value, dict) or "configurationFileVersion" not in first.value:
        raise ParseError("admin-settings.json is a JSON object with configurationFileVersion", line=first.first_line)
    found: list[tuple[str, Mapping[str, Any]]] = []
    _entries(first.value, "", found)
    return {"line": first.first_line, "end": first.last_line, "obj": first.value, "entries": found}


def _process(raw: dict[str, Any], warnings: Warnings, loc: Locator) -> Facts:
    line, end = int(raw["line"]), int(raw["end"])
    table: dict[str, JSON] = {}
    locked: list[JSON] = []
    for path, entry in raw["entries"]:
        lock = entry.get("locked")
        if not isinstance(lock, bool):
            at = loc.key(path.rsplit(".", 1)[-1], line, end)
            warnings.add(at, f"{path}: locked {lock!r} is not true/false; read as not locked")
            lock = False
        value = entry.get("value")
        table[path] = {"locked": lock, "value": value if isinstance(value, str | int | float | bool) else None}
        if lock:
            locked.append(path)
    version = raw["obj"].get("configurationFileVersion")
    settings: dict[str, JSON] = {
        "admin_settings": table,
        "admin_settings_locked": locked,
        "admin_configuration_file_version": version if isinstance(version, int) else None,
    }
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``admin-settings.json``. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        text = read_text(data)
        return _process(_raw(text, warnings), warnings, Locator(text))

    return guard(run, source=source)
