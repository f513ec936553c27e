"""Knowledge as data: engine defaults, special names, generated-file markers.

Each JSON file here carries its sources (see ``../shared/facts`` in the project's
steering repo), so code never hides a default in a literal. Files are read lazily
and cached.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["load"]


@cache
def load(name: str) -> Any:
    """The parsed content of ``knowledge/<name>.json``."""
    path = resources.files(__package__).joinpath(f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))
