"""Event: one interpreter callback, with lazily computed and cached fields."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import CodeType, FrameType, FunctionType
from typing import Any, Protocol, cast

from ._engine import _source
from ._engine._frames import locals_readable
from ._engine._program_signals import let_through

__all__ = ["FIELD_TABLE", "Event", "EventSource", "Field", "fields_where"]

#: What ``event.kind`` can be (profile mode's ``c_call`` etc. are reported as these, with ``builtin=True``), in the
#: order of the backends' per-kind verdict tuples.
KINDS = ("call", "line", "return", "exception")
_C_KINDS = {"c_call": "call", "c_return": "return", "c_exception": "exception"}
_MISSING: Any = object()
_main_thread = threading.main_thread


class Field:
    """One field of an event: the one place that says what it is (adding a field starts with a row below).

    (A plain class: a NamedTuple class is made through annotationlib, and so ast, on 3.14.)
    """

    __slots__ = ("detached", "holds", "name", "query", "recorded", "static")

    def __init__(
        self,
        name: str,
        holds: str,
        *,
        query: bool,
        static: bool = False,
        detached: bool = False,
        recorded: bool = False,
    ) -> None:
        self.name = name
        #: What it holds, which decides the query values that can ever match it (see ``_setup._keywords``): "text",
        #: "number", "number or none", "mapping", "kind" (one of KINDS), "flag" (a bool), "any", "code", "option".
        self.holds = holds
        #: A Query can test it (``FIELD=``, ``FIELD_OPERATOR=``).
        self.query = query
        #: Fixed per code object, given the event kind: a Query decides it before any event (see
        #: ``_engine._verdict``), and backends pre-fill it once per code object.
        self.static = static
        #: A detached copy (``Event.detach``) keeps its value; the values and the source lines are handled apart.
        self.detached = detached
        #: A recording (``hunter record``) holds it, so a query of a trace file can test it (``arg``: with values).
        self.recorded = recorded

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.holds!r})"


#: Every field of an event. Query keywords come in this order (``Event.FIELDS``).
FIELD_TABLE = (
    Field("function", "text", query=True, static=True, detached=True, recorded=True),
    Field("module", "text", query=True, static=True, detached=True, recorded=True),
    Field("lineno", "number", query=True, detached=True, recorded=True),
    Field("globals", "mapping", query=True),
    Field("stdlib", "flag", query=True, static=True, detached=True, recorded=True),
    Field("arg", "any", query=True, recorded=True),
    Field("locals", "mapping", query=True),
    Field("kind", "kind", query=True, static=True, detached=True, recorded=True),
    Field("filename", "text", query=True, static=True, detached=True, recorded=True),
    Field("source", "text", query=True, recorded=True),
    Field("fullsource", "text", query=True, recorded=True),
    Field("threadname", "text", query=True, detached=True, recorded=True),
    Field("threadid", "number or none", query=True, detached=True, recorded=True),  # None: the main thread
    Field("instruction", "number or none", query=True, detached=True),  # None: no instruction yet
    Field("depth", "number", query=True, detached=True, recorded=True),
    Field("calls", "number", query=True, detached=True),
    Field("builtin", "flag", query=True, static=True, detached=True, recorded=True),
    Field("code", "code", query=False, static=True, detached=True),
    Field("threading_support", "option", query=False, detached=True),
)


def fields_where(**wanted: Any) -> tuple[str, ...]:
    """The names of the fields whose columns have the given values, in table order: ``fields_where(query=True)``."""
    return tuple(
        field.name for field in FIELD_TABLE if all(getattr(field, key) == value for key, value in wanted.items())
    )


def _function_with_code(candidate: Any, code: CodeType) -> FunctionType | None:
    """``candidate`` if it is a plain function running ``code``, or the function it wraps (functools.wraps)."""
    for _ in range(100):  # a __wrapped__ cycle must not hang the program
        if type(candidate) is not FunctionType:
            return None
        if candidate.__code__ is code:
            return candidate
        candidate = candidate.__dict__.get("__wrapped__")
    return None


def _method_with_code(value: Any, code: CodeType, *, is_owner: bool) -> FunctionType | None:
    """The function running ``code`` among the attributes named like it on ``value``'s class (or ``value``, a
    class, for a classmethod or when ``is_owner``), read from the class dicts without running descriptors."""
    owner: type = cast(type, value) if is_owner or issubclass(type(value), type) else type(value)
    for klass in owner.__mro__:
        attr: Any = klass.__dict__.get(code.co_name)
        if type(attr) in (classmethod, staticmethod):
            attr = attr.__func__
        elif type(attr) is property:
            attr = attr.fget
        found = _function_with_code(attr, code)
        if found is not None:
            return found
    return None


class EventSource(Protocol):
    """What an event may ask of the tracer that made it (a ``Tracer`` is one), and what actions ask through it."""

    @property
    def threading_support(self) -> bool | None:
        """The tracer's thread option (events copy it)."""

    @property
    def calls(self) -> int:
        """How many call events the tracer saw so far."""

    @property
    def run_token(self) -> object:
        """A new object each time tracing starts: what per-run state (CallPrinter's open calls) is kept under."""

    def count_frames(self, frame: FrameType) -> int:
        """How many frames from ``frame`` up its chain were entered after tracing started."""

    def stop(self) -> None:
        """Stop tracing (an action may call it: the Stop action)."""

    def hand_over_thread(self) -> None:
        """Report no more events of the current thread: a debugger's trace function took it (Debugger)."""


class _lazy:
    """A cached field: computed on first access, then stored in the instance dict (which wins from then on)."""

    def __init__(self, func: Callable[[Event], Any]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, instance: Event | None, owner: type) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


class Event:
    """A trace event. Fields are computed on first access and cached; asking for none costs nothing."""

    #: Names a Query can test (``FIELD`` / ``FIELD_OPERATOR`` keywords); one list serves both.
    FIELDS = fields_where(query=True)

    frame: FrameType | None
    kind: str
    arg: Any
    builtin: bool
    detached: bool = False
    threading_support: bool | None
    #: The tracer that made the event (None for a detached copy or one made by hand).
    tracer: EventSource | None = None

    def __init__(
        self,
        frame: FrameType | None,
        kind: str,
        arg: Any,
        depth: int | None = None,
        calls: int | None = None,
        threading_support: bool | None = _MISSING,
        tracer: EventSource | None = None,
        static: dict[str, Any] | None = None,
    ) -> None:
        if static is not None:  # fields a backend already knows for this code object
            self.__dict__.update(static)
        self.frame = frame
        if kind in _C_KINDS:
            self.kind = _C_KINDS[kind]
            self.builtin = True
        else:
            self.kind = kind
            self.builtin = False
        self.arg = arg
        self.tracer = tracer
        if depth is not None:
            self.depth = depth
        if calls is not None:
            self.calls = calls
        if threading_support is _MISSING:
            threading_support = tracer.threading_support if tracer is not None else None
        self.threading_support = threading_support

    # -- fields that need the tracer ---------------------------------------------------------------------

    @_lazy
    def depth(self) -> int:
        """Call depth relative to where tracing started (line events count one deeper than their call)."""
        if self.tracer is None or self.frame is None:
            return 0
        frames = self.tracer.count_frames(self.frame)
        # A call/return belongs to the level of its caller, its lines to the level below (as hunter 3.9).
        if self.kind in ("call", "return") and not self.builtin:
            frames -= 1
        return max(frames, 0)

    @_lazy
    def calls(self) -> int:
        """How many call events the tracer saw before this one."""
        return self.tracer.calls if self.tracer is not None else 0

    # -- fields from the frame ----------------------------------------------------------------------------
    # These are computed for live events only: detach() fills in every one of them (the frame is None only
    # there). So they read self.frame as a frame; checking it would cost every event, hence the
    # ``type: ignore[union-attr]`` (and ``[arg-type]``) comments below.

    @_lazy
    def code(self) -> CodeType:
        """The code object being run."""
        return self.frame.f_code  # type: ignore[union-attr]

    @_lazy
    def function(self) -> str:
        """The function name (``co_name``; the C function's name for builtin events)."""
        if self.builtin:
            name = getattr(self.arg, "__name__", "?")
            return name if isinstance(name, str) else "?"
        code: CodeType = self.code
        return code.co_name

    @_lazy
    def module(self) -> str:
        """The module name from the frame's globals (``'?'`` when missing)."""
        if self.builtin:
            module = getattr(self.arg, "__module__", None)
            return module if isinstance(module, str) else "?"
        return _source.frame_module(self.frame)  # type: ignore[arg-type]

    @_lazy
    def filename(self) -> str:
        """The source file of the code (frozen and compiled modules mapped to their ``.py``)."""
        return _source.code_filename(self.code, self.frame.f_globals)  # type: ignore[union-attr]

    @_lazy
    def lineno(self) -> int:
        """The current line number."""
        return self.frame.f_lineno or 0  # type: ignore[union-attr]

    @_lazy
    def globals(self) -> dict[str, Any]:
        """The frame's global namespace."""
        return self.frame.f_globals  # type: ignore[union-attr]

    @_lazy
    def locals(self) -> Any:
        """The frame's local namespace (empty inside a module or class body's comprehension on 3.12: see _frames)."""
        frame = self.frame
        if not locals_readable(frame):  # type: ignore[arg-type]
            return {}
        return frame.f_locals  # type: ignore[union-attr]

    @_lazy
    def stdlib(self) -> bool:
        """Whether the code belongs to the standard library."""
        return _source.is_stdlib(self.filename, self.module)

    @_lazy
    def source(self) -> str:
        """The current source line (``??? NO SOURCE: ...`` when unavailable)."""
        try:
            return _source.source_line(self._source_file(), self.lineno, self._module_globals()) or self._no_source()
        except Exception as exc:  # a loader can fail in any way; the program must not
            let_through(exc)
            return f"??? NO SOURCE: {exc!r}"

    @_lazy
    def fullsource(self) -> str:
        """The current statement; for ``call`` events the whole definition header with its decorators."""
        try:
            if self.kind == "call" and self.code.co_name != "<module>":
                header = _source.definition_source(self._source_file(), self.lineno, self._module_globals())
                if header is not None:
                    return header
            return _source.source_line(self._source_file(), self.lineno, self._module_globals()) or self._no_source()
        except Exception as exc:
            let_through(exc)
            return f"??? NO SOURCE: {exc!r}"

    def _no_source(self) -> str:
        # linecache answers '' for a file it can't read (missing, <string>, line 0 of a module's call event).
        return f"??? NO SOURCE: Source code string for {self.filename!r} is empty."

    def _source_file(self) -> str:
        # Where the source is read from: the file name itself (a recorded event resolves it against the recording's
        # working directory instead, see hunter.record).
        filename: str = self.filename
        return filename

    def _module_globals(self) -> dict[str, Any] | None:
        # linecache uses the globals' __loader__ for zip/egg sources; detached events only have the file.
        return self.frame.f_globals if self.frame is not None else None

    @_lazy
    def threadid(self) -> int | None:
        """The current thread's ident, ``None`` for the main thread."""
        ident = threading.get_ident()
        return None if ident == _main_thread().ident else ident

    @_lazy
    def threadname(self) -> str:
        """The current thread's name."""
        # current_thread() would create (and leak) a _DummyThread for a thread that already left
        # threading's registry (events during its shutdown); look it up without side effects (a private dict,
        # which typeshed doesn't declare).
        thread = threading._active.get(threading.get_ident())  # type: ignore[attr-defined]
        return thread.name if thread is not None else f"Thread-{threading.get_ident()}"

    @_lazy
    def instruction(self) -> int | None:
        """The opcode of the instruction being run."""
        frame = self.frame
        if frame is None or frame.f_lasti < 0:
            return None
        return frame.f_code.co_code[frame.f_lasti]

    @_lazy
    def function_object(self) -> Any:
        """The function object being run, when it can be found without side effects, else None."""
        frame = self.frame
        if frame is None:  # detached, unless a frame was put back (as replaying test tracers do)
            return None
        if self.builtin:
            return self.arg
        code = self.code
        name = code.co_name
        if name.startswith("<"):
            return None
        # Only exact types are inspected: getattr or isinstance on an arbitrary object could run its
        # __getattr__/__getattribute__/__class__ (a class-based decorator or a proxy) and change the program.
        found = _function_with_code(frame.f_globals.get(name), code)
        if found is None and code.co_argcount and code.co_varnames:
            # A method: look it up on the class of the first argument (or on it, for a classmethod's cls).
            found = _method_with_code(frame.f_locals.get(code.co_varnames[0]), code, is_owner=False)
        if found is None:
            # A staticmethod: on the classes the module defines.
            for value in list(frame.f_globals.values()):
                if issubclass(type(value), type):
                    found = _method_with_code(value, code, is_owner=True)
                    if found is not None:
                        break
        return found

    # -- copies ---------------------------------------------------------------------------------------------

    def detach(self, value_filter: Callable[[Any], Any] | None = None) -> Event:
        """A copy that holds no frame and no live objects (values dropped, or passed through value_filter)."""
        from ._engine._recorded import RecordedEvent  # (the one type of a kept event; it subclasses this one)

        return RecordedEvent.of(self, value_filter)

    def clone(self) -> Event:
        """A shallow copy (cached fields included)."""
        event = Event.__new__(Event)
        event.__dict__.update(self.__dict__)
        return event

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __reduce__(self) -> Any:
        # Events hold live frames. The message is hunter 3.9's (its compiled Event lives in hunter._event).
        name = "hunter._event.Event" if type(self) is Event else f"{type(self).__module__}.{type(self).__qualname__}"
        raise TypeError(f"cannot pickle {name!r} object")

    def __repr__(self) -> str:
        return (
            f"<Event kind={self.kind!r} function={self.function!r} module={self.module!r} "
            f"filename={self.filename!r} lineno={self.lineno}>"
        )
