"""Which Docker Engine the ``docker`` CLI talks to here, so the scan asks the same one.

The ``docker`` CLI chooses its engine, first match wins
(https://docs.docker.com/engine/reference/commandline/context_use/): ``DOCKER_HOST``;
``DOCKER_CONTEXT``; the ``currentContext`` of its ``config.json``; else the default
socket. The SDK's ``docker.from_env`` reads ``DOCKER_HOST`` only, so for everyone
whose CLI works through a context (Docker Desktop on Linux switches to
``desktop-linux``; Colima, OrbStack and rootless Docker make contexts of their own) a
scan would ask a socket that is not there, or another engine than ``docker ps`` shows.

The context store is read here as the CLI lays it out, in ``$DOCKER_CONFIG`` (else
``~/.docker``): ``config.json``'s ``currentContext``,
``contexts/meta/<sha256 of the name>/meta.json`` for the endpoint and
``contexts/tls/<sha256>/docker/{ca,cert,key}.pem`` for its TLS material. The SDK's own
``docker.context`` is not used: it looks for the store beside whatever config file it
finds, so without a ``config.json`` it reads ``./contexts`` in the working directory
(any folder a scan runs from could redirect it to another engine), it fails on
contexts written by older CLIs with a ``StackOrchestrator``, and it drops TLS for a
context with ``SkipTLSVerify`` or a CA alone. Only the TLS settings are the SDK's
(``docker.tls.TLSConfig``).

A context that is named but missing or unreadable is an error for the scan to
record, as the CLI refuses it too; a stale one (Docker Desktop uninstalled, its
context left behind) then shows as the daemon-down failure it is, naming the
context, which ``docker context use default`` fixes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
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
        context: the context's name, when a context chose the engine.
    """

    host: str | None
    chosen_by: str
    tls: Any = None
    error: str | None = None
    context: str | None = None

    @property
    def remote(self) -> bool:
        """True when the engine is reached over a network (its containers run elsewhere)."""
        return self.host is not None and self.host.startswith(_REMOTE_SCHEMES)


def _folder(env: Mapping[str, str]) -> Path:
    """The docker CLI's configuration folder: ``$DOCKER_CONFIG``, else ``~/.docker``."""
    given = env.get("DOCKER_CONFIG")
    return Path(given).expanduser() if given else Path.home() / ".docker"


def _current(folder: Path) -> tuple[str | None, str | None]:
    """(``currentContext`` of ``config.json`` or None, why it cannot be read or None)."""
    path = folder / "config.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"{path} cannot be read: {exc}"
    name = doc.get("currentContext") if isinstance(doc, dict) else None
    return (name if isinstance(name, str) and name else None), None


def _tls(folder: Path, context_id: str, skip_verify: bool) -> Any:
    """The SDK's TLS settings for a context's endpoint, or None for plain HTTP(S)-less sockets."""
    tls_dir = folder / "contexts" / "tls" / context_id / "docker"
    ca, cert, key = (tls_dir / name for name in ("ca.pem", "cert.pem", "key.pem"))
    has_ca, has_pair = ca.is_file(), cert.is_file() and key.is_file()
    if not (has_ca or has_pair or skip_verify):
        return None
    from docker.tls import TLSConfig

    verify: bool | str = False if skip_verify else (str(ca) if has_ca else True)
    return TLSConfig(
        client_cert=(str(cert), str(key)) if has_pair else None,
        ca_cert=str(ca) if has_ca else None,
        verify=verify,
    )


def resolve(environment: Mapping[str, str] | None = None) -> Endpoint:
    """The engine the ``docker`` CLI would use with ``environment`` (default: ``os.environ``)."""
    env = os.environ if environment is None else environment
    if env.get("DOCKER_HOST"):
        return Endpoint(env["DOCKER_HOST"], "DOCKER_HOST")
    folder = _folder(env)
    if env.get("DOCKER_CONTEXT"):
        name, chosen_by = env["DOCKER_CONTEXT"], f"DOCKER_CONTEXT={env['DOCKER_CONTEXT']}"
    else:
        current, problem = _current(folder)
        if problem is not None:
            return Endpoint(None, "config.json", error=problem)
        if current is None:
            return Endpoint(None, "default")
        name, chosen_by = current, f"context {current}"
    if name == "default":
        return Endpoint(None, "default")
    context_id = hashlib.sha256(name.encode("utf-8")).hexdigest()
    meta_path = folder / "contexts" / "meta" / context_id / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Endpoint(None, chosen_by, error=f"docker context {name!r} ({chosen_by}) does not exist", context=name)
    except (OSError, ValueError) as exc:
        return Endpoint(
            None, chosen_by, error=f"docker context {name!r} cannot be read: {meta_path}: {exc}", context=name
        )
    endpoints = meta.get("Endpoints") if isinstance(meta, dict) else None
    docker = endpoints.get("docker") if isinstance(endpoints, dict) else None
    host = docker.get("Host") if isinstance(docker, dict) else None
    if not isinstance(host, str) or not host:
        return Endpoint(
            None, chosen_by, error=f"docker context {name!r} has no docker endpoint ({meta_path})", context=name
        )
    skip = isinstance(docker, dict) and docker.get("SkipTLSVerify") is True
    try:
        tls = _tls(folder, context_id, skip)
    except Exception as exc:  # the SDK's TLSConfig refuses missing or unusable files
        return Endpoint(
            host, chosen_by, error=f"docker context {name!r}: its TLS settings are unusable: {exc}", context=name
        )
    return Endpoint(host, chosen_by, tls=tls, context=name)
