"""Every parser module follows the same contract (enforced here, not by a template)."""

from __future__ import annotations

import inspect

import pytest

from netatlas.parsers import get_parser, kinds
from netatlas.parsers._base import ParserInfo, Platform


@pytest.mark.parametrize("kind", kinds())
def test_module_contract(kind: str) -> None:
    mod = get_parser(kind)
    assert isinstance(mod.INFO, ParserInfo)
    assert mod.INFO.kind == kind
    assert mod.INFO.platforms and all(isinstance(p, Platform) for p in mod.INFO.platforms)
    assert mod.INFO.description
    sig = inspect.signature(mod.parse)
    assert list(sig.parameters) == ["data", "source"]
    assert sig.parameters["source"].kind is inspect.Parameter.KEYWORD_ONLY
    assert callable(mod.sniff)
    # two stages, as jc: tokens first, then typed values
    assert callable(getattr(mod, "_raw", None)), "missing _raw stage"
    assert callable(getattr(mod, "_process", None)), "missing _process stage"
    assert mod.__doc__ and len(mod.__doc__) > 80, "module docstring must give schema + example"


@pytest.mark.parametrize("kind", kinds())
def test_parser_does_no_io(kind: str) -> None:
    """Parsers are pure: no subprocess, no open(), no sockets in the source."""
    src = inspect.getsource(get_parser(kind))
    for banned in ("subprocess", "open(", "socket", "os.system", "Path("):
        assert banned not in src, f"{kind} uses {banned}"


def test_a_module_that_is_no_parser_is_an_unknown_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray folder under parsers/ imports as a namespace package: not a kind."""
    import importlib
    import types

    from netatlas.errors import UnknownKindError

    real = importlib.import_module
    stray = types.ModuleType("netatlas.parsers.testdata")
    monkeypatch.setattr(importlib, "import_module", lambda name: stray if name.endswith(".testdata") else real(name))
    with pytest.raises(UnknownKindError, match="unknown kind 'testdata'"):
        get_parser("testdata")
    assert get_parser("hosts").INFO.kind == "hosts"
