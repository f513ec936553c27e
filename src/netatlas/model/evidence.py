"""Evidence (what a source returned, byte for byte) and vantages (where it was seen).

Everything netatlas concludes is recomputed from evidence alone, so evidence keeps
the raw bytes and how they were obtained: argv, exit code, stderr, duration and time.
A source that failed is still evidence: its :class:`Failure` says why.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from netatlas.model.facts import _Model

__all__ = ["Evidence", "Failure", "Vantage", "VantageKind"]


class VantageKind(str, Enum):
    """Places a network can be seen from."""

    WINDOWS_HOST = "windows-host"
    WSL_DISTRO = "wsl-distro"
    DOCKER_DESKTOP_VM = "docker-desktop-vm"
    DOCKER_ENGINE = "docker-engine"
    PODMAN_ENGINE = "podman-engine"
    PODMAN_MACHINE = "podman-machine"
    CONTAINER = "container"
    POD = "pod"
    LINUX_HOST = "linux-host"
    NETNS = "netns"
    MACOS_HOST = "macos-host"


@dataclass(frozen=True, slots=True)
class Vantage(_Model):
    """A place the network is seen from.

    Args:
        id: stable id, unique in a bundle (``host``, ``wsl:Ubuntu``, ``container:web``).
        kind: what sort of place.
        name: for people.
        parent: id of the vantage this one lives in (a container in a VM on a host).
        channel: how it is reached: ``local``, ``wsl``, ``docker-exec``, ``netns``,
            ``kubectl-exec``, ``ssh``, ``docker-api``, ``podman-cli``,
            ``podman-connection`` (``podman --connection NAME``: a Podman machine),
            ``podman-exec``.
    """

    id: str
    kind: VantageKind
    name: str
    parent: str | None = None
    channel: str = "local"


@dataclass(frozen=True, slots=True)
class Failure(_Model):
    """Why a source gave no usable output.

    ``code`` is one of ``missing-binary``, ``timeout``, ``permission-denied``,
    ``daemon-down``, ``not-installed``, ``exit-status``, ``unsupported``, ``skipped``
    (not asked: a remote Kubernetes cluster), ``error``.
    """

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Evidence(_Model):
    """One command's output, API answer or file, kept whole.

    Args:
        id: unique in the bundle; also its file name stem.
        vantage: id of the vantage it was taken from.
        kind: the parser kind that reads ``data`` (``ip-addr-json``, ``hosts`` …).
        argv: the command, or ``("read", PATH)`` for a file, ``("api", CALL)`` for an API.
        data: stdout or file content, byte for byte.
        stderr: standard error, byte for byte.
        exit_code: ``None`` when nothing ran (file reads, API calls, failures to start).
        duration_s: wall time of the call.
        taken_at: when it started (UTC).
        failure: set when the source failed; the scan goes on without it.
        encoding: how the collector knows ``data`` was written (``cp850``: the OEM code
            page of a Windows tool's own console; ``utf-16-le``: ``wsl.exe``), or
            ``None`` when it does not (parsers then recognise UTF-8/UTF-16 themselves).
            Bundles written before this field have none.
    """

    id: str
    vantage: str
    kind: str
    argv: tuple[str, ...]
    data: bytes = b""
    stderr: bytes = b""
    exit_code: int | None = None
    duration_s: float = 0.0
    taken_at: datetime | None = None
    failure: Failure | None = None
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        """True when the source answered and its output is worth parsing."""
        return self.failure is None

    def content(self) -> bytes | str:
        """``data`` as text in its recorded :attr:`encoding`; the bytes when there is none.

        A name that is not a text codec, or bytes that do not decode in it, give the
        bytes too: the parsers' own reading (UTF-8, UTF-16, OEM code pages) then decides.
        """
        if not self.encoding:
            return self.data
        try:
            codecs.lookup(self.encoding)  # "zlib_codec" and the like are refused by decode below
            return self.data.decode(self.encoding)
        except (LookupError, UnicodeDecodeError):
            return self.data
