"""Every error netatlas raises on purpose.

One base class, so the CLI (and any caller) can catch all of them with one ``except``
and print a single line; anything else escaping is a bug::

    NetatlasError
     ├── ParseError(ValueError)        text that is not the format it claims to be
     ├── UnknownKindError(KeyError)    no parser, collector or topology of that name
     ├── BundleError                   a bundle that cannot be read or written
     │    └── SchemaVersionError       written by a newer netatlas
     ├── CollectError                  a source failed (recorded, never fatal to a scan)
     ├── RedactKeyError(ValueError)    a redaction key file with no usable key
     ├── AllocationError(ValueError)   Docker's allocator has no subnet to give
     │    ├── NoMoreSubnetsError
     │    └── InvalidPoolError
     └── LabError                      the lab cannot be built or torn down

Input errors also subclass :class:`ValueError` (as CPython's ``AddressValueError``
does), so code that already guards ``ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AllocationError",
    "BundleError",
    "CollectError",
    "HistoryError",
    "InvalidPoolError",
    "LabError",
    "NetatlasError",
    "NoMoreSubnetsError",
    "ParseError",
    "RedactKeyError",
    "SchemaVersionError",
    "UnknownKindError",
]


class NetatlasError(Exception):
    """Base of every deliberate netatlas error."""


class ParseError(NetatlasError, ValueError):
    """Input that cannot be read as the claimed format.

    The message always names where: ``FILE:LINE: what is wrong``.

    Args:
        message: what is wrong, quoting the bad value with ``!r``.
        line: 1-based line number of the problem (1 for whole-file problems).
        source: a file name or ``-``; filled in later by callers that know it.
    """

    def __init__(self, message: str, *, line: int = 1, source: str = "-") -> None:
        self.message = message
        self.line = line
        self.source = source
        super().__init__(f"{source}:{line}: {message}")

    def with_source(self, source: str) -> ParseError:
        """The same error, naming ``source`` as the file."""
        return ParseError(self.message, line=self.line, source=source)


class UnknownKindError(NetatlasError, KeyError):
    """A parser, collector or topology name that does not exist."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0]) if self.args else "unknown kind"


class BundleError(NetatlasError):
    """A bundle (folder or .zip) that cannot be read or written."""


class SchemaVersionError(BundleError):
    """A bundle or document written by a newer schema than this netatlas knows."""


class CollectError(NetatlasError):
    """A source that failed while collecting.

    Args:
        code: a stable short code: ``missing-binary``, ``timeout``,
            ``permission-denied``, ``daemon-down``, ``not-installed``,
            ``exit-status``, ``unsupported``, ``error``.
        message: one line for people.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class RedactKeyError(NetatlasError, ValueError):
    """A redaction key file that exists but holds no usable key."""


class AllocationError(NetatlasError, ValueError):
    """Docker's address allocator cannot give a subnet."""


class NoMoreSubnetsError(AllocationError):
    """All predefined address pools have been fully subnetted (moby ``ErrNoMoreSubnets``)."""


class InvalidPoolError(AllocationError):
    """A pool that cannot serve the request (moby ``ErrInvalidPool``)."""


class LabError(NetatlasError):
    """The lab cannot be built, probed or torn down."""


class HistoryError(NetatlasError):
    """The scan history store cannot be used (a file that is not its database)."""
