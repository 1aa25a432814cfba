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

# Types are looked up by id: ``klass in a_set`` would hash the class, which runs a metaclass's __hash__/__eq__.
_PLAIN_REPR_IDS: frozenset[int] = frozenset(map(id, _PLAIN_REPR_TYPES))
_DICT_SUBCLASS_IDS: frozenset[int] = frozenset(map(id, (OrderedDict, Counter, defaultdict)))

_BASE_EXCEPTION_ARGS = BaseException.__dict__["args"]
# The C getters of type: ``klass.__module__`` would go through a metaclass's __getattribute__.
_TYPE_MODULE = type.__dict__["__module__"].__get__
_TYPE_QUALNAME = type.__dict__["__qualname__"].__get__


def _type_name(klass: type) -> str:
    """``module.Qualname`` of a class (``Qualname`` for builtins), read without running any metaclass code."""
    name = _TYPE_QUALNAME(klass)
    module = _TYPE_MODULE(klass)
    if type(module) is not str or module == "builtins":
        return name
    return f"{module}.{name}"


def _generic(obj: object) -> str:
    """The ``<module.Class object at 0x...>`` form, built from the type only (no attribute access on obj)."""
    return f"<{_type_name(type(obj))} object at 0x{id(obj):x}>"


def safe_repr(obj: Any, maxdepth: int = 5) -> str:
    """A repr that never calls user code: containers recurse, unknown objects show only type and address."""
    # Only type(obj) is consulted, with identity and issubclass tests: isinstance() would read obj.__class__,
    # which runs a __getattribute__ override or a __class__ property of the object (proxies and mocks have them).
    klass = type(obj)
    if id(klass) in _PLAIN_REPR_IDS:
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
    if id(klass) in _DICT_SUBCLASS_IDS:
        inner = ", ".join(f"{safe_repr(k, depth)}: {safe_repr(v, depth)}" for k, v in obj.items())
        return f"{klass.__name__}({{{inner}}})"
    if klass is deque:
        return "deque([" + ", ".join(safe_repr(item, depth) for item in obj) + "])"
    if issubclass(klass, type):
        # type.__repr__ reads __module__/__qualname__ from the type's own dict: no metaclass code runs.
        return type.__repr__(obj)
    if issubclass(klass, BaseException):
        # Read args through the C descriptor so a subclass property cannot run.
        args = _BASE_EXCEPTION_ARGS.__get__(obj)
        return f"{_TYPE_QUALNAME(klass)}({', '.join(safe_repr(arg, depth) for arg in args)})"
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
