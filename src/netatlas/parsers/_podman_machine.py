"""What ``podman machine list`` and ``podman machine inspect`` share: a JSON array of machines.

Both print one JSON array of objects with Go's field names (podman has no ``json``
tags on these structs): ``list`` marshals ``entities.ListReporter``
(``pkg/domain/entities/machine.go``), ``inspect`` marshals ``machine.InspectInfo``
(``pkg/machine/config.go``). Each object is handed on with the lines it spans, so a
warning about one machine points at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.parsers._base import Warnings
from netatlas.parsers._docker import extract_json

__all__ = ["machines", "text_field"]


def machines(text: str, warnings: Warnings, what: str) -> list[tuple[int, Mapping[str, Any]]]:
    """``(line, object)`` for every machine object in the JSON array(s) of ``text``.

    Raises:
        ParseError: no JSON at all, JSON that breaks (at its line), or a bare scalar.
        An empty array is no machine, not an error: ``podman machine list`` prints
        ``[]`` before ``podman machine init``.
    """
    out: list[tuple[int, Mapping[str, Any]]] = []
    for value in extract_json(text, warnings):  # raises on no JSON, or JSON that breaks
        if not isinstance(value.value, (list, Mapping)):
            raise ParseError(f"not {what} output: a JSON {type(value.value).__name__}", line=value.first_line)
        for first, _last, item in value.items:
            if isinstance(item, Mapping) and isinstance(item.get("Name"), str) and item["Name"]:
                out.append((first, item))
            else:
                warnings.add(first, f"skipped a JSON {type(item).__name__} without a machine 'Name'")
    return out


def text_field(obj: Any, *path: str) -> str | None:
    """A non-empty string at ``path`` in nested objects, else None."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj if isinstance(obj, str) and obj else None
