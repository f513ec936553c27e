"""The one door to the system: run a command (argv only) or read a file.

:class:`SubprocessRunner` is the real thing; :class:`ReplayRunner` answers from
recorded outputs. Both return a :class:`Result` and never raise for a failing
source: the failure is a value (``Result.failure``), so collectors record it and go on.

On Windows the runner resolves every program to an absolute path itself
(:func:`windows_program`) before it starts anything, so no collector can launch a
bare name by accident. ``CreateProcess`` given a bare name searches the folder of
the running program (Python's), then the *current folder*, then System32 and only
then ``PATH``; a ``kubectl.exe`` or ``docker.exe`` planted in the folder netatlas is
run from would run. :func:`shutil.which` is no remedy: on Windows it puts the
current folder first too (always before Python 3.12; since 3.12 unless
``NoDefaultCurrentDirectoryInExePath`` is set). Children also get their own
console (``CREATE_NO_WINDOW``), so nothing they do changes the user's console, and
the bytes they write are decoded by the collector that knows their encoding.
"""

from __future__ import annotations

import ntpath
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from netatlas.model import Evidence, Failure

__all__ = [
    "CREATE_NO_WINDOW",
    "ReplayRunner",
    "Result",
    "Runner",
    "SubprocessRunner",
    "nsenter_net",
    "windows_program",
]

DEFAULT_TIMEOUT = 10.0
_MAX_FILE = 16 << 20
CREATE_NO_WINDOW = 0x08000000
"""``subprocess.CREATE_NO_WINDOW`` (only defined on Windows): the child gets a console of
its own, without a window, instead of sharing (and possibly changing) the user's."""
_RUNNABLE = (".COM", ".EXE")
"""What a bare name may resolve to: programs ``CreateProcess`` starts itself. A ``.bat``
or ``.cmd`` would go through ``cmd.exe``, which re-parses every argument (BatBadBut,
CVE-2024-24576), so one on ``PATH`` is never chosen."""


def _is_file(path: str) -> bool:
    return Path(path).is_file()


def windows_program(name: str, path: str | None, pathext: str | None = None) -> str | None:
    r"""The absolute path ``CreateProcess`` should start for ``name``; never the current folder.

    An absolute ``name`` (``C:\Windows\System32\route.exe``, a UNC path) is kept. A
    bare name is looked for in each *absolute* ``PATH`` entry, in order, with the
    extensions of ``PATHEXT`` that are programs (``.COM``, ``.EXE``) when it has none.
    Empty or relative entries (``.``, ``tools``, ``C:tools``) and names with a folder
    part (``.\kubectl``) would be read against the current folder, so they are
    never used. Returns None when there is no such program.

    >>> windows_program("C:\\Windows\\System32\\route.exe", "")
    'C:\\Windows\\System32\\route.exe'
    >>> windows_program(".\\kubectl.exe", "C:\\bin") is None
    True
    """
    if _absolute(name):
        return name
    if ntpath.dirname(name) or ntpath.splitdrive(name)[0]:
        return None  # relative to the current folder (or to a drive's current folder)
    known = [e.strip().upper() for e in (pathext or ".COM;.EXE").split(";") if e.strip()]
    exts = [e for e in known if e in _RUNNABLE] or list(_RUNNABLE)
    stem_ext = ntpath.splitext(name)[1].upper()
    names = [name] if stem_ext in _RUNNABLE else [name + e.lower() for e in exts]
    for entry in (path or "").split(";"):
        folder = entry.strip().strip('"')
        if not _absolute(folder):
            continue
        for candidate in names:
            full = ntpath.join(folder, candidate)
            if _is_file(full):
                return full
    return None


def _absolute(path: str) -> bool:
    """``C:\\x`` or ``\\\\server\\share\\x``: not ``\\x`` (the current drive) nor ``C:x``."""
    drive, rest = ntpath.splitdrive(path)
    return bool(drive) and rest[:1] in ("\\", "/")


@dataclass(frozen=True, slots=True)
class Result:
    """What one command or file read gave."""

    argv: tuple[str, ...]
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int | None = None
    duration_s: float = 0.0
    started: datetime | None = None
    failure: Failure | None = None

    def evidence(self, evidence_id: str, vantage: str, kind: str, encoding: str | None = None) -> Evidence:
        """This result as evidence of ``kind`` from ``vantage``, written in ``encoding`` when known."""
        return Evidence(
            id=evidence_id,
            vantage=vantage,
            kind=kind,
            argv=self.argv,
            data=self.stdout,
            stderr=self.stderr,
            exit_code=self.exit_code,
            duration_s=self.duration_s,
            taken_at=self.started,
            failure=self.failure,
            encoding=encoding,
        )


_NSENTER_NET = re.compile(r"^--net=(/proc/\d+/ns/net)$")


def nsenter_net(argv: Sequence[str]) -> str | None:
    """The namespace path of ``nsenter --net=/proc/PID/ns/net CMD…``, else None.

    >>> nsenter_net(["nsenter", "--net=/proc/42/ns/net", "iptables-save"])
    '/proc/42/ns/net'
    >>> nsenter_net(["nsenter", "--net=/run/netns/x", "true"]) is None
    True
    """
    if len(argv) < 3 or argv[0] != "nsenter":
        return None
    m = _NSENTER_NET.match(argv[1])
    return m.group(1) if m else None


class Runner(Protocol):
    """How collectors reach the system."""

    def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        """Run ``argv`` (no shell), capture its output; failures are in the result."""
        ...

    def read(self, path: str) -> Result:
        """Read a file whole; a missing or unreadable file is a failure in the result."""
        ...

    def ask_dns(
        self, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, netns: str | None = None
    ) -> list[dict[str, Any]]:
        """Ask one DNS server ``(name, rdtype)`` questions, from inside ``netns`` when given.

        One ``dns-answers-json`` record per question, in order; never raises.
        """
        ...


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SubprocessRunner:
    """Runs real commands with an argv list (never a shell) and a timeout.

    Args:
        env: extra environment for every command (e.g. ``WSL_UTF8`` stays unset so
            ``wsl.exe`` writes its native UTF-16LE, which the parsers read).
        root: prefix for file reads (``/proc/PID/root`` to read a container's files).
        windows: start programs as on Windows (:func:`windows_program`,
            ``CREATE_NO_WINDOW``); default: when running on Windows.
    """

    def __init__(self, env: Mapping[str, str] | None = None, root: str = "", *, windows: bool | None = None) -> None:
        self._env = {**os.environ, "LC_ALL": "C", **(env or {})}
        self._root = root
        self._windows = os.name == "nt" if windows is None else windows

    def _program(self, name: str) -> str | None:
        """``name`` as the absolute path to start (Windows), or as given elsewhere."""
        if not self._windows:
            return name
        env = {k.upper(): v for k, v in self._env.items()}  # Windows' environment ignores case
        return windows_program(name, env.get("PATH"), env.get("PATHEXT"))

    def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        args = tuple(str(a) for a in argv)
        started, t0 = _now(), time.monotonic()
        program = self._program(args[0]) if args else None
        if program is None:
            why = "not found on PATH (the current folder is never searched)"
            return Result(args, started=started, failure=Failure("missing-binary", f"{args[0] if args else ''}: {why}"))
        netns = None if self._windows else nsenter_net(args)
        if netns is not None:
            return self._run_in_netns(args, netns, timeout, started, t0)
        args = (program, *args[1:])
        try:
            proc = subprocess.run(  # argv list, never a shell, by design
                args,
                capture_output=True,
                timeout=timeout,
                env=self._env,
                check=False,
                stdin=subprocess.DEVNULL,
                creationflags=CREATE_NO_WINDOW if self._windows else 0,
            )
        except FileNotFoundError:
            return Result(args, started=started, failure=Failure("missing-binary", f"{args[0]}: not installed"))
        except PermissionError as exc:
            return Result(args, started=started, failure=Failure("permission-denied", f"{args[0]}: {exc.strerror}"))
        except subprocess.TimeoutExpired as exc:
            return Result(
                args,
                stdout=exc.stdout or b"",
                stderr=exc.stderr or b"",
                duration_s=time.monotonic() - t0,
                started=started,
                failure=Failure("timeout", f"{' '.join(args)}: no answer within {timeout:g}s"),
            )
        except OSError as exc:
            return Result(args, started=started, failure=Failure("error", f"{args[0]}: {exc}"))
        failure = None
        if proc.returncode != 0:
            failure = classify_exit(args, proc.returncode, proc.stderr)
        return Result(args, proc.stdout, proc.stderr, proc.returncode, time.monotonic() - t0, started, failure)

    def _run_in_netns(self, args: tuple[str, ...], netns: str, timeout: float, started: datetime, t0: float) -> Result:
        """``nsenter --net=NETNS CMD…`` done here: CMD started from a thread inside NETNS.

        What ``nsenter`` does (``setns`` into the namespace, then ``exec``) without
        starting ``nsenter`` itself (a third of the cost of a short command such as
        ``ip6tables-save``, and 200 containers ask three each). The child is started
        by :mod:`netatlas.collect.netns_entry`'s thread while it is inside the
        namespace: a process starts in the network namespace of the thread that
        starts it (``vfork``/``posix_spawn`` copy the calling thread's namespaces),
        so no ``fork`` of this process with a ``setns`` before ``exec`` is needed.
        The thread returns home at once; the output is read here. Only the network
        namespace changes, as with ``nsenter --net``: CMD is this machine's program.
        The recorded argv stays the ``nsenter`` form, which says what ran and where.

        ``iptables-save``/``ip6tables-save`` are not started where they provably
        print nothing (no table of their family, legacy or nf_tables:
        :func:`netatlas.collect.nft_tables.provably_empty`); the result is then
        their empty output, and its argv names the reads that proved it.
        """
        from netatlas.collect.netns_entry import run_in
        from netatlas.collect.nft_tables import FAMILIES, provably_empty

        cmd = args[2:]
        if len(cmd) == 1 and cmd[0] in FAMILIES and provably_empty(int(netns.split("/")[2]), cmd[0]):
            # it would print nothing: say how that is known instead of starting it
            how = ("netfilter", "nspath", netns, cmd[0], "no-table", "NFT_MSG_GETTABLE", FAMILIES[cmd[0]][1])
            return Result(how, b"", b"", 0, time.monotonic() - t0, started)

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(  # argv list, never a shell, by design
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
            )

        try:
            proc = run_in(netns, spawn)
        except FileNotFoundError as exc:
            if exc.filename == netns:
                why = Failure("not-installed", f"{netns}: no such process (it ended?)")
            else:
                why = Failure("missing-binary", f"{cmd[0]}: not installed")
            return Result(args, started=started, failure=why)
        except PermissionError as exc:
            return Result(args, started=started, failure=Failure("permission-denied", f"{' '.join(args)}: {exc}"))
        except OSError as exc:
            return Result(args, started=started, failure=Failure("error", f"{' '.join(args)}: {exc}"))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return Result(
                args,
                stdout=out,
                stderr=err,
                duration_s=time.monotonic() - t0,
                started=started,
                failure=Failure("timeout", f"{' '.join(args)}: no answer within {timeout:g}s"),
            )
        code = proc.returncode
        failure = classify_exit(args, code, err) if code != 0 else None
        return Result(args, out, err, code, time.monotonic() - t0, started, failure)

    def read(self, path: str) -> Result:
        argv = ("read", path)
        started, t0 = _now(), time.monotonic()
        try:
            p = Path(self._root + path)
            size = p.stat().st_size
            if size > _MAX_FILE:
                return Result(argv, started=started, failure=Failure("error", f"{path}: {size} bytes, too large"))
            data = p.read_bytes()
        except FileNotFoundError:
            return Result(argv, started=started, failure=Failure("not-installed", f"{path}: no such file"))
        except PermissionError:
            return Result(argv, started=started, failure=Failure("permission-denied", f"{path}: permission denied"))
        except OSError as exc:
            return Result(argv, started=started, failure=Failure("error", f"{path}: {exc.strerror or exc}"))
        return Result(argv, data, duration_s=time.monotonic() - t0, started=started)

    def ask_dns(
        self, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, netns: str | None = None
    ) -> list[dict[str, Any]]:
        """Ask ``server`` (and only it) with dnspython; see :func:`netatlas.collect.dns_query.ask_server`."""
        from netatlas.collect.dns_query import ask_server

        return ask_server(server, port, questions, timeout, netns)


_DAEMON_DOWN = (
    b"Cannot connect to the Docker daemon",
    b"error during connect",
    b"The system cannot find the file specified",
    b"Is the docker daemon running",
)
_NOT_INSTALLED = (
    b"Windows Subsystem for Linux has no installed distributions",
    b"WSL is not installed",
)


def classify_exit(argv: tuple[str, ...], code: int, stderr: bytes) -> Failure:
    """Turn a non-zero exit into a failure code people can act on."""
    text = stderr.replace(b"\x00", b"")  # wsl.exe writes UTF-16LE
    first = text.decode("utf-8", "replace").strip().splitlines()[:1]
    msg = f"{' '.join(argv)}: exit {code}" + (f": {first[0]}" if first else "")
    if any(m in text for m in _DAEMON_DOWN):
        return Failure("daemon-down", msg)
    if any(m in text for m in _NOT_INSTALLED):
        return Failure("not-installed", msg)
    if b"ermission denied" in text or b"Operation not permitted" in text:
        return Failure("permission-denied", msg)
    return Failure("exit-status", msg)


Responder = Callable[[tuple[str, ...]], Result]


class ReplayRunner:
    """Answers from recorded outputs, for tests and demos.

    Args:
        commands: argv tuple → stdout bytes, or a :class:`Result` for failures.
        files: path → bytes.
        dns: (server, name, rdtype), or (netns, server, name, rdtype) for a question
            asked from inside a namespace → answer record; unrecorded questions time out.
    Anything not recorded is a ``missing-binary`` (commands) or ``not-installed``
    (files) failure, exactly as on a machine without it.
    """

    def __init__(
        self,
        commands: Mapping[tuple[str, ...], bytes | Result] | None = None,
        files: Mapping[str, bytes | Result] | None = None,
        dns: Mapping[tuple[str, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.commands = dict(commands or {})
        self.files = dict(files or {})
        self.dns = dict(dns or {})
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        args = tuple(argv)
        self.calls.append(args)
        got = self.commands.get(args)
        if got is None:
            return Result(args, failure=Failure("missing-binary", f"{args[0]}: not installed"))
        if isinstance(got, Result):
            return got
        return Result(args, got, exit_code=0)

    def read(self, path: str) -> Result:
        argv = ("read", path)
        self.calls.append(argv)
        got = self.files.get(path)
        if got is None:
            return Result(argv, failure=Failure("not-installed", f"{path}: no such file"))
        if isinstance(got, Result):
            return got
        return Result(argv, got)

    def ask_dns(
        self, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, netns: str | None = None
    ) -> list[dict[str, Any]]:
        """Recorded answers keyed by (netns, server, name, rdtype), else (server, name, rdtype); never the network."""
        from netatlas.collect.dns_query import no_answer

        out = []
        for name, rdtype in questions:
            self.calls.append(("dns", *([netns] if netns else []), server, name, rdtype))
            got = self.dns.get((netns, server, name, rdtype)) if netns else None
            got = got if got is not None else self.dns.get((server, name, rdtype))
            out.append(dict(got) if got is not None else no_answer(server, port, name, rdtype, "not recorded (replay)"))
        return out
