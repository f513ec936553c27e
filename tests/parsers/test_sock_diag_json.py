"""``sock-diag-json``: the listener records the sock_diag collector writes, and bad ones."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.errors import ParseError
from netatlas.parsers import parse


def _doc(records: list[dict[str, Any]]) -> bytes:
    return ("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n").encode()


def _rec(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "protocol": "tcp",
        "state": "LISTEN",
        "family": "inet",
        "local": "0.0.0.0",
        "port": 80,
        "v6only": None,
        "interface": None,
        "ifindex": 0,
        "inode": 1,
        "uid": 0,
        "processes": [{"pid": 7, "name": "nginx", "fd": 6}],
    }
    rec.update(over)
    return rec


_record = st.fixed_dictionaries(
    {
        "protocol": st.sampled_from(["tcp", "udp", "sctp"]),
        "state": st.sampled_from(["LISTEN", "UNCONN", "ESTAB"]),
        "local": st.one_of(
            st.ip_addresses().map(str), st.sampled_from(["::", "0.0.0.0", "::ffff:127.0.0.1", "nonsense"])
        ),
        "port": st.one_of(st.integers(-1, 70000), st.none(), st.text(max_size=3)),
        "v6only": st.sampled_from([None, True, False]),
        "processes": st.lists(
            st.fixed_dictionaries({"pid": st.one_of(st.integers(1, 99999), st.none()), "name": st.text(max_size=8)}),
            max_size=3,
        ),
    }
)


def _valid(r: dict[str, Any]) -> bool:
    port = r["port"]
    return (
        (r["protocol"], r["state"]) in (("tcp", "LISTEN"), ("udp", "UNCONN"))
        and isinstance(port, int)
        and 0 < port < 65536
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_record, max_size=12))
def test_every_listening_record_is_one_listener_and_the_rest_are_warned(records: list[dict[str, Any]]) -> None:
    facts = parse("sock-diag-json", _doc(records))
    kept = [r for r in records if _valid(r)]
    assert len(facts.listeners) == len(kept)
    for li, r in zip(facts.listeners, kept, strict=True):
        assert (li.protocol, li.port) == (r["protocol"], r["port"])
        if r["local"] == "::" and r["v6only"] is False:
            assert li.address is None  # both families, ss's "*"
        elif r["local"] == "::ffff:127.0.0.1":
            assert li.address == ipaddress.ip_address("127.0.0.1")
        owners = [p for p in r["processes"] if isinstance(p["pid"], int)]
        assert li.pid == (owners[0]["pid"] if owners else None)
    assert len(facts.warnings) >= len(records) - len(kept)


def test_dual_stack_v6only_and_mapped() -> None:
    facts = parse(
        "sock-diag-json",
        _doc(
            [
                _rec(family="inet6", local="::", v6only=False),
                _rec(family="inet6", local="::", v6only=True, port=81),
                _rec(family="inet6", local="::ffff:127.0.0.1", v6only=False, port=82),
            ]
        ),
    )
    assert [str(li.address) for li in facts.listeners] == ["None", "::", "127.0.0.1"]


def test_unknown_owners_get_one_warning_with_the_reason() -> None:
    why = "the fd tables of 3 processes could not be read (permission denied; root sees every owner)"
    facts = parse(
        "sock-diag-json",
        _doc([_rec(), _rec(port=81, processes=[], owner_error=why), _rec(port=82, processes=[], owner_error=why)]),
    )
    assert [li.process for li in facts.listeners] == ["nginx", None, None]
    assert [(w.line, w.message) for w in facts.warnings] == [(3, f"process unknown for 2 listener(s): {why}")]


def test_bad_record_is_warned_at_its_line_and_the_rest_kept() -> None:
    facts = parse("sock-diag-json", _doc([_rec(), _rec(port="x"), _rec(local="nope", port=90)]))
    assert [li.port for li in facts.listeners] == [80, 90]
    assert [w.line for w in facts.warnings] == [3, 4]


def test_broken_json_names_its_line() -> None:
    with pytest.raises(ParseError, match=r"^f:3: "):
        parse("sock-diag-json", b'[\n{"protocol": "tcp"},\n{"protocol": ]\n]\n', source="f")
