"""Start and stop a throwaway PostgreSQL cluster: the fleet tests' and the fleet benchmark's.

``initdb`` runs in a new temporary folder as an unprivileged user (``nobody`` when
run as root, through ``setpriv``; the current user otherwise), and ``postgres``
listens on 127.0.0.1 only, on a free port, with its Unix socket in that folder.
Every command is an argv list; nothing goes through a shell.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


class ClusterUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or would not start; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder ($NETATLAS_PG_BIN overrides)."""
    env = os.environ.get("NETATLAS_PG_BIN")
    if env:
        return Path(env)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise ClusterUnavailable("running as root and setpriv (util-linux) is missing to start PostgreSQL as nobody")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


@dataclass
class Cluster:
    """A running throwaway cluster; :meth:`stop` shuts it down and deletes it."""

    port: int
    folder: Path
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    counter: Any = field(default_factory=lambda: itertools.count(1))

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=netatlas dbname={dbname} connect_timeout=10"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(settings: dict[str, str] | None = None) -> Cluster:
    """A new cluster, ready for connections (user ``netatlas``, trust on loopback).

    Raises:
        ClusterUnavailable: PostgreSQL is missing, or initdb or postgres failed.
    """
    import psycopg

    bindir = pg_bin()
    if bindir is None or not (bindir / "initdb").is_file():
        raise ClusterUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    prefix = _as_user()
    folder = Path(tempfile.mkdtemp(prefix="netatlas-pg-"))
    if prefix:
        shutil.chown(folder, "nobody", "nogroup")
    folder.chmod(0o700)
    data = folder / "data"
    init = subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "netatlas", "-A", "trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ClusterUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    conf = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}
    conf.update(settings or {})
    port = free_port()
    args = [*prefix, str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(folder)]
    for k, v in conf.items():
        args += ["-c", f"{k}={v}"]
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=netatlas dbname=postgres connect_timeout=2").close()
            return Cluster(port, folder, proc, log)
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                log.close()
                tail = (folder / "postgres.log").read_text(errors="replace")[-800:]
                shutil.rmtree(folder, ignore_errors=True)
                raise ClusterUnavailable(f"PostgreSQL did not start: {tail}") from None
            time.sleep(0.1)
