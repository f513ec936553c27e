"""Layout helpers shared by the Windows parsers (``ipconfig``, ``route print``, ``tracert``, portproxy).

Windows localizes every label of these tools but not their layout, so the parsers
recognise *shapes*: a ``Label . . . . : value`` field with its dot leader, a rule of
``=`` signs, an address-shaped token, a port number. Words are only used to *name*
a field once its shape is found (see ``knowledge/ipconfig_labels.json``).

>>> split_field("   IPv4 Address. . . . . . . . . . . : 192.0.2.7(Preferred)")
('IPv4 Address', '192.0.2.7(Preferred)', True)
>>> split_field("   Vínculo: dirección IPv6 local. . . : fe80::1%18")
('Vínculo: dirección IPv6 local', 'fe80::1%18', True)
>>> address_token("fe80::1%18(Preferred)")
'fe80::1%18'
>>> redacted_address("192.168.x.x")
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace

from netatlas.errors import ParseError
from netatlas.model import Facts, IPAddress
from netatlas.parsers._base import Warnings, decode, ip_or_none

__all__ = [
    "OEM_CODEPAGES",
    "RULE",
    "address",
    "address_token",
    "decode_oem",
    "indent_of",
    "label_key",
    "parse_oem",
    "redacted_address",
    "split_field",
    "strip_suffix",
]

RULE = re.compile(r"^\s*=+\s*$")
"""``route print`` separates its sections with a line of ``=`` signs."""

# The colon that ends a dot leader (". . . :", ".:", ". . .  . :"), followed by a blank or the end.
_LEADER_COLON = re.compile(r"\.[\s.]*:(?=\s|$)")
# Without a leader (long labels fill the column: "Verbindungsspezifisches DNS-Suffix:"), the first
# colon followed by a blank or the end; "::" inside an IPv6 value is followed by a hex digit.
_PLAIN_COLON = re.compile(r"\s*:(?=\s|$)")
_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
_REDACTED = re.compile(r"^(?=.*[xX*?#])[0-9a-fA-FxX*?#]{1,4}(?:[.:][0-9a-fA-FxX*?#]{0,4}){1,7}$")


def indent_of(text: str) -> int:
    """Leading blanks (a tab counts as one): the only layout cue left in many pastes."""
    return len(text) - len(text.lstrip())


def split_field(text: str) -> tuple[str, str, bool] | None:
    """``(label, value, had_dot_leader)`` of a ``Label . . . : value`` line, else ``None``.

    The separator is the colon that closes the dot leader when there is one, so a
    label with its own colon (Spanish ``Vínculo: dirección IPv6 local``) and a value
    with colons (IPv6, times) both survive.
    """
    body = text.strip()
    m = _LEADER_COLON.search(body)
    leader = m is not None
    if m is None:
        m = _PLAIN_COLON.search(body)
    if m is None or m.start() == 0:
        return None
    label = body[: m.start()].rstrip(" .")
    value = body[m.end() :].strip()
    if not label:
        return None
    return label, value, leader


def label_key(label: str) -> str:
    """A label compared across pastes: dot leaders, case and repeated blanks ignored."""
    return " ".join(label.replace("\u00a0", " ").rstrip(" .").split()).casefold()


def strip_suffix(value: str) -> str:
    """``10.5.0.2(Preferred)`` → ``10.5.0.2``; works for any language's word in the brackets."""
    return _SUFFIX.sub("", value).strip()


def address_token(value: str) -> str | None:
    """The value as an address string (zone kept) when it is one, after dropping ``(...)``."""
    token = strip_suffix(value)
    return token if " " not in token and ip_or_none(token) is not None else None


def address(value: str) -> IPAddress | None:
    """The canonical address of an address-shaped value, or ``None``."""
    token = address_token(value)
    return ip_or_none(token) if token else None


def redacted_address(token: str) -> bool:
    """An address with parts cut out (``192.168.x.x``, ``xxx.xxx.xxx.xxx``, ``fe80::xxxx``).

    Users hide addresses before pasting; such a value is an address we may not
    know, never a name, so parsers record ``None`` with a warning.
    """
    return bool(_REDACTED.match(strip_suffix(token)))


# --------------------------------------------------------------------------- OEM code pages

OEM_CODEPAGES = ("cp850", "cp437", "cp852", "cp866", "cp932", "cp936", "cp949", "cp950", "cp857", "cp737", "cp775")
"""The OEM code pages of Windows' display languages, in the order they are tried.

``ipconfig``, ``route`` and ``netsh`` write the console's OEM code page when their
output goes to a pipe or a file (Western Europe 850, US English 437, Central Europe
852, Cyrillic 866, Japanese 932, Simplified Chinese 936, Korean 949, Traditional
Chinese 950, Turkish 857, Greek 737, Baltic 775: the ``OEMCP`` of each locale in
Microsoft's code page identifiers list). A pasted file keeps those bytes.
"""


_MULTIBYTE = frozenset({"cp932", "cp936", "cp949", "cp950"})


def _letters(text: str) -> float:
    """The share of non-ASCII characters that are letters, marks or spaces.

    A wrong code page turns accented letters into box-drawing and symbol characters
    (``ä`` in 850 read as 932 fails; 932 read as 437 gives ``µ├ï``), so the right one
    scores near 1.
    """
    odd = [c for c in text if ord(c) > 0x7F]
    if not odd:
        return 1.0
    good = sum(1 for c in odd if unicodedata.category(c)[0] in "LMZ")
    return good / len(odd)


def decode_oem(
    data: bytes | str, *, known: Callable[[str], int] = lambda _t: 0, warnings: Warnings | None = None
) -> str:
    """Text of a Windows tool's output: UTF-8/UTF-16 as :func:`decode` reads, else an OEM code page.

    Of the code pages in :data:`OEM_CODEPAGES` that decode the bytes, the one whose
    text has the most labels the parser knows (``known`` counts them: localized
    ipconfig labels) wins, then the one whose non-ASCII characters are letters; a
    tie keeps the list's order. The code page used is said in a warning at line 1,
    so the parse output records how the bytes were read.

    Raises:
        ParseError: the bytes are neither UTF-8/UTF-16 nor text in any OEM code page.
    """
    try:
        return decode(data)
    except ParseError as exc:
        if isinstance(data, str) or b"\x00" in data or "UTF-8" not in str(exc):
            raise
        first = exc
    scored: list[tuple[int, float, int, str, str]] = []
    for order, cp in enumerate(OEM_CODEPAGES):
        try:
            text = data.decode(cp)
        except UnicodeDecodeError:
            continue
        labels = known(text)
        if labels == 0 and cp in _MULTIBYTE:
            continue  # double-byte pages read most byte pairs as some ideograph: only labels tell
        scored.append((labels, _letters(text), -order, cp, text))
    if not scored:
        raise first
    labels, letters, _order, cp, text = max(scored)
    if labels == 0 and letters < 0.9:
        raise first
    if warnings is not None:
        why = f"{labels} localized labels match" if labels else "its non-ASCII characters are letters"
        warnings.add(1, f"read as code page {cp} (OEM; not UTF-8 or UTF-16): {why}")
    return text.lstrip("\ufeff")


def parse_oem(
    data: bytes | str, source: str, body: Callable[[str], Facts], *, known: Callable[[str], int] = lambda _t: 0
) -> Facts:
    """``body`` over :func:`decode_oem`'s text, with the code-page note among the warnings.

    Raises:
        ParseError: located, naming ``source``.
    """
    notes = Warnings()
    try:
        text = decode_oem(data, known=known, warnings=notes)
    except ParseError as exc:
        raise exc.with_source(source) from None
    facts = body(text)
    if not notes.items:
        return facts
    merged = Warnings()
    merged.extend(notes.items)
    merged.extend(facts.warnings)
    return replace(facts, warnings=merged.sorted())
