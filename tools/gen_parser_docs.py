"""Write docs/parsers.md from every parser's INFO and module docstring.

The docstrings are the source of truth (schema and example live beside the code);
``tests/test_docs.py`` fails when docs/parsers.md is out of date. Run:

    python3 tools/gen_parser_docs.py
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from netatlas.parsers import get_parser, kinds

OUT = Path(__file__).resolve().parents[1] / "docs" / "parsers.md"


def render() -> str:
    parts = [
        "# Parser kinds",
        "",
        "Generated from the parsers' docstrings by `tools/gen_parser_docs.py`; do not edit by hand.",
        "Use a kind with `netatlas parse KIND FILE`, or `auto` to recognise the format.",
        "",
        "| kind | reads | platforms |",
        "| --- | --- | --- |",
    ]
    for kind in kinds():
        info = get_parser(kind).INFO
        plats = ", ".join(p.value for p in info.platforms)
        parts.append(f"| [`{kind}`](#{kind}) | {info.description} | {plats} |")
    for kind in kinds():
        mod = get_parser(kind)
        info = mod.INFO
        parts += ["", f"## {kind}", ""]
        if info.source:
            parts.append(f"Source: `{info.source}`")
            parts.append("")
        parts.append(inspect.cleandoc(mod.__doc__ or ""))
    return "\n".join(parts) + "\n"


def main() -> int:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
