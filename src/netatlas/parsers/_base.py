"""What every parser shares: metadata, decoding, transcript cleaning, canonical values.

A parser module is pure: it gets bytes or text and returns :class:`~netatlas.model.Facts`.
It never opens files or runs commands, and it raises nothing but
:class:`~netatlas.errors.ParseError`. The helpers here do the parts every format
needs the same way:

* :func:`decode` turns bytes into text (UTF-8, UTF-16LE with or without BOM, as
  ``wsl.exe`` writes), failing with the line of the first undecodable byte.
* :func:`segments` splits a pasted transcript at prompt lines, drops code fences, and
  :func:`select` keeps the output of the parser's own command, warning about the rest.
  When that command ran more than once with the same arguments, the last run is the
  state now: :func:`select_runs` sets the earlier runs apart, and :func:`run_stages`
  reads them only to say how they differed (``run 1 of 2: Ubuntu was Running``).
* :func:`ip`, :func:`prefix_from_mask`, :func:`mac` canonicalise values at the
  boundary, so no address string travels past a parser.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

from netatlas.errors import ParseError
from netatlas.model import Facts, IPAddress, IPNetwork, Warning

__all__ = [
    "Line",
    "Occurrences",
    "ParserInfo",
    "ParserModule",
    "Platform",
    "Run",
    "Segment",
    "Selection",
    "Warnings",
    "decode",
    "ip",
    "ip_or_none",
    "mac",
    "network",
    "prefix_from_mask",
    "read_text",
    "run_stages",
    "segments",
    "select",
    "select_runs",
    "with_earlier_runs",
]


class Platform(str, Enum):
    """Where a format comes from (an Enum, not strings: see STYLE.md, jc's drift)."""

    LINUX = "linux"
    WINDOWS = "windows"
    MACOS = "macos"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class ParserInfo:
    """What a parser reads.

    Args:
        kind: the CLI name (``ip-addr``); the module is the kind with ``_`` for ``-``.
        description: one line for ``netatlas parse --help``.
        platforms: where the input comes from.
        commands: regexes matching the command lines (in a pasted transcript) whose
            output this parser reads; used to skip neighbouring commands' output.
        source: the command or file that produces the input, for people.
    """

    kind: str
    description: str
    platforms: tuple[Platform, ...]
    commands: tuple[str, ...] = ()
    source: str = ""


class ParserModule(Protocol):
    """The interface every ``netatlas.parsers.<kind>`` module provides."""

    INFO: ParserInfo

    def parse(self, data: bytes | str, *, source: str = "-") -> Facts: ...

    def sniff(self, text: str) -> float: ...


@dataclass(frozen=True, slots=True)
class Line:
    """A line of input with its 1-based number in the original text."""

    no: int
    text: str


@dataclass
class Warnings:
    """Collects warnings in line order while a parser works."""

    items: list[Warning] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        """Record that ``line`` was skipped or guessed, and why."""
        self.items.append(Warning(line=line, message=message))

    def extend(self, other: Iterable[Warning]) -> None:
        """Take warnings collected elsewhere (e.g. by :func:`select`)."""
        self.items.extend(other)

    def sorted(self) -> tuple[Warning, ...]:
        """The warnings by line number (stable for equal lines)."""
        return tuple(sorted(self.items, key=lambda w: w.line))


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _looks_utf16le(data: bytes) -> bool:
    """ASCII-heavy UTF-16LE text has a NUL in most odd positions."""
    sample = data[:400]
    if len(sample) < 4:
        return False
    odd = sample[1::2]
    return odd.count(0) >= 0.6 * len(odd) and sample[0::2].count(0) < 0.2 * len(odd)


def decode(data: bytes | str) -> str:
    """Bytes to text, the way the tools that wrote them encode.

    UTF-8 (with or without BOM) and UTF-16 (with BOM, or LE without one, which is
    what ``wsl.exe`` writes) are read. Anything else is refused with the line of the
    first bad byte, since guessing a code page would silently garble names.

    Raises:
        ParseError: the bytes are not text in those encodings, or contain NULs.

    >>> decode("* Ubuntu Running 2".encode("utf-16-le"))
    '* Ubuntu Running 2'
    """
    if isinstance(data, str):
        text = data
    else:
        encoding = "utf-8"
        body = data
        for bom, enc in _BOMS:
            if data.startswith(bom):
                encoding, body = enc, data[len(bom) :]
                break
        else:
            if _looks_utf16le(data):
                encoding = "utf-16-le"
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            start = exc.start
            if encoding.startswith("utf-16"):
                line = body[:start].decode(encoding, "replace").count("\n") + 1
            else:
                line = body[:start].count(b"\n") + 1
            raise ParseError(
                f"not {encoding.upper()} text: byte {body[start]:#04x} cannot be decoded "
                "(save the output as UTF-8 or UTF-16)",
                line=line,
            ) from exc
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError("binary data (NUL character) in text input", line=line)
    return text


def read_text(data: bytes | str) -> str:
    """:func:`decode`, refusing input with nothing but whitespace.

    Raises:
        ParseError: undecodable or empty input.
    """
    text = decode(data)
    if not text.strip():
        raise ParseError("empty input")
    return text


def lines(text: str) -> list[Line]:
    """Numbered lines; CRLF, CR and LF all end a line, trailing whitespace kept off."""
    return [Line(i, t.rstrip()) for i, t in enumerate(re.split(r"\r\n|\r|\n", text), 1)]


# --------------------------------------------------------------------------- transcripts

_PROMPT = re.compile(
    r"""^\s*(?:
        (?:\(\S+\)\s*)?\S+@[\w.-]+(?::\S*)?\s?[$#%>]\s*     # user@host:~$ , root@h:/# , (venv) u@h:~$
      | ┌──.*                                               # Kali's two-line prompt, first line
      | └─[$#]\s*                                          # ... and its second line
      | PS\s+[A-Za-z]:\\[^>]*>\s*                           # PowerShell
      | PS\s*>\s*                                          # PowerShell, path cut out
      | (?:ba|z|k)?sh-[\d.]+[$#]\s*                          # bash-4.3#
      | [A-Za-z]:\\[^>]*>\s*                                 # cmd.exe
      | [$%❯»➜λ]\s+                                         # bare prompts ($ is the common one)
      | \[[^\]@]*@[^\]]*\]\s*[$#]\s*                        # [user@host dir]$ (needs @: "[wsl2] # x" is INI)
    )(?P<cmd>.*)$""",
    re.VERBOSE,
)
_BARE_PROMPT = re.compile(r"^\s*(?:>>>|>|(?:[~/][^\s#$>]*\s?)?#)\s*(?P<cmd>\S.*)$")
"""Prompts too bare to tell from a quote or a comment on their own: ``> wsl -l -v``
(PowerShell with the path cut, cmd.exe's ``>``), ``# ip addr show`` and ``/ # ip a`` (a
root shell in a container), ``>>> ipconfig``. Such a line is a prompt only when what
follows is typed like a command (:func:`_typed`): ``# Added by Docker Desktop`` and
``> Ethernet adapter Wi-Fi:`` stay what they are."""

_TOOLS = frozenset(
    """
    wsl wslconfig ipconfig netsh route ip ifconfig docker podman nerdctl kubectl minikube kind
    nslookup getent dig ping tracert traceroute tracepath ss netstat scutil hostname arp
    resolvectl nmcli iptables nft cat type more less head tail grep findstr egrep ls dir cd
    sudo doas echo curl wget systemctl service powershell pwsh cmd bash sh zsh uname whoami
    winget choco apt apt-get dnf yum apk lsb_release docker-compose telnet nc ncat nmap
    """.split()  # noqa: SIM905 - a word list reads better as text
)
"""Command words a bare prompt may start with: the tools netatlas reads and the ones people
type around them. Lowercase, as typed; a sentence after ``#`` starts with a capital."""

_VERBS = frozenset(
    """
    Add Clear Compare Connect ConvertFrom ConvertTo Copy Disable Disconnect Enable Enter Exit
    Export Find ForEach Format Get Group Import Install Invoke Join Measure Move New Out Pop
    Push Read Register Remove Rename Resolve Restart Select Set Show Sort Split Start Stop Tee
    Test Uninstall Unregister Update Wait Where Write
    """.split()  # noqa: SIM905 - a word list reads better as text
)
"""PowerShell's approved verbs: ``Get-NetIPAddress`` is a command, ``docker-desktop`` is not."""


def _typed(cmd: str) -> bool:
    """Whether text after a bare prompt reads as a command line rather than prose or output."""
    word = cmd.split()[0]
    if re.fullmatch(r"[a-z][\w.-]*", word):
        return word.removesuffix(".exe") in _TOOLS
    if re.fullmatch(r"[\w.-]+\.exe", word, re.IGNORECASE):
        return True
    verb, _, noun = word.partition("-")
    return bool(noun) and verb.capitalize() in _VERBS and re.fullmatch(r"[A-Za-z]+", noun) is not None


_FENCE = re.compile(r"^\s*(```|~~~)")
_FENCE_TAG = re.compile(r"^\s*(?:```|~~~)[\w+.-]*\s*$")
"""A fence alone or with a language tag (```bash); anything else after it is content."""
_FENCE_TAIL = re.compile(r"(?<=\S)\s*(?:```|~~~)\s*$")


@dataclass(frozen=True, slots=True)
class Segment:
    """Output lines that follow one prompt (or the start of the text)."""

    command: str | None
    prompt_line: int | None
    lines: tuple[Line, ...]


def prompt_command(text: str) -> str | None:
    """The command typed at a prompt line, or ``None`` when the line is no prompt.

    >>> prompt_command("joe@z820:~$ ifconfig")
    'ifconfig'
    >>> prompt_command("C:\\\\Users\\\\me>ipconfig /all")
    'ipconfig /all'
    >>> prompt_command("# a comment") is None
    True
    >>> prompt_command("# ip addr show"), prompt_command("> wsl --list --verbose")
    ('ip addr show', 'wsl --list --verbose')
    """
    m = _PROMPT.match(text)
    if m:
        return m.group("cmd").strip()
    bare = _BARE_PROMPT.match(text)
    if bare and _typed(bare["cmd"]):
        return bare["cmd"].strip()
    return None


def segments(text: str, *, warnings: Warnings) -> list[Segment]:
    """Split pasted text at prompt lines; drop code-fence lines with a warning."""
    out: list[Segment] = []
    cmd: str | None = None
    at: int | None = None
    cur: list[Line] = []
    for ln in lines(text):
        if _FENCE.match(ln.text):
            if _FENCE_TAG.match(ln.text):
                warnings.add(ln.no, "skipped code-fence line")
                continue
            # a fence glued to the first line of output (```Ethernet adapter X:): keep the output
            warnings.add(ln.no, "removed a code fence glued to the line")
            ln = Line(ln.no, re.sub(r"^\s*(?:```|~~~)", "", ln.text))
        elif _FENCE_TAIL.search(ln.text):
            warnings.add(ln.no, "removed a code fence glued to the line")
            ln = Line(ln.no, _FENCE_TAIL.sub("", ln.text))
        typed = prompt_command(ln.text)
        if typed is not None:
            if cur or cmd is not None:
                out.append(Segment(cmd, at, tuple(cur)))
            cmd, at, cur = typed, ln.no, []
            continue
        cur.append(ln)
    if cur or cmd is not None:
        out.append(Segment(cmd, at, tuple(cur)))
    return out


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a parser's command in a transcript, set apart because a later run replaced it.

    Args:
        command: the command line as typed.
        line: its prompt line.
        lines: its output.
        number: which run of that command it was (1-based).
        of: how many runs of that command the transcript holds.
        latest: the output of the last run, the state now, to compare with.
    """

    command: str
    line: int
    lines: tuple[Line, ...]
    number: int
    of: int
    latest: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class Selection:
    """What :func:`select_runs` keeps: the lines to read, and the runs a later run replaced."""

    lines: list[Line]
    earlier: tuple[Run, ...] = ()


_ALIASES = {"--list": "-l", "--verbose": "-v", "addr": "a", "address": "a", "/all": "-all"}
"""Spellings of one option or object (``wsl --list --verbose`` is ``wsl -l -v``)."""


def same_command(command: str) -> str:
    """The command with what does not change its output taken off, to find repeated runs.

    >>> same_command("wsl.exe --list --verbose") == same_command("wsl -l -v")
    True
    >>> same_command("ip addr show eth0") == same_command("ip addr show docker0")
    False
    """
    text = re.sub(r"^(?:sudo|doas)\s+", "", command.strip().casefold())
    words = [_ALIASES.get(w, w) for w in re.sub(r"\.exe\b", "", text).split()]
    if len(words) > 2 and words[-1] in ("show", "list", "lst"):
        words.pop()
    return " ".join(words)


def select_runs(text: str, commands: Sequence[str], *, warnings: Warnings) -> Selection:
    """The lines of a transcript that are this parser's command's output, latest runs only.

    Prompt lines are skipped with a warning. When some prompt typed a command that
    matches ``commands`` (regexes, searched in the command text), only those
    segments are kept and every other segment is skipped with one warning; otherwise
    everything but the prompt lines is kept and the parser judges each line itself.

    A command typed again with the same arguments (:func:`same_command`) makes its
    earlier runs history: they are left out of ``lines`` and returned as ``earlier``.
    Runs with different arguments (``ip addr show eth0``, ``ip addr show docker0``) are
    all kept. A run with no output (a prompt pasted without what followed) replaces
    nothing and is skipped with a warning.
    """
    segs = segments(text, warnings=warnings)
    pats = [re.compile(c) for c in commands]

    def ours(seg: Segment) -> bool:
        return seg.command is not None and any(p.search(seg.command) for p in pats)

    keep_all = not any(ours(s) for s in segs)
    runs: dict[str, list[Segment]] = {}
    for seg in segs:
        if seg.prompt_line is not None:
            warnings.add(seg.prompt_line, f"skipped prompt line ({seg.command!r})")
        if keep_all:
            continue
        body = [ln for ln in seg.lines if ln.text.strip()]
        if not ours(seg):
            if body:
                warnings.add(
                    body[0].no,
                    f"skipped {len(body)} line(s) of another command's output ({seg.command!r})",
                )
        elif not body:
            warnings.add(seg.prompt_line or 1, f"no output under {seg.command!r}; nothing to read there")
        else:
            runs.setdefault(same_command(seg.command or ""), []).append(seg)
    if keep_all:
        return Selection([ln for seg in segs for ln in seg.lines])
    latest = {id(group[-1]) for group in runs.values()}
    kept = [ln for seg in segs if id(seg) in latest for ln in seg.lines]
    earlier = tuple(
        Run(seg.command or "", seg.prompt_line or 1, seg.lines, i, len(group), group[-1].lines)
        for group in runs.values()
        for i, seg in enumerate(group[:-1], 1)
    )
    return Selection(kept, tuple(sorted(earlier, key=lambda r: r.line)))


def select(text: str, commands: Sequence[str], *, warnings: Warnings) -> list[Line]:
    """:func:`select_runs` for parsers that do not describe earlier runs: their lines.

    Each earlier run gets one warning saying the later one was read instead.
    """
    sel = select_runs(text, commands, warnings=warnings)
    for run in sel.earlier:
        warnings.add(run.line, f"run {run.number} of {run.of} ({run.command!r}) skipped: run {run.of} is the state now")
    return sel.lines


def with_earlier_runs(facts: Facts, earlier: Sequence[Run], read: Callable[[list[Line], Warnings], Facts]) -> Facts:
    """``facts`` plus one warning per way each earlier run differed from the last run.

    ``read`` parses one run's lines the way the whole input was parsed. An earlier run
    that does not parse is said to be unreadable; its own warnings are dropped (the run
    is history, only how it differed matters). Each is compared with the last run of
    its own command, not with ``facts``, which may also hold other commands' runs.
    """
    if not earlier:
        return facts
    from netatlas.parsers._runs import differences

    extra: list[Warning] = []
    now: dict[int, Facts | None] = {}
    for run in earlier:
        head = f"run {run.number} of {run.of}"
        key = run.latest[0].no if run.latest else 0
        if key not in now:
            try:
                now[key] = read(list(run.latest), Warnings())
            except ParseError:
                now[key] = None
        try:
            old = read(list(run.lines), Warnings())
        except ParseError as exc:
            extra.append(Warning(run.line, f"{head} ({run.command!r}) not read: {exc.message}"))
            continue
        said = differences(old, now[key] or facts)
        if not said:
            extra.append(Warning(run.line, f"{head} ({run.command!r}) said the same as run {run.of}"))
        extra.extend(Warning(run.line, f"{head}: {what}") for what in said)
    return replace(facts, warnings=tuple(sorted((*facts.warnings, *extra), key=lambda w: w.line)))


# --------------------------------------------------------------------------- values

_ZONE = re.compile(r"%[\w.-]+$")


def ip(text: str, *, line: int) -> IPAddress:
    """Canonical address from text; a ``%zone`` suffix (``fe80::1%60``) is dropped.

    Raises:
        ParseError: not an address. Leading-zero octets are refused, as CPython does.
    """
    raw = _ZONE.sub("", text.strip()).strip("[]")
    try:
        return ipaddress.ip_address(raw)
    except ValueError as exc:
        raise ParseError(f"not an IP address: {text!r}", line=line) from exc


def ip_or_none(text: str | None) -> IPAddress | None:
    """Like :func:`ip` but ``None`` for empty or invalid text (caller warns)."""
    if not text:
        return None
    try:
        return ip(text, line=0)
    except ParseError:
        return None


def network(text: str, *, line: int) -> IPNetwork:
    """Canonical network; host bits set are masked off (``8.8.6.1/24`` → ``8.8.6.0/24``).

    Raises:
        ParseError: not a network in CIDR form.
    """
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ParseError(f"not a network: {text!r}", line=line) from exc


def prefix_from_mask(mask: str, *, line: int) -> int:
    """Prefix length of a dotted (``255.255.240.0``) or hex (``0xfffff000``) mask.

    Raises:
        ParseError: the mask is not contiguous ones then zeros.

    >>> prefix_from_mask("255.255.240.0", line=1)
    20
    >>> prefix_from_mask("0xffffff00", line=1)
    24
    """
    text = mask.strip()
    try:
        if text.lower().startswith("0x"):
            value = int(text, 16)
            if value >= 1 << 32:
                raise ValueError(text)
        else:
            value = int(ipaddress.IPv4Address(text))
    except ValueError as exc:
        raise ParseError(f"not a netmask: {mask!r}", line=line) from exc
    inverted = ~value & 0xFFFFFFFF
    if inverted & (inverted + 1):
        raise ParseError(f"netmask is not contiguous: {mask!r}", line=line)
    return 32 - inverted.bit_length()


_MAC = re.compile(r"^[0-9a-fA-F]{1,2}([:-])(?:[0-9a-fA-F]{1,2}\1){4}[0-9a-fA-F]{1,2}$")
_MAC_PLAIN = re.compile(r"^[0-9a-fA-F]{12}$")


def mac(text: str | None) -> str | None:
    """Lowercase colon form (``00:15:5d:b3:93:cc``) or ``None`` if not a 48-bit MAC.

    >>> mac("00-15-5D-B3-93-CC")
    '00:15:5d:b3:93:cc'
    """
    if not text:
        return None
    t = text.strip()
    if _MAC.match(t):
        parts = re.split(r"[:-]", t)
        return ":".join(p.zfill(2).lower() for p in parts)
    if _MAC_PLAIN.match(t):
        return ":".join(t[i : i + 2].lower() for i in range(0, 12, 2))
    return None


def first_content_line(items: Iterable[Line]) -> int:
    """Line number of the first non-blank line, or 1."""
    for ln in items:
        if ln.text.strip():
            return ln.no
    return 1


def require(found: bool, message: str, *, line: int = 1) -> None:
    """Raise :class:`ParseError` unless ``found``: used when nothing of the format is there."""
    if not found:
        raise ParseError(message, line=line)


def run_stages(
    data: bytes | str,
    source: str,
    info: ParserInfo,
    raw: Callable[[Any, Warnings], Any],
    process: Callable[[Any, Warnings], Facts],
    *,
    split: Callable[[str, Warnings], Any] | None = None,
    decode: Callable[[bytes | str], str] = read_text,
) -> Facts:
    """The common body of ``parse``: decode, keep this command's lines, then the two stages.

    Args:
        decode: how the bytes become text (``wsl.exe``'s own output is UTF-16LE
            without a BOM: :func:`netatlas.parsers._wsl.wsl_text`).
        split: how to cut the text into what ``raw`` reads (default: the lines of this
            parser's command's latest runs, :func:`select_runs`). A :class:`Selection`
            has its earlier runs told as warnings (:func:`with_earlier_runs`); the name
            tools cut the text into runs of their own.

    Raises:
        ParseError: located, naming ``source``.
    """

    def run() -> Facts:
        warnings = Warnings()
        text = decode(data)
        cut = split(text, warnings) if split is not None else select_runs(text, info.commands, warnings=warnings)
        if not isinstance(cut, Selection):
            return process(raw(cut, warnings), warnings)
        sel = cut
        facts = process(raw(sel.lines, warnings), warnings)
        return with_earlier_runs(facts, sel.earlier, lambda lines, w: process(raw(lines, w), w))

    return guard(run, source=source)


def guard(fn: Callable[[], Facts], *, source: str) -> Facts:
    """Run a parser body and stamp ``source`` on the ParseError it raises."""
    try:
        return fn()
    except ParseError as exc:
        raise exc.with_source(source) from None


def iter_nonblank(items: Iterable[Line]) -> Iterator[Line]:
    """Lines that have something on them."""
    return (ln for ln in items if ln.text.strip())


class Occurrences:
    """Lines of a JSON text's ``"key": value`` pairs, indexed once per key, handed out in order.

    JSON keeps no line numbers, so a warning about one object of ``ip -j`` or
    ``ConvertTo-Json`` output points at the line naming it. Each key is indexed in
    one pass (one pattern per key, not per object: a host with 650 interfaces
    spent longer finding lines than parsing), and a repeated pair (one neighbour
    address on two links, two objects with the same ``IPAddress``) gets its
    successive lines. A pair that is nowhere gets the first content line.

    >>> text = ['[', '  {"dst": "fe80::1", "dev": "a"},', '  {"dst": "fe80::1"}']
    >>> where = Occurrences([Line(n, t) for n, t in enumerate(text, 1)])
    >>> where.line("dst", "fe80::1"), where.line("dst", "fe80::1"), where.line("dev", "b")
    (2, 3, 1)
    """

    def __init__(self, lines: list[Line]) -> None:
        self._lines = lines
        self._index: dict[str, dict[object, list[int]]] = {}

    def _build(self, key: str) -> dict[object, list[int]]:
        pat = re.compile(r'"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
        found: dict[object, list[int]] = {}
        for ln in self._lines:
            for m in pat.finditer(ln.text):
                try:
                    value = json.loads(m.group(1))
                except ValueError:
                    continue
                found.setdefault(value, []).append(ln.no)
        return found

    def line(self, key: str, value: object) -> int:
        """The line of the next unseen ``"key": value``, else the first content line."""
        if key not in self._index:
            self._index[key] = self._build(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            got = self._index[key].get(value)
            if got:
                return got.pop(0)
        return first_content_line(self._lines)
