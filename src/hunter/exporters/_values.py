"""What the timeline exporters write of values, arguments and code objects: short, safe JSON text."""

from __future__ import annotations

import re

import json
from collections import deque
from collections.abc import Callable
from itertools import islice
from types import CodeType
from typing import Any, TypeVar

from .._engine._source import parameters
from ..util import safe_repr

__all__ = [
    "RecordedArguments",
    "argument_spec",
    "argument_text",
    "escape",
    "recorded_json_at",
    "remember_code",
    "value_json",
    "value_json_at",
    "value_repr",
]

# json's C-accelerated string escaper; ASCII-only output means odd file names (lone surrogates from
# undecodable paths) can never make a write fail.
_escape = json.encoder.encode_basestring_ascii


def escape(text: str) -> str:
    """``text`` as a JSON string literal (quotes included), ASCII only."""
    return _escape(text)


_SCALARS = frozenset({int, float, bool, type(None), complex})
_SEQUENCES: dict[type, tuple[str, str]] = {
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
    deque: ("deque([", "])"),
}
#: How many items of a container are shown; the rest becomes ``...``. safe_repr would walk all of them,
#: and an exporter reprs the arguments of every call, so a big list argument must not cost its size.
_MAX_ITEMS = 16


def _bounded(value: Any, limit: int, depth: int) -> str:
    kind = type(value)
    if kind in _SCALARS:
        return repr(value)
    if kind is str or kind is bytes:
        return repr(value[:limit]) + ("..." if len(value) > limit else "")
    if depth <= 0:
        return "..."
    if kind in _SEQUENCES:
        opening, closing = _SEQUENCES[kind]
        if not value:
            return safe_repr(value)
        items = [_bounded(item, limit, depth - 1) for item in islice(value, _MAX_ITEMS)]
        if len(value) > _MAX_ITEMS:
            items.append("...")
        elif kind is tuple and len(value) == 1:
            return f"({items[0]},)"
        return opening + ", ".join(items) + closing
    if kind is dict:
        items = [
            f"{_bounded(key, limit, depth - 1)}: {_bounded(item, limit, depth - 1)}"
            for key, item in islice(value.items(), _MAX_ITEMS)
        ]
        if len(value) > _MAX_ITEMS:
            items.append("...")
        return "{" + ", ".join(items) + "}"
    return safe_repr(value)


#: Types whose repr is plain ASCII without quotes or backslashes: JSON-safe as is.
_BARE = frozenset({int, float, bool, type(None)})
_SMALL_INT = 10**15


def value_json(value: Any, limit: int) -> str:
    """``value_repr`` as a JSON string literal, with a fast path for the small scalars most arguments are."""
    kind = type(value)
    if kind in _BARE and (kind is not int or -_SMALL_INT < value < _SMALL_INT):
        return f'"{value!r}"'
    return _escape(value_repr(value, limit))


def value_json_at(limit: int) -> Callable[[Any], str]:
    """``value_json`` with its limit fixed: one plain function (a partial with a keyword costs twice a call)."""
    bare, small, escape_text = _BARE, _SMALL_INT, _escape

    def value_json_limited(value: Any) -> str:
        kind = type(value)
        if kind in bare and (kind is not int or -small < value < small):
            return f'"{value!r}"'
        return escape_text(value_repr(value, limit))

    return value_json_limited


#: Code objects an exporter describes at most this many at a time (its cache holds them: it must not grow forever).
MAX_CODES = 20_000


#: An exporter's description of a code object (a tuple of its own shape).
_Entry = TypeVar("_Entry")


def remember_code(codes: dict[int, _Entry], code: CodeType, entry: _Entry) -> _Entry:
    """Cache an exporter's description of a code object (``entry``, whose first item is the code) and return it."""
    if len(codes) >= MAX_CODES:
        codes.clear()
    # Keyed by id() because hashing a code object hashes its whole contents; the entry holds the code object
    # itself, so the id can't be reused by another code while the entry exists.
    codes[id(code)] = entry
    return entry


def argument_spec(code: CodeType) -> tuple[tuple[str, str], ...]:
    """For :func:`argument_fields`: each parameter's name and its JSON key with a leading comma."""
    return tuple((name, f",{_escape(name)}:") for _star, name in parameters(code))


def argument_text(frame: Any, spec: tuple[tuple[str, str], ...], json: Callable[[Any], str]) -> str:
    """``key + json(value)`` for each parameter of the called function (spec: name and its JSON key prefix).

    A parameter that is gone (deleted before a generator resumed) is left out; all are when the frame's locals
    can't be read at all (an exotic mapping), so the call is recorded without them.
    """
    try:
        f_locals = frame.f_locals
        text = ""
        for name, key in spec:
            try:
                value = f_locals[name]
            except KeyError:
                continue
            text += key + json(value)
        return text
    except Exception:  # never fail the traced program over an odd frame
        return ""


def value_repr(value: Any, limit: int) -> str:
    """A short repr that runs no user code (``safe_repr`` rules) and costs little whatever the value's size."""
    try:
        text = _bounded(value, limit, 3)
    except Exception as exc:  # e.g. int too large to print (3.11+): say so, never raise
        return f"!!! FAILED REPR: {type(exc).__name__}"
    if len(text) > limit:
        half = limit // 2
        text = f"{text[:half]} [...] {text[-half:]}"
    return text


#: A recorded exception's text, ``(<class 'mod.Name'>, value, <traceback object at 0x...>)`` (or None: a coroutine's
#: StopIteration at an await has no traceback): its parts.
_RECORDED_EXCEPTION = re.compile(
    r"\(<class '(?:[^']*\.)?([^'.]+)'>, (.*), (?:<traceback object at 0x[0-9a-fA-F]+>|None)\)\Z", re.S
)


def recorded_exception(text: str) -> tuple[str, str]:
    """The class name and the value's text of an exception as a recording holds it (the text of the event's
    ``(type, value, traceback)``); ``("exception", text)`` for a text of another shape."""
    match = _RECORDED_EXCEPTION.match(text)
    return (match.group(1), match.group(2)) if match else ("exception", text)


def recorded_json_at(limit: int) -> Callable[[Any], str]:
    """The JSON text of a recorded value (its text, as the recording holds it), cut to ``limit`` characters as
    ``value_repr`` cuts a live value's text: what a timeline made from a recording shows."""

    def recorded_json(text: Any) -> str:
        if type(text) is not str:  # (values not recorded: None)
            return value_json(text, limit)
        if len(text) > limit:
            half = limit // 2
            text = f"{text[:half]} [...] {text[-half:]}"
        return _escape(text)

    return recorded_json


class RecordedArguments:
    """A stand-in for a frame whose variables are a mapping (a recorded call's arguments' texts): ``argument_text``
    reads ``f_locals`` only."""

    __slots__ = ("f_locals",)

    def __init__(self, mapping: dict[str, Any]) -> None:
        self.f_locals = mapping
