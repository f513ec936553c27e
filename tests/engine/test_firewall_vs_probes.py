"""Rules someone added, on a real Docker engine: ``why`` quotes them and a real probe agrees.

Two cases of the firewall issue that the engine's own semantics cannot know:

* a ``DOCKER-USER`` DROP for one container's address and port, inserted on the real
  engine's host (for this test's own container only, and removed afterwards): the
  host's ``iptables-save`` is read, ``why`` stops at that rule and quotes it, and a
  probe from a container on the same network times out;
* an INPUT policy DROP, in a network namespace of this test's own (never the host's):
  the Linux collector reads its ``iptables-save`` through ``ip netns exec``, ``why``
  stops at the policy, and a probe from a second namespace of the test's own times out
  while the port the rules let in answers.

Nothing else in the host namespace's rules is touched.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from engine_kit import Kit, outcome, scan_atlas

pytestmark = pytest.mark.docker


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["iptables", *args], capture_output=True, text=True, check=False, timeout=30)


@pytest.fixture
def root_with_iptables() -> None:
    if os.geteuid() != 0 or shutil.which("iptables") is None:
        pytest.skip("needs root and iptables (the host's rules are read and one is added)")


def test_docker_user_drop_is_quoted_and_a_real_probe_times_out(engine: Any, root_with_iptables: None) -> None:
    from netatlas.reach import why

    kit = Kit(engine.host, prefix=f"nafw{random.randrange(10**5)}")
    try:
        kit.network("net")
        kit.run("srv", ["net"])
        kit.run("cli", ["net"])
        ip = kit.address("srv")
        assert kit.probe("cli", ip, 80) == "open"  # before the rule: the kernel lets it through
        rule = ["DOCKER-USER", "-d", f"{ip}/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "DROP"]
        added = _iptables("-I", *rule)
        assert added.returncode == 0, added.stderr
        try:
            atlas = scan_atlas(engine.host)
            r = why(atlas, kit.name("cli"), ip, 80)
            observed = kit.probe("cli", ip, 80)
        finally:
            removed = _iptables("-D", *rule)
        assert removed.returncode == 0, removed.stderr
        assert observed == "timeout"
        assert r.verdict == "stopped" and r.hops[-1].action == "filter", r
        note = r.hops[-1].note
        assert f"-A DOCKER-USER -d {ip}/32 -p tcp -m tcp --dport 80 -j DROP" in note, note
        assert "host/iptables-save" in note, note
        assert any("DOCKER-USER" in f for f in r.fixes), r.fixes
        assert kit.probe("cli", ip, 80) == "open"  # and without it again
    finally:
        kit.close()


_INPUT_DROP = """*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport {open} -j ACCEPT
COMMIT
"""

_SERVE = "import socket,sys,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n" + (
    "s.bind(('0.0.0.0',int(sys.argv[1])));s.listen()\nwhile True:\n c,_=s.accept();c.close()\n"
)
_CONNECT = (
    "import socket,sys\ntry:\n socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2).close()\n"
    " print('open')\n"
    "except ConnectionRefusedError:print('refused')\nexcept TimeoutError:print('timeout')\n"
    "except OSError as e:print('unreachable' if 'unreachable' in str(e).lower() else 'timeout')\n"
)


@pytest.fixture
def own_namespaces(root_with_iptables: None) -> Iterator[tuple[str, str, str, int, int]]:
    """Two namespaces of this test's own on one veth: ``srv`` with an INPUT policy DROP."""
    tag = f"{os.getpid() % 10000}{random.randrange(100)}"
    cli, srv = f"nafw-c{tag}", f"nafw-s{tag}"
    net = f"10.250.{random.randrange(256)}"
    open_port, closed_port = random.randrange(20000, 30000), random.randrange(30000, 40000)
    procs: list[subprocess.Popen[bytes]] = []

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)

    try:
        ip("netns", "add", cli)
        ip("netns", "add", srv)
        ip("-n", cli, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", srv)
        ip("-n", cli, "addr", "add", f"{net}.1/30", "dev", "v0")
        ip("-n", srv, "addr", "add", f"{net}.2/30", "dev", "v1")
        for ns, dev in ((cli, "v0"), (srv, "v1")):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        subprocess.run(
            ["ip", "netns", "exec", srv, "iptables-restore"],
            input=_INPUT_DROP.format(open=open_port),
            text=True,
            check=True,
            capture_output=True,
            timeout=20,
        )
        for port in (open_port, closed_port):
            argv = ["ip", "netns", "exec", srv, sys.executable, "-c", _SERVE, str(port)]
            procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _probe(srv, "127.0.0.1", closed_port) != "open":
            time.sleep(0.1)
        yield cli, srv, f"{net}.2", open_port, closed_port
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=10)
        for ns in (cli, srv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=20)


def _probe(ns: str, address: str, port: int) -> str:
    argv = ["ip", "netns", "exec", ns, sys.executable, "-c", _CONNECT, address, str(port)]
    r = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    return r.stdout.strip() or outcome(r.returncode, r.stderr)


def test_input_policy_drop_in_a_namespace_of_our_own(
    engine: Any, own_namespaces: tuple[str, str, str, int, int]
) -> None:
    from netatlas.reach import why

    cli, srv, address, open_port, closed_port = own_namespaces
    assert _probe(cli, address, open_port) == "open"
    assert _probe(cli, address, closed_port) == "timeout"  # the kernel drops it at INPUT
    atlas = scan_atlas(engine.host)
    stopped = why(atlas, f"netns:{cli}", address, closed_port)
    assert stopped.verdict == "stopped" and stopped.hops[-1].action == "filter", stopped
    note = stopped.hops[-1].note
    assert "INPUT chain's policy is DROP" in note and f"netns:{srv}/iptables-save" in note, note
    assert stopped.fixes, stopped
    let_in = why(atlas, f"netns:{cli}", address, open_port)
    assert let_in.verdict == "delivered", let_in
