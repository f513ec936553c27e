#!/usr/bin/env python3
"""Fetch the JavaScript the offline HTML map inlines, and copy it into the package.

The HTML map (``netatlas render --format html``) must work with no network at all, so
its graph library is shipped inside the Python package and inlined into every page.
This script is the one place that library comes from: it installs the exact version
pinned in ``tools/js/package-lock.json`` from the npm registry (``npm ci``, integrity
checked, no install scripts) into a temporary folder, and copies the minified build
and its licence into ``src/netatlas/render/vendor/``, with a ``VENDOR.json`` saying
which package, version, licence and SHA-256 it is.

Usage::

    python tools/vendor_js.py          # refresh the vendored files
    python tools/vendor_js.py --check  # exit 1 if they differ from the lock file's

To move to a newer cytoscape: edit ``tools/js/package.json``, run
``npm install --package-lock-only --ignore-scripts`` in ``tools/js``, then this script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "tools" / "js"
VENDOR = ROOT / "src" / "netatlas" / "render" / "vendor"

# package name -> (file in the package to copy, name in vendor/)
FILES = {
    "cytoscape": (("dist/cytoscape.min.js", "cytoscape.min.js"), ("LICENSE", "cytoscape.LICENSE")),
}


def _install(into: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(JS / name, into / name)
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: install Node.js and npm (apt-get install npm)")
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=into,
        check=True,
        timeout=300,
    )


def _collect(into: Path) -> dict[str, bytes]:
    """The vendored files (name -> bytes), plus VENDOR.json."""
    out: dict[str, bytes] = {}
    meta: dict[str, dict[str, str]] = {}
    for package, files in FILES.items():
        pkg_dir = into / "node_modules" / package
        manifest = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
        for src, dest in files:
            out[dest] = (pkg_dir / src).read_bytes()
        main = files[0][1]
        meta[package] = {
            "version": manifest["version"],
            "license": manifest.get("license", ""),
            "file": main,
            "licence_file": files[1][1],
            "sha256": hashlib.sha256(out[main]).hexdigest(),
            "source": f"npm registry, {package}@{manifest['version']} (tools/js/package-lock.json)",
        }
    out["VENDOR.json"] = (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode()
    return out


def main(argv: list[str] | None = None) -> int:
    """Refresh (or with ``--check`` compare) the vendored JavaScript."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="netatlas-js-") as tmp:
        _install(Path(tmp))
        files = _collect(Path(tmp))
    if args.check:
        stale = [n for n, data in files.items() if not (VENDOR / n).is_file() or (VENDOR / n).read_bytes() != data]
        for name in stale:
            print(f"stale: src/netatlas/render/vendor/{name}")
        return 1 if stale else 0
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (VENDOR / name).write_bytes(data)
        print(f"wrote src/netatlas/render/vendor/{name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
