"""``render.json_text.dumps`` gives exactly ``json.dumps(obj, indent=2, ensure_ascii=False)``."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.render.json_text import dumps


class Colour(str, enum.Enum):
    RED = "red"


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.just(Colour.RED),  # a str subclass: json's own text
)
_KEYS = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.booleans(), st.none(), st.floats(-2, 2))
_JSON = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(_KEYS, inner, max_size=3),
    ),
    max_leaves=30,
)


@settings(max_examples=250, deadline=None)
@given(_JSON)
def test_same_text_as_json_dumps(obj: Any) -> None:
    assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


def test_unknown_types_raise_as_json_does() -> None:
    with pytest.raises(TypeError):
        dumps({"a": [object()]})
