"""The places a live verify probes from: the machine's own network namespaces, and how to get into each.

A place is a vantage of the scan that netatlas can probe from:

* ``self``: the scanning process's own namespace (the Linux host, or the Windows or
  macOS host, whose sockets are the host's);
* ``netns``: a namespace entered by ``setns(2)`` on its path, ``/proc/PID/ns/net`` for a
  running container (its ``State.Pid``, checked again to be that container's process:
  a pid can be reused between scan and probe) or ``/run/netns/NAME`` for a named one.
  Nothing needs to exist inside: the probe's socket is made there and used from here;
* ``exec``: a command run inside through the scan's own channel, ``docker exec ID`` (a
  container whose namespace is not on this kernel: Docker Desktop, a remote engine)
  or ``wsl.exe -d NAME --exec`` (a WSL distro, the Docker Desktop VM), when the
  program it needs is there.

Vantages of any other channel (``kubectl exec``, the engine's API) are not places:
:func:`places` lists them as skipped, with why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from netatlas.bundle import Bundle
from netatlas.model import VantageKind
from netatlas.model.atlas import Atlas

__all__ = ["Place", "places"]


@dataclass(frozen=True)
class Place:
    """One namespace to probe from.

    Args:
        vantage: the scan's vantage id (``host``, ``container:web``, ``netns:blue``);
            what :func:`netatlas.reach.why` is asked from.
        node: the atlas node of that vantage.
        how: ``self``, ``netns`` or ``exec``.
        path: the namespace's path (``netns``).
        argv: the command prefix that runs a program inside (``exec``):
            ``docker exec ID`` or ``wsl.exe -d NAME --exec``.
        kernel: whether the kernel's route answer can be asked there (netlink: Linux only).
        container_id: the container's id (checked again before a ``/proc/PID`` path is used).
    """

    vantage: str
    node: str
    how: str
    path: str | None = None
    argv: tuple[str, ...] = ()
    kernel: bool = False
    container_id: str | None = None


def _inspected(bundle: Bundle) -> dict[str, dict[str, object]]:
    """Container name → its ``docker inspect`` document, from the scan's evidence."""
    out: dict[str, dict[str, object]] = {}
    for e in bundle.evidence:
        if e.kind != "docker-inspect" or e.failure is not None or not e.data:
            continue
        try:
            doc = json.loads(e.data)
        except ValueError:
            continue
        for obj in doc if isinstance(doc, list) else [doc]:
            if isinstance(obj, dict) and isinstance(obj.get("Name"), str):
                out[str(obj["Name"]).lstrip("/")] = obj
    return out


def places(bundle: Bundle, atlas: Atlas, *, system: str = "Linux") -> tuple[list[Place], list[str]]:
    """The places of a scan, and one line for each vantage that is not one (and why).

    Args:
        bundle: the scan.
        atlas: its atlas (for the node of each vantage).
        system: ``platform.system()`` of the machine that scanned.
    """
    node_of = {v: n.id for n in atlas.nodes for v in n.vantages}
    inspected = _inspected(bundle)
    out: list[Place] = []
    skipped: list[str] = []
    linux = system == "Linux"
    for v in bundle.vantages:
        node = node_of.get(v.id)
        if node is None:
            continue
        if v.kind in (VantageKind.LINUX_HOST, VantageKind.WINDOWS_HOST, VantageKind.MACOS_HOST) and v.channel in (
            "local",
            None,
        ):
            out.append(Place(v.id, node, "self", kernel=linux))
        elif v.channel == "netns" and v.kind is VantageKind.NETNS and linux:
            if v.id.startswith("netns:pid") and v.id[9:].isdigit():
                out.append(Place(v.id, node, "netns", f"/proc/{v.id[9:]}/ns/net", kernel=True))
            else:
                out.append(Place(v.id, node, "netns", f"/run/netns/{v.name}", kernel=True))
        elif v.channel == "netns" and v.kind is VantageKind.CONTAINER and linux:
            doc = inspected.get(v.name, {})
            state = doc.get("State")
            pid = state.get("Pid") if isinstance(state, dict) else None
            cid = doc.get("Id")
            if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not isinstance(cid, str):
                skipped.append(f"{v.id}: the scan has no process id for it (docker inspect)")
                continue
            out.append(Place(v.id, node, "netns", f"/proc/{pid}/ns/net", kernel=True, container_id=cid))
        elif v.channel == "docker-exec" and v.kind is VantageKind.CONTAINER:
            cid = inspected.get(v.name, {}).get("Id")
            if not isinstance(cid, str):
                skipped.append(f"{v.id}: the scan has no container id for it (docker inspect)")
                continue
            from netatlas.collect.docker_exec import exec_argv

            try:
                out.append(Place(v.id, node, "exec", argv=tuple(exec_argv(cid)), container_id=cid))
            except ValueError:
                skipped.append(f"{v.id}: {cid!r} is not a container id")
        elif v.channel == "wsl":
            from netatlas.collect.windows import wsl

            out.append(Place(v.id, node, "exec", argv=(wsl(), "-d", v.name, "--exec")))
        elif v.channel not in ("docker-api", "podman-cli"):  # an engine's own channel is no place
            skipped.append(f"{v.id}: probing through {v.channel or 'this channel'} is not supported")
    return out, skipped
