"""``nsenter --net=/proc/PID/ns/net CMD`` run by the runner itself, and the firewall reads it spares.

With root, in a namespace of the test's own (``unshare --net``): what the runner gives
is what ``nsenter`` gives (run beside it), ``ip6tables-save``/``iptables-save`` are not
started only where they print nothing, and a table of either backend (nf_tables or
legacy) makes them run again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from netatlas.collect.nft_tables import nft_table_count, provably_empty
from netatlas.collect.runner import SubprocessRunner, nsenter_net

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("nsenter") is None,
    reason="needs root, unshare and nsenter",
)


def test_only_a_proc_pid_nsenter_is_run_natively() -> None:
    assert nsenter_net(["nsenter", "--net=/proc/42/ns/net", "true"]) == "/proc/42/ns/net"
    assert nsenter_net(["nsenter", "--net=/proc/42/ns/net"]) is None  # no command
    assert nsenter_net(["nsenter", "--net=/proc/self/ns/net", "true"]) is None
    assert nsenter_net(["nsenter", "--net=/proc/42/ns/net/../../1/ns/net", "true"]) is None
    assert nsenter_net(["nsenter", "--mount=/proc/42/ns/mnt", "true"]) is None
    assert nsenter_net(["sudo", "--net=/proc/42/ns/net", "true"]) is None


@pytest.fixture
def sleeper() -> Iterator[int]:
    """A ``sleep`` in a network namespace of its own (nothing in its packet filter)."""
    proc = subprocess.Popen(["unshare", "--net", "sh", "-c", "exec sleep 60"])
    try:
        for _ in range(100):
            try:
                if os.readlink(f"/proc/{proc.pid}/exe").endswith("sleep"):
                    break
            except OSError:
                pass
            time.sleep(0.02)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _nsenter(pid: int, *cmd: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", *cmd], capture_output=True, check=False)


def _masked(out: bytes) -> list[bytes]:
    """iptables-save's output less its two dated comment lines."""
    return [line for line in out.splitlines() if not line.startswith((b"# Generated", b"# Completed"))]


@needs_root
def test_the_command_runs_inside_the_namespace(sleeper: int) -> None:
    argv = ["nsenter", f"--net=/proc/{sleeper}/ns/net", "readlink", "/proc/self/ns/net"]
    got = SubprocessRunner().run(argv)
    assert got.failure is None and got.exit_code == 0
    assert got.argv == tuple(argv)
    assert got.stdout.strip() == os.readlink(f"/proc/{sleeper}/ns/net").encode()
    assert got.stdout == _nsenter(sleeper, "readlink", "/proc/self/ns/net").stdout
    assert os.readlink("/proc/thread-self/ns/net") != got.stdout.strip().decode()  # we stayed home


@needs_root
def test_failures_are_recorded() -> None:
    r = SubprocessRunner()
    missing = r.run(["nsenter", f"--net=/proc/{os.getpid()}/ns/net", "na-no-such-tool"])
    assert missing.failure is not None and missing.failure.code == "missing-binary"
    gone = r.run(["nsenter", "--net=/proc/999999999/ns/net", "iptables-save"])
    assert gone.failure is not None and gone.failure.code == "not-installed"
    status = r.run(["nsenter", f"--net=/proc/{os.getpid()}/ns/net", "false"])
    assert status.failure is not None and status.failure.code == "exit-status" and status.exit_code == 1


@needs_root
@pytest.mark.skipif(shutil.which("ip6tables-nft") is None, reason="needs ip6tables-nft")
def test_empty_ip6tables_is_not_run_and_a_table_makes_it_run(sleeper: int) -> None:
    r = SubprocessRunner()
    path = f"/proc/{sleeper}/ns/net"
    empty = r.run(["nsenter", f"--net={path}", "ip6tables-save"])
    assert empty.argv[:4] == ("netfilter", "nspath", path, "ip6tables-save")
    assert (empty.stdout, empty.exit_code, empty.failure) == (b"", 0, None)
    real = _nsenter(sleeper, "ip6tables-save")
    assert (real.stdout, real.returncode) == (b"", 0)  # what it would have printed
    assert nft_table_count(path, 10) == 0

    # an nf_tables ip6 table (through ip6tables-nft): now it runs, and prints the table
    subprocess.run(["nsenter", f"--net={path}", "ip6tables-nft", "-A", "INPUT", "-j", "ACCEPT"], check=True)
    assert nft_table_count(path, 10) == 1
    assert not provably_empty(sleeper, "ip6tables-save")
    ran = r.run(["nsenter", f"--net={path}", "ip6tables-save"])
    assert ran.argv == ("nsenter", f"--net={path}", "ip6tables-save")
    assert b"-A INPUT -j ACCEPT" in ran.stdout
    assert _masked(ran.stdout) == _masked(_nsenter(sleeper, "ip6tables-save").stdout)
    # the IPv4 side is still empty, and spared
    assert r.run(["nsenter", f"--net={path}", "iptables-save"]).argv[0] == "netfilter"


@needs_root
@pytest.mark.skipif(shutil.which("iptables-legacy") is None, reason="needs iptables-legacy")
def test_a_legacy_table_makes_it_run(sleeper: int) -> None:
    path = f"/proc/{sleeper}/ns/net"
    subprocess.run(["nsenter", f"--net={path}", "iptables-legacy", "-A", "INPUT", "-j", "ACCEPT"], check=True)
    assert nft_table_count(path, 2) == 0  # nothing in nf_tables: only the names file knows
    assert not provably_empty(sleeper, "iptables-save")
    ran = SubprocessRunner().run(["nsenter", f"--net={path}", "iptables-save"])
    assert ran.argv[0] == "nsenter"
    assert _masked(ran.stdout) == _masked(_nsenter(sleeper, "iptables-save").stdout)
