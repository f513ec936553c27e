"""The HTTP side of ``push`` and ``fleet``: the standard library's urllib, nothing else.

The agent runs on developer laptops with netatlas's base dependencies only, so the
client needs no HTTP library. :func:`request` sends one request and retries what may
succeed later (a refused or dropped connection, a timeout, 429, 502, 503, 504) with
exponential backoff and jitter; a 4xx answer is final and its ``detail`` becomes the
error message.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netatlas._version import __version__
from netatlas.fleet.errors import BadRequest, Forbidden, NotFound, Unauthorized, Unavailable

__all__ = ["Retry", "read_token", "request"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_FINAL = {401: Unauthorized, 403: Forbidden, 404: NotFound}
TOKEN_ENV = "NETATLAS_TOKEN"  # noqa: S105 - the variable's name, not a token


@dataclass(frozen=True, slots=True)
class Retry:
    """How often and how patiently to retry: ``attempts`` in all, waits ``base * 2**n`` up to ``cap``."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0

    def wait(self, attempt: int, rnd: random.Random) -> float:
        """Seconds before retry number ``attempt`` (1-based), with full jitter."""
        return rnd.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


DEFAULT_RETRY = Retry()


def read_token(token_file: str | None, env: Mapping[str, str]) -> str:
    """The token from ``--token-file``, else ``$NETATLAS_TOKEN``.

    Raises:
        Unauthorized: neither gives one.
    """
    if token_file:
        from pathlib import Path

        text = Path(token_file).read_text(encoding="utf-8").strip()
        if not text:
            raise Unauthorized(f"{token_file}: empty token file")
        return text
    text = env.get(TOKEN_ENV, "").strip()
    if not text:
        raise Unauthorized(f"no token: give --token-file FILE or set {TOKEN_ENV}")
    return text


def _url(server: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    parts = urllib.parse.urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"--server {server!r}: give an http:// or https:// URL")
    query = urllib.parse.urlencode(list(params))
    return server.rstrip("/") + path + (f"?{query}" if query else "")


def _detail(body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return body[:300].decode("utf-8", "replace")
    if isinstance(detail, list):  # FastAPI's own validation errors
        return "; ".join(
            f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail if isinstance(d, dict)
        )
    return str(detail)


def request(
    server: str,
    path: str,
    token: str,
    *,
    method: str = "GET",
    params: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    retry: Retry = DEFAULT_RETRY,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    rnd: random.Random | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[int, Any]:
    """(status, decoded JSON answer) of one API call, retried as :class:`Retry` says.

    Raises:
        BadRequest: the server refused it (4xx); the subclass says which.
        Unavailable: no answer, or a retryable failure, after every attempt.
    """
    url = _url(server, path, params)
    rnd = rnd or random.Random()  # noqa: S311 - jitter, not a secret
    all_headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": f"netatlas/{__version__}",
        **(headers or {}),
    }
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
    last = ""
    for attempt in range(1, max(1, retry.attempts) + 1):
        req = urllib.request.Request(url, data=body, headers=all_headers, method=method)  # noqa: S310 - http(s) checked
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) checked
                status, raw = resp.status, resp.read()
            return status, json.loads(raw or b"null")
        except urllib.error.HTTPError as exc:
            detail = _detail(exc.read())
            if exc.code not in _RETRY_STATUS:
                raise _FINAL.get(exc.code, BadRequest)(f"{method} {path}: {exc.code}: {detail}") from None
            last = f"{exc.code}: {detail}"
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short
            reason = getattr(exc, "reason", exc)
            last = f"{type(reason).__name__}: {reason}"
        except ValueError as exc:  # a 2xx whose body is cut short (the server died while answering)
            last = f"unreadable answer: {exc}"
        if attempt < retry.attempts:
            wait = retry.wait(attempt, rnd)
            if log is not None:
                log(f"{method} {path}: {last}; retry {attempt}/{retry.attempts - 1} in {wait:.1f}s")
            sleep(wait)
    raise Unavailable(f"{method} {url}: no answer after {retry.attempts} attempts (last: {last})")
