"""Knowledge as data: engine defaults, special names, generated-file markers.

Each JSON file here carries its sources (see ``../shared/facts`` in the project's
steering repo), so code never hides a default in a literal. Files are read lazily
and cached.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["load"]


@cache
def load(name: str) -> Any:
    """The parsed content of ``knowledge/<name>.json``.

    Read beside this module when the package is on a file system (importing
    :mod:`importlib.resources` costs a CLI start ~5 ms on a plain interpreter);
    through it otherwise (a zip).
    """
    beside = Path(__file__).with_name(f"{name}.json")
    if beside.is_file():
        return json.loads(beside.read_text(encoding="utf-8"))
    from importlib import resources

    return json.loads(resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8"))
