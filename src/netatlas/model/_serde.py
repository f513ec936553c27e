"""Turn frozen model dataclasses into JSON-ready values and back.

One generic pair instead of a hand-written ``to_dict``/``from_dict`` per class: the
models are flat, typed and made of a few leaf types (str, int, float, bool, ip
objects, datetimes, nested models, tuples of them), so the type hints say everything
needed. Keys are the field names, so the JSON schema follows the model.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import ipaddress
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")

JSON = Union[None, bool, int, float, str, list["JSON"], dict[str, "JSON"]]  # noqa: UP007 - recursive alias needs Union on 3.10

_IP_TYPES = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)


_LEAVES = frozenset({str, int, float, bool, type(None)})
_IP_SET = frozenset(_IP_TYPES)
_FIELDS: dict[type, tuple[str, ...]] = {}
"""A dataclass's field names, by its exact type (``dataclasses.fields`` builds a tuple each call)."""


def to_jsonable(value: Any) -> JSON:
    """Convert a model value (recursively) to plain JSON types.

    The exact types a model is made of are looked up first (an atlas of 200
    containers is some 160,000 values); anything else takes the general path,
    which records each dataclass's field names for the next time.
    """
    t = type(value)
    if t in _LEAVES:
        return typing.cast(JSON, value)
    names = _FIELDS.get(t)
    if names is not None:
        return {n: to_jsonable(getattr(value, n)) for n in names}
    if t is tuple or t is list:
        return [to_jsonable(v) for v in value]
    if t in _IP_SET:
        return str(value)
    return _to_jsonable(value)


def _to_jsonable(value: Any) -> JSON:
    """:func:`to_jsonable` for values that are not of its exact, common types."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, _IP_TYPES):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        raise TypeError("bytes are stored beside the JSON, not inside it")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return {n: to_jsonable(getattr(value, n)) for n in names}
    if isinstance(value, (dict, types.MappingProxyType)):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot turn {type(value).__name__} into JSON")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(cls: type[T], data: Any) -> T:
    """Build ``cls`` (a model dataclass) from the output of :func:`to_jsonable`.

    Raises:
        ValueError: a value does not fit its field's type.
    """
    return typing.cast(T, _convert(cls, data))


def _convert(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors: list[str] = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, data)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{data!r} fits none of {tp}: {'; '.join(errors)}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {data!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in data)
        return tuple(_convert(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, collections.abc.Mapping):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {data!r}")
        return dict(data)
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise ValueError(f"{data!r} is not one of {typing.get_args(tp)}")
        return data
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            if not isinstance(data, dict):
                raise ValueError(f"expected an object for {tp.__name__}, got {data!r}")
            hints = _hints(tp)
            kwargs = {f.name: _convert(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.name in data}
            return tp(**kwargs)
        if issubclass(tp, Enum):
            return tp(data)
        if tp is datetime:
            return datetime.fromisoformat(data)
        if tp in _IP_TYPES:
            return tp(data)
        if tp is bool:
            if not isinstance(data, bool):
                raise ValueError(f"expected true/false, got {data!r}")
            return data
        if tp is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        if tp in (int, str, float):
            if not isinstance(data, tp) or isinstance(data, bool):
                raise ValueError(f"expected {tp.__name__}, got {data!r}")
            return data
    raise TypeError(f"no conversion for {tp!r}")


class _Model:
    """Shared JSON round trip for the model classes."""

    __slots__ = ()

    def to_dict(self) -> dict[str, JSON]:
        """The JSON form: static snake_case keys, canonical address strings."""
        out = to_jsonable(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Rebuild from :meth:`to_dict` output."""
        return from_jsonable(cls, dict(data))
