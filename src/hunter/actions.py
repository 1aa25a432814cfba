"""Actions: what to do with matching events (print calls, code, variables, stacks; debug; stop)."""

from __future__ import annotations

import ast
import builtins
import os
import threading
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable
from typing import Any, ClassVar

from . import _colors, _source, _streams, config
from ._compat import NORMAL_EXIT_OPCODES
from ._streams import OutputError
from .event import Event
from .util import resolve_repr_func, safe_repr, shorten

__all__ = [
    "Action",
    "CallPrinter",
    "CodePrinter",
    "ColorStreamAction",
    "Debugger",
    "ErrorSnooper",
    "Manhole",
    "OutputError",
    "StackPrinter",
    "Stop",
    "VarsPrinter",
    "VarsSnooper",
]

_UNSET: Any = object()
_forked = False


def _after_fork() -> None:
    # A child shares the parent's stream: from now on every line says which process wrote it.
    global _forked
    _forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class Action:
    """Base of all actions; any callable taking an event works as an action too."""

    def __call__(self, event: Event) -> None:
        raise NotImplementedError

    def cleanup(self) -> None:
        """Forget per-run state (called before a Backlog replays events)."""

    def _reads_calls(self) -> bool:
        # The actions defined here never look at event.calls; a subclass defined elsewhere might.
        return type(self).__module__ != __name__

    def __str__(self) -> str:
        return f"{type(self).__name__}()"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class Stop(Action):
    """Stops the tracer that delivered the event."""

    def __call__(self, event: Event) -> None:
        tracer = getattr(event, "_tracer", None)
        if tracer is not None:
            tracer.stop()
        else:
            config.stop()


class ColorStreamAction(Action):
    """Base of the printers: a stream, colours, column alignment and safe value formatting."""

    def __init__(
        self,
        stream: Any = _UNSET,
        force_colors: bool = _UNSET,
        force_pid: bool = _UNSET,
        filename_alignment: int = _UNSET,
        thread_alignment: int = _UNSET,
        pid_alignment: int = _UNSET,
        repr_limit: int = _UNSET,
        repr_func: str | Callable[[Any], str] = _UNSET,
    ) -> None:
        defaults = config.default_config

        def option(value: Any, name: str, fallback: Any) -> Any:
            return defaults.get(name, fallback) if value is _UNSET else value

        self._stream_option = option(stream, "stream", None)
        self.force_colors = bool(option(force_colors, "force_colors", False))
        self.force_pid = bool(option(force_pid, "force_pid", False))
        self.filename_alignment = int(option(filename_alignment, "filename_alignment", 40))
        self.thread_alignment = int(option(thread_alignment, "thread_alignment", 12))
        self.pid_alignment = int(option(pid_alignment, "pid_alignment", 9))
        self.repr_limit = int(option(repr_limit, "repr_limit", 1024))
        self.repr_func = resolve_repr_func(option(repr_func, "repr_func", "safe_repr"))
        self._seen_threads: set[int] = set()
        self.stream = self._stream_option

    @property
    def stream(self) -> Any:
        """The stream written to (``hunter._default_stream`` when none was given)."""
        return self._stream

    @stream.setter
    def stream(self, value: Any) -> None:
        if value is None:
            value = config.default_stream
        self._stream = _streams.resolve_stream(value)
        self._colored = _colors.wants_colors(self._stream, self.force_colors)
        self.tags = tags = _colors.COLOR_TAGS if self._colored else _colors.NO_COLOR_TAGS
        # Per-event formatting reuses these instead of re-deriving columns that never change.
        self._padded_filenames: dict[str, str] = {}
        self._kind_columns = {kind: f"{tags['KIND']}{kind:9} " for kind in ("call", "line", "return", "exception")}

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}(stream={self._stream!r}, force_colors={self.force_colors}, "
            f"filename_alignment={self.filename_alignment}, thread_alignment={self.thread_alignment}, "
            f"pid_alignment={self.pid_alignment} repr_limit={self.repr_limit}, repr_func={self.repr_func!r})"
        )

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._settings() == other._settings()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.filename_alignment, self.repr_limit))

    def _settings(self) -> tuple:
        return (
            self._stream,
            self.force_colors,
            self.force_pid,
            self.filename_alignment,
            self.thread_alignment,
            self.pid_alignment,
            self.repr_limit,
            self.repr_func,
        )

    # -- helpers for custom actions -------------------------------------------------------------------------

    def try_repr(self, obj: Any) -> str:
        """``repr_func(obj)`` cut to ``repr_limit``; a failing repr gives ``!!! FAILED REPR: ...``."""
        try:
            text = self.repr_func(obj)
        except Exception as exc:  # noqa: BLE001 - the program's objects may fail in any way
            return f"{self.tags['FAILED']}!!! FAILED REPR: {safe_repr(exc)}{self.tags['RESET']}"
        if not isinstance(text, str):
            text = safe_repr(text)
        return shorten(text, self.repr_limit)

    def _value_repr(self, event: Event, value: Any) -> str:
        """A value of the event for display: a detached event's values went through its value_filter already.

        ``Backlog(vars=True)`` stores ``try_repr`` texts: repr'ing them again would show ``n='1'`` for ``n=1``.
        """
        if event.detached and type(value) is str:
            return value
        return self.try_repr(value)

    def try_str(self, obj: Any) -> str:
        """``str(obj)`` cut to ``repr_limit``; a failing str gives ``!!! FAILED STR: ...``."""
        try:
            text = str(obj)
        except Exception as exc:  # noqa: BLE001
            return f"{self.tags['FAILED']}!!! FAILED STR: {safe_repr(exc)}{self.tags['RESET']}"
        return shorten(text, self.repr_limit)

    def try_source(self, event: Event, full: bool = False) -> str:
        """The event's source line (or whole statement), never raising."""
        try:
            return event.fullsource if full else event.source
        except Exception as exc:  # noqa: BLE001
            return f"??? NO SOURCE: {safe_repr(exc)}"

    def output(self, format_str: str, *args: Any, **kwargs: Any) -> None:
        """Write ``format_str.format(*args, **kwargs)``; colour tags like ``{BRIGHT}`` or ``{fore(RED)}`` work."""
        _streams.write(self._stream, format_str.format(*args, **{**self.tags, **kwargs}))

    def write(self, text: str) -> None:
        """Write already formatted text in one piece."""
        _streams.write(self._stream, text)

    def filename_prefix(self, event: Event | None = None) -> str:
        """The right-aligned ``filename:lineno`` column (blank when no event is given)."""
        align = self.filename_alignment
        if event is None:
            return " " * (align + 7)
        filename = event.filename or "<???>"
        if len(filename) > align:
            filename = f"[...]{filename[5 - align :]}"
        tags = self.tags
        return f"{filename:>{align}}{tags['COLON']}:{tags['LINENO']}{event.lineno:<5} "

    def _prefix(self, event: Event) -> str:
        """The pid, thread, ``filename:lineno`` and kind columns of an event's first line, in one string."""
        filename = event.filename
        padded = self._padded_filenames.get(filename)
        if padded is None:
            if len(self._padded_filenames) > 10_000:  # bounded: a program may exec code under many names
                self._padded_filenames.clear()
            padded = self._padded_filenames[filename] = self.filename_prefix(event).rpartition(":")[0] + ":"
        pid = self.pid_prefix() if self.force_pid or _forked else ""
        return f"{pid}{self.thread_prefix(event)}{padded}{self.tags['LINENO']}{event.lineno:<5} {self._kind_columns[event.kind]}"

    def pid_prefix(self) -> str:
        """A ``[pid]`` column when forced or after a fork (so lines from several processes can be told apart)."""
        if self.force_pid or _forked:
            tags = self.tags
            return f"{tags['PID']}{f'[{os.getpid()}]':<{self.pid_alignment}}{tags['RESET']}"
        return ""

    def thread_prefix(self, event: Event) -> str:
        """The thread-name column: always with threading_support=True, once a 2nd thread was seen with None."""
        support = event.threading_support
        if support is False:
            return ""
        if not support:
            seen = self._seen_threads
            if len(seen) < 2:
                seen.add(threading.get_ident())
                if len(seen) < 2:
                    return ""
        align = self.thread_alignment
        return f"{self.tags['THREAD']}{event.threadname:{align}.{align}}{self.tags['RESET']}"

    def _blank_thread_prefix(self, event: Event) -> str:
        # Continuation lines keep the columns aligned without repeating the thread name.
        if event.threading_support is False:
            return ""
        if event.threading_support or len(self._seen_threads) >= 2:
            return " " * self.thread_alignment
        return ""


class CodePrinter(ColorStreamAction):
    """Prints each event's source code; multi-line statements continued with ``|``/``*``; return values.

    ``elapsed=True`` starts each event's lines with the seconds since the printer's first event.
    """

    def __init__(self, *args: Any, elapsed: bool = False, **options: Any) -> None:
        super().__init__(*args, **options)
        self.elapsed = bool(elapsed)
        self._started: float | None = None

    def __call__(self, event: Event) -> None:
        self.write(self._timed(self._render(event, self._value_text(event))))

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text[:-1]}, elapsed=True)" if self.elapsed else text

    __repr__ = __str__

    def _settings(self) -> tuple:
        return (*super()._settings(), self.elapsed)

    def _timed(self, text: str) -> str:
        """``text`` with the elapsed-time column before its first line (and as much space before the others)."""
        if not self.elapsed:
            return text
        now = time.perf_counter()
        if self._started is None:
            self._started = now
        tags = self.tags
        lines = text.splitlines(keepends=True)
        lines[0] = f"{tags['TIME']}{now - self._started:10.6f}{tags['RESET']} {lines[0]}"
        return "".join([lines[0], *(f"{' ' * 11}{line}" for line in lines[1:])])

    def _value_text(self, event: Event) -> str | None:
        if event.kind in ("return", "exception"):
            return self._value_repr(event, event.arg)
        return None

    def _render(self, event: Event, value: str | None) -> str:
        """The lines for one event; ``value`` is the already formatted return/exception value, if any."""
        tags = self.tags
        lines = self._source_lines(event)
        text = [f"{self._prefix(event)}{tags['RESET']}{lines[0]}{tags['RESET']}\n"]
        if len(lines) > 1 or value is not None:
            blank = f"{self.pid_prefix()}{self._blank_thread_prefix(event)}{self.filename_prefix()}"
        if len(lines) > 1:
            for line in lines[1:-1]:
                text.append(f"{blank}{tags['KIND']}{'   |':9} {tags['RESET']}{line}{tags['RESET']}\n")
            text.append(f"{blank}{tags['KIND']}{'   *':9} {tags['RESET']}{lines[-1]}{tags['RESET']}\n")
        if value is not None:
            text.append(f"{blank}{tags['CONT']}{'...':9} {tags['RESET']}{event.kind} value: {value}\n")
        return "".join(text)

    def _source_lines(self, event: Event) -> list[str]:
        lines = self.try_source(event, full=True).rstrip().splitlines()
        if not lines:
            return [f"??? NO SOURCE: Source code string for {event.filename!r} is empty."]
        return lines


class CallPrinter(CodePrinter):
    """Prints a call tree: ``=> f(args)``, ``<= f: value``, `` ! f: exc``, lines indented by depth."""

    #: Open calls per thread, shared by all instances (a Backlog's printer continues the main one's tree):
    #: ``(module, function, id of the frame, builtin)`` of each printed call whose return wasn't printed yet (for
    #: a C function in profile mode, the frame is the Python frame that called it).
    _stacks: ClassVar[defaultdict[int, list[tuple[str, str, int | None, bool]]]] = defaultdict(list)

    @classmethod
    def cleanup(cls) -> None:  # type: ignore[override]
        """Forget the per-thread call stacks."""
        cls._stacks.clear()

    def __call__(self, event: Event) -> None:
        self.write(self._timed(self._render_call(event, None)))

    def _render_call(self, event: Event, value: str | None) -> str:
        tags = self.tags
        kind = event.kind
        stack = self._stacks[threading.get_ident()]
        if stack and not self._top_is_current(event, stack[-1]):
            # Calls whose returns were filtered out would otherwise indent forever: an event can't sit
            # deeper than its real call depth (hunter 3.9 grows without bound under kind="call").
            # Skipped when the open call on top is this frame's (or its caller's): the stack is consistent
            # then, and the depth costs a walk up the stack.
            level = event.depth if kind in ("call", "return") else event.depth - 1
            limit = level if kind == "call" else level + 1
            if len(stack) > limit >= 0:
                del stack[limit:]
        prefix = self._prefix(event)
        if kind == "call":
            indent = "   " * len(stack)
            frame_id = None if event.frame is None else id(event.frame)
            stack.append((event.module, event.function, frame_id, event.builtin))
            return (
                f"{prefix}{indent}{tags['CALL']}=>{tags['NORMAL']} {event.function}("
                f"{self._arguments(event)}{tags['CALL']}{tags['NORMAL']}){tags['RESET']}\n"
            )
        if kind == "return" or kind == "exception":
            indent = "   " * (len(stack) - 1)
            marker = f"{tags['RETURN']}<=" if kind == "return" else f"{tags['EXCEPTION']} !"
            shown = self._value_repr(event, event.arg) if value is None else value
            if kind == "return" and stack and stack[-1][:2] == (event.module, event.function):
                stack.pop()
            return f"{prefix}{indent}{marker}{tags['NORMAL']} {event.function}: {tags['RESET']}{shown}\n"
        indent = "   " * len(stack)
        return f"{prefix}{tags['RESET']}{indent}{self.try_source(event).strip()}{tags['RESET']}\n"

    @staticmethod
    def _top_is_current(event: Event, top: tuple[str, str, int | None, bool]) -> bool:
        """Whether the open call on top of the stack is the event's frame (for a call: its caller's frame).

        Frames are matched by id *and* name: names alone match a returned call of the same function (a
        recursive function under kind="call" would indent forever), an id alone could be a dead frame's
        memory reused by a new one.
        """
        frame = event.frame
        if frame is None:  # detached (a Backlog replay): only the stored depth can tell
            return False
        top_module, top_function, top_id, top_builtin = top
        if event.kind == "call":
            # A Python call's caller is the previous frame; a C function's (profile mode) is the event's frame.
            caller = frame if event.builtin else frame.f_back
            if caller is None or id(caller) != top_id:
                return False
            if top_builtin:
                # A C function called from the caller's frame is still running: it is what calls this function
                # (sorted() calling a key function). C functions have no frame, so the depth can't tell.
                return not event.builtin
            return caller.f_code.co_name == top_function and _source.frame_module(caller) == top_module
        return (
            id(frame) == top_id
            and top_builtin == event.builtin
            and event.function == top_function
            and event.module == top_module
        )

    def _arguments(self, event: Event) -> str:
        if event.builtin:
            return ""
        arguments = _source.parameters(event.code)
        local_values = event.locals
        tags = self.tags
        parts = []
        for star, name in arguments:
            try:
                value = self._value_repr(event, local_values[name])
            except KeyError:
                value = "<not found>"
            parts.append(f"{tags['VARS']}{star}{tags['VARS-NAME']}{name}{tags['VARS']}={tags['RESET']}{value}")
        return ", ".join(parts)


def _names_in(expression: str) -> frozenset[str]:
    tree = ast.parse(expression, mode="eval")
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class VarsPrinter(ColorStreamAction):
    """Prints the values of names or expressions (``'self.balance'``) at each event where their names exist."""

    def __init__(self, *names: str, **options: Any) -> None:
        if not names:
            raise TypeError("VarsPrinter requires at least one variable name/expression.")
        super().__init__(**options)
        self.names = {name: (_names_in(name), compile(name, "<hunter-vars>", "eval")) for name in names}

    def __call__(self, event: Event) -> None:
        frame_locals = event.locals
        frame_globals = event.globals
        needed = set()
        for required, _ in self.names.values():
            needed |= required
        for name in needed:
            if name not in frame_locals and name not in frame_globals and not hasattr(builtins, name):
                return
        tags = self.tags
        lines = []
        for index, (name, (_, code)) in enumerate(self.names.items()):
            try:
                value = self.try_repr(eval(code, frame_globals, frame_locals))
            except Exception as exc:  # noqa: BLE001
                value = f"{tags['FAILED']}!!! FAILED EVAL: {safe_repr(exc)}{tags['RESET']}"
            if index == 0:
                start = f"{self._prefix(event)}{tags['RESET']}"
            else:
                start = f"{self.pid_prefix()}{self._blank_thread_prefix(event)}{self.filename_prefix()}"
                start += f"{tags['CONT']}{'...':9} {tags['RESET']}"
            lines.append(f"{start}[{tags['VARS-NAME']}{name}{tags['VARS']} =>{tags['RESET']} {value}]\n")
        self.write("".join(lines))


class VarsSnooper(ColorStreamAction):
    """Prints the local variables that were assigned or changed since the previous event in the same frame."""

    #: How many frames' snapshots to keep when their returns are never seen (filtered out).
    MAX_FRAMES = 1000

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._snapshots: OrderedDict[tuple[int, int], tuple[Any, dict[str, str]]] = OrderedDict()

    def __call__(self, event: Event) -> None:
        frame = event.frame
        key = (threading.get_ident(), id(frame))
        previous = self._snapshots.get(key)
        if previous is not None and previous[0] is not event.code:
            previous = None  # the id was reused by a new frame
        before = previous[1] if previous is not None else {}
        # Compare reprs, not values: == could run user code, and identity misses in-place changes.
        current = {name: self.try_repr(value) for name, value in event.locals.items()}
        tags = self.tags
        changes = []
        for name in sorted(current):
            value = current[name]
            if name not in before:
                changes.append(f"[{tags['VARS-NAME']}{name}{tags['VARS']} :={tags['RESET']} {value}]")
            elif before[name] != value:
                changes.append(
                    f"[{tags['VARS-NAME']}{name}{tags['VARS']} :{tags['RESET']} {before[name]}"
                    f"{tags['VARS']} =>{tags['RESET']} {value}]"
                )
        if event.kind == "return":
            self._snapshots.pop(key, None)
        else:
            self._snapshots[key] = (event.code, current)
            self._snapshots.move_to_end(key)
            if len(self._snapshots) > self.MAX_FRAMES:
                self._snapshots.popitem(last=False)
        if not changes:
            return
        head = f"{self._prefix(event)}{tags['RESET']}"
        cont = f"{self.pid_prefix()}{self._blank_thread_prefix(event)}{self.filename_prefix()}"
        cont += f"{tags['CONT']}{'...':9} {tags['RESET']}"
        self.write("".join(f"{head if i == 0 else cont}{change}\n" for i, change in enumerate(changes)))


class _Snoop:
    """One exception being watched in one frame until the frame exits."""

    __slots__ = ("after", "backlog", "level", "omitted", "trigger")

    def __init__(self, trigger: tuple[Event, str | None], backlog: list[tuple[Event, str | None]], level: int):
        self.trigger = trigger
        self.backlog = backlog
        self.after: list[tuple[Event, str | None]] = []
        self.level = level
        self.omitted = 0


class ErrorSnooper(CodePrinter):
    """Reports exceptions that a function swallowed (it went on to return normally), with events around them."""

    def __init__(self, max_backlog: int = 10, max_events: int = 50, max_depth: int = 0, **options: Any) -> None:
        super().__init__(**options)
        self.max_backlog = max_backlog
        self.max_events = max_events
        self.max_depth = max_depth
        self._backlogs: defaultdict[int, deque[tuple[Event, str | None]]] = defaultdict(
            lambda: deque(maxlen=max_backlog)
        )
        self._snoops: dict[tuple[int, int], _Snoop] = {}

    def __str__(self) -> str:
        return f"ErrorSnooper(max_backlog={self.max_backlog}, max_events={self.max_events}, max_depth={self.max_depth})"

    __repr__ = __str__

    def __call__(self, event: Event) -> None:
        thread = threading.get_ident()
        record = (event.detach(), self._value_text(event))
        kind = event.kind
        backlog = self._backlogs[thread]
        backlog.append(record)
        # The frame level is only needed to apply max_depth; computing it walks the stack.
        level = (event.depth if kind in ("call", "return") else event.depth - 1) if self.max_depth else 0
        for (snoop_thread, _), snoop in self._snoops.items():
            if snoop_thread != thread or (self.max_depth and level > snoop.level + self.max_depth):
                continue
            if len(snoop.after) < self.max_events:
                snoop.after.append(record)
            else:
                snoop.omitted += 1
        key = (thread, id(event.frame))
        if kind == "exception":
            if key not in self._snoops:  # a second exception in the same frame is just part of the story
                # The backlog ends with this event, unless max_backlog=0 keeps nothing: the trigger always shows.
                shown = list(backlog) if backlog and backlog[-1] is record else [*backlog, record]
                self._snoops[key] = _Snoop(record, shown, level)
        elif kind == "return":
            snoop = self._snoops.pop(key, None)
            # Leaving through RETURN/YIELD means the exception was handled here; anything else re-raised it.
            if snoop is not None and event.instruction in NORMAL_EXIT_OPCODES:
                self._report(snoop)

    def _report(self, snoop: _Snoop) -> None:
        tags = self.tags
        width = self.filename_alignment + 6
        trigger_event, trigger_value = snoop.trigger
        text = [
            f"{tags['EXCEPTION']}{'>' * width} tracing {trigger_event.function} on {trigger_value}{tags['RESET']}\n"
        ]
        for detached, value in [*snoop.backlog, *snoop.after]:
            text.append(self._render(detached, value))
        if snoop.omitted:
            text.append(f"{tags['CONT']}{'-' * width} {snoop.omitted} more events not shown{tags['RESET']}\n")
        text.append(f"{tags['CONT']}{'-' * width} function exit{tags['RESET']}\n")
        self.write("".join(text))


class StackPrinter(ColorStreamAction):
    """Prints the call stack leading to the event on one line: ``file:line:function <= caller <= ...``."""

    def __init__(self, depth: int = 15, limit: int = 2, **options: Any) -> None:
        super().__init__(**options)
        self.depth = depth
        self.limit = limit

    def _short(self, filename: str) -> str:
        return os.sep.join(filename.split(os.sep)[-self.limit :]) if self.limit else filename

    def __call__(self, event: Event) -> None:
        tags = self.tags
        parents = []
        frame = event.frame.f_back if event.frame is not None else None
        while frame is not None and len(parents) < self.depth:
            parents.append(
                f"{self._short(frame.f_code.co_filename)}{tags['COLON']}:{tags['LINENO']}{frame.f_lineno}"
                f"{tags['COLON']}:{tags['RESET']}{frame.f_code.co_name}"
            )
            frame = frame.f_back
        first = self._short(event.filename)
        own = f"{first:>{self.filename_alignment}}{tags['COLON']}:{tags['LINENO']}{event.lineno}"
        own += f"{tags['COLON']}:{tags['RESET']}{event.function}"
        separator = f" {tags['KIND']}<={tags['RESET']} "
        line = separator.join([own, *parents])
        self.write(f"{self.pid_prefix()}{self.thread_prefix(event)}{line}\n")


class Debugger(Action):
    """Stops in a debugger (``pdb.Pdb`` by default) at the event's frame."""

    def __init__(self, klass: Any = _UNSET, **kwargs: Any) -> None:
        if klass is _UNSET:
            klass = config.default_config.get("klass")
        if klass is None:
            import pdb  # noqa: T100 - imported on use: pdb pulls in a dozen modules nobody else needs

            klass = pdb.Pdb
        self.klass = klass
        self.kwargs = kwargs

    def __call__(self, event: Event) -> None:
        self.klass(**self.kwargs).set_trace(event.frame)

    def __str__(self) -> str:
        return f"Debugger(klass={self.klass}, kwargs={self.kwargs})"

    __repr__ = __str__


class Manhole(Action):
    """Opens a remote debugging shell (needs the optional ``manhole`` package: ``pip install hunter[manhole]``)."""

    def __init__(self, **options: Any) -> None:
        try:
            import manhole  # noqa: F401
        except ImportError:
            raise ImportError("The Manhole action needs the 'manhole' package: pip install 'hunter[manhole]'") from None
        self.options = options
        self._installed = False

    def __call__(self, event: Event) -> None:
        import manhole

        if not self._installed:
            self._installed = True
            manhole.install(strict=False, **self.options)

    def __str__(self) -> str:
        return f"Manhole(options={self.options})"

    __repr__ = __str__


__all__ += ["OutputError"]
