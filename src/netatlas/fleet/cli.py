"""The fleet's commands: ``serve``, ``push`` and ``fleet …``, added to the main app by :func:`register`.

``netatlas.cli`` calls :func:`register` only when the command asked for is not one of
its own (or for the root help), so other commands start as fast as before. Nothing
heavy is imported here: FastAPI, uvicorn and psycopg load inside ``serve`` only, and
``push`` and ``fleet`` need nothing beyond the base dependencies.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ServerOpt = Annotated[
    str, typer.Option("--server", envvar="NETATLAS_SERVER", help="The fleet server's URL ($NETATLAS_SERVER).")
]
TokenFileOpt = Annotated[
    str | None, typer.Option("--token-file", help="File holding the token (default: $NETATLAS_TOKEN).")
]
OrgKeyOpt = Annotated[
    str | None,
    typer.Option("--key-file", help="The organisation key: redacted fleet, ranges and names translated."),
]

fleet_app = typer.Typer(
    no_args_is_help=True,
    help="Ask the fleet server which machines collide with a range, what they found, what is free.",
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``push`` and the ``fleet`` group to ``app`` (once)."""
    if any(g.typer_instance is fleet_app for g in app.registered_groups):
        return
    app.command("serve")(serve)
    app.command("push")(push)
    app.add_typer(fleet_app, name="fleet")


def _main() -> Any:
    from netatlas import cli

    return cli


def _emit(obj: Any) -> None:
    _main()._emit_json(obj)


def _usage(message: str) -> Exception:
    return _main().UsageFailure(message)  # type: ignore[no-any-return]


def _org_key(path: str | None) -> bytes | None:
    """The organisation key at ``path`` (never created here: a new key would translate nothing)."""
    if path is None:
        return None
    if not Path(path).is_file():
        raise _usage(f"--key-file {path}: no such file (the organisation key; see docs/fleet.md)")
    from netatlas.redact import load_or_create_key

    return load_or_create_key(path)


# --------------------------------------------------------------------------- serve


def serve(
    db: Annotated[
        str, typer.Option("--db", envvar="NETATLAS_DB", help="PostgreSQL DSN, e.g. postgresql://u@127.0.0.1/netatlas.")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    migrate: Annotated[bool, typer.Option("--migrate", help="Apply pending schema migrations and exit.")] = False,
    auto_migrate: Annotated[bool, typer.Option("--auto-migrate", help="Apply pending migrations, then serve.")] = False,
    new_token: Annotated[
        str | None, typer.Option("--new-token", metavar="ROLE", help="Create an agent or admin token, print it, exit.")
    ] = None,
    machine: Annotated[
        str | None, typer.Option("--machine", help="With --new-token agent: the machine it pushes for.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="With --new-token: a note kept beside it.")] = "",
    max_body: Annotated[int, typer.Option("--max-body", help="Largest push body in bytes.")] = 8 << 20,
    pool_size: Annotated[int, typer.Option("--pool-size", help="Database connections at most.")] = 10,
    ssl_certfile: Annotated[str | None, typer.Option("--ssl-certfile", help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[str | None, typer.Option("--ssl-keyfile", help="TLS private key (PEM).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the fleet server (FastAPI on PostgreSQL); or apply migrations, or make a token.

    Needs the server extra: pip install 'netatlas[server]'.
    """
    import importlib.util

    missing = [
        m for m in ("fastapi", "uvicorn", "psycopg", "psycopg_pool", "jinja2") if not importlib.util.find_spec(m)
    ]
    if missing:
        raise _usage(
            f"netatlas serve needs the server extra ({', '.join(missing)} missing): pip install 'netatlas[server]'"
        )
    from netatlas.fleet import db as store

    if not 0 < port < 65536:
        raise _usage(f"--port {port}: not a TCP port")
    if max_body < 1024:
        raise _usage("--max-body: at least 1024 bytes")
    pool = store.connect_pool(db, max_size=max(2, pool_size))
    try:
        if migrate or auto_migrate:
            done = store.migrate(pool)
            result = {"applied": [f"{m.version:03d}_{m.name}" for m in done], "pending": []}
            if migrate:
                _emit(result) if as_json else typer.echo(
                    "applied " + ", ".join(result["applied"]) if done else "schema is up to date"
                )
                return
            sys.stderr.write(f"migrations applied: {', '.join(result['applied']) or 'none pending'}\n")
        left = store.pending(pool)
        if left:
            raise _usage(f"{len(left)} migration(s) pending; run netatlas serve --migrate (or --auto-migrate)")
        if new_token is not None:
            text = store.add_token(pool, new_token, machine=machine, note=note)
            if as_json:
                _emit({"token": text, "role": new_token, "machine": machine})
            else:
                typer.echo(text)
            return
        if machine is not None:
            raise _usage("--machine goes with --new-token agent")
        _run(pool, host, port, max_body, ssl_certfile, ssl_keyfile, as_json)
    finally:
        pool.close()


def _run(
    pool: Any, host: str, port: int, max_body: int, certfile: str | None, keyfile: str | None, as_json: bool
) -> None:
    import uvicorn

    from netatlas.fleet.server import create_app

    scheme = "https" if certfile else "http"
    if as_json:
        _emit({"listening": f"{scheme}://{host}:{port}", "api": f"{scheme}://{host}:{port}/docs"})
        sys.stdout.flush()
    else:
        sys.stderr.write(f"netatlas fleet server on {scheme}://{host}:{port} (API reference: /docs)\n")
    config = uvicorn.Config(
        create_app(pool, max_body=max_body),
        host=host,
        port=port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()


# --------------------------------------------------------------------------- push


def push(
    server: ServerOpt,
    token_file: TokenFileOpt = None,
    bundle: Annotated[str | None, typer.Option("--bundle", help="Push this bundle instead of scanning.")] = None,
    machine: Annotated[str | None, typer.Option("--machine", help="Machine name (default: the scan's host).")] = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Push redacted under the organisation key (--key-file).")
    ] = False,
    key_file: OrgKeyOpt = None,
    only: Annotated[str | None, typer.Option("--only", help="When scanning: evidence kinds to collect.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="When scanning: per-source timeout.")] = 10.0,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Keep pushing at this interval (30m, 1h); a failed round waits for the next."),
    ] = None,
    count: Annotated[int | None, typer.Option("--count", help="With --every: stop after this many rounds.")] = None,
    retries: Annotated[int, typer.Option("--retries", help="Attempts per push (backoff doubles, with jitter).")] = 6,
    as_json: JsonOpt = False,
) -> None:
    """Send this machine's atlas (or a bundle's) to the fleet server."""
    from netatlas.fleet.client import Retry, read_token
    from netatlas.fleet.push import parse_every, prepare, send

    if redact != (key_file is not None):
        raise _usage("--redact and --key-file go together: the organisation key redacts the push")
    if every is None and count is not None:
        raise _usage("--count goes with --every")
    if retries < 1:
        raise _usage("--retries: at least 1")
    try:
        interval = parse_every(every) if every is not None else None
    except ValueError as exc:
        raise _usage(str(exc)) from None
    if bundle and (only is not None or timeout != 10.0):
        raise _usage("--only and --timeout choose what a scan collects; they do not apply to --bundle")
    key = _org_key(key_file)
    token = read_token(token_file, os.environ)
    cli = _main()

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")

    def once() -> dict[str, Any]:
        data = cli._read_bundle(bundle) if bundle else cli._collect(only, timeout)
        return send(server, token, prepare(data, machine=machine, key=key), retry=Retry(attempts=retries), log=log)

    def show(result: dict[str, Any]) -> None:
        if as_json and interval is not None:  # one JSON line per round: a log to follow
            import json

            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
            return
        if as_json:
            _emit(result)
            return
        what = "stored as" if result["stored"] else "already stored as"
        mode = " (redacted)" if result["redacted"] else ""
        typer.echo(f"pushed {result['machine']}{mode}: {result['networks']} networks, {what} scan #{result['scan_id']}")

    if interval is None:
        show(once())
        return
    import time

    from netatlas.errors import NetatlasError

    rounds = 0
    while count is None or rounds < count:
        rounds += 1
        started = time.monotonic()
        try:
            show(once())
        except NetatlasError as exc:  # one failed round is not the end of an agent
            log(f"push failed: {exc}; next try in {every}")
        if count is not None and rounds >= count:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


# --------------------------------------------------------------------------- fleet


def _admin(server: str, token_file: str | None, key_file: str | None) -> Any:
    from netatlas.fleet.admin import Admin
    from netatlas.fleet.client import read_token

    return Admin(server, read_token(token_file, os.environ), _org_key(key_file))


@fleet_app.command("collisions")
def collisions(
    cidrs: Annotated[list[str], typer.Argument(metavar="CIDR...", help="Ranges to test, e.g. 10.20.0.0/14.")],
    server: ServerOpt,
    token_file: TokenFileOpt = None,
    key_file: OrgKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Machines whose networks, routes, pools or Docker's next subnets overlap CIDR."""
    import ipaddress

    for c in cidrs:
        try:
            ipaddress.ip_network(c, strict=False)
        except ValueError:
            raise _usage(f"not a CIDR: {c!r}") from None
    result = _admin(server, token_file, key_file).collisions(cidrs)
    if as_json:
        _emit(result)
        return
    machines = result["machines"]
    typer.echo(f"{len(machines)} machine(s) overlap {', '.join(result['query'])}")
    for m in machines:
        typer.echo(f"{m['name']}  (#{m['id']}, scan #{m['scan_id']} at {m['received']})")
        for o in m["overlaps"]:
            where = f" on {o['node']}" if o["node"] else ""
            typer.echo(f"  {o['cidr']:<20} {o['kind']:<20} {o['source']}: {o['label']}{where}")


@fleet_app.command("findings")
def findings(
    server: ServerOpt,
    code: Annotated[str | None, typer.Option("--code", help="Only this finding code.")] = None,
    token_file: TokenFileOpt = None,
    key_file: OrgKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per finding code, how many machines have it now, and which."""
    result = _admin(server, token_file, key_file).findings(code)
    if as_json:
        _emit(result)
        return
    if not result["codes"]:
        typer.echo("no findings")
    for c in result["codes"]:
        names = ", ".join(m["name"] for m in c["by_machine"])
        typer.echo(f"{c['code']:<22} {c['machines']:>5} machine(s)  {names}")


@fleet_app.command("machines")
def machines(
    server: ServerOpt, token_file: TokenFileOpt = None, key_file: OrgKeyOpt = None, as_json: JsonOpt = False
) -> None:
    """Every machine and its latest scan."""
    result = _admin(server, token_file, key_file).machines()
    if as_json:
        _emit(result)
        return
    for m in result["machines"]:
        typer.echo(
            f"#{m['id']:<6} {m['name']:<24} scan #{m['scan_id']} {m['received']}  "
            f"{m['networks']} networks, {m['findings']} findings, {m['scans']} scans"
        )


@fleet_app.command("machine")
def machine(
    ref: Annotated[str, typer.Argument(metavar="MACHINE", help="Machine name or #id.")],
    server: ServerOpt,
    scan: Annotated[int | None, typer.Option("--scan", help="This scan instead of the latest.")] = None,
    html_out: Annotated[str | None, typer.Option("--html", help="Also write its interactive map here.")] = None,
    token_file: TokenFileOpt = None,
    key_file: OrgKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A machine's latest map (or --scan N), as `netatlas map` prints it."""
    from netatlas.model.atlas import Atlas

    result = _admin(server, token_file, key_file).machine(ref.lstrip("#"), scan)
    atlas = Atlas.from_dict(result["atlas"])
    if html_out:
        from netatlas.render.export import render

        Path(html_out).write_bytes(render(atlas, "html"))
        sys.stderr.write(f"wrote {html_out}\n")
    if as_json:
        _emit(result)
        return
    from netatlas.render.atlas_text import lines

    m = result["machine"]
    typer.echo(f"{m['name']} (#{m['id']}), scan #{m['scan_id']} received {m['received']}")
    for line in lines(atlas):
        typer.echo(line)


@fleet_app.command("history")
def history(
    ref: Annotated[str, typer.Argument(metavar="MACHINE", help="Machine name or #id.")],
    server: ServerOpt,
    token_file: TokenFileOpt = None,
    key_file: OrgKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A machine's scans, newest first."""
    result = _admin(server, token_file, key_file).history(ref.lstrip("#"))
    if as_json:
        _emit(result)
        return
    typer.echo(f"{result['machine']['name']} (#{result['machine']['id']})")
    for s in result["scans"]:
        typer.echo(f"  scan #{s['scan_id']:<8} {s['received']}  {s['networks']} networks, {s['findings']} findings")


@fleet_app.command("plan")
def plan(
    server: ServerOpt,
    count: Annotated[int, typer.Option("--count", help="How many blocks.")] = 10,
    smallest: Annotated[int, typer.Option("--smallest", help="No block smaller than this prefix length.")] = 24,
    token_file: TokenFileOpt = None,
    key_file: OrgKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The largest private blocks that no machine's networks, routes or pools touch."""
    if not 1 <= count <= 100 or not 8 <= smallest <= 30:
        raise _usage("--count 1..100, --smallest 8..30")
    result = _admin(server, token_file, key_file).plan(count, smallest)
    if as_json:
        _emit(result)
        return
    typer.echo(f"free across the fleet ({result['used_ranges']} ranges in use):")
    for b in result["free"]:
        typer.echo(f"  {b['cidr']:<20} {b['addresses']} addresses")
