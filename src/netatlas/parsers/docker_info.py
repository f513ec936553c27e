"""``docker info`` (text) and ``docker info --format '{{json .}}'`` (JSON).

Fills ``Facts.settings`` with the engine facts that matter for the network map:

=======================  ===============================================  ==========================
key                      text line                                        JSON field
=======================  ===============================================  ==========================
``client_version``       ``Client:`` / ``Version:``                       ``ClientInfo.Version``
``context``              ``Context:`` (``desktop-linux`` = Docker Desktop) ``ClientInfo.Context``
``server_version``       ``Server Version:``                              ``ServerVersion``
``operating_system``     ``Operating System:`` (``Docker Desktop`` …)     ``OperatingSystem``
``kernel_version``       ``Kernel Version:`` (``…-microsoft-standard-WSL2``) ``KernelVersion``
``name``                 ``Name:`` (``docker-desktop``)                   ``Name``
``containers``           ``Containers:``                                  ``Containers``
``containers_running``   ``Running:``                                     ``ContainersRunning``
``runtimes``             ``Runtimes:``                                    ``Runtimes`` (keys)
``swarm``                ``Swarm:`` (``active`` brings the 10.0.0.0/8 pool) ``Swarm.LocalNodeState``
``http_proxy`` …         ``HTTP Proxy:``, ``HTTPS Proxy:``, ``No Proxy:``  ``HttpProxy`` …
``experimental``         ``Experimental:``                                ``ExperimentalBuild``
``default_address_pools`` ``Default Address Pools:`` / ``Base: …, Size: …``  ``DefaultAddressPools``
``daemon_warnings``      ``WARNING: …`` lines                             ``Warnings``
``error``                ``Cannot connect to the Docker daemon at …``     (text after the JSON)
=======================  ===============================================  ==========================

``default_address_pools`` is a list of ``{"base": "10.201.0.0/16", "size": 24}``.
The engine prints it (Docker 20.10+) only when pools are configured; absent means the
built-in default. Keys the output does not have are left out.

Example::

    Server:
     Server Version: 20.10.24+dfsg1
     Operating System: Debian GNU/Linux 12 (bookworm)
     Default Address Pools:
       Base: 10.201.0.0/16, Size: 24

gives ``{"server_version": "20.10.24+dfsg1", "operating_system": "Debian GNU/Linux
12 (bookworm)", "default_address_pools": [{"base": "10.201.0.0/16", "size": 24}]}``.

The text is ``Key: value`` lines nested by indentation. Keys are looked up by name,
not by depth, so output whose indentation was lost still reads; the few names that
repeat (a plugin's ``Version:``) are told apart by the section they follow. jc has
no parser for ``docker info``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    guard,
    read_text,
    select,
)
from netatlas.parsers._docker import extract_json, get_ci

INFO = ParserInfo(
    kind="docker-info",
    description="docker info (text, or --format '{{json .}}')",
    platforms=(Platform.LINUX, Platform.WINDOWS, Platform.MACOS),
    commands=(r"\b(?:system\s+)?info\b",),
    source="docker info",
)

_TEXT_KEYS = {
    "server version": "server_version",
    "operating system": "operating_system",
    "kernel version": "kernel_version",
    "name": "name",
    "containers": "containers",
    "running": "containers_running",
    "runtimes": "runtimes",
    "swarm": "swarm",
    "http proxy": "http_proxy",
    "https proxy": "https_proxy",
    "no proxy": "no_proxy",
    "experimental": "experimental",
    "context": "context",
}
_JSON_KEYS = {
    "ServerVersion": "server_version",
    "OperatingSystem": "operating_system",
    "KernelVersion": "kernel_version",
    "Name": "name",
    "Containers": "containers",
    "ContainersRunning": "containers_running",
    "HttpProxy": "http_proxy",
    "HttpsProxy": "https_proxy",
    "NoProxy": "no_proxy",
    "ExperimentalBuild": "experimental",
}
_INTS = {"containers", "containers_running"}
_KV = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][A-Za-z0-9 ._/-]*?):(?:\s+(?P<value>.*))?$")
_POOL = re.compile(r"^\s*Base:\s*(?P<base>\S+?),\s*Size:\s*(?P<size>\S+)\s*$", re.I)
_ERROR = re.compile(
    r"^\s*(?:ERROR:\s*)?(?P<msg>(?:Cannot connect to the Docker daemon|error during connect|"
    r"Error response from daemon|permission denied while trying to connect).*)$",
    re.I,
)
_WARNING = re.compile(r"^\s*WARNING:\s*(?P<msg>.+)$")


def sniff(text: str) -> float:
    """High for ``Server Version:`` or ``Client:``/``Server:`` text, or JSON with ``ServerVersion``."""
    head = text[:20000]
    if '"ServerVersion"' in head and ('"KernelVersion"' in head or '"NCPU"' in head):
        return 0.95
    if re.search(r"^\s*Server Version:", head, re.M):
        return 0.95
    if re.search(r"^Client:\s*$", head, re.M) and re.search(r"^Server:", head, re.M):
        return 0.9
    if "Cannot connect to the Docker daemon" in head:
        return 0.6
    return 0.0


def _pool(base: Any, size: Any, line: int, w: Warnings) -> dict[str, JSON] | None:
    try:
        net = ipaddress.ip_network(str(base).strip(), strict=False)
        bits = int(str(size).strip())
    except ValueError:
        w.add(line, f"unreadable address pool 'Base: {base}, Size: {size}'; left out")
        return None
    return {"base": str(net), "size": bits}


def _raw_text(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens ``{"line", "section", "indent", "key", "value"}``, plus pool/error/warning kinds."""
    out: list[dict[str, Any]] = []
    section = ""
    for ln in lines:
        text = ln.text
        if not text.strip():
            continue
        if m := _ERROR.match(text):
            out.append({"line": ln.no, "kind": "error", "value": m["msg"].strip()})
            continue
        if m := _WARNING.match(text):
            out.append({"line": ln.no, "kind": "warning", "value": m["msg"].strip()})
            continue
        if m := _POOL.match(text):
            out.append({"line": ln.no, "kind": "pool", "base": m["base"], "size": m["size"]})
            continue
        m = _KV.match(text)
        if not m:
            if section:
                continue  # list items under a key (registries, security options, plugin names)
            warnings.add(ln.no, f"skipped line that is not 'Key: value': {text.strip()[:60]!r}")
            continue
        key = m["key"].strip()
        if not m["indent"] and key in ("Client", "Server") and not m["value"]:
            section = key.lower()
            continue
        if not section:
            section = "server" if key.lower() in _TEXT_KEYS and key != "Context" else "client"
        out.append(
            {
                "line": ln.no,
                "kind": "kv",
                "section": section,
                "indent": len(m["indent"]),
                "key": key,
                "value": (m["value"] or "").strip(),
            }
        )
    return out


def _process_text(raw: list[dict[str, Any]], warnings: Warnings) -> dict[str, JSON]:
    settings: dict[str, JSON] = {}
    pools: list[JSON] = []
    daemon_warnings: list[JSON] = []
    client_plugins_seen = False
    for tok in raw:
        kind = tok["kind"]
        line = int(tok["line"])
        if kind == "error":
            settings.setdefault("error", tok["value"])
            continue
        if kind == "warning":
            daemon_warnings.append(tok["value"])
            continue
        if kind == "pool":
            if (pool := _pool(tok["base"], tok["size"], line, warnings)) is not None:
                pools.append(pool)
            continue
        key, value, section = tok["key"], tok["value"], tok["section"]
        if section == "client":
            if key == "Plugins":
                client_plugins_seen = True
            elif key == "Version" and not client_plugins_seen and tok["indent"] <= 1:
                settings.setdefault("client_version", value)
            elif key == "Context" and value:
                settings.setdefault("context", value)
            continue
        name = _TEXT_KEYS.get(key.lower())
        if name is None or name == "context" or not value or name in settings:
            continue
        if name in _INTS:
            if value.isdigit():
                settings[name] = int(value)
            else:
                warnings.add(line, f"unreadable number for {key!r}: {value!r}")
        elif name == "runtimes":
            settings[name] = list(value.split())
        elif name == "experimental":
            settings[name] = value.lower() == "true"
        else:
            settings[name] = value
    if pools:
        settings["default_address_pools"] = pools
    if daemon_warnings:
        settings["daemon_warnings"] = daemon_warnings
    return settings


def _process_json(obj: Mapping[str, Any], line: int, warnings: Warnings) -> dict[str, JSON]:
    settings: dict[str, JSON] = {}
    client = get_ci(obj, "ClientInfo")
    if isinstance(client, Mapping):
        for src, dst in (("Version", "client_version"), ("Context", "context")):
            if isinstance(val := get_ci(client, src), str) and val:
                settings[dst] = val
    for src, dst in _JSON_KEYS.items():
        val = get_ci(obj, src)
        if isinstance(val, bool) or (isinstance(val, (str, int)) and val != ""):
            settings[dst] = val
    if not settings.get("server_version"):
        # daemon down: the CLI prints an all-empty Info; zeros mean "unknown", not 0
        for dst in ("containers", "containers_running", "experimental"):
            settings.pop(dst, None)
    runtimes = get_ci(obj, "Runtimes")
    if isinstance(runtimes, Mapping) and runtimes:
        settings["runtimes"] = [str(k) for k in sorted(runtimes)]
    swarm = get_ci(obj, "Swarm")
    if isinstance(swarm, Mapping) and (state := get_ci(swarm, "LocalNodeState")):
        settings["swarm"] = str(state)
    pools = get_ci(obj, "DefaultAddressPools")
    if isinstance(pools, list) and pools:
        kept = [
            p
            for item in pools
            if isinstance(item, Mapping)
            and (p := _pool(get_ci(item, "Base"), get_ci(item, "Size"), line, warnings)) is not None
        ]
        if kept:
            settings["default_address_pools"] = list(kept)
    daemon_warnings = get_ci(obj, "Warnings")
    if isinstance(daemon_warnings, list) and daemon_warnings:
        settings["daemon_warnings"] = [str(x).removeprefix("WARNING: ") for x in daemon_warnings]
    return settings


def _raw(text: str, warnings: Warnings) -> tuple[str, list[dict[str, Any]]]:
    """``("json", [{"line", "obj"}, {"line", "kind": "error"}…])`` or ``("text", tokens)``."""
    stripped = [ln for ln in text.splitlines() if ln.strip()]
    is_json = any(ln.lstrip().startswith("{") and '"' in ln for ln in stripped[:5])
    if is_json:
        inner = Warnings()
        values = extract_json(text, inner)
        tokens: list[dict[str, Any]] = [
            {"line": v.first_line, "kind": "json", "obj": v.value} for v in values if isinstance(v.value, dict)
        ]
        # the error the CLI prints after the (empty) JSON is a fact, not noise
        for ln in select(text, INFO.commands, warnings=Warnings()):
            if m := _ERROR.match(ln.text):
                tokens.append({"line": ln.no, "kind": "error", "value": m["msg"].strip()})
        errors = {t["line"] for t in tokens if t["kind"] == "error"}
        warnings.extend(w for w in inner.items if w.line not in errors)
        return "json", tokens
    kept = select(text, INFO.commands, warnings=warnings)
    tokens = _raw_text(kept, warnings)
    if not any(t["kind"] in ("kv", "error", "pool") for t in tokens):
        raise ParseError("no 'docker info' fields found", line=first_content_line(kept))
    return "text", tokens


def _process(raw: tuple[str, list[dict[str, Any]]], warnings: Warnings) -> Facts:
    form, tokens = raw
    if form == "text":
        settings = _process_text(tokens, warnings)
    else:
        settings = {}
        for tok in tokens:
            if tok["kind"] == "json":
                for k, v in _process_json(tok["obj"], tok["line"], warnings).items():
                    settings.setdefault(k, v)
            elif tok["kind"] == "error":
                settings.setdefault("error", tok["value"])
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``docker info`` output. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        return _process(_raw(read_text(data), warnings), warnings)

    return guard(run, source=source)
