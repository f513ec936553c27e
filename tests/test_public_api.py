"""The public API is explicit (``__all__``), importable everywhere, and cheap to import."""

from __future__ import annotations

import builtins
import importlib
import pkgutil
import subprocess
import sys
from typing import Any

import pytest

import netatlas


def test_all_names_exist() -> None:
    for name in netatlas.__all__:
        assert getattr(netatlas, name) is not None, name


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(netatlas.__path__, "netatlas."))


def test_every_module_imports_without_linux_only_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows and macOS pyroute2 is not installed; nothing may need it at import."""
    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyroute2" or name.startswith("pyroute2."):
            raise ImportError(f"No module named {name!r} (simulated non-Linux platform)")
        return real(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m.startswith(("netatlas", "pyroute2"))]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", fake)
    for name in _modules():
        importlib.import_module(name)


def test_netlink_without_pyroute2_is_a_recorded_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyroute2", None)
    from netatlas.collect import netlink

    a, r = netlink.dump()
    assert a.failure is not None and a.failure.code == "unsupported"
    assert r.failure is not None


def test_cli_start_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from netatlas import cli; "
        "heavy = [m for m in ('pyroute2', 'docker', 'dns.resolver', 'jc', 'yaml', 'rich.console') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
