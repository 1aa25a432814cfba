"""safe_repr and small helpers shared by events, predicates and actions."""

from __future__ import annotations

import datetime
import gc
import re
import types
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable
from typing import Any

__all__ = ["MISSING", "safe_repr", "shorten"]


class _Missing:
    """The value shown for an argument that is not in the frame's locals (``?`` once detached)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


# hunter 3.9 shows a missing argument of a live event as ``<hunter.util.MISSING object at 0x...>``: same names.
_Missing.__name__ = _Missing.__qualname__ = "MISSING"
MISSING: Any = _Missing()

# Types are compared by identity only: ``klass in (a, b)`` or a set lookup would run a metaclass's __eq__/__hash__.
_DICT_SUBCLASSES = (Counter, OrderedDict, defaultdict)
# Modules whose exact (non-subclassed) types have a repr that only shows what they hold, as in hunter 3.9.
_TRUSTED_MODULES = ("builtins", "io", "socket", "_socket", "zoneinfo", "decimal")
# Builtin types whose C repr would show the repr of whatever they wrap: rebuilt here with safe_repr instead.
_DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_MAPPING_PROXY = types.MappingProxyType

_BASE_EXCEPTION_ARGS = BaseException.__dict__["args"].__get__
# The C getters of type: ``klass.__module__`` would go through a metaclass's __getattribute__.
_TYPE_MODULE = type.__dict__["__module__"].__get__
_TYPE_NAME = type.__dict__["__name__"].__get__
#: Py_TPFLAGS_IMMUTABLETYPE: set on types defined in C, never on a class statement's.
_IMMUTABLE_TYPE = 1 << 8
_object_repr = object.__repr__


def _items(values: Any, depth: int) -> str:
    return ", ".join(safe_repr(value, depth) for value in values)


def _pairs(mapping: dict[Any, Any], depth: int) -> str:
    # Keys are shown at the mapping's own depth and values one level deeper (hunter 3.9 does so).
    return ", ".join(f"{safe_repr(key, depth + 1)}: {safe_repr(value, depth)}" for key, value in mapping.items())


def _datetime(value: datetime.datetime | datetime.time, fields: tuple[int, ...]) -> str:
    # Every field spelled out, and the tzinfo through safe_repr: a tzinfo subclass may have any __repr__.
    numbers = "".join(f"{number:d}, " for number in fields)
    return f"{type(value).__name__}({numbers}tzinfo={safe_repr(value.tzinfo)}, fold={value.fold!r})"


def _trusted(klass: type) -> bool:
    """An exact type from a module whose objects' reprs are known to be plain (hunter 3.9's list)."""
    return type(klass) is type and klass is not object and _TYPE_MODULE(klass) in _TRUSTED_MODULES


def safe_repr(obj: Any, maxdepth: int = 5) -> str:
    """A repr that runs no code of the program's classes: builtin values as repr shows them, containers
    recursed into (``maxdepth`` levels), anything else as ``<module.Class object at 0x...>``."""
    if not maxdepth:
        return "..."
    # Only type(obj) is consulted, with identity tests: isinstance() would read obj.__class__, which runs a
    # __getattribute__ override or a __class__ property of the object (proxies and mocks have them).
    klass = type(obj)
    depth = maxdepth - 1
    if klass is dict:
        return "{" + _pairs(obj, depth) + "}"
    if klass is list:
        return "[" + _items(obj, depth) + "]"
    if klass is tuple:
        return "(" + _items(obj, depth) + ("," if len(obj) == 1 else "") + ")"
    if klass is set:
        return "{" + _items(obj, depth) + "}"
    if klass is frozenset:
        return "frozenset({" + _items(obj, depth) + "})"
    if klass is deque:
        return "deque([" + _items(obj, depth) + "])"
    if any(klass is known for known in _DICT_SUBCLASSES):
        return f"{_TYPE_NAME(klass)}({{{_pairs(obj, depth)}}})"
    if klass is re.Pattern:
        if obj.flags:
            return f"re.compile({safe_repr(obj.pattern)}, flags={re.RegexFlag(obj.flags)})"
        return f"re.compile({safe_repr(obj.pattern)})"
    if klass is datetime.date or klass is datetime.timedelta:
        return repr(obj)
    if klass is datetime.datetime:
        fields = (obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond)
        return _datetime(obj, fields)
    if klass is datetime.time:
        return _datetime(obj, (obj.hour, obj.minute, obj.second, obj.microsecond))
    if klass is types.MethodType:
        return _bound_method(obj, depth)
    if type(klass) is type and issubclass(klass, BaseException):
        # args through the C descriptor: a subclass's ``args`` property must not run.
        return f"{_TYPE_NAME(klass)}({_items(_BASE_EXCEPTION_ARGS(obj), depth)})"
    if _trusted(klass):
        return _trusted_repr(obj, klass, depth)
    # Anything else may run the program's code in its __repr__: show only the type and the address.
    return _object_repr(obj)


def _bound_method(method: types.MethodType, depth: int) -> str:
    func = method.__func__
    # A type defined in C (a function, an lru_cache wrapper, a partial): looking up its names runs no code of the
    # program, so the name is the one repr() shows. A callable object of the program's could answer anything.
    defined_in_c = type(func).__flags__ & _IMMUTABLE_TYPE
    name = _callable_name(func) if defined_in_c else f"{_TYPE_NAME(type(func))}.__call__"
    return f"<bound method {name} of {safe_repr(method.__self__, depth)}>"


def _callable_name(func: object) -> str:
    """The name a bound method's repr() gives its function: __qualname__, else __name__, else '?'."""
    for attribute in ("__qualname__", "__name__"):
        name = getattr(func, attribute, None)
        if isinstance(name, str):
            return name
    return "?"


def _trusted_repr(obj: Any, klass: type, depth: int) -> str:
    """repr() of an exact builtin (or io, socket, zoneinfo, decimal) value, except where that repr would show
    the repr of an arbitrary object it holds: there the same text is built with safe_repr."""
    if klass is slice:
        return f"slice({safe_repr(obj.start, depth)}, {safe_repr(obj.stop, depth)}, {safe_repr(obj.step, depth)})"
    if klass is classmethod or klass is staticmethod:
        return f"<{_TYPE_NAME(klass)}({safe_repr(obj.__func__, depth)})>"
    if any(klass is view for view in _DICT_VIEWS):
        return f"{_TYPE_NAME(klass)}([{_items(obj, depth)}])"
    if klass is _MAPPING_PROXY:
        # The wrapped mapping, found without calling any of its methods.
        (mapping,) = gc.get_referents(obj)
        return f"mappingproxy({safe_repr(mapping, depth + 1)})"
    if klass is types.ModuleType and "__spec__" not in obj.__dict__:
        # Module repr looks __spec__ up, which would reach a module-level __getattr__ when it is missing.
        return f"<module {obj.__dict__.get('__name__', '?')!r}>"
    return repr(obj)


def shorten(text: str, limit: int, marker: str = "[...]") -> str:
    """Cut ``text`` longer than ``limit`` to its first and last ``limit // 2`` characters around `` [...] ``."""
    if len(text) > limit:
        half = limit // 2
        return f"{text[:half]} {marker} {text[-half:]}"
    return text


def resolve_repr_func(repr_func: str | Callable[[Any], str]) -> Callable[[Any], str]:
    """Turn the ``repr_func`` option ('safe_repr', 'repr' or a callable) into a callable."""
    if callable(repr_func):
        return repr_func
    if repr_func == "safe_repr":
        return safe_repr
    if repr_func == "repr":
        return repr
    raise TypeError(f'Expected a callable or either "repr" or "safe_repr" strings, not {repr_func!r}.')
