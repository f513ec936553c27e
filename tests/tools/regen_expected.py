"""Write ``<case>.json`` beside each given ``<case>.out`` from the current parser.

Run it, then READ the JSON against the input by hand before committing: the test
only proves the parser still agrees with what a person checked.

    python tests/tools/regen_expected.py tests/fixtures/parsers/hosts/*.out
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from netatlas.parsers import parse


def main(paths: list[str]) -> None:
    for name in paths:
        path = Path(name)
        facts = parse(path.parent.name, path.read_bytes(), source=str(path))
        out = path.with_suffix(".json")
        out.write_text(json.dumps(facts.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out} ({len(facts.warnings)} warnings)")


if __name__ == "__main__":
    main(sys.argv[1:])
