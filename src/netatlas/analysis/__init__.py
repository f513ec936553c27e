"""Analyses: small named checks over an atlas, each returning findings.

A check is one module ``netatlas.analysis.<code with _>`` with ``CODE`` (the stable
finding code), a one-line ``DESCRIPTION``, and ``check(atlas, options) ->
list[Finding]``. Adding a check is adding a module: nothing to register. Checks are
pure: they read the atlas and touch no system.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol, cast

from netatlas.errors import UnknownKindError
from netatlas.model import IPNetwork
from netatlas.model.atlas import Atlas, Finding

__all__ = ["CheckModule", "Options", "check_codes", "get_check", "run_checks"]

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Options:
    """What the user asked for beyond the atlas itself.

    Args:
        reserved: CIDRs that must stay free (``--reserve``), e.g. the corporate VPN.
        vantage: the vantage a reachability question is asked from, if any.
    """

    reserved: Sequence[IPNetwork] = field(default_factory=tuple)
    vantage: str | None = None


class CheckModule(Protocol):
    """The interface of every check module."""

    CODE: str
    DESCRIPTION: str

    def check(self, atlas: Atlas, options: Options) -> list[Finding]: ...


@cache
def check_codes() -> tuple[str, ...]:
    """Every check's code, sorted."""
    return tuple(sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))


def get_check(code: str) -> CheckModule:
    """The module of one check.

    Raises:
        UnknownKindError: no check with that code.
    """
    if code not in check_codes():
        raise UnknownKindError(f"unknown check {code!r}; known: {', '.join(check_codes())}")
    return cast(CheckModule, importlib.import_module(f"{__name__}.{code.replace('-', '_')}"))


def run_checks(atlas: Atlas, options: Options | None = None) -> list[Finding]:
    """Every check's findings, errors first, then by code and title."""
    opts = options or Options()
    found: list[Finding] = []
    for code in check_codes():
        found.extend(get_check(code).check(atlas, opts))
    return sorted(found, key=lambda f: (_ORDER[f.severity], f.code, f.title))
