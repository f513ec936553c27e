"""Which Docker Engine the ``docker`` CLI talks to here, so the scan asks the same one.

The ``docker`` CLI chooses its engine, first match wins
(https://docs.docker.com/engine/reference/commandline/context_use/): ``DOCKER_HOST``;
``DOCKER_CONTEXT``; the ``currentContext`` of its ``config.json`` (in
``$DOCKER_CONFIG``, else ``~/.docker``); else the default socket. The SDK's
``docker.from_env`` reads ``DOCKER_HOST`` only, so for everyone whose CLI works
through a context (Docker Desktop on Linux switches to ``desktop-linux``; Colima,
OrbStack and rootless Docker make contexts of their own) a scan would ask a socket
that is not there, or a different engine than ``docker ps`` shows. Contexts are read
with the SDK's own ``docker.context`` (``contexts/meta/<sha256 of the name>/meta.json``
beside ``config.json``).

A context that is named but missing or unreadable is an error for the scan to
record, as the CLI refuses it too; a stale one (Docker Desktop uninstalled, its
context left behind) then shows as the daemon-down failure it is, naming the
context, which ``docker context use default`` fixes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Endpoint", "resolve"]

_REMOTE_SCHEMES = ("tcp://", "ssh://", "http://", "https://")


@dataclass(frozen=True)
class Endpoint:
    """Where the engine is, and why there.

    Args:
        host: the engine's URL (``unix:///…``, ``npipe://…``, ``tcp://…``, ``ssh://…``),
            or ``None`` for the SDK's default (``DOCKER_HOST``-less ``from_env``).
        chosen_by: ``DOCKER_HOST``, ``DOCKER_CONTEXT=<name>``, ``context <name>``
            (``config.json``'s ``currentContext``) or ``default``.
        tls: the context's TLS settings for the SDK (``docker.tls.TLSConfig``), if any.
        error: why the chosen context cannot be used (missing, unreadable).
    """

    host: str | None
    chosen_by: str
    tls: Any = None
    error: str | None = None

    @property
    def remote(self) -> bool:
        """True when the engine is reached over a network (its containers run elsewhere)."""
        return self.host is not None and self.host.startswith(_REMOTE_SCHEMES)

    @property
    def context(self) -> str | None:
        """The context's name, when a context chose the engine."""
        for prefix in ("DOCKER_CONTEXT=", "context "):
            if self.chosen_by.startswith(prefix):
                return self.chosen_by[len(prefix) :]
        return None


def _config_file() -> bool:
    """Whether the docker CLI has a ``config.json`` here (the only place naming a current context)."""
    folder = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.isfile(os.path.join(folder, "config.json"))


def resolve(environment: Mapping[str, str] | None = None) -> Endpoint:
    """The engine the ``docker`` CLI would use with ``environment`` (default: ``os.environ``).

    ``DOCKER_CONFIG`` is read from the process environment, as the SDK reads it.
    """
    env = os.environ if environment is None else environment
    if env.get("DOCKER_HOST"):
        return Endpoint(env["DOCKER_HOST"], "DOCKER_HOST")
    if not env.get("DOCKER_CONTEXT") and not _config_file():
        return Endpoint(None, "default")  # no context can be current: spare the SDK's import (~0.1 s)
    try:
        from docker.context import ContextAPI
        from docker.context.config import get_current_context_name
    except ImportError:  # no SDK: nothing can be asked anyway (the caller records that)
        return Endpoint(None, "default")
    if env.get("DOCKER_CONTEXT"):
        name, chosen_by = env["DOCKER_CONTEXT"], f"DOCKER_CONTEXT={env['DOCKER_CONTEXT']}"
    else:
        name = str(get_current_context_name() or "default")
        chosen_by = f"context {name}"
    if name == "default":
        return Endpoint(None, "default")
    try:
        ctx = ContextAPI.get_context(name)
    except Exception as exc:  # the SDK raises a bare Exception for a corrupt meta.json
        return Endpoint(None, chosen_by, error=f"docker context {name!r} cannot be read: {exc}")
    if ctx is None:
        return Endpoint(None, chosen_by, error=f"docker context {name!r} ({chosen_by}) does not exist")
    host = getattr(ctx, "Host", None)
    if not host:
        return Endpoint(None, chosen_by, error=f"docker context {name!r} has no docker endpoint")
    return Endpoint(str(host), chosen_by, tls=getattr(ctx, "TLSConfig", None))
