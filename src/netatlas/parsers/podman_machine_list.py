"""``podman machine list --format json``: Podman Desktop's machines and which one runs.

On Windows and macOS podman runs containers in a Linux VM it manages, a *machine*: a
WSL distribution (``wsl``, named ``podman-machine-default`` or ``podman-NAME``), or a
VM under ``applehv``/``libkrun``/``qemu`` on macOS (``hyperv`` on Windows). This is
the list the collector reads to find them; ``podman machine inspect`` adds rootful.

Fills ``Facts.settings["podman_machines"]``, one object per machine, in podman's
order (running first):

==========================  ========================  =====================================
key                         field                     why it matters
==========================  ========================  =====================================
``name``                    ``Name``                  the machine (``podman-machine-default``)
``default``                 ``Default``               the connection plain ``podman`` uses
``running``                 ``Running``               only a running machine has an engine
``starting``                ``Starting``              booting: not read yet
``vm_type``                 ``VMType``                ``wsl``, ``hyperv``, ``applehv``,
                                                      ``libkrun``, ``qemu``: how it is entered
``user_mode_networking``    ``UserModeNetworking``    WSL: gvproxy instead of WSL's NAT
``remote_username``         ``RemoteUsername``        the rootless user inside (``user``)
``ssh_port``                ``Port``                  the host port of its SSH
``line``                    (where the object starts)
==========================  ========================  =====================================

Example::

    [{"Name": "podman-machine-default", "Default": true, "Running": true,
      "VMType": "wsl", "RemoteUsername": "user", "Port": 51633}]

gives one machine ``podman-machine-default``, running, ``vm_type`` ``wsl``.

Podman writes ``entities.ListReporter`` (``pkg/domain/entities/machine.go``) with
``json.MarshalIndent``; a field it lacks (older podman had no ``Starting`` or
``UserModeNetworking``) is left out. ``[]`` (no machine yet) is no machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, run_stages
from netatlas.parsers._podman_machine import machines, text_field

INFO = ParserInfo(
    kind="podman-machine-list",
    description="podman machine list --format json: Podman Desktop's VMs and their state",
    platforms=(Platform.WINDOWS, Platform.MACOS, Platform.LINUX),
    commands=(r"\bpodman\b.*\bmachine\s+(?:list|ls)\b",),
    source="podman machine list --format json",
)

_FLAGS = (("default", "Default"), ("running", "Running"), ("starting", "Starting"))
_FLAGS_AFTER = (("user_mode_networking", "UserModeNetworking"),)


def sniff(text: str) -> float:
    """High for a JSON array of objects with ``VMType``, ``Running`` and ``LastUp``."""
    head = text[:20000]
    if all(k in head for k in ('"VMType"', '"Running"', '"LastUp"')) and '"SSHConfig"' not in head:
        return 0.95
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[tuple[int, Mapping[str, Any]]]:
    return machines(text, warnings, "podman machine list --format json")


def _machine(line: int, obj: Mapping[str, Any], warnings: Warnings) -> dict[str, JSON]:
    out: dict[str, JSON] = {"name": str(obj["Name"])}
    for key, field in _FLAGS:
        if isinstance(obj.get(field), bool):
            out[key] = obj[field]
    if "running" not in out:
        warnings.add(line, f"machine {out['name']!r} has no boolean 'Running': its state is unknown")
    vm_type = text_field(obj, "VMType")
    if vm_type is not None:
        out["vm_type"] = vm_type.lower()
    for key, field in _FLAGS_AFTER:
        if isinstance(obj.get(field), bool):
            out[key] = obj[field]
    user = text_field(obj, "RemoteUsername")
    if user is not None:
        out["remote_username"] = user
    port = obj.get("Port")
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        out["ssh_port"] = port
    out["line"] = line
    return out


def _process(raw: list[tuple[int, Mapping[str, Any]]], warnings: Warnings) -> Facts:
    found = [_machine(line, obj, warnings) for line, obj in raw]
    return Facts(kind=INFO.kind, settings={"podman_machines": list(found)}, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``podman machine list --format json``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process, split=lambda text, _w: text)
