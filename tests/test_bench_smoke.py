"""The benchmarks run and speak JSON lines (``bench/run --quick``); no time is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
KEYS = {"bench", "size", "seconds", "baseline_seconds", "ratio", "peak_rss_mb"}


@pytest.fixture(scope="module")
def quick_lines() -> list[dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_every_line_has_the_common_keys(quick_lines: list[dict[str, object]]) -> None:
    assert quick_lines
    for line in quick_lines:
        assert line.keys() >= KEYS, line
        assert "error" not in line, line


def test_every_bench_reported(quick_lines: list[dict[str, object]]) -> None:
    names = {line["bench"] for line in quick_lines}
    assert {"overlap-core", "atlas-map-cli", "atlas-build", "cli-help", "cli-parse-hosts"} <= names
    assert "scan-collect" in names  # measured as root, a "skipped" line otherwise
    for line in quick_lines:
        if str(line["bench"]).startswith("cli-"):
            # the bare interpreter without site: shows a baseline inflated by .pth hooks
            assert isinstance(line["no_site_seconds"], float) and line["spread"], line


def test_scan_bench_leaves_no_namespace_behind(quick_lines: list[dict[str, object]]) -> None:
    prefixes = [str(x["netns_prefix"]) for x in quick_lines if x.get("netns_prefix")]
    for where in (Path("/run/netns"), Path("/etc/netns")):
        if where.is_dir():
            left = [p.name for p in where.iterdir() if any(p.name.startswith(x) for x in prefixes)]
            assert not left, f"{where}: {left}"


def test_big_bundle_generator_maps(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from gen_big_bundle import build
    finally:
        sys.path.remove(str(REPO / "bench"))
    from netatlas.atlas import build_atlas

    atlas = build_atlas(build(20, 4))
    assert sum(1 for n in atlas.nodes if n.kind == "container") == 20
    assert sum(1 for n in atlas.networks if n.kind == "docker-bridge") == 4
