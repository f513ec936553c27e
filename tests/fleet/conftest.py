"""A throwaway PostgreSQL cluster for the fleet tests, and the fleet server on it.

The session starts its own cluster: ``initdb`` in a temporary folder as an
unprivileged user (``nobody`` when the tests run as root, as in CI; the current user
otherwise), ``postgres`` listening on 127.0.0.1 only, on a free port, its Unix socket
in that folder. Nothing else on the machine is touched, and the cluster is stopped and
deleted at the end. Each test that stores anything gets a database of its own.

Where PostgreSQL or the server extra is missing, the tests skip with the reason;
in CI (``CI`` set) they fail instead, since ``.ci/run`` installs both.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import browser  # noqa: F401 - the page's browser test

REPO = Path(__file__).resolve().parents[2]
Z820 = REPO / "examples" / "z820"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"fleet tests cannot run in CI: {reason} (.ci/run installs postgresql and '.[test]')")
    pytest.skip(reason)


def _pg_bin() -> Path | None:
    env = os.environ.get("NETATLAS_PG_BIN")
    if env:
        return Path(env)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_user() -> list[str]:
    """The argv prefix that drops root to ``nobody``; nothing when not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        _unavailable("running as root and setpriv (util-linux) is missing to start PostgreSQL as nobody")
    return [setpriv or "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster."""

    port: int
    folder: Path
    counter: Any

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=netatlas dbname={dbname} connect_timeout=10"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    for module in ("fastapi", "uvicorn", "psycopg", "psycopg_pool", "jinja2"):
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"{module} is not installed (pip install -e '.[test]')")
    bindir = _pg_bin()
    if bindir is None or not (bindir / "initdb").is_file():
        _unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    assert bindir is not None
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
        _unavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = free_port()
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115 - closed at the end of the session
    proc = subprocess.Popen(
        [
            *prefix,
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=netatlas dbname=postgres connect_timeout=2").close()
            break
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                tail = (folder / "postgres.log").read_text(errors="replace")[-800:]
                shutil.rmtree(folder, ignore_errors=True)
                _unavailable(f"PostgreSQL did not start: {tail}")
            time.sleep(0.1)
    try:
        yield Cluster(port, folder, itertools.count(1))
    finally:
        proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres: Cluster) -> str:
    """A database migrated once, the template every test's database is copied from."""
    import psycopg

    from netatlas.fleet import db

    name = f"fleet_template_{os.getpid()}"
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    pool = db.connect_pool(postgres.dsn(name), max_size=2)
    try:
        db.migrate(pool)
    finally:
        pool.close()
    return name


@pytest.fixture
def database(postgres: Cluster, template_database: str) -> Iterator[str]:
    """A fresh database with the fleet schema migrated; its DSN."""
    import psycopg

    name = f"fleet_{os.getpid()}_{next(postgres.counter)}"
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'.encode())
    yield postgres.dsn(name)
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())


@dataclass
class Fleet:
    """A running server (in this process, real HTTP on loopback) and its database."""

    url: str
    dsn: str
    pool: Any
    admin: str

    def agent_token(self, machine: str | None = None) -> str:
        from netatlas.fleet import db

        return db.add_token(self.pool, "agent", machine=machine)

    def count(self, sql: str, *args: Any) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(sql.encode(), args).fetchone()
        return int(row[0])


class ThreadedServer:
    """uvicorn on 127.0.0.1 in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert self.thread.is_alive(), "uvicorn stopped"
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def fleet(database: str) -> Iterator[Fleet]:
    from netatlas.fleet import db
    from netatlas.fleet.server import create_app

    pool = db.connect_pool(database, max_size=20)
    try:
        admin = db.add_token(pool, "admin", note="tests")
        with ThreadedServer(create_app(pool, max_body=4 << 20)) as url:
            yield Fleet(url, database, pool, admin)
    finally:
        pool.close()


def serve_subprocess(dsn: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """``netatlas serve`` as a real process on 127.0.0.1:port, ready to answer."""
    import urllib.request

    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netatlas.cli",
            "serve",
            "--db",
            dsn,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"netatlas serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        assert time.monotonic() < deadline, "netatlas serve did not start"
        time.sleep(0.05)
