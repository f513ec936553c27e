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

from netatlas.model import IPAddress
from netatlas.parsers._base import ip_or_none

__all__ = [
    "RULE",
    "address",
    "address_token",
    "indent_of",
    "label_key",
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
