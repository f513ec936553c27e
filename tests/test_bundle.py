"""Bundles round-trip byte for byte, refuse newer schemas and hostile contents."""

from __future__ import annotations

import contextlib
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.bundle import SCHEMA_VERSION, Bundle, read_bundle, write_bundle
from netatlas.errors import BundleError, SchemaVersionError
from netatlas.model import Evidence, Failure, Vantage, VantageKind

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def sample() -> Bundle:
    host = Vantage("host", VantageKind.WINDOWS_HOST, "Z820")
    kali = Vantage("wsl:kali-linux", VantageKind.WSL_DISTRO, "kali-linux", parent="host", channel="wsl")
    return Bundle(
        vantages=(host, kali),
        evidence=(
            Evidence(
                "host/wsl-list",
                "host",
                "wsl-list",
                ("wsl.exe", "-l", "-v"),
                data="  NAME STATE VERSION\r\n".encode("utf-16-le"),
                exit_code=0,
                duration_s=0.25,
                taken_at=T0,
            ),
            Evidence(
                "wsl:kali-linux/ip-addr",
                "wsl:kali-linux",
                "ip-addr",
                ("wsl.exe", "-d", "kali-linux", "--", "ip", "address"),
                data=b"1: lo: <LOOPBACK,UP>\n",
                stderr=b"warning\n",
                exit_code=0,
                taken_at=T0,
            ),
            Evidence(
                "host/docker-info",
                "host",
                "docker-info",
                ("api", "info"),
                failure=Failure("daemon-down", "Docker Desktop is not running"),
                taken_at=T0,
            ),
        ),
        created=T0,
        meta={"redacted": False},
    )


@pytest.mark.parametrize("name", ["b", "b.zip"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    b = sample()
    out = write_bundle(b, tmp_path / name)
    back = read_bundle(out)
    assert back.vantages == b.vantages
    assert back.evidence == b.evidence
    assert back.created == b.created
    assert back.meta == {"redacted": False}
    assert [e.id for e in back.failures] == ["host/docker-info"]


def test_manifest_matches_published_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parents[1] / "docs/schema/bundle-manifest.schema.json").read_text())
    out = write_bundle(sample(), tmp_path / "b")
    jsonschema.validate(json.loads((out / "manifest.json").read_text()), schema)


def test_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    out = write_bundle(sample(), tmp_path / "b")
    m = json.loads((out / "manifest.json").read_text())
    m["schema_version"] = SCHEMA_VERSION + 1
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SchemaVersionError, match=r"schema version 2 is newer.*upgrade netatlas"):
        read_bundle(out)


def test_path_traversal_is_refused(tmp_path: Path) -> None:
    out = write_bundle(sample(), tmp_path / "b")
    m = json.loads((out / "manifest.json").read_text())
    m["evidence"][0]["file"] = "../../etc/passwd"
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(BundleError, match="outside the bundle"):
        read_bundle(out)


def test_a_linked_folder_inside_a_bundle_is_refused(tmp_path: Path) -> None:
    """evidence -> a folder elsewhere: the bundle would read (and redact copy) outside files."""
    out = write_bundle(sample(), tmp_path / "b")
    outside = tmp_path / "elsewhere"
    (out / "evidence").rename(outside)  # same files, checksums still match
    (out / "evidence").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BundleError, match="goes through a symbolic link"):
        read_bundle(out)


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    out = write_bundle(sample(), tmp_path / "b")
    victim = next((out / "evidence").glob("*.out"))
    victim.write_bytes(b"tampered")
    with pytest.raises(BundleError, match="checksum"):
        read_bundle(out)


def test_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK nonsense")
    with pytest.raises(BundleError, match="not a bundle"):
        read_bundle(tmp_path / "x.zip")
    with pytest.raises(BundleError, match="no such bundle"):
        read_bundle(tmp_path / "missing")
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as zf:
        zf.writestr("manifest.json", "{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        read_bundle(tmp_path / "y.zip")


def test_failed_write_keeps_the_old_bundle(tmp_path: Path) -> None:
    out = write_bundle(sample(), tmp_path / "b")
    dup = Bundle(vantages=(sample().vantages[0],) * 2, evidence=())
    with pytest.raises(BundleError, match="unique"):
        write_bundle(dup, out)
    assert read_bundle(out).evidence == sample().evidence
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".netatlas-")]


def test_refuses_to_overwrite_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("precious")
    with pytest.raises(BundleError, match="not a bundle"):
        write_bundle(sample(), tmp_path / "docs")
    assert (tmp_path / "docs" / "thesis.txt").read_text() == "precious"


@settings(max_examples=60, deadline=None)
@given(
    manifest=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
        max_leaves=20,
    )
)
def test_hostile_manifest_only_raises_bundle_error(tmp_path_factory: pytest.TempPathFactory, manifest: object) -> None:
    d = tmp_path_factory.mktemp("h")
    if isinstance(manifest, dict):
        manifest = {"format": "netatlas-bundle", "schema_version": 1, **manifest}
    (d / "manifest.json").write_text(json.dumps(manifest))
    with contextlib.suppress(BundleError):
        read_bundle(d)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(evidence=None), "'evidence' is not a list"),
        (lambda m: m["evidence"][0].update(file=None), "'file' is not a path"),
        (lambda m: m["vantages"].append(m["vantages"][0]), "duplicate vantage ids"),
        (lambda m: m["evidence"][1].update(id=m["evidence"][0]["id"]), "duplicate evidence ids"),
    ],
)
def test_malformed_manifests_are_bundle_errors(tmp_path: Path, change: object, message: str) -> None:
    out = write_bundle(sample(), tmp_path / "b")
    m = json.loads((out / "manifest.json").read_text())
    change(m)  # type: ignore[operator]
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(BundleError, match=message):
        read_bundle(out)
