"""The ``netatlas`` command: a thin adapter over the library (no logic of its own).

Errors: every deliberate failure is a :class:`~netatlas.errors.NetatlasError`; the
CLI prints it as one ``error: …`` line and exits non-zero (1 for bad input, 2 for
usage). ``--debug`` re-raises to show the traceback.

Answers: ``why`` and ``resolve`` exit with what they found, for scripts: 0 yes (it
reaches; the name resolves), :data:`EXIT_NO` no (it does not reach; the name does not
exist where it was asked: NXDOMAIN), :data:`EXIT_NO_ANSWER` no answer (the path leaves
the map, or the destination name has no answer from the source; nobody answered the
name). Both stay apart from 1 and 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from netatlas._version import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Map every network, pool, interface and name on this machine, and explain them.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: importing rich for it costs ~70 ms per run
)

_state = {"debug": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


EXIT_NO = 3
"""``why``: does not reach; ``resolve``: the name does not exist (NXDOMAIN) where asked."""
EXIT_NO_ANSWER = 4
"""``why``: cannot tell (verdict ``unknown``: a rule netatlas does not model decides, or
the destination gave no listener list; the path leaves the map; the name has no answer
from SRC);
``resolve``: no answer at all for the name."""


class UsageFailure(Exception):
    """A user mistake the CLI reports with exit status 2."""


def _emit_json(obj: Any) -> None:
    from netatlas.render.json_text import dumps  # json.dumps(indent=2, ensure_ascii=False)'s text, faster

    sys.stdout.write(dumps(obj) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netatlas {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def parse(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="Parser kind, or 'auto' to recognise the format.")],
    file: Annotated[str, typer.Argument(metavar="FILE", help="Input file, or '-' for standard input.")],
    as_json: JsonOpt = False,
) -> None:
    """Print the facts of one file (ipconfig, ip addr, hosts, route print ...).

    With ``auto``, a pasted transcript of several readable commands is read part by
    part; ``--json`` then also has ``parts`` (each part's kind, commands and lines).
    """
    from netatlas.parsers import get_parser, parse_parts
    from netatlas.parsers import parse as run_parse

    if kind != "auto":
        get_parser(kind)  # unknown kind: exit 2 before reading anything
    data, source = _read_input(file)
    parts: tuple[Any, ...] = ()
    if kind == "auto":
        facts, parts = parse_parts(data, source=source)
    else:
        facts = run_parse(kind, data, source=source)
    if as_json:
        _emit_json({**facts.to_dict(), **({"parts": [p.to_dict() for p in parts]} if kind == "auto" else {})})
        return
    from netatlas.render.facts_text import lines

    if len(parts) > 1:
        typer.echo("read as " + ", ".join(f"{p.kind} (line {', '.join(map(str, p.lines))})" for p in parts))
    for line in lines(facts):
        typer.echo(line)


def _progress_printer() -> Any:
    """A live per-source progress line on a terminal; nothing when piped."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)

    def show(vantage: str, source: str, failure: Any) -> None:
        mark = "[green]ok[/]" if failure is None else f"[yellow]{failure.code}[/]"
        console.print(f"  {source} {mark}", highlight=False)

    return show


def _only_kinds(only: str | None) -> list[str] | None:
    """``--only a,b`` as a list of known evidence kinds (None: everything).

    An empty list or an unknown kind is a usage error: a scan that silently collects
    everything (or nothing) is not what was asked for.
    """
    if only is None:
        return None
    from netatlas.parsers import kinds as known

    wanted = [k.strip() for k in only.split(",") if k.strip()]
    if not wanted:
        raise UsageFailure("--only needs at least one evidence kind, e.g. --only ip-addr-json,hosts")
    unknown = [k for k in wanted if k not in known()]
    if unknown:
        raise UsageFailure(f"--only: unknown kind(s) {', '.join(unknown)}; known: {', '.join(known())}")
    return wanted


def _collect(only: str | None, timeout: float, lab: str | None = None, kube_context: str | None = None) -> Any:
    from netatlas.collect.scan import scan as run_scan

    if not timeout > 0:
        raise UsageFailure(f"--timeout {timeout:g}: give a number of seconds above 0")
    if kube_context is not None and (not kube_context or not kube_context.isprintable()):
        raise UsageFailure(f"--kube-context {kube_context!r}: give the name of a context in your kubeconfig")
    if kube_context is not None and lab:
        raise UsageFailure("--kube-context and --lab: a lab scan enters no Kubernetes cluster")
    kinds = _only_kinds(only)
    if lab is not None:
        from netatlas.lab.collect import scan_lab

        return scan_lab(lab, only=kinds, timeout=timeout, progress=_progress_printer())
    return run_scan(only=kinds, timeout=timeout, progress=_progress_printer(), kube_context=kube_context)


KeyFileOpt = Annotated[
    str | None,
    typer.Option("--key-file", help="Redaction key (created if missing; default: in your netatlas config folder)."),
]


def _redacted(bundle: Any, key_file: str | None) -> Any:
    from netatlas.redact import load_or_create_key, redact_bundle

    path = Path(key_file) if key_file else _default_key_path()
    out = redact_bundle(bundle, load_or_create_key(path))
    dropped = [e.id for e in out.evidence if e.failure is not None and "could not redact" in e.failure.message]
    sys.stderr.write(
        f"redacted with key {path}"
        + (f"; dropped (could not redact safely): {', '.join(dropped)}" if dropped else "")
        + "\n"
    )
    return out


def _default_key_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("netatlas", appauthor=False)) / "redact.key"


LabOpt = Annotated[
    str | None, typer.Option("--lab", help="Scan this running lab's namespaces instead (netatlas lab up).")
]
KubeContextOpt = Annotated[
    str | None,
    typer.Option(
        "--kube-context",
        help="Map this kubeconfig context's cluster too (by default only clusters on this machine are entered).",
    ),
]


@app.command()
def scan(
    output: Annotated[
        str, typer.Option("-o", "--output", help="Bundle to write: DIR or FILE.zip.")
    ] = "netatlas-scan.zip",
    only: Annotated[str | None, typer.Option("--only", help="Comma-separated evidence kinds to collect.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Per-source timeout in seconds.")] = 10.0,
    lab: LabOpt = None,
    kube_context: KubeContextOpt = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Rewrite addresses, MACs and host names before writing (safe to share).")
    ] = False,
    key_file: KeyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Collect evidence from every vantage of this machine into a bundle."""
    from netatlas.bundle import write_bundle

    bundle = _collect(only, timeout, lab, kube_context)
    if redact:
        bundle = _redacted(bundle, key_file)
    path = write_bundle(bundle, output)
    failures = [{"evidence": e.id, **e.failure.to_dict()} for e in bundle.failures if e.failure]
    summary: dict[str, Any] = {
        "bundle": str(path),
        "vantages": len(bundle.vantages),
        "evidence": len(bundle.evidence),
        "failures": failures,
    }
    if as_json:
        _emit_json(summary)
        return
    typer.echo(f"wrote {path}: {summary['vantages']} vantages, {summary['evidence']} sources, {len(failures)} failed")
    for f in failures:
        typer.echo(f"  {f['evidence']}: {f['code']}: {f['message']}")


@app.command("map")
def map_(
    bundle: Annotated[str | None, typer.Option("--bundle", help="Read this bundle instead of scanning.")] = None,
    only: Annotated[str | None, typer.Option("--only", help="When scanning: evidence kinds to collect.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="When scanning: per-source timeout.")] = 10.0,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not keep this scan in the history.")] = False,
    html_out: Annotated[str | None, typer.Option("--html", help="Also write the interactive map here.")] = None,
    svg_out: Annotated[str | None, typer.Option("--svg", help="Also write the picture here (needs Graphviz).")] = None,
    lab: LabOpt = None,
    kube_context: KubeContextOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the map (networks, members, addresses) and the findings.

    Without --bundle, scans this machine and keeps the scan in the history
    (see `netatlas history`), unless --no-save.
    """
    from netatlas.atlas import build_atlas

    if bundle and (only is not None or timeout != 10.0 or lab or kube_context is not None):
        raise UsageFailure(
            "--only, --timeout, --lab and --kube-context choose what a scan collects; they do not apply to --bundle"
        )
    data = _read_bundle(bundle) if bundle else _collect(only, timeout, lab, kube_context)
    atlas = build_atlas(data)
    if not bundle and not no_save and not lab:
        from netatlas.store.history import History

        rec = History().save(
            data,
            {"networks": len(atlas.networks), "nodes": len(atlas.nodes), "findings": len(atlas.findings)},
        )
        sys.stderr.write(f"kept as scan #{rec.id} (netatlas history)\n")
    for fmt, out in (("html", html_out), ("svg", svg_out)):
        if out:
            from netatlas.render.export import render as draw

            Path(out).write_bytes(draw(atlas, fmt))
            sys.stderr.write(f"wrote {out}\n")
    if as_json:
        _emit_json(atlas.to_dict())
        return
    from netatlas.render.atlas_text import lines

    for line in lines(atlas):
        typer.echo(line)


BundleOpt = Annotated[str | None, typer.Option("--bundle", help="Read this bundle instead of scanning.")]


@app.command()
def render(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="svg, png, dot, mermaid, md (report) or html (interactive map).")
    ],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write, or '-' for standard output.")],
    bundle: BundleOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as one JSON object.")] = False,
) -> None:
    """Draw the map: a picture (SVG/PNG via Graphviz), Mermaid, a Markdown report or an HTML map."""
    from netatlas.render.export import FORMATS
    from netatlas.render.export import render as draw

    if fmt not in FORMATS:
        raise UsageFailure(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    data = draw(_atlas(bundle), fmt)
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    Path(output).write_bytes(data)
    if as_json:
        _emit_json({"output": output, "format": fmt, "bytes": len(data)})
        return
    sys.stderr.write(f"wrote {output} ({fmt}, {len(data)} bytes)\n")


def _read_input(file: str) -> tuple[bytes, str]:
    """(bytes, name for messages) of a FILE argument; ``-`` is standard input.

    A missing file or a folder is a usage error (exit 2), as for every command.
    """
    if file == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(file)
    if not path.exists():
        raise UsageFailure(f"{file}: no such file")
    if path.is_dir():
        raise UsageFailure(f"{file}: is a directory")
    return path.read_bytes(), file  # also pipes and devices: `parse ipconfig <(ssh pc ipconfig)`


def _read_bundle(bundle: str) -> Any:
    """The bundle at ``bundle``; a path that is not there is a usage error (exit 2)."""
    from netatlas.bundle import read_bundle

    if not Path(bundle).exists():
        raise UsageFailure(f"{bundle}: no such bundle (a folder or .zip from `netatlas scan`)")
    return read_bundle(bundle)


def _atlas(bundle: str | None, *, analyze: bool = True) -> Any:
    """The atlas of a bundle, or of a fresh scan of this machine."""
    from netatlas.atlas import build_atlas

    return build_atlas(_read_bundle(bundle) if bundle else _collect(None, 10.0), analyze=analyze)


@app.command()
def why(
    src: Annotated[str, typer.Argument(metavar="SRC", help="From: a vantage or node name, an address, or 'lan'.")],
    dst: Annotated[
        str, typer.Argument(metavar="DST[:PORT]", help="To: a vantage, node, address or name, with an optional :PORT.")
    ],
    bundle: BundleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Explain, hop by hop, whether SRC reaches DST[:PORT], where it stops and how to fix it."""
    from netatlas.reach import why as run_why

    target, port = _split_port(dst)
    try:
        result = run_why(_atlas(bundle), src, target, port)
    except ValueError as exc:
        if "does not resolve from" in str(exc):  # a name SRC has no answer for: no answer, not a typo
            sys.stderr.write(f"no answer: {exc}\n")
            raise typer.Exit(EXIT_NO_ANSWER) from None
        raise UsageFailure(str(exc)) from None
    # scripts: 0 delivered (even past unread filters, which the text names), 3 stopped,
    # 4 no answer (netatlas cannot tell, or the path leaves the map)
    code = {"delivered": 0, "stopped": EXIT_NO}.get(result.verdict, EXIT_NO_ANSWER)
    if as_json:
        _emit_json(result.to_dict())
        raise typer.Exit(code)
    verdict = {
        "delivered": "reaches" if not result.unread else "reaches, as far as netatlas can see,",
        "beyond": "leaves the map on the way to",
        "unknown": "may or may not reach (netatlas cannot tell)",
    }.get(result.verdict, "does NOT reach")
    entry = f" (enters as {result.entry})" if result.entry else ""
    typer.echo(f"{src} {verdict} {dst}{entry}")
    if result.unread:
        typer.echo(f"  not read on this path, and able to stop it: {'; '.join(result.unread)}")
    for i, hop in enumerate(result.hops, 1):
        where = hop.node or "outside"
        addr = f" {hop.address}" if hop.address else ""
        typer.echo(f"  {i}. [{hop.action}] {where}{addr}: {hop.note}")
    if result.verdict != "delivered" and result.reason:
        typer.echo(f"stops at {result.stopped_at or '?'}: {result.reason}")
    for tried in result.tried:
        typer.echo(f"  also tried: {tried}")
    if result.fixes:
        typer.echo("fix:")
        for fix in result.fixes:
            for line in fix.splitlines():
                typer.echo(f"  {line}")
    raise typer.Exit(code)


def _split_port(dst: str) -> tuple[str, int | None]:
    """``web:80`` → (``web``, 80); IPv6 as ``[fd00::1]:80``; no port → None.

    A vantage id has a colon of its own (``container:db``, ``wsl:kali-linux``): only
    digits after the last colon are a port (``container:db:5432``), and a bare IPv6
    address is an address.
    """
    if dst.startswith("["):
        host, closed, rest = dst[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise UsageFailure(f"expected [ADDRESS]:PORT or [ADDRESS], got {dst!r}")
        return host, _port(rest[1:]) if rest else None
    if ":" not in dst:
        return dst, None
    import ipaddress

    try:
        ipaddress.ip_address(dst.split("%", 1)[0])
        return dst, None  # fd00::1: an IPv6 address, not fd00: and port 1
    except ValueError:
        pass
    head, _, tail = dst.rpartition(":")
    if tail.isdigit() or not tail:  # any digits: _port says which are no TCP port
        return head, _port(tail)
    return dst, None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise UsageFailure(f"not a TCP port: {text!r}")
    return int(text)


@app.command()
def resolve(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The name to look up, e.g. host.docker.internal.")],
    from_: Annotated[str | None, typer.Option("--from", help="Only this vantage (id or name).")] = None,
    bundle: BundleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What NAME resolves to from every vantage, and who wrote each answer."""
    from netatlas.names import resolve as run_resolve
    from netatlas.names import unanswered

    if not name.strip(". "):
        raise UsageFailure("resolve needs a name, e.g. host.docker.internal")
    atlas = _atlas(bundle, analyze=False)
    if from_ is not None:
        places = {x for v in atlas.vantages for x in (v.id, v.name)} | {x for n in atlas.nodes for x in (n.id, n.name)}
        if from_ not in places:
            known = ", ".join(v.id for v in atlas.vantages)
            raise UsageFailure(f"--from {from_!r}: no such vantage or node; vantages: {known}")
    answers = run_resolve(atlas, name, from_)
    failed = [] if answers else unanswered(atlas, name, from_)
    missing = [f for f in failed if f.status in ("NXDOMAIN", "NODATA")]
    code = 0 if answers else EXIT_NO if missing else EXIT_NO_ANSWER
    fix = _nxdomain_fix(atlas, name) if missing else None
    if as_json:
        _emit_json(
            {
                "name": name,
                "answers": [a.to_dict() for a in answers],
                "unanswered": [f.to_dict() for f in failed],
                "fix": fix,
            }
        )
        raise typer.Exit(code)
    if not answers:
        where = f" (from {from_})" if from_ else ""
        if not failed:
            typer.echo(f"no vantage has an answer for {name}{where}")
        for f in failed:
            typer.echo(f"  {f.vantage:<22} {f.status or '?':<28} {f.source:<10} {f.provenance}")
        if missing:
            typer.echo(f"{name} does not exist where it was asked ({missing[0].status}){where}")
        if fix:
            typer.echo("fix:")
            for line in fix.splitlines():
                typer.echo(f"  {line}")
        raise typer.Exit(code)
    for a in answers:
        mark = "*" if a.first else " "
        got = ", ".join(map(str, a.addresses)) or "(no address)"
        typer.echo(f"{mark} {a.vantage:<22} {got:<28} {a.source:<10} {a.provenance}")
        if a.origin:
            typer.echo(f"  {'':<22} {'':<28} {'':<10} from {a.origin}")
    typer.echo("(* = what an application there gets first)")


def _nxdomain_fix(atlas: Any, name: str) -> str | None:
    """The fix for a name that does not exist, where there is one.

    ``host.docker.internal`` is Docker Desktop's name; a Linux Docker Engine defines
    it only for containers started with ``--add-host host.docker.internal:host-gateway``
    (Engine 20.10+, docs "Add entries to container hosts file").
    """
    from netatlas.model.evidence import VantageKind
    from netatlas.names import normalize

    if normalize(name) not in ("host.docker.internal", "gateway.docker.internal"):
        return None
    kinds = {v.kind for v in atlas.vantages}
    desktop = VantageKind.DOCKER_DESKTOP_VM in kinds or any(n.name == "Docker Desktop VM" for n in atlas.nodes)
    if desktop or VantageKind.DOCKER_ENGINE not in kinds:
        return None
    key = normalize(name)
    return (
        f"On a Linux Docker Engine {key} exists only in containers started with it:\n"
        f"docker run --add-host {key}:host-gateway ...\n"
        f'compose: extra_hosts: ["{key}:host-gateway"]'
    )


@app.command()
def plan(
    reserve: Annotated[
        list[str] | None, typer.Option("--reserve", help="CIDR to keep clear (repeatable), e.g. the VPN.")
    ] = None,
    reserve_file: Annotated[
        str | None, typer.Option("--reserve-file", help="File of CIDRs to keep clear, one per line.")
    ] = None,
    all_layers: Annotated[
        bool, typer.Option("--all", help="Plan every layer, not only those present on this machine.")
    ] = False,
    bundle: BundleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose free, non-overlapping ranges and the exact config for each layer present."""
    import ipaddress

    from netatlas.planning.plan import make_plan, parse_reserve_file

    kept = []
    for cidr in reserve or []:
        try:
            kept.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            raise UsageFailure(f"--reserve {cidr!r}: not a CIDR") from None
    if reserve_file:
        from netatlas.errors import ParseError
        from netatlas.parsers._base import decode

        data, source = _read_input(reserve_file)
        try:
            text = decode(data)
        except ParseError as exc:
            raise exc.with_source(source) from None
        kept += parse_reserve_file(text, source=source)
    result = make_plan(_atlas(bundle, analyze=False), kept, all_layers=all_layers)
    if as_json:
        _emit_json(result.to_dict())
        return
    for warning in result.warnings:
        typer.echo(f"WARNING: {warning}")
    if result.warnings:
        typer.echo("")
    shown = ", ".join(result.layers) or "none"
    absent = ""
    if result.layers_absent:
        absent = f" (not seen here: {', '.join(result.layers_absent)}; --all plans them too)"
    typer.echo(f"Layers planned: {shown}{absent}")
    typer.echo("Kept clear: " + (", ".join(result.kept_clear) or "nothing"))
    typer.echo("")
    for key, value in result.blocks.items():
        typer.echo(f"{key:<30} {value}")
    if result.docker_algorithm is not None:
        typer.echo("")
        version = result.docker_engine_version or "version unknown"
        typer.echo(f"Docker ({version}, {result.docker_algorithm} allocator):")
        typer.echo("  next subnets today:        " + (", ".join(result.docker_next_now) or "none"))
        if result.docker_next_after:
            typer.echo("  next subnets after change: " + ", ".join(result.docker_next_after))
        for line in result.docker_rests_on:
            typer.echo(f"  rests on: {line}")
    if result.podman_next_now or result.podman_next_after:
        typer.echo("")
        typer.echo("podman:")
        typer.echo("  next subnets today:        " + (", ".join(result.podman_next_now) or "none"))
        typer.echo("  next subnets after change: " + (", ".join(result.podman_next_after) or "none"))
    for layer, text in result.configs.items():
        typer.echo("")
        typer.echo(f"== {layer}: {result.how.get(layer, '')}")
        typer.echo(text.rstrip())
    if result.notes:
        typer.echo("")
    for note in result.notes:
        typer.echo(f"note: {note}")


@app.command()
def redact(
    bundle: Annotated[str, typer.Argument(metavar="BUNDLE", help="The bundle to redact (folder or .zip).")],
    output: Annotated[str, typer.Option("-o", "--output", help="Where to write the redacted bundle.")],
    key_file: KeyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a copy of BUNDLE with addresses, MACs and host names replaced, safe to share.

    Addresses keep their prefix relations (a keyed, prefix-preserving scheme), so the
    map and its findings stay the same; the same key gives the same replacements.
    """
    from netatlas.bundle import write_bundle

    src, dst = Path(bundle).resolve(), Path(output).resolve()
    if src == dst:
        raise UsageFailure("refusing to overwrite the original bundle; choose another -o")
    out = _redacted(_read_bundle(bundle), key_file)
    path = write_bundle(out, output)
    if as_json:
        _emit_json({"bundle": str(path), "meta": out.meta})
        return
    typer.echo(f"wrote {path}")


@app.command()
def history(as_json: JsonOpt = False) -> None:
    """List the scans kept by `netatlas map`."""
    from netatlas.store.history import History

    h = History()
    rows = h.list()
    if as_json:
        _emit_json(
            {
                "history": str(h.db_path),
                "scans": [
                    {
                        "id": r.id,
                        "created": r.created.isoformat(),
                        "host": r.host,
                        "file": str(r.file),
                        **r.summary,
                    }
                    for r in rows
                ],
            }
        )
        return
    if not rows:
        typer.echo(f"no scans kept yet ({h.db_path}); run netatlas map")
        return
    for r in rows:
        counts = ", ".join(f"{v} {k}" for k, v in r.summary.items())
        typer.echo(f"#{r.id}  {r.created:%Y-%m-%d %H:%M:%S}  {r.host}  {counts}")


def _load_any(ref: str) -> Any:
    """A bundle path, or a history reference (12, #12, last, prev)."""
    from netatlas.bundle import read_bundle

    if Path(ref).exists():
        return read_bundle(ref)
    from netatlas.store.history import History

    return History().load(ref)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="Older scan: bundle path, or history id / 'prev'.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Newer scan: bundle path, or history id / 'last'.")],
    as_json: JsonOpt = False,
) -> None:
    """Show what changed between two scans: networks, routes, names, findings."""
    from netatlas.atlas import build_atlas
    from netatlas.atlas.diff import diff_atlases, uncollected

    first, second = _load_any(a), _load_any(b)
    skipped: dict[str, str] = {}
    for who, bundle in (("A", first), ("B", second)):
        for section in uncollected({e.kind for e in bundle.evidence}):
            skipped[section] = "A and B" if section in skipped else who
    d = diff_atlases(build_atlas(first), build_atlas(second), skipped=skipped)
    if as_json:
        _emit_json(d.to_dict())
        return
    for note in d.not_collected:
        typer.echo(f"not compared: {note}")
    if d.empty:
        typer.echo("no differences" + (" in what both scans collected" if d.not_collected else ""))
        return
    for field_name in d.__slots__:
        items = getattr(d, field_name)
        if items and field_name != "not_collected":
            what, change = field_name.rsplit("_", 1)
            sign = "+" if change == "added" else "-"
            typer.echo(f"{what} {change}:")
            for item in items:
                typer.echo(f"  {sign} {item}")


lab_app = typer.Typer(
    no_args_is_help=True,
    help="Build a topology (z820, vpn-overlap, or a YAML file) out of real network namespaces.",
    rich_markup_mode=None,
)
app.add_typer(lab_app, name="lab")


@lab_app.command("up")
def lab_up(
    topology: Annotated[
        str, typer.Argument(metavar="NAME|FILE", help="A shipped lab name (z820, vpn-overlap) or a topology .yaml.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Build the lab (idempotent; needs root). A failed start leaves nothing behind."""
    from netatlas.lab import load_topology, up

    path = Path(topology)
    if path.suffix in (".yaml", ".yml") or "/" in topology:  # a file, not a shipped name
        if not path.exists():
            raise UsageFailure(f"{topology}: no such file")
        if path.is_dir():
            raise UsageFailure(f"{topology}: is a directory")
    st = up(load_topology(topology))
    if as_json:
        _emit_json(st.to_dict())
        return
    typer.echo(f"lab {st.name} is up: {st.namespaces_total} namespaces, {st.processes_total} processes")
    for node, ns, vantages in st.nodes:
        typer.echo(f"  {node:<12} {ns:<28} {', '.join(vantages) or '(not scanned)'}")


@lab_app.command("down")
def lab_down(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The lab to tear down.")],
    as_json: JsonOpt = False,
) -> None:
    """Tear the lab down: processes, namespaces, nftables, /etc/netns entries, state."""
    from netatlas.lab import down

    removed = down(name)
    if as_json:
        _emit_json({"lab": name, "removed": removed})
        return
    typer.echo(f"lab {name}: removed {len(removed)} items" if removed else f"lab {name} was not up")


@lab_app.command("status")
def lab_status(as_json: JsonOpt = False) -> None:
    """List the labs that are up and their nodes."""
    from netatlas.lab import status

    labs = status()
    if as_json:
        _emit_json({"labs": [s.to_dict() for s in labs]})
        return
    if not labs:
        typer.echo("no lab is up (netatlas lab up z820)")
    for st in labs:
        typer.echo(
            f"{st.name} ({st.source}, since {st.created}): namespaces {st.namespaces_alive}/{st.namespaces_total}, "
            f"processes {st.processes_alive}/{st.processes_total}"
        )
        for node, ns, vantages in st.nodes:
            typer.echo(f"  {node:<12} {ns:<28} {', '.join(vantages) or '(not scanned)'}")


@app.command()
def verify(
    lab: Annotated[
        str | None, typer.Option("--lab", help="Verify this running lab instead (netatlas lab up NAME).")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every check, not only disagreements.")] = False,
    max_probes: Annotated[
        int | None, typer.Option("--max-probes", help="TCP probes at most (default 5000 on this machine).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds one probe may take (this machine; default 1).")
    ] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Probe this machine's own namespaces (or a lab) for real and compare with the atlas' predictions.

    Without --lab: TCP handshakes to every listener and published port from the host, each
    container and each named netns, a refused port, names through resolvers on this machine,
    and the kernel's own route answers; only to this machine's own addresses and loopback.
    """
    if max_probes is not None and max_probes < 1:
        raise UsageFailure(f"--max-probes {max_probes}: give a number above 0")
    if not timeout > 0:
        raise UsageFailure(f"--timeout {timeout:g}: give a number of seconds above 0")
    if lab is not None:
        from netatlas.lab.verify import table as lab_table
        from netatlas.lab.verify import verify as run_verify

        report = run_verify(lab) if max_probes is None else run_verify(lab, limit=max_probes)
        if as_json:
            _emit_json(report.to_dict())
        else:
            for line in lab_table(report, everything=show_all):
                typer.echo(line)
        if report.disagreements:
            raise typer.Exit(1)
        return
    from netatlas.verify import MAX_PROBES, table, verify_machine

    live = verify_machine(limit=max_probes or MAX_PROBES, timeout=timeout)
    if as_json:
        _emit_json(live.to_dict())
    else:
        for line in table(live, everything=show_all):
            typer.echo(line)
    if live.disagreements:
        raise typer.Exit(1)


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the invoked command registered (the whole app otherwise).

    typer turns every registered command into a click parser on each run; building
    only the one asked for keeps ``netatlas parse`` fast to start (docs/benchmarks.md).
    Root help, sub-apps (``lab``) and unknown names get the whole app.
    """
    name = next((a for a in args if not a.startswith("-")), None)
    if not any(name == (i.name or getattr(i.callback, "__name__", None)) for i in app.registered_commands):
        from netatlas.fleet.cli import register  # serve, push, fleet: only when asked for (or for help)

        register(app)
    for info in app.registered_commands:
        if name is not None and info.callback is not None and (info.name or info.callback.__name__) == name:
            one = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
            one.registered_callback = app.registered_callback
            one.registered_commands = [info]
            return one
    return app


def _is_usage_error(exc: BaseException) -> bool:
    """A ClickException, whichever click raised it.

    typer 0.27+ vendors click as ``typer._click``, so its exceptions are not
    ``click.ClickException``; both have ``show()`` and ``exit_code``.
    """
    return any(c.__name__ == "ClickException" for c in type(exc).__mro__) and hasattr(exc, "show")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app, turning our errors into one line.

    Returns 0 on success; failures raise :class:`SystemExit` with their status.
    """
    from netatlas.errors import NetatlasError, UnknownKindError

    try:
        # click hands a typer.Exit's status back as the return value without standalone mode
        status = _app_for(sys.argv[1:] if argv is None else argv)(args=argv, standalone_mode=False)
        if isinstance(status, int) and status:
            raise SystemExit(status)
        return 0
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        _fail("aborted", 130)
    except Exception as exc:  # one line per failure; --debug shows the rest
        if _state["debug"]:
            raise
        if _is_usage_error(exc):  # click's (or typer's vendored click's) usage errors
            exc.show()  # type: ignore[attr-defined]
            raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
        if isinstance(exc, (UnknownKindError, UsageFailure)):
            _fail(str(exc), 2)
        if isinstance(exc, NetatlasError):
            _fail(str(exc), 1)
        if isinstance(exc, OSError):
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), 1)
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", 70)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
