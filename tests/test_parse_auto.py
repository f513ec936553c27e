"""``parse auto`` on pasted transcripts: every readable command's output, each read by its parser.

Layout: ``fixtures/auto/<case>.out`` (a transcript), ``<case>.json`` (what
``netatlas parse auto <case>.out --json`` prints, checked by hand) and ``<case>.source``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, PARSER_FIXTURES
from netatlas.cli import main
from netatlas.parsers import parse, parse_parts

AUTO = sorted((FIXTURES / "auto").glob("*.out"))
SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "schema" / "facts.schema.json"


@pytest.mark.parametrize("path", AUTO, ids=lambda p: p.stem)
def test_auto_fixture_prints_expected_json(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "auto", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    out.pop("source", None)
    assert out == expected
    assert path.with_suffix(".source").read_text().strip()
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(out, json.loads(SCHEMA.read_text()))


def test_a_mixed_paste_names_every_readable_command_and_reads_each_with_its_parser() -> None:
    data = (FIXTURES / "auto" / "docker-docs-standalone-tutorial.out").read_bytes()
    facts, parts = parse_parts(data)
    assert [p.kind for p in parts] == ["docker-network-ls", "docker-network-inspect", "ip-addr"]
    assert parts[0].commands == ("docker network ls", "docker network ls") and parts[0].lines == (1, 79)
    assert facts.kind == "docker-network-ls"
    # each part's facts, as its own parser reads them
    assert [i.name for i in facts.interfaces] == [i.name for i in parse("ip-addr", data).interfaces] == ["lo", "eth0"]
    inspected = [n for n in facts.networks if n.subnets]
    assert [(n.name, [str(s) for s in n.subnets]) for n in inspected] == [("bridge", ["172.17.0.0/16"])]
    # the latest docker network ls is the state now
    assert [n.name for n in facts.networks if not n.subnets] == ["alpine-net", "bridge", "host", "none"]
    # no part complains about lines another part read
    assert not any("not JSON" in w.message and w.line > 61 for w in facts.warnings)
    assert not any("another command's output ('docker network ls')" in w.message for w in facts.warnings)


def test_text_output_says_which_parts_were_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "auto", str(FIXTURES / "auto" / "docker-docs-standalone-tutorial.out")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "read as docker-network-ls (line 1, 79), docker-network-inspect (line 10), ip-addr (line 62)"


def test_plain_output_is_one_part_without_commands(capsys: pytest.CaptureFixture[str]) -> None:
    path = next((PARSER_FIXTURES / "ipconfig").glob("corpus-001*.out"))
    assert main(["parse", "auto", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parts"] == [{"kind": "ipconfig", "commands": [], "lines": []}]
    assert out["kind"] == "ipconfig" and out["interfaces"]


def test_named_kind_output_is_unchanged_by_parts(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "auto" / "docker-docs-standalone-tutorial.out"
    assert main(["parse", "ip-addr", str(path), "--json"]) == 0
    assert "parts" not in json.loads(capsys.readouterr().out)


_THREE = (
    "$ wsl -l -v\n  NAME   STATE   VERSION\n* Ubuntu Running 2\n"
    "$ cat /etc/resolv.conf\nnameserver 172.25.144.1\n"
    "$ ip addr\n1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n"
)


def test_three_kinds_in_one_paste() -> None:
    facts, parts = parse_parts(_THREE)
    assert [p.kind for p in parts] == ["wsl-list", "resolv-conf", "ip-addr"]
    assert [d.name for d in facts.distros] == ["Ubuntu"]
    assert [str(s) for s in facts.dns.servers] == ["172.25.144.1"]
    assert [i.name for i in facts.interfaces] == ["lo"]


def test_a_part_its_parser_refuses_is_dropped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from netatlas.errors import ParseError
    from netatlas.parsers import get_parser

    def refuse(data: object, *, source: str = "-") -> object:
        raise ParseError("no nameserver line", line=5, source=source)

    monkeypatch.setattr(get_parser("resolv-conf"), "parse", refuse)
    facts, parts = parse_parts(_THREE, source="x")
    assert [p.kind for p in parts] == ["wsl-list", "ip-addr"]
    assert any(w.line == 4 and w.message == "not read as resolv-conf: no nameserver line" for w in facts.warnings)


def test_unrecognised_input_is_a_located_one_line_error() -> None:
    from netatlas.errors import ParseError

    with pytest.raises(ParseError, match=r"^paste.txt:1: cannot tell what format this is"):
        parse_parts("hello there\n", source="paste.txt")
