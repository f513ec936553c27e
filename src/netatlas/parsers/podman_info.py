"""``podman info --format json`` (and ``podman info``, which prints the same as YAML).

Fills ``Facts.settings`` with what decides Podman's networking:

=====================  ===============================  ==========================================
key                    field                            why it matters
=====================  ===============================  ==========================================
``podman_version``     ``version.Version``              netavark 2.0 (Podman 6) isolates networks
``network_backend``    ``host.networkBackend``          ``cni`` or ``netavark``: the rules between
                                                        networks
``rootless``           ``host.security.rootless``       rootless networks: the user's namespace
``operating_system``   ``host.distribution``            where the engine runs (``debian 12``)
``kernel_version``     ``host.kernel``
``name``               ``host.hostname``
``remote_api``         ``host.remoteSocket.path``       the API a client can use (when it exists)
``slirp4netns``        ``host.slirp4netns.executable``  the rootless user-mode network
=====================  ===============================  ==========================================

Example: ``{"host": {"networkBackend": "cni", "security": {"rootless": false}},
"version": {"Version": "4.3.1"}}`` gives ``{"podman_version": "4.3.1",
"network_backend": "cni", "rootless": false}``.

The output is one JSON (or YAML) document; fields it lacks are left out. jc has no
parser for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, read_text

INFO = ParserInfo(
    kind="podman-info",
    description="podman info (JSON or YAML): version, network backend, rootless",
    platforms=(Platform.LINUX, Platform.MACOS, Platform.WINDOWS),
    commands=(r"^podman\s+(?:system\s+)?info\b",),
    source="podman info --format json",
)


def sniff(text: str) -> float:
    """High for a document with podman's ``host``/``store``/``version`` sections."""
    head = text[:20000]
    if re.search(r'"?networkBackend"?\s*:', head) and re.search(r'"?(?:graphDriverName|buildahVersion)"?\s*:', head):
        return 0.95
    return 0.0


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        json_error = exc
    import yaml  # podman info without --format prints YAML

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ParseError(f"not podman info output (neither JSON: {json_error} nor YAML)", line=line) from None


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def _raw(text: str, warnings: Warnings) -> Any:
    """The one document (JSON, else YAML)."""
    return _document(text)


def _process(doc: Any, warnings: Warnings) -> Facts:
    return Facts(kind=INFO.kind, settings=_settings(doc, warnings), warnings=warnings.sorted())


def _settings(doc: Any, warnings: Warnings) -> dict[str, JSON]:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("host"), Mapping):
        raise ParseError("not podman info output: no 'host' section", line=1)
    out: dict[str, JSON] = {}
    version = _get(doc, "version", "Version")
    if isinstance(version, str) and version:
        out["podman_version"] = version
    else:
        warnings.add(1, "no version.Version: the Podman version is unknown")
    backend = _get(doc, "host", "networkBackend")
    if isinstance(backend, str) and backend:
        out["network_backend"] = backend
    rootless = _get(doc, "host", "security", "rootless")
    if isinstance(rootless, bool):
        out["rootless"] = rootless
    dist = _get(doc, "host", "distribution")
    if isinstance(dist, Mapping):
        words = [str(dist[k]) for k in ("distribution", "version") if dist.get(k)]
        if words:
            out["operating_system"] = " ".join(words)
    for key, path in (("kernel_version", ("host", "kernel")), ("name", ("host", "hostname"))):
        value = _get(doc, *path)
        if isinstance(value, str) and value:
            out[key] = value
    if _get(doc, "host", "remoteSocket", "exists") is True:
        api = _get(doc, "host", "remoteSocket", "path")
        if isinstance(api, str):
            out["remote_api"] = api
    slirp = _get(doc, "host", "slirp4netns", "executable")
    if isinstance(slirp, str) and slirp:
        out["slirp4netns"] = slirp
    return out


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``podman info`` output. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        return _process(_raw(read_text(data), warnings), warnings)

    return guard(run, source=source)
