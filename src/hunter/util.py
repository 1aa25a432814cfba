"""safe_repr and small helpers shared by events, predicates and actions."""

from __future__ import annotations

import datetime
import decimal
import re
import types
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable
from typing import Any

__all__ = ["safe_repr", "shorten"]

# Exact types whose own repr is implemented in C (or the stdlib) and cannot run user code.
_PLAIN_REPR_TYPES: frozenset[type] = frozenset(
    {
        int,
        float,
        complex,
        bool,
        str,
        bytes,
        bytearray,
        range,
        slice,
        type(None),
        type(Ellipsis),
        type(NotImplemented),
        datetime.date,
        datetime.datetime,
        datetime.time,
        datetime.timedelta,
        datetime.timezone,
        decimal.Decimal,
        re.Pattern,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.BuiltinMethodType,
        types.CodeType,
    }
)

_BASE_EXCEPTION_ARGS = BaseException.__dict__["args"]


def _generic(obj: object) -> str:
    """The ``<module.Class object at 0x...>`` form, built from the type only (no attribute access on obj)."""
    klass = type(obj)
    module = klass.__module__
    name = klass.__qualname__
    if module in ("builtins", None):
        return f"<{name} object at 0x{id(obj):x}>"
    return f"<{module}.{name} object at 0x{id(obj):x}>"


def safe_repr(obj: Any, maxdepth: int = 5) -> str:
    """A repr that never calls user code: containers recurse, unknown objects show only type and address."""
    klass = type(obj)
    if klass in _PLAIN_REPR_TYPES:
        return repr(obj)
    if maxdepth < 1:
        return "..."
    depth = maxdepth - 1
    if klass is list:
        return "[" + ", ".join(safe_repr(item, depth) for item in obj) + "]"
    if klass is tuple:
        if len(obj) == 1:
            return "(" + safe_repr(obj[0], depth) + ",)"
        return "(" + ", ".join(safe_repr(item, depth) for item in obj) + ")"
    if klass is dict:
        return "{" + ", ".join(f"{safe_repr(k, depth)}: {safe_repr(v, depth)}" for k, v in obj.items()) + "}"
    if klass is set:
        return "{" + ", ".join(safe_repr(item, depth) for item in obj) + "}" if obj else "set()"
    if klass is frozenset:
        return "frozenset({" + ", ".join(safe_repr(item, depth) for item in obj) + "})" if obj else "frozenset()"
    if klass in (OrderedDict, Counter, defaultdict):
        inner = ", ".join(f"{safe_repr(k, depth)}: {safe_repr(v, depth)}" for k, v in obj.items())
        return f"{klass.__name__}({{{inner}}})"
    if klass is deque:
        return "deque([" + ", ".join(safe_repr(item, depth) for item in obj) + "])"
    if isinstance(obj, type):
        # type.__repr__ reads __module__/__qualname__ from the type's own dict: no metaclass code runs.
        return type.__repr__(obj)
    if isinstance(obj, BaseException):
        # Read args through the C descriptor so a subclass property cannot run.
        args = _BASE_EXCEPTION_ARGS.__get__(obj)
        return f"{klass.__qualname__}({', '.join(safe_repr(arg, depth) for arg in args)})"
    if klass is types.ModuleType:
        # Module repr consults __spec__/__loader__, which can reach a module-level __getattr__.
        return f"<module {obj.__dict__.get('__name__', '?')!r}>"
    if klass is types.MethodType:
        func = obj.__func__
        name = func.__qualname__ if isinstance(func, types.FunctionType) else "?"
        return f"<bound method {name} of {safe_repr(obj.__self__, depth)}>"
    return _generic(obj)


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to about ``limit`` characters, keeping both ends around `` [...] ``."""
    if limit and len(text) > limit:
        half = limit // 2
        return f"{text[:half]} [...] {text[-half:]}"
    return text


def resolve_repr_func(repr_func: str | Callable[[Any], str]) -> Callable[[Any], str]:
    """Turn the ``repr_func`` option ('safe_repr', 'repr' or a callable) into a callable."""
    if repr_func == "safe_repr":
        return safe_repr
    if repr_func == "repr":
        return repr
    if callable(repr_func):
        return repr_func
    raise ValueError(f"repr_func must be 'safe_repr', 'repr' or a callable, not {repr_func!r}")
