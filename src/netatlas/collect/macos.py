"""The macOS host as one vantage.

Reads (kinds in parentheses): ``ifconfig`` (``ifconfig``; macOS prints every
interface without ``-a``), ``netstat -rn`` (``netstat-rn``, both families),
``scutil --dns`` (``scutil-dns``: the resolvers the system really uses, including
scoped and VPN split-DNS ones), ``/etc/hosts`` (``hosts``), ``/etc/resolv.conf``
(``resolv-conf``, optional: macOS only writes it for old tools, and says so in its
header) and Docker Desktop's settings (``docker-desktop-settings``, optional):
``~/Library/Group Containers/group.com.docker/settings-store.json``, or the legacy
``settings.json`` beside it, and the organisation's
``/Library/Application Support/com.docker.docker/admin-settings.json``
(``docker-desktop-admin-settings``, optional: which settings are locked).

Docker Desktop's VM and its containers are other collectors' vantages; nothing here
enters them. Podman Desktop's machines (a VM under ``applehv``, ``libkrun`` or
``qemu``) are vantages with their parent, the Mac, and the engine in each is asked
through ``podman --connection NAME`` (:mod:`netatlas.collect.podman_machine`).
Every command is a fixed argv; the only data used is the home folder,
and only as a file path for the runner to read.
"""

from __future__ import annotations

import os
from pathlib import Path

from netatlas.collect import podman_machine
from netatlas.collect.base import Planned, Source, read_with_fallback
from netatlas.collect.runner import Result, Runner
from netatlas.model import Vantage, VantageKind

__all__ = ["PLATFORMS", "PRODUCES", "docker_settings_paths", "host_sources", "plan"]

PRODUCES = (
    "ifconfig",
    "netstat-rn",
    "scutil-dns",
    "hosts",
    "resolv-conf",
    "docker-desktop-settings",
    "docker-desktop-admin-settings",
    *podman_machine.PRODUCES,
)
ADMIN_SETTINGS = "/Library/Application Support/com.docker.docker/admin-settings.json"
"""Docker Desktop's Settings Management file on macOS (docker/docs, configure-json-file.md)."""
PLATFORMS = ("Darwin",)


def docker_settings_paths() -> tuple[str, str]:
    """Docker Desktop's ``settings-store.json`` and legacy ``settings.json`` on macOS."""
    home = os.environ.get("HOME") or str(Path.home())
    base = f"{home}/Library/Group Containers/group.com.docker"
    return f"{base}/settings-store.json", f"{base}/settings.json"


def _docker_settings(r: Runner) -> Result:
    return read_with_fallback(r, *docker_settings_paths())


def host_sources() -> list[Source]:
    """The macOS host's sources."""
    return [
        Source("host/ifconfig", "ifconfig", lambda r: r.run(["ifconfig"])),
        Source("host/netstat-rn", "netstat-rn", lambda r: r.run(["netstat", "-rn"])),
        Source("host/hosts", "hosts", lambda r: r.read("/etc/hosts"), local=True),
        Source("host/resolv-conf", "resolv-conf", lambda r: r.read("/etc/resolv.conf"), optional=True, local=True),
        # after resolv.conf: the resolver configuration read last is the vantage's DNS
        Source("host/scutil-dns", "scutil-dns", lambda r: r.run(["scutil", "--dns"])),
        Source("host/docker-desktop-settings", "docker-desktop-settings", _docker_settings, optional=True),
        Source(
            "host/docker-desktop-admin-settings",
            "docker-desktop-admin-settings",
            lambda r: r.read(ADMIN_SETTINGS),
            optional=True,
            local=True,
        ),
    ]


def _host_name(runner: Runner) -> str:
    res = runner.run(["hostname"], timeout=5)
    text = res.stdout.decode("utf-8", "replace").strip() if res.failure is None else ""
    if text:
        return text.splitlines()[0].strip()
    import socket

    return socket.gethostname() or "mac"


def plan(runner: Runner) -> list[Planned]:
    """The macOS host and its sources, then each running Podman machine with its engine."""
    host = Vantage("host", VantageKind.MACOS_HOST, _host_name(runner))
    podman_host, machines, _listed = podman_machine.plan(runner, "Darwin")
    return [Planned(host, [*host_sources(), *podman_host]), *machines]
