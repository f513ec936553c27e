"""Bundles: a whole scan as a folder or a .zip, readable on any OS.

Layout (schema version 1)::

    manifest.json              format, schema_version, tool_version, created,
                               vantages[], evidence[] (metadata + file names)
    evidence/<n>-<id>.out      each evidence's bytes, exactly as captured
    evidence/<n>-<id>.err      its stderr, when there was any

An evidence entry names its ``encoding`` when the collector knew it (a Windows
tool's OEM code page, ``wsl.exe``'s UTF-16LE); entries written before that field,
or without one, are read as the parsers recognise them.

The manifest is described by ``docs/schema/bundle-manifest.schema.json``. A bundle
written by a newer schema is refused with :class:`~netatlas.errors.SchemaVersionError`
rather than half-read. Writing goes to a temporary sibling first and is renamed into
place at the end, so a failure never leaves a half-written bundle behind. Reading
treats the bundle as untrusted: member names may not escape the bundle, and sizes
are bounded (a zip bomb is an error, not an outage).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from netatlas._version import __version__
from netatlas.errors import BundleError, SchemaVersionError
from netatlas.model import Evidence, Failure, Vantage

__all__ = [
    "FORMAT",
    "MAX_BUNDLE_BYTES",
    "SCHEMA_VERSION",
    "Bundle",
    "read_bundle",
    "write_bundle",
]

FORMAT = "netatlas-bundle"
SCHEMA_VERSION = 1
MAX_BUNDLE_BYTES = 1 << 30
"""Largest total of evidence bytes a bundle may unpack to (1 GiB)."""
_MAX_MANIFEST_BYTES = 64 << 20
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ENCODING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
"""A codec name as the manifest may carry one (``cp850``, ``utf-16-le``)."""


@dataclass(frozen=True)
class Bundle:
    """A scan: where it was seen from and what every source returned.

    Args:
        vantages: every place seen from; ids are unique.
        evidence: every source's output or failure, in collection order.
        created: when the scan started (UTC).
        tool_version: the netatlas that wrote it.
        meta: free-form scan facts (``redacted``, ``only``, ``lab`` …), JSON values.
    """

    vantages: tuple[Vantage, ...]
    evidence: tuple[Evidence, ...]
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    tool_version: str = __version__
    meta: dict[str, Any] = field(default_factory=dict)

    def vantage(self, vantage_id: str) -> Vantage:
        """The vantage with this id.

        Raises:
            BundleError: no such vantage.
        """
        for v in self.vantages:
            if v.id == vantage_id:
                return v
        raise BundleError(f"no vantage {vantage_id!r} in bundle")

    def evidence_of(self, vantage_id: str) -> Iterator[Evidence]:
        """Evidence taken from one vantage, in order."""
        return (e for e in self.evidence if e.vantage == vantage_id)

    @property
    def failures(self) -> tuple[Evidence, ...]:
        """Evidence whose source failed."""
        return tuple(e for e in self.evidence if e.failure is not None)


# --------------------------------------------------------------------------- writing


def _file_stem(index: int, ev: Evidence) -> str:
    return f"{index:04d}-{_SAFE.sub('_', ev.id)[:80]}"


def _manifest(bundle: Bundle, files: list[tuple[str, str | None]]) -> dict[str, Any]:
    ids = [v.id for v in bundle.vantages]
    if len(ids) != len(set(ids)):
        raise BundleError("vantage ids must be unique")
    entries = []
    for ev, (out_name, err_name) in zip(bundle.evidence, files, strict=True):
        entry = {
            "id": ev.id,
            "vantage": ev.vantage,
            "kind": ev.kind,
            "argv": list(ev.argv),
            "file": out_name,
            "sha256": hashlib.sha256(ev.data).hexdigest(),
            "size": len(ev.data),
            "stderr_file": err_name,
            "exit_code": ev.exit_code,
            "duration_s": round(ev.duration_s, 6),
            "taken_at": ev.taken_at.isoformat() if ev.taken_at else None,
            "failure": ev.failure.to_dict() if ev.failure else None,
        }
        if ev.encoding is not None:
            entry["encoding"] = ev.encoding
        entries.append(entry)
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "tool_version": bundle.tool_version,
        "created": bundle.created.isoformat(),
        "meta": bundle.meta,
        "vantages": [v.to_dict() for v in bundle.vantages],
        "evidence": entries,
    }


def _members(bundle: Bundle) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    files: list[tuple[str, str | None]] = []
    blobs: list[tuple[str, bytes]] = []
    for i, ev in enumerate(bundle.evidence):
        stem = _file_stem(i, ev)
        out_name = f"evidence/{stem}.out"
        blobs.append((out_name, ev.data))
        err_name = None
        if ev.stderr:
            err_name = f"evidence/{stem}.err"
            blobs.append((err_name, ev.stderr))
        files.append((out_name, err_name))
    return _manifest(bundle, files), blobs


def write_bundle(bundle: Bundle, path: str | Path) -> Path:
    """Write ``bundle`` to a folder, or to a zip when ``path`` ends in ``.zip``.

    An existing target is replaced only once the new bundle is complete.

    Raises:
        BundleError: the bundle is inconsistent or cannot be written.
    """
    target = Path(path)
    manifest, blobs = _members(bundle)
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".zip":
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".netatlas-", suffix=".zip", delete=False) as tmp:
                tmp_path = Path(tmp.name)
            try:
                with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr("manifest.json", manifest_bytes)
                    for name, data in blobs:
                        zf.writestr(name, data)
                tmp_path.replace(target)
            finally:
                tmp_path.unlink(missing_ok=True)
        else:
            tmp_dir = Path(tempfile.mkdtemp(dir=parent, prefix=".netatlas-"))
            try:
                (tmp_dir / "evidence").mkdir()
                for name, data in blobs:
                    (tmp_dir / name).write_bytes(data)
                (tmp_dir / "manifest.json").write_bytes(manifest_bytes)
                if target.exists():
                    if not (target / "manifest.json").is_file() and any(target.iterdir()):
                        raise BundleError(f"{target}: exists and is not a bundle; not overwriting")
                    shutil.rmtree(target)
                tmp_dir.rename(target)
            finally:
                if tmp_dir.exists():
                    shutil.rmtree(tmp_dir, ignore_errors=True)
    except OSError as exc:
        raise BundleError(f"{target}: cannot write bundle: {exc.strerror or exc}") from exc
    return target


# --------------------------------------------------------------------------- reading


class _Source:
    """Member access for a folder or a zip, refusing names that escape it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise BundleError(f"{path}: not a bundle (.zip or folder): {exc}") from exc
            total = sum(i.file_size for i in self.zip.infolist())
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(f"{path}: unpacks to {total} bytes, over the {MAX_BUNDLE_BYTES} limit")
        elif not path.is_dir():
            raise BundleError(f"{path}: no such bundle")

    def read(self, name: str, *, limit: int = MAX_BUNDLE_BYTES) -> bytes:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or "\\" in name or not name:
            raise BundleError(f"{self.path}: manifest names a file outside the bundle: {name!r}")
        try:
            if self.zip is not None:
                info = self.zip.getinfo(name)
                if info.file_size > limit:
                    raise BundleError(f"{self.path}: {name} is larger than {limit} bytes")
                return self.zip.read(info)
            file = self.path / name
            # every part of the name, not only the last: a linked folder (evidence -> /etc)
            # would make the bundle read, and redact copy, this machine's own files
            for depth in range(1, len(pure.parts) + 1):
                if (self.path / PurePosixPath(*pure.parts[:depth])).is_symlink():
                    raise BundleError(f"{self.path}: {name} goes through a symbolic link; refusing to follow it")
            if file.stat().st_size > limit:
                raise BundleError(f"{self.path}: {name} is larger than {limit} bytes")
            return file.read_bytes()
        except KeyError as exc:
            raise BundleError(f"{self.path}: missing {name}") from exc
        except FileNotFoundError as exc:
            raise BundleError(f"{self.path}: missing {name}") from exc
        except (OSError, zipfile.BadZipFile) as exc:
            raise BundleError(f"{self.path}: cannot read {name}: {exc}") from exc

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _check_header(where: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{where}: manifest.json is not a netatlas bundle manifest")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError(f"{where}: manifest has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where}: bundle schema version {version} is newer than this netatlas "
            f"({__version__}) can read (up to {SCHEMA_VERSION}); upgrade netatlas"
        )


def _evidence(src: _Source, where: Path, entries: Iterable[Any]) -> Iterator[Evidence]:
    for n, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise BundleError(f"{where}: manifest evidence #{n} is not an object")
        try:
            if not isinstance(raw.get("file"), str):
                raise BundleError(f"{where}: manifest evidence #{n} is malformed: 'file' is not a path")
            data = src.read(raw["file"])
            if "sha256" in raw and hashlib.sha256(data).hexdigest() != raw["sha256"]:
                raise BundleError(f"{where}: {raw['file']} does not match its checksum")
            stderr = src.read(str(raw["stderr_file"])) if raw.get("stderr_file") else b""
            failure = raw.get("failure")
            taken = raw.get("taken_at")
            encoding = raw.get("encoding")
            if encoding is not None and not (isinstance(encoding, str) and _ENCODING.match(encoding)):
                raise BundleError(f"{where}: manifest evidence #{n} is malformed: encoding {encoding!r}")
            yield Evidence(
                id=str(raw["id"]),
                vantage=str(raw["vantage"]),
                kind=str(raw["kind"]),
                argv=tuple(str(a) for a in raw["argv"]),
                data=data,
                stderr=stderr,
                exit_code=raw.get("exit_code"),
                duration_s=float(raw.get("duration_s") or 0.0),
                taken_at=datetime.fromisoformat(taken) if taken else None,
                failure=Failure(code=str(failure["code"]), message=str(failure["message"])) if failure else None,
                encoding=encoding,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{where}: manifest evidence #{n} is malformed: {exc!r}") from exc


def read_bundle(path: str | Path) -> Bundle:
    """Read a bundle folder or .zip.

    Raises:
        SchemaVersionError: written by a newer netatlas.
        BundleError: missing, malformed, unsafe or inconsistent.
    """
    where = Path(path)
    src = _Source(where)
    try:
        try:
            manifest = json.loads(src.read("manifest.json", limit=_MAX_MANIFEST_BYTES))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(f"{where}: manifest.json is not valid JSON: {exc}") from exc
        _check_header(where, manifest)
        try:
            vantages = tuple(Vantage.from_dict(v) for v in manifest["vantages"])
            created = datetime.fromisoformat(manifest["created"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{where}: manifest is malformed: {exc!r}") from exc
        entries = manifest.get("evidence", [])
        if not isinstance(entries, list):
            raise BundleError(f"{where}: manifest is malformed: 'evidence' is not a list")
        evidence = tuple(_evidence(src, where, entries))
    finally:
        src.close()
    known = {v.id for v in vantages}
    if len(known) != len(vantages):
        raise BundleError(f"{where}: manifest is malformed: duplicate vantage ids")
    if len({e.id for e in evidence}) != len(evidence):
        raise BundleError(f"{where}: manifest is malformed: duplicate evidence ids")
    for ev in evidence:
        if ev.vantage not in known:
            raise BundleError(f"{where}: evidence {ev.id!r} names unknown vantage {ev.vantage!r}")
    meta = manifest.get("meta") if isinstance(manifest.get("meta"), dict) else {}
    return Bundle(
        vantages=vantages,
        evidence=evidence,
        created=created,
        tool_version=str(manifest.get("tool_version", "?")),
        meta=dict(meta),
    )
