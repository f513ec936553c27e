"""``netatlas serve``: the fleet's HTTP API and its page, over :mod:`netatlas.fleet.db`.

Endpoints (FastAPI serves their OpenAPI reference at ``/docs`` and ``/openapi.json``):

=========================================  ======  =======================================
``POST /api/v1/scans``                     agent   store one push (``Idempotency-Key``)
``GET /api/v1/collisions?cidr=…``          admin   current ranges overlapping the query
``GET /api/v1/findings[?code=C]``          admin   findings of every machine's latest scan
``GET /api/v1/machines``                   admin   machines and their latest scan
``GET /api/v1/machines/{ref}[?scan=N]``    admin   a machine's latest (or Nth) atlas
``GET /api/v1/machines/{ref}/history``     admin   a machine's scans, newest first
``GET /api/v1/plan``                       admin   the largest blocks no machine touches
``GET /healthz``                           none    the schema version, for probes
``GET /``, ``/machines/{ref}/map``         admin   the page: query form, results, findings
=========================================  ======  =======================================

Every endpoint but ``/healthz`` and ``/login`` checks the token's role. The token comes
in ``Authorization: Bearer …``, or for the page in an HttpOnly cookie set by
``/login``. Query endpoints take ``key_id`` to address the scans pushed redacted under
one organisation key (the admin's client sends it with ranges already rewritten);
without it they answer from plain scans only.

A push body is read up to ``max_body`` bytes (413 past it), checked
(:func:`netatlas.fleet.document.read_document`, 422 when refused) and stored in one
transaction; nothing is written for a refused push.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run
# time, and the dependency aliases (AgentToken, AdminToken) are local to create_app.

import ipaddress
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from netatlas._version import __version__
from netatlas.fleet import db
from netatlas.fleet.document import read_document
from netatlas.fleet.errors import BadRequest, FleetError, Forbidden, Unauthorized
from netatlas.fleet.extract import finding_rows, range_rows
from netatlas.fleet.plan import largest_free

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["MAX_BODY", "MAX_RANGES", "create_app"]

MAX_BODY = 8 << 20
"""Largest push body accepted by default (an atlas of a 500-container host is ~2 MiB)."""
MAX_RANGES = 20_000
MAX_QUERY_RANGES = 64
COOKIE = "netatlas_token"


class TooLarge(BadRequest):
    """A push body over the limit."""

    status = 413


class Unprocessable(BadRequest):
    """A push that is JSON but not a valid push document."""

    status = 422


def _plain(doc: dict[str, Any]) -> JSONResponse:
    """``doc`` as a JSON answer, its datetimes as ISO text.

    Returned as a response, so FastAPI does not walk it again with its (pure Python)
    encoder: a collision answer for a /14 lists thousands of overlaps.
    """
    return JSONResponse(_jsonable(doc))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _query_ranges(values: list[str]) -> list[str]:
    if not values:
        raise BadRequest("give at least one cidr, e.g. ?cidr=10.20.0.0/14")
    if len(values) > MAX_QUERY_RANGES:
        raise BadRequest(f"at most {MAX_QUERY_RANGES} ranges per query")
    out = []
    for v in values:
        try:
            out.append(str(ipaddress.ip_network(v.strip(), strict=False)))
        except ValueError:
            raise BadRequest(f"not a CIDR: {v!r:.80}") from None
    return out


def findings_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of (code, machine) grouped: per code, how many machines, and which."""
    by_code: dict[str, dict[str, Any]] = {}
    per_machine: dict[tuple[str, int], dict[str, Any]] = {}
    for r in rows:
        entry = by_code.setdefault(r["code"], {"code": r["code"], "machines": 0, "findings": 0, "severities": {}})
        entry["findings"] += 1
        entry["severities"][r["severity"]] = entry["severities"].get(r["severity"], 0) + 1
        key = (r["code"], r["machine_id"])
        if key not in per_machine:
            entry["machines"] += 1
            per_machine[key] = {"id": r["machine_id"], "name": r["machine"], "titles": []}
            entry.setdefault("by_machine", []).append(per_machine[key])
        per_machine[key]["titles"].append(r["title"])
    out = sorted(by_code.values(), key=lambda e: (-e["machines"], e["code"]))
    for e in out:
        e.setdefault("by_machine", [])
    return out


def create_app(pool: "ConnectionPool", *, max_body: int = MAX_BODY) -> FastAPI:
    """The ASGI app on an open connection pool (``netatlas serve`` runs it under uvicorn)."""
    app = FastAPI(
        title="netatlas fleet",
        version=__version__,
        description="Which of our machines collide with this range? Agents push atlases; admins query.",
    )
    pages = Environment(loader=PackageLoader("netatlas.fleet", "templates"), autoescape=select_autoescape())

    @app.exception_handler(BadRequest)
    async def _refused(request: Request, exc: BadRequest) -> Response:
        if isinstance(exc, Unauthorized) and _wants_page(request):
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(FleetError)
    async def _failed(request: Request, exc: FleetError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    def _token(request: Request, authorization: str | None) -> db.Token:
        text = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise Unauthorized("Authorization must be 'Bearer TOKEN'")
            text = value.strip()
        else:
            text = request.cookies.get(COOKIE)
        if not text:
            raise Unauthorized("no token: send 'Authorization: Bearer TOKEN'")
        token = db.check_token(pool, text)
        if token is None:
            raise Unauthorized("unknown token")
        return token

    def agent(request: Request, authorization: Annotated[str | None, Header()] = None) -> db.Token:
        token = _token(request, authorization)
        if token.role != "agent":
            raise Forbidden("this endpoint takes an agent token")
        return token

    def admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> db.Token:
        token = _token(request, authorization)
        if token.role != "admin":
            raise Forbidden("this endpoint takes an admin token")
        return token

    AgentToken = Annotated[db.Token, Depends(agent)]
    AdminToken = Annotated[db.Token, Depends(admin)]
    KeyId = Annotated[str | None, Query(max_length=64, description="Scans pushed redacted under this key only.")]

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness and the schema version applied (no token needed)."""
        left = [m.version for m in db.pending(pool)]
        return {"ok": not left, "version": __version__, "pending_migrations": left}

    @app.post("/api/v1/scans", status_code=201)
    async def push(
        request: Request,
        token: AgentToken,
        idempotency_key: Annotated[str, Header(min_length=8, max_length=200)],
    ) -> JSONResponse:
        """Store one atlas (a push document) for the token's machine, once per idempotency key."""
        body = await _read_limited(request, max_body)
        stored = await run_in_threadpool(_store, body, token, idempotency_key)
        return JSONResponse(
            {"scan_id": stored.scan_id, "machine_id": stored.machine_id, "stored": stored.created},
            status_code=201 if stored.created else 200,
        )

    def _store(body: bytes, token: db.Token, key: str) -> db.Stored:
        try:
            doc = read_document(body)
        except BadRequest as exc:
            raise Unprocessable(str(exc)) from None
        ranges = range_rows(doc.atlas)
        if len(ranges) > MAX_RANGES:
            raise Unprocessable(f"push document: {len(ranges)} ranges; at most {MAX_RANGES}")
        return db.store_push(
            pool,
            token,
            machine=doc.machine,
            idempotency_key=key,
            scanned=doc.scanned,
            tool_version=doc.tool_version,
            atlas_schema=doc.atlas.schema,
            redacted=doc.redacted,
            key_id=doc.key_id,
            atlas_json=json.dumps(doc.atlas.to_dict(), ensure_ascii=False),
            ranges=ranges,
            found=finding_rows(doc.atlas),
        )

    @app.get("/api/v1/collisions")
    def collisions(
        _: AdminToken, cidr: Annotated[list[str], Query(description="Range(s) to test.")], key_id: KeyId = None
    ) -> JSONResponse:
        """Machines whose current networks, routes, pools or Docker's next subnets overlap."""
        ranges = _query_ranges(cidr)
        rows = db.collisions(pool, ranges, key_id)
        return _plain({"query": ranges, "key_id": key_id, "machines": rows})

    @app.get("/api/v1/findings")
    def findings(_: AdminToken, code: str | None = None, key_id: KeyId = None) -> dict[str, Any]:
        """Per finding code: how many machines have it now, and which."""
        return {"code": code, "key_id": key_id, "codes": findings_summary(db.findings(pool, code, key_id))}

    @app.get("/api/v1/machines")
    def machines(_: AdminToken, key_id: KeyId = None) -> JSONResponse:
        """Every machine in scope with its latest scan's summary."""
        return _plain({"key_id": key_id, "machines": db.machines(pool, key_id)})

    @app.get("/api/v1/machines/{ref}")
    def machine(_: AdminToken, ref: str, scan: int | None = None) -> JSONResponse:
        """A machine's latest atlas (or scan ``scan``), as `netatlas map --json` prints it."""
        summary, atlas = db.machine_scan(pool, ref, scan)
        return _plain({"machine": summary, "atlas": atlas})

    @app.get("/api/v1/machines/{ref}/history")
    def history(_: AdminToken, ref: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> JSONResponse:
        """A machine's scans, newest first."""
        m, scans = db.history(pool, ref, limit)
        return _plain({"machine": m, "scans": scans})

    @app.get("/api/v1/plan")
    def plan(
        _: AdminToken,
        count: Annotated[int, Query(ge=1, le=100)] = 10,
        smallest: Annotated[int, Query(ge=8, le=30)] = 24,
        key_id: KeyId = None,
    ) -> dict[str, Any]:
        """The largest private blocks that no machine's current ranges touch."""
        used = [
            ipaddress.ip_network(c) for c in db.used_ranges(pool, key_id, ("network", "route", "pool", "docker-next"))
        ]
        free = largest_free(used, count=count, smallest=smallest)
        return {
            "key_id": key_id,
            "used_ranges": len(used),
            "free": [{"cidr": str(b), "addresses": b.num_addresses} for b in free],
        }

    # ------------------------------------------------------------------ the page

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form() -> str:
        return pages.get_template("login.html").render(error=None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        # the one form: read by hand (url-encoded, 4 KiB at most) rather than pull in python-multipart
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > 4096:
                raise TooLarge("login form over 4 KiB")
        token = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0].strip()
        row = await run_in_threadpool(db.check_token, pool, token) if token else None
        if row is None or row.role != "admin":
            html = pages.get_template("login.html").render(error="not an admin token")
            return HTMLResponse(html, status_code=401)
        out = RedirectResponse("/", status_code=303)
        out.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return out

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(_: AdminToken, cidr: str | None = None, code: str | None = None) -> HTMLResponse:
        error, ranges, found = None, [], None
        if cidr:
            try:
                ranges = _query_ranges([c for c in cidr.replace(",", " ").split() if c])
                found = db.collisions(pool, ranges, None)
            except BadRequest as exc:
                error = str(exc)
        counts = findings_summary(db.findings(pool, code or None, None))
        everyone = db.machines(pool, None)
        html = pages.get_template("index.html").render(
            cidr=cidr or "",
            ranges=ranges,
            found=found,
            error=error,
            counts=counts,
            machines=everyone,
            version=__version__,
        )
        return HTMLResponse(html, status_code=400 if error else 200)

    @app.get("/machines/{ref}/map", response_class=HTMLResponse, include_in_schema=False)
    def machine_map(_: AdminToken, ref: str) -> HTMLResponse:
        from netatlas.model.atlas import Atlas
        from netatlas.render.export import render

        _summary, atlas = db.machine_scan(pool, ref)
        return HTMLResponse(render(Atlas.from_dict(atlas), "html").decode("utf-8"))

    return app


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, or :class:`TooLarge` once it passes ``limit`` bytes.

    A body over the limit is still read to its end (up to 4 times the limit, then
    the connection is dropped) without keeping it: a client that is still sending
    when the answer comes gets a connection reset instead of the 413 and its reason.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 4 * limit:
        raise TooLarge(f"push body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > 4 * limit:
            break
        if size <= limit:
            chunks.append(chunk)
    if size > limit:
        chunks.clear()
        raise TooLarge(
            f"push body is {size if size <= 4 * limit else 'over ' + str(4 * limit)} bytes; the limit is {limit}"
        )
    return b"".join(chunks)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")
