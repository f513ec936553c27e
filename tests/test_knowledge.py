"""Knowledge files load the same from a file system and through importlib.resources."""

from __future__ import annotations

from pathlib import Path

import pytest

from netatlas import knowledge

NAMES = sorted(p.stem for p in Path(knowledge.__file__).parent.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_each_file_loads_beside_the_module_and_through_resources(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    beside = knowledge.load.__wrapped__(name)
    assert beside  # every knowledge file has content
    monkeypatch.setattr(Path, "is_file", lambda self: False)  # as in a zip: nothing beside the module
    assert knowledge.load.__wrapped__(name) == beside


def test_a_missing_file_is_an_error() -> None:
    with pytest.raises(FileNotFoundError):
        knowledge.load.__wrapped__("no-such-knowledge")
