"""Write a value as Windows PowerShell 5.1's ConvertTo-Json lays it out (for constructed fixtures).

The layout, measured on real outputs (see the .source files of the ps-* fixtures): members
4 spaces right of their opening bracket's column, ``"Key":  value`` with two spaces, an
empty array as ``[`` blank line ``]``, CRLF line ends.

    python3 tests/tools/ps51_json.py IN.json OUT.out
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _scalar(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def dump(v: Any, col: int = 0) -> str:
    """``v`` laid out with its opening bracket at column ``col``."""
    pad = " " * (col + 4)
    if isinstance(v, dict):
        items = [f'{pad}"{k}":  {dump(x, col + 4 + len(k) + 5)}' for k, x in v.items()]
        return "{\r\n" + ",\r\n".join(items) + "\r\n" + " " * col + "}"
    if isinstance(v, list):
        if not v:
            return "[\r\n\r\n" + " " * col + "]"
        return "[\r\n" + ",\r\n".join(pad + dump(x, col + 4) for x in v) + "\r\n" + " " * col + "]"
    return _scalar(v)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as src:
        data = json.load(src)
    with open(sys.argv[2], "w", encoding="utf-8", newline="") as out:
        out.write(dump(data) + "\r\n")
