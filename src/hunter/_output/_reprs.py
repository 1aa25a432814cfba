"""safe_repr's rendering: reprs that run none of the program's code, whole or cut without rendering the cut part.

A value's text is made of pieces: leaves (a number's repr, a string's quoted text) and composites (an opening
text, items, a closing text). The same layout is walked forwards, to render a whole text or just its head, and
backwards, to render just its tail, so a printer's ``repr_limit`` costs about the limit, whatever the value's size.
"""

from __future__ import annotations

import datetime
import gc
import re
import sys
import types
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["cut_repr", "safe_repr", "shorten", "shows_address_only", "stored_exception_repr"]

#: A composite value: opening text, items, closing text, the depth its items are shown at, and whether its
#: items are ``(key, value)`` pairs (keys are shown one level less deep, as hunter 3.9 does).
_Composite = tuple[str, Any, str, int, bool]
_Layout = str | _Composite

# Modules whose exact (non-subclassed) types have a repr that only shows what they hold, as in hunter 3.9.
_TRUSTED_MODULES = ("builtins", "io", "socket", "_socket", "zoneinfo", "decimal")

_BASE_EXCEPTION_ARGS = BaseException.__dict__["args"].__get__
_BASE_EXCEPTION_DICT = BaseException.__dict__["__dict__"].__get__
# The C getters of type: ``klass.__module__`` would go through a metaclass's __getattribute__.
_TYPE_MODULE = type.__dict__["__module__"].__get__
_TYPE_NAME = type.__dict__["__name__"].__get__
_TYPE_MRO = type.__dict__["__mro__"].__get__
_TYPE_DICT = type.__dict__["__dict__"].__get__
#: Py_TPFLAGS_IMMUTABLETYPE: set on types defined in C, never on a class statement's.
_IMMUTABLE_TYPE = 1 << 8
_object_repr = object.__repr__
_NOT_FOUND: Any = object()
#: The descriptors of C types whose __get__ only reads the instance (an ``args`` slot, BaseException's args).
_C_DESCRIPTORS = (types.GetSetDescriptorType, types.MemberDescriptorType)
#: Builtin types that ``iter()`` walks (or refuses) without running any code of the program.
_PLAIN_ITERABLES = (tuple, list, str, bytes, dict, set, frozenset, type(None), int, float, bool)


_NONE_TYPE = type(None)


def safe_repr(obj: Any, maxdepth: int = 5) -> str:
    """A repr that runs no code of the program's classes: builtin values as repr shows them, containers
    recursed into (``maxdepth`` levels), anything else as ``<module.Class object at 0x...>``."""
    out: list[str] = []
    _forward(obj, maxdepth, out, sys.maxsize)
    return "".join(out)


def shorten(text: str, limit: int, marker: str = "[...]") -> str:
    """Cut ``text`` longer than ``limit`` to its first and last ``limit // 2`` characters around `` [...] ``."""
    if len(text) > limit:
        half = limit // 2
        return f"{text[:half]} {marker} {text[-half:]}"
    return text


def cut_repr(obj: Any, limit: int, marker: str = "[...]") -> str:
    """``shorten(safe_repr(obj))`` with newlines escaped as ``\\n``, rendering only the head and tail it keeps."""
    if limit < 2:
        # A half of 0 keeps the whole text as its "tail" (hunter 3.9's cut does so): only the whole will do.
        return shorten(safe_repr(obj).replace("\n", "\\n"), limit, marker)
    klass = type(obj)
    # (Identity tests: looking the type up in a set would run the __hash__ of a program's metaclass.)
    if klass is int or klass is float or klass is bool or klass is _NONE_TYPE or (klass is str and len(obj) <= limit):
        # The most common values, whose repr runs no code of the program and has no newline: when it fits, it is
        # the whole answer (a str's repr is as long as the string at least, so a longer one can't fit).
        text = repr(obj)
        if len(text) <= limit:
            return text
    out: list[str] = []
    if _forward(obj, 5, out, limit) >= 0:
        return shorten("".join(out).replace("\n", "\\n"), limit, marker)
    # More than ``limit`` characters, so the whole would be cut: render the last ``half`` too, and nothing between.
    # Escaping newlines maps each character on its own, so escaping a head or tail gives the escaped whole's.
    half = limit // 2
    head = "".join(out).replace("\n", "\\n")[:half]
    out = []
    _backward(obj, 5, out, half)
    out.reverse()
    tail = "".join(out).replace("\n", "\\n")[-half:]
    return f"{head} {marker} {tail}"


def stored_exception_repr(exc: BaseException) -> str:
    """``Type(args)`` from the args the exception holds (what repr() of most exceptions shows); never raises."""
    try:
        return f"{_TYPE_NAME(type(exc))}({', '.join(safe_repr(arg, 4) for arg in _BASE_EXCEPTION_ARGS(exc))})"
    except Exception:
        return _object_repr(exc)


def _forward(obj: Any, maxdepth: int, out: list[str], room: int) -> int:
    """Append obj's text to ``out``, stopping once it is more than ``room`` characters; return the room left."""
    if not maxdepth:
        out.append("...")
        return room - 3
    klass = type(obj)
    if klass is str or klass is bytes or klass is bytearray:
        text = _quoted(obj, klass, room, tail=False)
        out.append(text)
        return room - len(text)
    layout = _layout(obj, klass, maxdepth - 1)
    if isinstance(layout, str):  # (our own value: a leaf's text or a composite's tuple)
        out.append(layout)
        return room - len(layout)
    opening, items, closing, depth, pairs = layout
    out.append(opening)
    room -= len(opening)
    separator = False
    for item in items:
        if room < 0:
            return room
        if separator:
            out.append(", ")
            room -= 2
        separator = True
        if pairs:
            key, value = item
            room = _forward(key, depth + 1, out, room) - 2
            out.append(": ")
            if room < 0:
                return room
            room = _forward(value, depth, out, room)
        else:
            room = _forward(item, depth, out, room)
    out.append(closing)
    return room - len(closing)


def _backward(obj: Any, maxdepth: int, out: list[str], room: int) -> int:
    """Append the pieces of obj's text to ``out`` last first, stopping once they make ``room`` characters."""
    if not maxdepth:
        out.append("...")
        return room - 3
    klass = type(obj)
    if klass is str or klass is bytes or klass is bytearray:
        text = _quoted(obj, klass, room, tail=True)
        out.append(text)
        return room - len(text)
    layout = _layout(obj, klass, maxdepth - 1)
    if isinstance(layout, str):  # (our own value: a leaf's text or a composite's tuple)
        out.append(layout)
        return room - len(layout)
    opening, items, closing, depth, pairs = layout
    out.append(closing)
    room -= len(closing)
    separator = False
    for item in _last_first(items, room):
        if room <= 0:
            return room
        if separator:
            out.append(", ")
            room -= 2
        separator = True
        if pairs:
            key, value = item
            room = _backward(value, depth, out, room) - 2
            out.append(": ")
            if room <= 0:
                return room
            room = _backward(key, depth + 1, out, room)
        else:
            room = _backward(item, depth, out, room)
    out.append(opening)
    return room - len(opening)


def _last_first(items: Any, room: int) -> Iterable[Any]:
    """A composite's items from the last: sets can't be reversed, but their last few can be kept while walking."""
    kind = type(items)
    if kind is set or kind is frozenset:
        # Each item takes at least one character and a separator two: this many fill ``room``.
        items = deque(items, maxlen=room // 3 + 2)
    last_first: Iterable[Any] = reversed(items)
    return last_first


def _quoted(obj: str | bytes | bytearray, klass: type, room: int, *, tail: bool) -> str:
    """The repr of a string or bytes value, or (when longer than ``room``) its first or last part, of at least
    ``room`` characters, from as many characters of the value only."""
    if len(obj) <= room:
        return repr(obj)
    piece: Any = obj[-room:] if tail else obj[:room]
    text = repr(piece)
    if klass is bytearray:
        # bytearray's repr escapes every ' whatever its quotes: the piece's body is the whole's.
        prefix, suffix, body = "bytearray(b", ")", text[12:-2]
        quotes: tuple[Any, Any] = (b"'", b'"')
    else:
        prefix, suffix, body = ("", "", text[1:-1]) if klass is str else ("b", "", text[2:-1])
        quotes = ("'", '"') if klass is str else (b"'", b'"')
    # repr() picks the quote from what the whole value holds: double quotes only when it has ' but no ".
    quote = '"' if quotes[0] in obj and quotes[1] not in obj else "'"
    if quote == "'" and text[-1] == '"' and klass is not bytearray:
        # The piece got double quotes (it has a ' and no "): the whole value's single quotes escape its 's.
        body = body.replace("'", "\\'")
    if tail:
        return f"{body}{quote}{suffix}"
    return f"{prefix}{quote}{body}"


def _layout(obj: Any, klass: type, depth: int) -> _Layout:
    """obj's text if it is a leaf, else its composite layout; ``depth`` is the depth left for what it holds.

    Only ``type(obj)`` is consulted, with identity tests: isinstance() would read obj.__class__, which runs a
    __getattribute__ override or a __class__ property of the object (proxies and mocks have them); and only
    types whose metaclass is ``type`` are looked up in a dict (a metaclass's __hash__ would run).
    """
    if type(klass) is not type:
        return _object_repr(obj)
    make = _LAYOUTS.get(klass)
    if make is not None:
        return make(obj, depth)
    if issubclass(klass, BaseException):
        return f"{_TYPE_NAME(klass)}(", _exception_args(obj, klass), ")", depth, False
    if klass is not object and _TYPE_MODULE(klass) in _TRUSTED_MODULES:
        return repr(obj)
    # Anything else may run the program's code in its __repr__: show only the type and the address.
    return _object_repr(obj)


def shows_address_only(klass: type) -> bool:
    """Whether safe_repr shows every instance of ``klass`` (a class whose metaclass is ``type``) as ``object.__repr__``
    does, its type and address: ``_layout``'s decision, which depends on the class alone."""
    return (
        klass not in _LAYOUTS
        and not issubclass(klass, BaseException)
        and (klass is object or _TYPE_MODULE(klass) not in _TRUSTED_MODULES)
    )


def _plain(obj: Any, depth: int) -> str:
    return repr(obj)


def _tuple(obj: tuple[Any, ...], depth: int) -> _Composite:
    return "(", obj, ",)" if len(obj) == 1 else ")", depth, False


def _mapping(name: str) -> Callable[[Any, int], _Composite]:
    opening = f"{name}({{" if name else "{"
    closing = "})" if name else "}"
    return lambda obj, depth: (opening, obj.items(), closing, depth, True)


def _sequence(opening: str, closing: str) -> Callable[[Any, int], _Composite]:
    return lambda obj, depth: (opening, obj, closing, depth, False)


def _pattern(obj: re.Pattern[Any], depth: int) -> _Composite:
    # The pattern at the full depth, as hunter 3.9 shows it.
    flags = f", flags={re.RegexFlag(obj.flags)})" if obj.flags else ")"
    return "re.compile(", (obj.pattern,), flags, 5, False


def _datetime(obj: datetime.datetime, depth: int) -> _Composite:
    fields = (obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond)
    return _with_tzinfo(obj, fields)


def _time(obj: datetime.time, depth: int) -> _Composite:
    return _with_tzinfo(obj, (obj.hour, obj.minute, obj.second, obj.microsecond))


def _with_tzinfo(value: datetime.datetime | datetime.time, fields: tuple[int, ...]) -> _Composite:
    # Every field spelled out, and the tzinfo through safe_repr: a tzinfo subclass may have any __repr__.
    numbers = "".join(f"{number:d}, " for number in fields)
    return f"{type(value).__name__}({numbers}tzinfo=", (value.tzinfo,), f", fold={value.fold!r})", 5, False


def _bound_method(method: types.MethodType, depth: int) -> _Composite:
    func = method.__func__
    # A type defined in C (a function, an lru_cache wrapper, a partial): looking up its names runs no code of the
    # program, so the name is the one repr() shows. A callable object of the program's could answer anything.
    defined_in_c = type(func).__flags__ & _IMMUTABLE_TYPE
    name = _callable_name(func) if defined_in_c else f"{_TYPE_NAME(type(func))}.__call__"
    return f"<bound method {name} of ", (method.__self__,), ">", depth, False


def _callable_name(func: object) -> str:
    """The name a bound method's repr() gives its function: __qualname__, else __name__, else '?'."""
    for attribute in ("__qualname__", "__name__"):
        name = getattr(func, attribute, None)
        if isinstance(name, str):
            return name
    return "?"


# Builtin types whose C repr would show the repr of whatever they wrap: rebuilt here with safe_repr instead.
def _slice(obj: slice, depth: int) -> _Composite:
    return "slice(", (obj.start, obj.stop, obj.step), ")", depth, False


def _wrapped_function(obj: classmethod[Any, Any, Any] | staticmethod[Any, Any], depth: int) -> _Composite:
    return f"<{_TYPE_NAME(type(obj))}(", (obj.__func__,), ")>", depth, False


def _dict_view(obj: Any, depth: int) -> _Composite:
    return f"{_TYPE_NAME(type(obj))}([", obj, "])", depth, False


def _mapping_proxy(obj: types.MappingProxyType[Any, Any], depth: int) -> _Composite:
    # The wrapped mapping, found without calling any of its methods, at the proxy's own depth.
    (mapping,) = gc.get_referents(obj)
    return "mappingproxy(", (mapping,), ")", depth + 1, False


def _module(obj: types.ModuleType, depth: int) -> str:
    if "__spec__" not in obj.__dict__:
        # Module repr looks __spec__ up, which would reach a module-level __getattr__ when it is missing.
        return f"<module {obj.__dict__.get('__name__', '?')!r}>"
    return repr(obj)


#: How each exact type is laid out (looked up by the type itself; anything else: exceptions, trusted, object).
_LAYOUTS: dict[type, Callable[[Any, int], _Layout]] = {
    int: _plain,
    float: _plain,
    bool: _plain,
    type(None): _plain,
    complex: _plain,
    dict: _mapping(""),
    list: _sequence("[", "]"),
    tuple: _tuple,
    set: _sequence("{", "}"),
    frozenset: _sequence("frozenset({", "})"),
    deque: _sequence("deque([", "])"),
    Counter: _mapping("Counter"),
    OrderedDict: _mapping("OrderedDict"),
    defaultdict: _mapping("defaultdict"),
    re.Pattern: _pattern,
    datetime.date: _plain,
    datetime.timedelta: _plain,
    datetime.datetime: _datetime,
    datetime.time: _time,
    types.MethodType: _bound_method,
    slice: _slice,
    classmethod: _wrapped_function,
    staticmethod: _wrapped_function,
    type({}.keys()): _dict_view,
    type({}.values()): _dict_view,
    type({}.items()): _dict_view,
    types.MappingProxyType: _mapping_proxy,
    types.ModuleType: _module,
}


def _exception_args(exc: BaseException, klass: type) -> Any:
    """``exc.args`` as Python's attribute lookup finds it (a class attribute, an ``args`` slot), as hunter 3.9
    shows it: an unset slot raises its AttributeError. Where the lookup would run the program's code (a
    property, a __getattribute__ or __getattr__ of its own, args that aren't a builtin), the args it holds."""
    stored = _BASE_EXCEPTION_ARGS(exc)
    mro = _TYPE_MRO(klass)
    if type(_class_attribute(mro, "__getattribute__")) is not types.WrapperDescriptorType:
        return stored  # a __getattribute__ written in Python
    found = _class_attribute(mro, "args")
    kind = type(found)
    if kind is _C_DESCRIPTORS[0] or kind is _C_DESCRIPTORS[1]:
        try:
            value = found.__get__(exc, klass)
        except AttributeError:
            if _class_attribute(mro, "__getattr__") is not _NOT_FOUND:
                return stored
            raise
    elif _class_attribute(_TYPE_MRO(kind), "__set__") is not _NOT_FOUND:
        return stored  # another data descriptor (a property): its code would run
    else:
        instance = _BASE_EXCEPTION_DICT(exc)
        if "args" in instance:
            value = instance["args"]
        elif _class_attribute(_TYPE_MRO(kind), "__get__") is not _NOT_FOUND:
            return stored  # a method or other descriptor named args
        else:
            value = found
    if any(type(value) is plain for plain in _PLAIN_ITERABLES):
        # Walked as hunter 3.9 walks it; iter() refuses a number or None with its TypeError, as there.
        return value if type(value) is tuple or type(value) is list else tuple(value)
    return stored


def _class_attribute(mro: tuple[type, ...], name: str) -> Any:
    """What ``name`` is in the first class of ``mro`` that defines it (read from the class dicts, running no code)."""
    for base in mro:
        namespace = _TYPE_DICT(base)
        if name in namespace:
            return namespace[name]
    return _NOT_FOUND
