"""Errors of the fleet, client and server side.

Hierarchy::

    NetatlasError
    └── FleetError            the server, the database or the push went wrong
        ├── BadRequest        a push or query the server refuses (4xx), with its message
        │   ├── Unauthorized  no token, or an unknown one (401)
        │   ├── Forbidden     a token whose role may not do this (403)
        │   └── NotFound      no such machine or scan (404)
        └── Unavailable       the server cannot be reached or keeps failing (after retries)
"""

from __future__ import annotations

from netatlas.errors import NetatlasError

__all__ = ["BadRequest", "FleetError", "Forbidden", "NotFound", "Unauthorized", "Unavailable"]


class FleetError(NetatlasError):
    """Something the fleet server, its database or a push could not do."""


class BadRequest(FleetError):
    """A request the server refuses; ``status`` is the HTTP status it answers with."""

    status = 400


class Unauthorized(BadRequest):
    """No token, or one the server does not know."""

    status = 401


class Forbidden(BadRequest):
    """A token whose role (or machine) does not allow this."""

    status = 403


class NotFound(BadRequest):
    """No such machine or scan."""

    status = 404


class Unavailable(FleetError):
    """The server could not be reached, or kept failing, after every retry."""
