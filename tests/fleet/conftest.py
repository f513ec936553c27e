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

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import browser  # noqa: F401 - the page's browser test
from tests.fleet.pg import Cluster, ClusterUnavailable, free_port, start_cluster

__all__ = ["REPO", "Z820", "Cluster", "Fleet", "free_port", "serve_subprocess"]

REPO = Path(__file__).resolve().parents[2]
Z820 = REPO / "examples" / "z820"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"fleet tests cannot run in CI: {reason} (.ci/run installs postgresql and '.[test]')")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    for module in ("fastapi", "uvicorn", "psycopg", "psycopg_pool", "jinja2"):
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"{module} is not installed (pip install -e '.[test]')")
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


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
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200 and proc.poll() is None:  # ours answering, not someone else's
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"netatlas serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()  # never leave a server behind
            proc.wait()
            raise AssertionError("netatlas serve did not start")
        time.sleep(0.05)
