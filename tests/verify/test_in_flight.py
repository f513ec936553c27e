"""How many probe sockets fly at once: as many as asked, within the open-file limit."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import resource, sys
from netatlas.verify.door import in_flight
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[2])))
print(in_flight(1024), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def _run(soft: int, hard: int) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(soft), str(hard)], capture_output=True, text=True, check=True
    )
    return [int(x) for x in out.stdout.split()]


def test_a_low_soft_limit_is_raised_toward_the_hard_one() -> None:
    assert _run(300, 4096) == [1024, 1024 + 128]


def test_a_low_hard_limit_lets_fewer_sockets_fly() -> None:
    assert _run(300, 300) == [300 - 128, 300]
