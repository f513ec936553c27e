"""Scan history: every ``netatlas map`` scan, kept so two can be compared later.

An SQLite file indexes the scans; each scan's bundle is kept beside it as a .zip, so
an old scan is re-analysed by the current netatlas (findings improve with the tool).
The folder is the user's data directory (XDG on Linux, ``%LOCALAPPDATA%`` on Windows,
``~/Library/Application Support`` on macOS), or ``$NETATLAS_HOME`` when set.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from netatlas.bundle import Bundle, read_bundle, write_bundle
from netatlas.errors import BundleError

__all__ = ["History", "ScanRecord", "default_home"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    host TEXT NOT NULL,
    file TEXT NOT NULL,
    summary TEXT NOT NULL
);
"""


def default_home() -> Path:
    """The folder holding the history."""
    env = os.environ.get("NETATLAS_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("netatlas", appauthor=False))


@dataclass(frozen=True)
class ScanRecord:
    """One row of the history."""

    id: int
    created: datetime
    host: str
    file: Path
    summary: dict[str, int]


class History:
    """The scan history in ``home`` (created on first save)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or default_home()
        self.db_path = self.home / "history.sqlite3"

    def _connect(self) -> sqlite3.Connection:
        """The database, its tables made if new.

        Raises:
            HistoryError: the file is not an SQLite database (or cannot be opened).
        """
        from netatlas.errors import HistoryError

        try:
            self.home.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.db_path)
            con.executescript(_SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise HistoryError(
                f"{self.db_path}: cannot use the scan history ({exc}); move the file aside to start a new one"
            ) from exc
        return con

    def save(self, bundle: Bundle, summary: dict[str, int]) -> ScanRecord:
        """Keep ``bundle``; returns its record (its id names it in ``diff``)."""
        host = next((v.name for v in bundle.vantages if v.parent is None), "?")
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO scans (created, host, file, summary) VALUES (?, ?, '', ?)",
                (bundle.created.isoformat(), host, json.dumps(summary)),
            )
            scan_id = int(cur.lastrowid or 0)
            file = self.home / "scans" / f"{scan_id:06d}.zip"
            write_bundle(bundle, file)
            con.execute("UPDATE scans SET file = ? WHERE id = ?", (str(file), scan_id))
        return ScanRecord(scan_id, bundle.created, host, file, summary)

    def list(self) -> list[ScanRecord]:
        """Every kept scan, oldest first."""
        if not self.db_path.exists():
            return []
        with self._connect() as con:
            rows = con.execute("SELECT id, created, host, file, summary FROM scans ORDER BY id").fetchall()
        return [ScanRecord(r[0], datetime.fromisoformat(r[1]), r[2], Path(r[3]), json.loads(r[4])) for r in rows]

    def load(self, ref: str) -> Bundle:
        """A kept scan by id (``12`` or ``#12``), or ``last`` / ``prev``.

        Raises:
            BundleError: no such scan.
        """
        records = self.list()
        key = ref.lstrip("#")
        if key in ("last", "prev"):
            want = -1 if key == "last" else -2
            if len(records) < -want:
                raise BundleError(f"history has {len(records)} scan(s); no {key!r} scan")
            return read_bundle(records[want].file)
        if not key.isdigit():
            raise BundleError(f"not a scan id: {ref!r}")
        for r in records:
            if r.id == int(key):
                return read_bundle(r.file)
        raise BundleError(f"no scan #{key} in history ({self.db_path})")
