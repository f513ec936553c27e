"""A container removed while ``netatlas verify`` runs: its checks become unknown, not disagreements.

On a busy machine containers come and go during a run of minutes. Here a real container
is removed by the socket maker just before the first probe, after the scan saw it
listening: the probes to it and the route asks from it then see a machine the atlas
never described. Without the namespace pinning of ``verify/churn.py`` each is reported
as a wrong prediction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from engine_kit import Kit, scan_bundle

from netatlas.atlas import build_atlas
from netatlas.verify.door import make_sockets
from netatlas.verify.places import Place

pytestmark = pytest.mark.docker


def test_a_container_removed_during_the_run_leaves_unknowns_naming_it(engine: Any) -> None:
    from netatlas.verify import verify_machine

    kit = Kit(engine.host, prefix=f"nachurn{random.randrange(10**5)}")
    try:
        kit.network("n")
        kit.run("stays", ["n"])
        kit.run("leaves", ["n"])
        gone_address = kit.address("leaves")
        bundle = scan_bundle(engine.host)
        atlas = build_atlas(bundle)
        removed: list[str] = []

        def maker(place: Place, kinds: Sequence[tuple[int, int]]) -> list[Any]:
            if not removed:
                kit.client.containers.get(kit.name("leaves")).remove(force=True)
                removed.append(kit.name("leaves"))
            return make_sockets(place, kinds)

        report = verify_machine(bundle=bundle, atlas=atlas, maker=maker, limit=50000, timeout=0.5)
        mine = [c for c in report.checks if c.place == f"container:{kit.name('stays')}"]
        to_gone = [c for c in mine if c.probe == "tcp" and c.target.startswith(f"{gone_address}:")]
        assert to_gone, "nothing was probed at the removed container"
        assert all(c.result == "unknown" for c in to_gone), [(c.target, c.result, c.observed) for c in to_gone]
        assert all(kit.name("leaves") in c.why for c in to_gone)
        # the container that stayed is still held to the map
        others = [c for c in mine if not c.target.startswith(f"{gone_address}:") and c.target != gone_address]
        assert others and all(c.result == "agree" for c in others), [c for c in others if c.result != "agree"]
    finally:
        kit.close()
