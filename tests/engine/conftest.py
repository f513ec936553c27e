"""The real Docker engine the engine tests run against.

Which engine: ``NETATLAS_TEST_DOCKER_HOST`` when set (``.ci/run`` starts one and sets it);
else one these tests start themselves under a temporary folder (root and ``dockerd``
needed). With neither, the tests skip and say why, except in CI (``CI=true``), where a
missing engine is a failure: these tests are the referee and must not silently vanish.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import sandbox
from engine_kit import Kit


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the engine tests must run in CI, but no Docker engine could be had: {why}")
    pytest.skip(f"no Docker engine for the engine tests: {why}")


@pytest.fixture(scope="session")
def engine() -> Iterator[sandbox.Engine]:
    host = os.environ.get("NETATLAS_TEST_DOCKER_HOST")
    if host:
        try:
            sandbox.ensure_image(host)
        except Exception as exc:
            _unavailable(f"NETATLAS_TEST_DOCKER_HOST={host}: {exc}")
        yield sandbox.Engine(host=host)
        return
    root = Path(tempfile.mkdtemp(prefix="netatlas-dockerd-"))
    try:
        started = sandbox.start(root)
    except RuntimeError as exc:
        _unavailable(str(exc))
        return
    try:
        sandbox.ensure_image(started.host)
        yield started
    finally:
        sandbox.stop(started)


@pytest.fixture
def kit(engine: sandbox.Engine, request: pytest.FixtureRequest) -> Iterator[Kit]:
    """Networks and containers of one test, all removed afterwards."""
    k = Kit(engine.host, prefix=f"na{abs(hash(request.node.nodeid)) % 10**6}")
    try:
        yield k
    finally:
        k.close()
