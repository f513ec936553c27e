"""The public API is explicit (``__all__``), importable everywhere, and cheap to import."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import netatlas


def test_all_names_exist() -> None:
    for name in netatlas.__all__:
        assert getattr(netatlas, name) is not None, name


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(netatlas.__path__, "netatlas."))


def test_every_module_imports_without_linux_only_dependencies() -> None:
    """On Windows and macOS pyroute2 is not installed; nothing may need it at import.

    Runs in a fresh interpreter: re-importing netatlas in this one would leave two
    copies of its classes (and enums) behind for the tests that follow.
    """
    code = (
        "import builtins, importlib, pkgutil\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name == 'pyroute2' or name.startswith('pyroute2.'):\n"
        "        raise ImportError('simulated non-Linux platform')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "import netatlas\n"
        "names = sorted(m.name for m in pkgutil.walk_packages(netatlas.__path__, 'netatlas.'))\n"
        "for n in names:\n"
        "    importlib.import_module(n)\n"
        "print(len(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(_modules())


def test_netlink_without_pyroute2_is_a_recorded_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off Linux (no pyroute2, no AF_NETLINK) a netlink dump is a recorded failure."""
    import socket

    monkeypatch.setitem(sys.modules, "pyroute2", None)
    monkeypatch.delattr(socket, "AF_NETLINK", raising=False)
    from netatlas.collect import netlink

    a, r = netlink.dump()
    assert a.failure is not None and a.failure.code == "unsupported"
    assert r.failure is not None


def test_cli_start_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from netatlas import cli; "
        "heavy = [m for m in ('pyroute2', 'docker', 'dns.resolver', 'jc', 'yaml', 'rich.console')"
        " if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_model_names_are_listed() -> None:
    import netatlas.model

    assert {"Evidence", "Failure", "Vantage", "VantageKind", "Facts"} <= set(dir(netatlas.model))
    assert netatlas.model.VantageKind.NETNS.value == "netns"
