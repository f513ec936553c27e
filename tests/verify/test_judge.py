"""Predictions against observations: why's answers (on the z820 example) turned into what a connect sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from netatlas.model.atlas import Atlas
from netatlas.reach import Hop, PathResult, why, wsl_address
from netatlas.reach.world import _World
from netatlas.verify.door import Observed
from netatlas.verify.judge import expect, judge_route, judge_tcp
from netatlas.verify.kernel import KernelRoute

from .conftest import ip

Z820 = Path(__file__).resolve().parents[2] / "examples" / "z820"


@pytest.fixture(scope="module")
def z820() -> Atlas:
    from netatlas.cli import _atlas

    return _atlas(str(Z820))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("src", "dst", "port", "want"),
    [
        ("host", "127.0.0.1", 8000, "open"),  # WSL's localhost relay to kali's 127.0.0.1:8000
        ("container:web", "172.18.0.3", 5432, "open"),
        ("lan", "192.168.1.20", 8080, "open-unread"),  # past Windows Firewall, which is not read
        ("container:web", "127.0.0.1", 9999, "refused"),  # nothing listens
        ("container:web", "172.18.0.3", 80, "refused"),
        ("host", "172.18.0.2", 5432, "no-route"),
        ("lan", "192.168.1.20", 9999, "arrives"),  # Z820 has no listener list
        ("host", "10.99.0.1", 80, "beyond"),
    ],
)
def test_why_answers_become_what_a_connect_sees(z820: Atlas, src: str, dst: str, port: int, want: str) -> None:
    assert expect(why(z820, src, dst, port)) == want


def test_a_loopback_bind_seen_from_elsewhere_is_refused(z820: Atlas) -> None:
    r = why(z820, "docker-desktop", str(wsl_address(z820)), 8000)
    assert expect(r) == "refused"


def _filtered() -> PathResult:
    hops = (
        Hop("node:container:a", None, ip("172.19.0.2"), "start", "from a"),
        Hop("node:host", None, ip("172.19.0.2"), "filter", "Docker isolates bridge networks from each other"),
    )
    return PathResult("container:a", "172.19.0.2", 80, ip("172.19.0.2"), False, hops=hops, verdict="stopped")


@pytest.mark.parametrize(
    ("observed", "detail", "result"),
    [
        ("timeout", "", "agree"),
        ("unreachable", "EHOSTUNREACH", "agree"),  # an ICMP unreachable from a REJECT
        ("open", "", "disagree"),
        ("refused", "", "disagree"),
        ("unreachable", "ENETUNREACH", "disagree"),  # no route at the source: the walk went wrong before
    ],
)
def test_a_filtered_prediction(z820: Atlas, observed: str, detail: str, result: str) -> None:
    c = judge_tcp(_World(z820), "container:a", ip("172.19.0.2"), 80, _filtered(), Observed(observed, detail))
    assert c.result == result
    assert c.hop.endswith("Docker isolates bridge networks from each other")


def test_unknown_is_counted_apart_but_arriving_where_the_kernel_has_no_route_disagrees(z820: Atlas) -> None:
    r = why(z820, "lan", "192.168.1.20", 9999)
    w = _World(z820)
    for seen in ("open", "refused", "timeout"):
        assert judge_tcp(w, "lan", ip("192.168.1.20"), 9999, r, Observed(seen)).result == "unknown"
    no_route = judge_tcp(w, "lan", ip("192.168.1.20"), 9999, r, Observed("unreachable", "ENETUNREACH"))
    assert no_route.result == "disagree"


def test_delivered_past_an_unread_filter(z820: Atlas) -> None:
    r = why(z820, "lan", "192.168.1.20", 8080)
    w = _World(z820)
    assert judge_tcp(w, "lan", ip("192.168.1.20"), 8080, r, Observed("open")).result == "agree"
    dropped = judge_tcp(w, "lan", ip("192.168.1.20"), 8080, r, Observed("timeout"))
    assert dropped.result == "unknown" and "Windows Firewall" in dropped.hop


def test_route_answers(z820: Atlas) -> None:
    w = _World(z820)
    wsl = next(n for n in z820.nodes if "wsl:Ubuntu" in n.vantages)
    far = ip("192.0.2.55")  # the internet: out the default route
    from netatlas.reach.walk import _route

    got = _route(w, wsl, far)
    assert got is not None
    gw, iface, _note = got
    same = judge_route(w, "wsl:Ubuntu", wsl.id, far, KernelRoute("unicast", iface, gw))
    assert same.result == "agree", same
    other = judge_route(w, "wsl:Ubuntu", wsl.id, far, KernelRoute("unicast", "docker0", gw))
    assert other.result == "disagree" and other.hop.startswith("route ")
    none = judge_route(w, "wsl:Ubuntu", wsl.id, far, KernelRoute("none", error="Network is unreachable"))
    assert none.result == "disagree"
    own = next(x.address for i in wsl.interfaces for x in i.addresses if x.address and not x.address.is_loopback)
    assert own is not None
    assert judge_route(w, "wsl:Ubuntu", wsl.id, own, KernelRoute("local", "lo")).result == "agree"
    asked_wrong = judge_route(w, "wsl:Ubuntu", wsl.id, far, KernelRoute("error", error="timed out"))
    assert asked_wrong.result == "unknown"
