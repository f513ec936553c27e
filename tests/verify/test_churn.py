"""A namespace pinned when entered and changed by the end of the run: its disagreements turn unknown."""

from __future__ import annotations

from pathlib import Path

from netatlas.verify import churn
from netatlas.verify.judge import Check
from netatlas.verify.places import Place


def test_a_replaced_namespace_file_is_gone_and_its_disagreements_unknown(tmp_path: Path) -> None:
    ns = tmp_path / "net"
    ns.write_text("")
    stay = tmp_path / "stay"
    stay.write_text("")
    pinned = churn.pin(
        [Place("container:a", "node:a", "netns", str(ns)), Place("netns:b", "node:b", "netns", str(stay))]
    )
    assert churn.gone(pinned) == set()
    ns.unlink()
    assert churn.gone(pinned) == {"node:a"}
    bad = Check("tcp", "netns:b", "10.0.0.2:80", "refused", "timeout", "disagree")
    fine = Check("tcp", "netns:b", "10.0.0.3:80", "refused", "refused", "agree")
    out = churn.discount([(bad, ("node:b", "node:a")), (fine, ("node:b", "node:a"))], {"node:a"}, {"node:a": "web"})
    assert out[0].result == "unknown" and "web" in out[0].why
    assert out[1] == fine


def test_a_namespace_still_held_elsewhere_is_not_gone(tmp_path: Path) -> None:
    """The process a place was found through exits, but the namespace lives on (review)."""
    import os

    me = f"/proc/{os.getpid()}/ns/net"
    link = tmp_path / "net"
    link.symlink_to(me)
    pinned = churn.pin([Place("netns:pid1", "node:a", "netns", str(link))])
    link.unlink()  # the path is gone; the namespace (this process's) is not
    assert churn.gone(pinned) == set()
