"""PostgreSQL for the fleet: migrations, tokens, one transaction per push, the queries.

Everything goes through psycopg 3 with parameters (``%s``), never text built from
data. Connections come from a :class:`psycopg_pool.ConnectionPool` the server opens
once. Each function takes that pool (or a connection) and returns plain values, so
the HTTP layer (:mod:`netatlas.fleet.server`) stays thin.

Migrations are the files ``migrations/NNN_name.sql``, applied in order, each in its
own transaction, under an advisory lock so two servers started together apply each
once; ``schema_migrations`` records what was applied.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from netatlas.fleet.errors import FleetError, Forbidden, NotFound
from netatlas.fleet.extract import FindingRow, RangeRow

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = [
    "Migration",
    "Token",
    "add_token",
    "check_token",
    "collisions",
    "connect_pool",
    "findings",
    "history",
    "machine_scan",
    "machines",
    "migrate",
    "migrations",
    "pending",
    "store_push",
    "used_ranges",
]

_LOCK = 0x6E6174_666C74  # pg_advisory_xact_lock key for migrations ("nat", "flt")


@dataclass(frozen=True, slots=True)
class Migration:
    """One versioned schema change shipped in ``migrations/``."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The shipped migrations, oldest first."""
    out = []
    for entry in resources.files("netatlas.fleet.migrations").iterdir():
        stem, dot, ext = entry.name.partition(".")
        head, _, rest = stem.partition("_")
        if dot and ext == "sql" and head.isdigit():
            out.append(Migration(int(head), rest, entry.read_text(encoding="utf-8")))
    return sorted(out, key=lambda m: m.version)


def connect_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> ConnectionPool:
    """An open connection pool on ``dsn`` (waits up to 10 s for the first connection).

    Raises:
        FleetError: the database cannot be reached.
    """
    from psycopg_pool import ConnectionPool, PoolTimeout

    pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": False})
    try:
        pool.open(wait=True, timeout=10)
    except PoolTimeout as exc:
        pool.close()
        raise FleetError(f"cannot connect to PostgreSQL ({_safe_dsn(dsn)}): {exc}") from None
    return pool


def _safe_dsn(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN: say nothing of it
        return "the given DSN"
    parts.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in parts.items())


def _applied(conn: Connection[Any]) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())"
    )
    return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(pool: ConnectionPool) -> list[Migration]:
    """Migrations not yet applied to this database."""
    with pool.connection() as conn:
        done = _applied(conn)
    return [m for m in migrations() if m.version not in done]


def migrate(pool: ConnectionPool) -> list[Migration]:
    """Apply every pending migration, each in one transaction; the ones applied."""
    out: list[Migration] = []
    with pool.connection() as conn:
        for m in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                if m.version in _applied(conn):
                    continue
                conn.execute(m.sql.encode("utf-8"))
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name))
                out.append(m)
    return out


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class Token:
    """A token as the server knows it: its row, never its text."""

    id: int
    role: str
    machine_id: int | None


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def add_token(pool: ConnectionPool, role: str, *, machine: str | None = None, note: str = "") -> str:
    """Create a token and return its text (shown once; only its hash is stored).

    An agent token may name its machine now; otherwise it is bound to the machine of
    its first push.
    """
    if role not in ("agent", "admin"):
        raise FleetError(f"role {role!r}: choose agent or admin")
    if machine is not None and role != "agent":
        raise FleetError("only agent tokens belong to a machine")
    text = f"na_{role}_{secrets.token_urlsafe(32)}"
    with pool.connection() as conn, conn.transaction():
        machine_id = None
        if machine is not None:
            conn.execute("INSERT INTO machines (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (machine,))
            row = conn.execute("SELECT id FROM machines WHERE name = %s", (machine,)).fetchone()
            assert row is not None
            machine_id = int(row[0])
            taken = conn.execute(
                "SELECT 1 FROM tokens WHERE role = 'agent' AND machine_id = %s", (machine_id,)
            ).fetchone()
            if taken:
                raise FleetError(f"machine {machine!r} already has an agent token")
        conn.execute(
            "INSERT INTO tokens (hash, role, machine_id, note) VALUES (%s, %s, %s, %s)",
            (_hash(text), role, machine_id, note),
        )
    return text


def check_token(pool: ConnectionPool, token: str) -> Token | None:
    """The token row for ``token``, or ``None`` when it is unknown."""
    with pool.connection() as conn:
        row = conn.execute("SELECT id, role, machine_id FROM tokens WHERE hash = %s", (_hash(token),)).fetchone()
    return None if row is None else Token(int(row[0]), str(row[1]), None if row[2] is None else int(row[2]))


# --------------------------------------------------------------------------- push


@dataclass(frozen=True, slots=True)
class Stored:
    """What a push did: the scan's id and whether this request stored it."""

    scan_id: int
    machine_id: int
    created: bool


def store_push(
    pool: ConnectionPool,
    token: Token,
    *,
    machine: str,
    idempotency_key: str,
    scanned: datetime | None,
    tool_version: str,
    atlas_schema: str,
    redacted: bool,
    key_id: str | None,
    atlas_json: str,
    ranges: Sequence[RangeRow],
    found: Sequence[FindingRow],
) -> Stored:
    """Store one push in one transaction: all of the scan, or nothing.

    The machine's row is locked first, so pushes for one machine run one after the
    other: a retry that arrives while its first attempt is still being written waits,
    then finds the scan by its idempotency key instead of storing it twice.

    Raises:
        Forbidden: the agent token belongs to another machine, or the machine to
            another token.
    """
    with pool.connection() as conn, conn.transaction():
        conn.execute("INSERT INTO machines (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (machine,))
        row = conn.execute("SELECT id FROM machines WHERE name = %s FOR UPDATE", (machine,)).fetchone()
        assert row is not None
        machine_id = int(row[0])
        _bind(conn, token, machine_id, machine)
        old = conn.execute(
            "SELECT id FROM scans WHERE machine_id = %s AND idempotency_key = %s", (machine_id, idempotency_key)
        ).fetchone()
        if old is not None:
            return Stored(int(old[0]), machine_id, False)
        got = conn.execute(
            "INSERT INTO scans (machine_id, idempotency_key, scanned, tool_version, atlas_schema, redacted, key_id,"
            " atlas) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) RETURNING id",
            (machine_id, idempotency_key, scanned, tool_version, atlas_schema, redacted, key_id, atlas_json),
        ).fetchone()
        assert got is not None
        scan_id = int(got[0])
        conn.execute("UPDATE scan_ranges SET current = false WHERE machine_id = %s AND current", (machine_id,))
        with conn.cursor().copy(
            "COPY scan_ranges (scan_id, machine_id, source, cidr, kind, label, node, scope) FROM STDIN"
        ) as copy:
            for r in ranges:
                copy.write_row((scan_id, machine_id, r.source, str(r.cidr), r.kind, r.label, r.node, key_id or ""))
        with conn.cursor().copy("COPY findings (scan_id, machine_id, code, severity, title) FROM STDIN") as copy:
            for f in found:
                copy.write_row((scan_id, machine_id, f.code, f.severity, f.title))
        conn.execute("UPDATE machines SET latest_scan_id = %s, last_seen = now() WHERE id = %s", (scan_id, machine_id))
        return Stored(scan_id, machine_id, True)


def _bind(conn: Connection[Any], token: Token, machine_id: int, machine: str) -> None:
    """Check (and on first use record) that an agent token pushes for its own machine."""
    if token.role != "agent":
        raise Forbidden("only agent tokens push")
    row = conn.execute("SELECT machine_id FROM tokens WHERE id = %s FOR UPDATE", (token.id,)).fetchone()
    if row is None:
        raise Forbidden("token revoked")
    bound = row[0]
    if bound is not None and int(bound) != machine_id:
        raise Forbidden(f"this agent token pushes for another machine, not {machine!r}")
    if bound is None:
        other = conn.execute(
            "SELECT 1 FROM tokens WHERE role = 'agent' AND machine_id = %s AND id <> %s", (machine_id, token.id)
        ).fetchone()
        if other is not None:
            raise Forbidden(f"machine {machine!r} belongs to another agent token")
        conn.execute("UPDATE tokens SET machine_id = %s WHERE id = %s", (machine_id, token.id))


# --------------------------------------------------------------------------- queries


def _scope(key_id: str | None) -> dict[str, Any]:
    """Which scans a query reads: those pushed redacted under one key, or the plain ones.

    Every query below has the same static condition on these two parameters.
    """
    return {"redacted": key_id is not None, "key_id": key_id, "scope": key_id or ""}


# Two statements on one connection. The first finds the overlapping ranges through the
# GiST index and returns them as plain rows, sorted by machine then range (grouping them
# into JSON inside PostgreSQL cost more than the search itself: bench/bench_fleet.py).
# The second looks up the colliding machines' names and those scans' times by primary key.
_COLLISIONS = (
    "SELECT r.machine_id, r.scan_id, q.query::text, r.source, r.cidr::text, r.kind, r.label, r.node"
    " FROM unnest(%(ranges)s::cidr[]) AS q(query)"
    " JOIN scan_ranges r ON r.current AND r.cidr && q.query AND r.scope = %(scope)s"
    " ORDER BY r.machine_id, r.cidr, r.source, q.query"
)
_COLLIDING_MACHINES = (
    "SELECT s.machine_id, m.name, s.received FROM scans s JOIN machines m ON m.id = s.machine_id"
    " WHERE s.id = ANY(%(scans)s)"
)
_OVERLAP_KEYS = ("query", "source", "cidr", "kind", "label", "node")


def collisions(pool: ConnectionPool, ranges: Sequence[str], key_id: str | None) -> list[dict[str, Any]]:
    """Every machine whose current ranges overlap any of ``ranges``, with what overlaps.

    One dict per machine, by name: ``id``, ``name``, ``scan_id``, ``received`` and
    ``overlaps`` (``query``, ``source``, ``cidr``, ``kind``, ``label``, ``node``).
    """
    by_machine: dict[int, dict[str, Any]] = {}
    with pool.connection() as conn:
        for row in conn.execute(_COLLISIONS, {"ranges": list(ranges), **_scope(key_id)}):
            m = by_machine.get(row[0])
            if m is None:
                m = by_machine[row[0]] = {"id": row[0], "scan_id": row[1], "overlaps": []}
            m["overlaps"].append(dict(zip(_OVERLAP_KEYS, row[2:], strict=True)))
        if by_machine:
            for mid, name, received in conn.execute(
                _COLLIDING_MACHINES, {"scans": [m["scan_id"] for m in by_machine.values()]}
            ):
                by_machine[mid]["name"], by_machine[mid]["received"] = name, received
    out = [
        {
            "id": m["id"],
            "name": m["name"],
            "scan_id": m["scan_id"],
            "received": m["received"],
            "overlaps": m["overlaps"],
        }
        for m in by_machine.values()
    ]
    return sorted(out, key=lambda m: (m["name"], m["id"]))


_FINDINGS = (
    "SELECT f.code, f.severity, f.title, m.id, m.name"
    " FROM machines m JOIN scans s ON s.id = m.latest_scan_id JOIN findings f ON f.scan_id = s.id"
    " WHERE s.redacted = %(redacted)s AND s.key_id IS NOT DISTINCT FROM %(key_id)s"
    " AND (%(code)s::text IS NULL OR f.code = %(code)s)"
    " ORDER BY f.code, m.name"
)


def findings(pool: ConnectionPool, code: str | None, key_id: str | None) -> list[dict[str, Any]]:
    """Findings of every machine's current scan: (code, severity, title, machine) rows."""
    with pool.connection() as conn:
        rows = conn.execute(_FINDINGS, {"code": code, **_scope(key_id)}).fetchall()
    keys = ("code", "severity", "title", "machine_id", "machine")
    return [dict(zip(keys, r, strict=True)) for r in rows]


_MACHINE_KEYS = (
    "id",
    "name",
    "first_seen",
    "last_seen",
    "scan_id",
    "received",
    "scanned",
    "tool_version",
    "atlas_schema",
    "redacted",
    "key_id",
    "networks",
    "findings",
    "scans",
)
_MACHINE_SELECT = (
    "SELECT m.id, m.name, m.first_seen, m.last_seen, s.id, s.received, s.scanned, s.tool_version, s.atlas_schema,"
    " s.redacted, s.key_id,"
    " (SELECT count(*) FROM scan_ranges r WHERE r.scan_id = s.id AND r.source = 'network'),"
    " (SELECT count(*) FROM findings f WHERE f.scan_id = s.id),"
    " (SELECT count(*) FROM scans h WHERE h.machine_id = m.id)"
)
_MACHINES = (
    _MACHINE_SELECT + " FROM machines m JOIN scans s ON s.id = m.latest_scan_id"
    " WHERE s.redacted = %(redacted)s AND s.key_id IS NOT DISTINCT FROM %(key_id)s ORDER BY m.name"
)
_MACHINE = (
    _MACHINE_SELECT + ", s.atlas FROM machines m JOIN scans s ON s.machine_id = m.id"
    " WHERE m.id = %(machine)s AND s.id = coalesce(%(scan)s, m.latest_scan_id)"
)


def machines(pool: ConnectionPool, key_id: str | None) -> list[dict[str, Any]]:
    """Every machine with a scan in scope, with its latest scan's summary."""
    with pool.connection() as conn:
        rows = conn.execute(_MACHINES, _scope(key_id)).fetchall()
    return [dict(zip(_MACHINE_KEYS, r, strict=True)) for r in rows]


def _machine_id(conn: Connection[Any], ref: str) -> int:
    row = conn.execute("SELECT id FROM machines WHERE name = %s", (ref,)).fetchone()
    if row is None and ref.isdigit():
        row = conn.execute("SELECT id FROM machines WHERE id = %s", (int(ref),)).fetchone()
    if row is None:
        raise NotFound(f"no machine {ref!r}")
    return int(row[0])


def machine_scan(pool: ConnectionPool, ref: str, scan_id: int | None = None) -> tuple[dict[str, Any], Any]:
    """(summary, atlas JSON) of a machine's latest scan, or of one of its scans.

    ``ref`` is the machine's name (or sealed name) or its numeric id.

    Raises:
        NotFound: no such machine, or no such scan of it.
    """
    with pool.connection() as conn:
        mid = _machine_id(conn, ref)
        row = conn.execute(_MACHINE, {"machine": mid, "scan": scan_id}).fetchone()
    if row is None:
        raise NotFound(f"machine {ref!r} has no such scan")
    return dict(zip(_MACHINE_KEYS, row[:-1], strict=True)), row[-1]


def history(pool: ConnectionPool, ref: str, limit: int = 1000) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(machine, its scans newest first) with each scan's counts."""
    with pool.connection() as conn:
        mid = _machine_id(conn, ref)
        m = conn.execute(
            "SELECT id, name, first_seen, last_seen, latest_scan_id FROM machines WHERE id = %s", (mid,)
        ).fetchone()
        rows = conn.execute(
            "SELECT s.id, s.received, s.scanned, s.tool_version, s.atlas_schema, s.redacted, s.key_id,"
            " (SELECT count(*) FROM scan_ranges r WHERE r.scan_id = s.id AND r.source = 'network'),"
            " (SELECT count(*) FROM findings f WHERE f.scan_id = s.id)"
            " FROM scans s WHERE s.machine_id = %s ORDER BY s.id DESC LIMIT %s",
            (mid, limit),
        ).fetchall()
    assert m is not None
    machine = dict(zip(("id", "name", "first_seen", "last_seen", "latest_scan_id"), m, strict=True))
    keys = ("scan_id", "received", "scanned", "tool_version", "atlas_schema", "redacted", "key_id", "networks")
    return machine, [{**dict(zip(keys, r[:-1], strict=True)), "findings": r[-1]} for r in rows]


_USED = (
    "SELECT DISTINCT r.cidr::text FROM scan_ranges r JOIN scans s ON s.id = r.scan_id"
    " WHERE r.current AND family(r.cidr) = 4 AND masklen(r.cidr) > 0"
    " AND r.kind NOT IN ('loopback', 'host-alias', 'link-local') AND r.source = ANY(%(sources)s)"
    " AND r.scope = %(scope)s"
)


def used_ranges(pool: ConnectionPool, key_id: str | None, sources: Iterable[str]) -> list[str]:
    """Distinct current IPv4 ranges in scope (what the fleet's plan must keep clear)."""
    with pool.connection() as conn:
        return [str(r[0]) for r in conn.execute(_USED, {"sources": list(sources), **_scope(key_id)}).fetchall()]
