"""``podman machine inspect NAME``: whether a Podman Desktop machine is rootful, and its state.

Rootful decides where the machine's containers and their networks are: a rootful
machine runs them as root (netavark bridges, ``podman --connection NAME-root``), a
rootless one as its ``user`` behind a user-space port forwarder.

Fills ``Facts.settings["podman_machine_inspect"]``, one object per machine:

==========================  ==================================  ===============================
key                         field                               why it matters
==========================  ==================================  ===============================
``name``                    ``Name``                            the machine
``state``                   ``State``                           ``running``, ``stopped``,
                                                                ``starting``, ``unknown``
``rootful``                 ``Rootful``                         root's engine or the user's
``user_mode_networking``    ``UserModeNetworking``              WSL: gvproxy instead of NAT
``remote_username``         ``SSHConfig.RemoteUsername``        the rootless user (``user``)
``ssh_port``                ``SSHConfig.Port``                  the host port of its SSH
``podman_api``              ``ConnectionInfo.PodmanSocket.Path`` the API's Unix path on the host
``podman_pipe``             ``ConnectionInfo.PodmanPipe.Path``  Windows: the API named pipe
``line``                    (where the object starts)
==========================  ==================================  ===============================

Example::

    [{"Name": "podman-machine-default", "State": "running", "Rootful": true,
      "SSHConfig": {"RemoteUsername": "user", "Port": 51633}}]

gives machine ``podman-machine-default``, ``running``, ``rootful`` true.

Podman prints ``[]machine.InspectInfo`` (``pkg/machine/config.go``) with a JSON
encoder indenting by five spaces; ``Rootful`` came with podman 4.1, so older output
leaves ``rootful`` out (the collector then asks the rootless engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, run_stages
from netatlas.parsers._podman_machine import machines, text_field

INFO = ParserInfo(
    kind="podman-machine-inspect",
    description="podman machine inspect NAME: a Podman Desktop VM's state and rootful",
    platforms=(Platform.WINDOWS, Platform.MACOS, Platform.LINUX),
    commands=(r"\bpodman\b.*\bmachine\s+inspect\b",),
    source="podman machine inspect NAME",
)

STATES = ("running", "stopped", "starting", "unknown")
"""``define.Status`` values (``pkg/machine/define/state.go``)."""


def sniff(text: str) -> float:
    """High for JSON objects with ``SSHConfig`` and ``ConnectionInfo`` or ``ConfigDir``."""
    head = text[:20000]
    if '"SSHConfig"' in head and ('"ConnectionInfo"' in head or '"ConfigDir"' in head):
        return 0.95
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[tuple[int, Mapping[str, Any]]]:
    return machines(text, warnings, "podman machine inspect")


def _machine(line: int, obj: Mapping[str, Any], warnings: Warnings) -> dict[str, JSON]:
    out: dict[str, JSON] = {"name": str(obj["Name"])}
    state = text_field(obj, "State")
    if state is not None and state.lower() in STATES:
        out["state"] = state.lower()
    else:
        warnings.add(line, f"machine {out['name']!r}: State {obj.get('State')!r} is not one podman writes")
    for key, field in (("rootful", "Rootful"), ("user_mode_networking", "UserModeNetworking")):
        if isinstance(obj.get(field), bool):
            out[key] = obj[field]
    user = text_field(obj, "SSHConfig", "RemoteUsername")
    if user is not None:
        out["remote_username"] = user
    ssh = obj.get("SSHConfig")
    port = ssh.get("Port") if isinstance(ssh, Mapping) else None
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        out["ssh_port"] = port
    for key, field in (("podman_api", "PodmanSocket"), ("podman_pipe", "PodmanPipe")):
        path = text_field(obj, "ConnectionInfo", field, "Path")
        if path is not None:
            out[key] = path
    out["line"] = line
    return out


def _process(raw: list[tuple[int, Mapping[str, Any]]], warnings: Warnings) -> Facts:
    found = [_machine(line, obj, warnings) for line, obj in raw]
    return Facts(kind=INFO.kind, settings={"podman_machine_inspect": list(found)}, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``podman machine inspect`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process, split=lambda text, _w: text)
