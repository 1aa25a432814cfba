"""Actions: what to do with matching events (print calls, code, variables, stacks; debug; stop)."""

from __future__ import annotations

import builtins
import operator
import os
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, ClassVar

from ._output import _colors, _compact, _streams, _tasks
from ._engine import _own_code, _source
from ._engine._codemap import CodeMap, CodeRecord
from . import config
from ._output._reprs import cut_repr, stored_exception_repr
from ._engine._compat import RETURN_OPCODES as _RETURN_OPCODES
from ._engine._recorded import recorded_frame
from ._engine._program_signals import let_through
from ._output._streams import OutputError
from .event import Event
from .util import MISSING, resolve_repr_func, safe_repr, shorten

_get_ident = threading.get_ident

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
#: How many forks led to this process (its threads have new OS ids: the printers count them afresh).
_forks = 0


def _after_fork() -> None:
    # A child shares the parent's stream: from now on every line says which process wrote it.
    global _forked, _forks
    _forked = True
    _forks += 1


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

    def _reads_depth(self) -> bool:
        # Those defined here read event.depth rarely (ErrorSnooper says otherwise); a subclass elsewhere might.
        return type(self).__module__ != __name__

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class Stop(Action):
    """Stops the tracer that delivered the event."""

    def __repr__(self) -> str:
        # hunter 3.9 defines Stop in the hunter package itself, with object's repr.
        return f"<hunter.Stop object at 0x{id(self):x}>"

    def __call__(self, event: Event) -> None:
        tracer = getattr(event, "tracer", None)  # (an event-like object made by hand may have none)
        if tracer is not None:
            tracer.stop()
        else:
            config.stop()


class ColorStreamAction(Action):
    """Base of the printers: a stream, colours, column alignment and safe value formatting."""

    #: The colour of each event kind's text (CallPrinter has its own).
    EVENT_COLORS: ClassVar[dict[str, str]] = _colors.CODE_COLORS

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
        def option(value: Any, name: str, fallback: Any) -> Any:
            return config.action_default(name, fallback) if value is _UNSET else value

        self._stream_option = option(stream, "stream", None)
        self.force_colors = bool(option(force_colors, "force_colors", False))
        self.force_pid = bool(option(force_pid, "force_pid", False))
        self.filename_alignment = int(option(filename_alignment, "filename_alignment", 40))
        self.thread_alignment = int(option(thread_alignment, "thread_alignment", 12))
        self.pid_alignment = int(option(pid_alignment, "pid_alignment", 9))
        self.repr_limit = int(option(repr_limit, "repr_limit", 1024))
        self.repr_func = resolve_repr_func(option(repr_func, "repr_func", "safe_repr"))
        self._seen_threads: set[int] = set()
        #: The ``threading.get_ident()`` of the thread seen when it is the only one (so far, in this process): its
        #: events have no thread column. CallPrinter's fast path compares it (no system call, unlike get_native_id,
        #: by which threads are counted). Another thread can't have it while that one runs; one that reuses it
        #: after that thread ended is taken for it, as hunter 3.9 (which tells threads by ident) does.
        self._only_thread_ident: int | None = None
        self._seen_forks = _forks
        #: Whether CallPrinter's fast path printed (it doesn't count in ``_streams.writes``: a module attribute's
        #: update costs several times an instance's, per event).
        self._printed = False
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
        if self._colored:
            self.tags, self.event_colors = _colors.COLOR_TAGS, self.EVENT_COLORS
        else:
            self.tags, self.event_colors = _colors.NO_COLOR_TAGS, dict.fromkeys(self.EVENT_COLORS, "")
        # Per-event formatting reuses these instead of re-deriving columns that never change.
        self._padded_filenames: dict[str, str] = {}
        #: CallPrinter's texts per code object (see _CodeText): they hold colour tags.
        self._code_texts: CodeMap[_CodeText] = CodeMap()
        self._kind_columns = {kind: f"{self.tags['KIND']}{kind:9} " for kind in self.EVENT_COLORS}
        #: Where a cut value's middle was (in colour when the stream has colours).
        self._cut_marker = f"{self.tags['CONT']}[...]{self.tags['RESET']}"

    @property
    def other_colors(self) -> dict[str, str]:
        """The colour tags templates may use (all empty when the stream gets no colours)."""
        return self.tags

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}(stream={self._stream!r}, force_colors={self.force_colors}, "
            f"filename_alignment={self.filename_alignment}, thread_alignment={self.thread_alignment}, "
            f"pid_alignment={self.pid_alignment} repr_limit={self.repr_limit}, repr_func={self.repr_func!r})"
        )

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._settings() == other._settings()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.filename_alignment, self.repr_limit))

    def _settings(self) -> tuple[Any, ...]:
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

    def _limited(self, text: str) -> str:
        """One line (newlines escaped), cut to ``repr_limit`` around a `` [...] `` marker."""
        return shorten(text.replace("\n", "\\n"), self.repr_limit, self._cut_marker)

    def _failed(self, exc: Exception) -> str:
        tags = self.tags
        # The exception as repr() shows it (hunter 3.9 does), from its stored args: this must not fail in turn.
        detail = stored_exception_repr(exc)
        return f"{tags['INTERNAL-FAILURE']}!!! FAILED REPR: {tags['INTERNAL-DETAIL']}{detail}{tags['RESET']}"

    def try_repr(self, obj: Any) -> str:
        """``repr_func(obj)`` on one line, cut to ``repr_limit``; a failing repr gives ``!!! FAILED REPR: ...``."""
        try:
            if self.repr_func is safe_repr:
                # Rendered only as far as the cut keeps: a million-item list costs what its first and last
                # characters do.
                return cut_repr(obj, self.repr_limit, self._cut_marker)
            return self._limited(self.repr_func(obj))
        except Exception as exc:  # the program's objects may fail in any way
            let_through(exc)
            return self._failed(exc)

    def try_str(self, obj: Any) -> str:
        """``str(obj)`` on one line, cut to ``repr_limit`` (for the values of detached events, already reprs)."""
        try:
            return self._limited(str(obj))
        except Exception as exc:
            let_through(exc)
            return self._failed(exc)

    def _value_repr(self, event: Event, value: Any) -> str:
        """A value of the event for display: a detached event's values went through its value_filter already."""
        return self.try_str(value) if event.detached else self.try_repr(value)

    def try_source(self, event: Event, full: bool = False) -> str:
        """The event's source line (or whole statement), never raising; a missing source says why."""
        try:
            source: str = event.fullsource if full else event.source
        except Exception as exc:
            let_through(exc)
            source = f"??? NO SOURCE: {stored_exception_repr(exc)}"
        tags = self.tags
        if source.startswith("??? NO SOURCE: "):
            return f"{tags['SOURCE-FAILURE']}??? NO SOURCE: {tags['SOURCE-DETAIL']}{source[15:]}"
        if source:
            return source
        return (
            f"{tags['SOURCE-FAILURE']}??? NO SOURCE: {tags['SOURCE-DETAIL']}"
            f"Source code string for {event.filename!r} is empty."
        )

    #: Whether a subclass overrides ``output`` (set per class, once): then every line goes through it, as in
    #: hunter 3.9, where the printers build lines directly and write them in one piece otherwise.
    _custom_output: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._custom_output = cls.output is not ColorStreamAction.output

    def output(self, format_str: str, *args: Any, **kwargs: Any) -> None:
        """Write ``format_str.format(*args, **kwargs)``; colour tags like ``{BRIGHT}`` or ``{fore(RED)}`` work."""
        _streams.write(self._stream, format_str.format(*args, **{**self.tags, **kwargs}))

    def write(self, text: str) -> None:
        """Write already formatted lines: in one piece, or line by line through an overridden ``output``."""
        if self._custom_output:
            for line in text.splitlines():
                self.output("{}\n", line)
        else:
            _streams.write(self._stream, text)

    def filename_prefix(self, event: Event | None = None) -> str:
        """The right-aligned ``filename:lineno`` column (blank when no event is given)."""
        align = self.filename_alignment
        if event is None:
            return " " * (align + 7)
        return f"{self._padded_filename(event.filename)}{self.tags['LINENO']}{event.lineno:<5} "

    def _padded_filename(self, filename: str) -> str:
        """The filename column up to the line number: right-aligned, cut from the left as ``[...]tail``."""
        padded = self._padded_filenames.get(filename)
        if padded is None:
            if len(self._padded_filenames) > 10_000:  # bounded: a program may exec code under many names
                self._padded_filenames.clear()
            align = self.filename_alignment
            shown = f"{self.tags['SOURCE-FAILURE']}?" if filename == "?" else filename
            if len(shown) > align:
                shown = f"[...]{shown[5 - align :]}"
            padded = self._padded_filenames[filename] = f"{shown:>{align}}{self.tags['COLON']}:"
        return padded

    def _prefix(self, event: Event) -> str:
        """The pid, thread, ``filename:lineno`` and kind columns of an event's first line, in one string."""
        return f"{self._columns(event)}{self._kind_columns[event.kind]}"

    def _columns(self, event: Event) -> str:
        """The pid, thread and ``filename:lineno`` columns."""
        return f"{self.pid_prefix()}{self.thread_prefix(event)}{self.filename_prefix(event)}"

    def _blank_columns(self, event: Event) -> str:
        """The pid and thread columns and a blank filename column, for an event's continuation lines."""
        return f"{self.pid_prefix()}{self.thread_prefix(event)}{self.filename_prefix()}"

    def pid_prefix(self) -> str:
        """A ``[pid]`` column when forced or after a fork (so lines from several processes can be told apart)."""
        if self.force_pid or _forked:
            return f"{f'[{os.getpid()}]':{self.pid_alignment}}"
        return ""

    def thread_prefix(self, event: Event) -> str:
        """The thread-name column: always with threading_support=True, once a 2nd thread was seen with None."""
        support = event.threading_support
        if support is False:
            return ""
        if not support:
            seen = self._seen_threads
            if len(seen) < 2:
                # OS threads, not idents: under gevent's monkey-patching every greenlet has an ident of its own,
                # and greenlets (like asyncio tasks) are not what the thread column is about. A forked child's one
                # thread has a new OS id: it counts afresh.
                if self._seen_forks != _forks:
                    seen.clear()
                    self._seen_forks = _forks
                seen.add(threading.get_native_id())
                if len(seen) < 2:
                    self._only_thread_ident = threading.get_ident()  # (CallPrinter's fast path checks this one)
                    return ""
                self._only_thread_ident = None
        # event.threadname rather than current_thread(): that would create a _DummyThread for a thread
        # that already left threading's registry (events during its shutdown).
        return f"{event.threadname:{self.thread_alignment}}"


class CodePrinter(ColorStreamAction):
    """Prints each event's source code; multi-line statements continued with ``|``/``*``; return values.

    ``elapsed=True`` starts each event's lines with the seconds since the printer's first event;
    ``asyncio=True`` adds a column with the running asyncio task's name (after the thread column).
    """

    def __init__(self, *args: Any, elapsed: bool = False, asyncio: bool = False, **options: Any) -> None:
        super().__init__(*args, **options)
        self.elapsed = bool(elapsed)
        self.asyncio = bool(asyncio)
        self._started: float | None = None

    def __call__(self, event: Event) -> None:
        if self._custom_output and not self.elapsed and not self.asyncio:
            self._output_code(event)
        else:
            self.write(self._timed(self._render(event)))

    def __str__(self) -> str:
        text = super().__str__()
        extra = "".join(f", {name}=True" for name in ("elapsed", "asyncio") if getattr(self, name))
        return f"{text[:-1]}{extra})" if extra else text

    __repr__ = __str__

    def _settings(self) -> tuple[Any, ...]:
        return (*super()._settings(), self.elapsed, self.asyncio)

    def thread_prefix(self, event: Event) -> str:
        """The thread column, then (``asyncio=True``) the task column: the running task's name, blank outside one."""
        column = super().thread_prefix(event)
        if self.asyncio:
            column += f"{_tasks.task_name(_tasks.current_task()):{self.thread_alignment}}"
        return column

    def _timed(self, text: str) -> str:
        """``text`` with the elapsed-time column before its first line (and as much space before the others)."""
        if not self.elapsed or not text:
            return text
        now = time.perf_counter()
        if self._started is None:
            self._started = now
        tags = self.tags
        lines = text.splitlines(keepends=True)
        lines[0] = f"{tags['TIME']}{now - self._started:10.6f}{tags['RESET']} {lines[0]}"
        return "".join([lines[0], *(f"{' ' * 11}{line}" for line in lines[1:])])

    def _render(self, event: Event) -> str:
        """The lines for one event: its source (the whole statement), then the value of a return or exception."""
        tags = self.tags
        color = self.event_colors[event.kind]
        lines = self.try_source(event, full=True).splitlines() or [""]
        columns = self._columns(event)
        text = [f"{columns}{self._kind_columns[event.kind]}{color}{lines[0]}{tags['RESET']}\n"]
        if len(lines) > 1 or event.kind in ("return", "exception"):
            blank = self._blank_columns(event)
            if len(lines) > 1:
                for marker, line in [*(("   |", line) for line in lines[1:-1]), ("   *", lines[-1])]:
                    text.append(f"{blank}{tags['KIND']}{marker:9} {color}{line}{tags['RESET']}\n")
            if event.kind in ("return", "exception"):
                value = self._value_repr(event, event.arg)
                text.append(
                    f"{blank}{tags['CONT']}{'...':9} {color}{event.kind} value: "
                    f"{tags['NORMAL']}{value}{tags['RESET']}\n"
                )
        return "".join(text)

    def _output_code(self, event: Event) -> None:
        """The lines of :meth:`_render`, written as hunter 3.9 does: one ``self.output(format_str, *args)`` each."""
        lines = self.try_source(event, full=True).splitlines() or [""]
        pid, thread = self.pid_prefix(), self.thread_prefix(event)
        color = self.event_colors[event.kind]
        line_format = "{}{}{}{KIND}{:9} {COLOR}{}{RESET}\n"
        self.output(line_format, pid, thread, self.filename_prefix(event), event.kind, lines[0], COLOR=color)
        if len(lines) > 1:
            blank = self.filename_prefix()
            for line in lines[1:-1]:
                self.output(line_format, pid, thread, blank, "   |", line, COLOR=color)
            self.output(line_format, pid, thread, blank, "   *", lines[-1], COLOR=color)
        if event.kind in ("return", "exception"):
            value = self._value_repr(event, event.arg)
            value_format = "{}{}{}{CONT}{:9} {COLOR}{} value: {NORMAL}{}{RESET}\n"
            self.output(value_format, pid, thread, self.filename_prefix(), "...", event.kind, value, COLOR=color)


#: hunter 3.9's format strings for CallPrinter's lines, by kind and whether the event is a C function's (the line
#: of any other kind is _LINE_FORMAT_39): the calls an overridden ``output`` sees.
_CALL_FORMATS_39 = {
    ("call", False): "{}{}{}{KIND}{:9} {}{COLOR}=>{NORMAL} {}({}{COLOR}{NORMAL}){RESET}\n",
    ("exception", False): "{}{}{}{KIND}{:9} {}{COLOR} !{NORMAL} {}: {RESET}{}\n",
    ("return", False): "{}{}{}{KIND}{:9} {}{COLOR}<={NORMAL} {}{}{RESET}{}\n",
    ("call", True): "{}{}{}{KIND}{:9} {}{COLOR} >{BUILTIN} {}.{}: {}{RESET}\n",
    ("exception", True): "{}{}{}{KIND}{:9} {}{COLOR} ! {BUILTIN}{}.{}{RESET}\n",
    ("return", True): "{}{}{}{KIND}{:9} {}{COLOR} <{BUILTIN} {}.{}{RESET}\n",
}
_LINE_FORMAT_39 = "{}{}{}{KIND}{:9} {RESET}{}{}{RESET}\n"


#: One open call on a CallPrinter's stack: ``(module, function, id of its frame or None, depth or None)``. A replayed
#: call has its recorded frame's token instead of a frame id (see ``_engine._recorded.RecordedFrame``), or, without
#: one (a Backlog's events), its depth.
OpenCall = tuple[str, str, "int | None", "int | None"]
OpenCalls = list[OpenCall]


class _CodeText(CodeRecord):
    """What CallPrinter keeps of a code object's text while the code lives (a module loaded again from a changed
    file has new code objects, whose lines are read again): per line, a line event's text before its indent and
    after it (the stripped source) and the ``filename:lineno`` column (see CallPrinter._add_line_parts); the text
    before each argument's value, with the argument's name."""

    __slots__ = ("arguments", "lines")

    def __init__(self) -> None:
        self.lines: dict[int, tuple[str, str, str]] = {}
        self.arguments: tuple[tuple[str, str], ...] | None = None


class _CallTree:
    """The open calls of one trace, per thread: shared by the CallPrinters of that trace (a Backlog's printer and
    the main one continue one tree, as in hunter 3.9), started afresh by every trace."""

    __slots__ = ("run", "threads")

    def __init__(self, run: object) -> None:
        #: The run of a tracer (``Tracer.run_token``) this tree belongs to; None: a printer's own (detached events).
        self.run = run
        self.threads: defaultdict[int, OpenCalls] = defaultdict(list)


#: The tree of the latest trace a printer joined: a printer seeing an event of a trace for the first time joins it.
_latest_tree = _CallTree(None)
#: The tree of events that name no trace (made by hand, or replayed by a test's tracer after it stopped): every
#: printer starts with it, as all of hunter 3.9's printers share one; ``CallPrinter.cleanup()`` empties it.
_traceless_tree = _CallTree(None)


def _tree_of_run(run: object) -> _CallTree:
    """The call tree of a tracer's run: the latest one when it is that run's, else a new one (a new trace)."""
    global _latest_tree
    tree = _latest_tree
    if tree.run is not run:
        tree = _latest_tree = _CallTree(run)
    return tree


def share_call_tree(printers: Iterable[CallPrinter]) -> None:
    """Start one call tree for ``printers`` (those of a replayed recording: its events name no trace to share)."""
    tree = _CallTree(None)
    for printer in printers:
        printer._tree = tree


class _InstanceOrClassCleanup:
    """CallPrinter's ``cleanup``: on a printer, forget the open calls of its trace; on the class (hunter 3.9's tests
    call ``CallPrinter.cleanup()`` between tests), those of events that name no trace (every trace starts a call
    tree of its own)."""

    def __get__(self, printer: CallPrinter | None, owner: type) -> Callable[[], None]:
        return _traceless_tree.threads.clear if printer is None else printer._forget_open_calls


def _live_setting(name: str) -> Any:
    """A CallPrinter setting that decides whether :meth:`CallPrinter._print_live` may print an event: a property
    whose setter decides it again (once per change, not per event), whose getter is C (it is read per event)."""
    stored = f"_{name}"

    def set_setting(printer: CallPrinter, value: Any) -> None:
        printer.__dict__[stored] = value
        printer._decide_live()

    return property(operator.attrgetter(stored), set_setting, doc=f"The ``{name}`` option.")


class CallPrinter(CodePrinter):
    """Prints a call tree: ``=> f(args)``, ``<= f: value``, `` ! f: exc``, lines indented by depth.

    With ``asyncio=True``, a generator or coroutine going on after a yield or await is ``~> f`` (the same call
    continuing, not a new one) and one stopping there is ``<~ f: value`` (it isn't finished); the StopIteration
    with which an awaited coroutine hands back its result is not shown as an exception.
    """

    EVENT_COLORS: ClassVar[dict[str, str]] = _colors.CALL_COLORS

    #: The open calls this printer indents by: those of events that name no trace, until an event names the trace
    #: the printer is part of.
    _tree: _CallTree

    if TYPE_CHECKING:

        def cleanup(self) -> None:
            """Forget the open calls of the trace this printer is part of (a Backlog calls it before a replay)."""

    else:
        cleanup = _InstanceOrClassCleanup()

    def _forget_open_calls(self) -> None:
        self._tree.threads.clear()

    def _stack_for(self, event: Event) -> OpenCalls:
        """This thread's open calls in the trace that delivered the event."""
        tracer = event.tracer
        # Detached events (a Backlog replay) carry no tracer: they continue the tree the printer has.
        if tracer is not None:
            run = getattr(tracer, "run_token", tracer)  # (an Event made by hand may carry any object)
            if run is not self._tree.run:
                self._tree = _tree_of_run(run)
        return self._tree.threads[threading.get_ident()]

    def _join_run(self, event: Event) -> None:
        """Share the call tree of the trace that delivered ``event`` (a Backlog, before replaying into the printer)."""
        self._stack_for(event)

    def __init__(self, *args: Any, style: str = "hunter", **options: Any) -> None:
        super().__init__(*args, **options)
        self._tree = _traceless_tree
        #: "hunter" (hunter 3.9's lines) or "compact" (see hunter._output._compact).
        self.style = _compact.check_style(style)

    #: Whether a live event is printed by :meth:`_print_live` (decided again whenever a setting it depends on is set).
    _live = False
    #: ``_streams.write_lock``, as an attribute: read faster than a module's global where it's read per event.
    _output_lock = _streams.write_lock

    def _decide_live(self) -> None:
        settings = self.__dict__  # (read as stored: CodePrinter sets asyncio and elapsed before style exists)
        live = self._plain_class and not (settings.get("_asyncio") or settings.get("_elapsed"))
        self._live = live and settings.get("_style") == "hunter"

    asyncio = _live_setting("asyncio")
    elapsed = _live_setting("elapsed")
    style = _live_setting("style")

    def __call__(self, event: Event) -> None:
        if self._live and type(event.frame) is FrameType and not event.builtin and not event.detached:
            self._print_live(event)
            return
        if self.asyncio and event.kind == "exception" and _tasks.is_await_machinery(event.frame, event.arg):
            return
        if self.style == "compact":
            self.write(self._timed(_compact.render(self, event)))
            return
        if self._custom_output and not self.elapsed and not self.asyncio:
            self._output_call(event)
        else:
            self.write(self._timed(self._render_call(event)))

    def _output_call(self, event: Event) -> None:
        """The line of :meth:`_render_call`, written as hunter 3.9 does: through ``self.output(format_str, *args)``."""
        kind = event.kind
        stack = self._stack_for(event)
        if stack and not self._top_is_current(event, stack[-1]):
            self._cap(event, stack)
        if kind == "call" and not event.builtin:
            self._open_call(event, stack)
        args: tuple[Any, ...]
        if event.builtin:
            args = (event.module, event.function)
            if kind == "call":
                args += (self.try_source(event).strip(),)
        elif kind == "call":
            args = (event.function, self._arguments(event))
        elif kind == "exception":
            args = (event.function, self._value_repr(event, event.arg))
        elif kind == "return":
            args = (event.function, ": ", self._value_repr(event, event.arg))
        else:
            args = (self.try_source(event).strip(),)
        # A call, return or exception line sits at its call's level; the call's other lines one deeper.
        level = len(stack) if kind == "line" else len(stack) - 1
        columns = (self.pid_prefix(), self.thread_prefix(event), self.filename_prefix(event), kind, "   " * level)
        line_format = _CALL_FORMATS_39.get((kind, bool(event.builtin)))
        if line_format is None:
            self.output(_LINE_FORMAT_39, *columns, *args)
        else:
            self.output(line_format, *columns, *args, COLOR=self.event_colors[kind])
        if kind == "return" and not event.builtin and stack and stack[-1][:2] == (event.module, event.function):
            stack.pop()

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text[:-1]}, style={self.style!r})" if self.style != "hunter" else text

    __repr__ = __str__

    def _settings(self) -> tuple[Any, ...]:
        return (*super()._settings(), self.style)

    #: Whether the class renders lines as CallPrinter does (no method that a line is made of is overridden, and
    #: ``output`` isn't): then a live event is printed by :meth:`_print_live`, the per-event fast path.
    _plain_class: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base = CallPrinter
        cls._plain_class = not cls._custom_output and all(
            getattr(cls, name) is getattr(base, name)
            for name in ("pid_prefix", "thread_prefix", "filename_prefix", "try_source", "_render_call", "_prefix")
        )

    def _live_code_handler(self) -> Callable[[Event], None] | None:
        """What a backend may call instead of this printer with live events of Python code (a real frame, not a
        builtin, not detached): :meth:`_print_live`, which skips the checks of ``__call__``."""
        return self._print_live if self._live else None

    def _print_live(self, event: Event) -> None:
        """Print a live event of Python code (the common case), with the parts of its line that depend only on the
        code and line (the ``filename:lineno`` column, the source) made once (see _CodeText).

        The code is laid out for speed: on 3.12+ under settrace each line, branch and call that runs here costs an
        instrumentation callback (CPython's legacy tracing instruments all code, the tracer's own too).
        """
        if not self._live:  # (settings changed since a backend asked _live_code_handler)
            self.__call__(event)
            return
        frame: FrameType = event.frame  # type: ignore[assignment]  # (a live event of Python code has its frame)
        kind = event.kind
        tree = self._tree
        tracer = event.tracer
        # (_stack_for and the capping of _render_call, inlined)
        if tracer is not None and getattr(tracer, "run_token", tracer) is not tree.run:
            tree = self._tree = _tree_of_run(getattr(tracer, "run_token", tracer))
        ident = _get_ident()
        stack = tree.threads[ident]
        code = frame.f_code
        if stack:
            top = stack[-1]
            # A line, return or exception of the open call on top: its frame's code name is the event's function
            # (not asked of the event, where it's computed).
            current = top[2] == id(frame) and top[1] == code.co_name and top[0] == event.module
            if not (self._top_is_current(event, top) if kind == "call" else current):
                self._cap(event, stack)
        texts = self._code_texts.get(id(code)) or self._code_texts.add(code, _CodeText())
        # A backend may have filled in the line (sys.monitoring's line events): else it's the frame's, as
        # event.lineno would compute it.
        lineno = event.__dict__.get("lineno") or frame.f_lineno or 0
        parts = texts.lines.get(lineno) or self._add_line_parts(event, texts, lineno)
        support = event.threading_support
        # The pid and thread columns are empty in a single-threaded, unforked process (thread_prefix says so then).
        alone = support is False or (support is None and ident == self._only_thread_ident)
        prefix = "" if alone and not (self.force_pid or _forked) else self._pid_and_thread(event)
        if kind == "line":
            text = f"{prefix}{parts[0]}{'   ' * len(stack)}{parts[1]}"
        else:
            text = self._tree_line(event, stack, f"{prefix}{parts[2]}{self._kind_columns[kind]}", code.co_name, code)
        # (_streams.write, inlined)
        self._output_lock.acquire()
        try:
            self._printed = True
            self._stream.write(text)
        except (ValueError, OSError) as exc:
            raise OutputError(f"cannot write to {self._stream!r}: {exc}") from exc
        finally:
            self._output_lock.release()

    def _pid_and_thread(self, event: Event) -> str:
        """The pid and thread columns of a live event (asyncio's task column is not on the fast path)."""
        return f"{self.pid_prefix()}{ColorStreamAction.thread_prefix(self, event)}"

    def _add_line_parts(self, event: Event, texts: _CodeText, lineno: int) -> tuple[str, str, str]:
        """The texts of the event's line, made and kept in ``texts``: a line event's text before its indent and
        after it, and the ``filename:lineno`` column alone."""
        column = self.filename_prefix(event)
        reset = self.tags["RESET"]
        source = self.try_source(event).strip()
        parts = texts.lines[lineno] = (f"{column}{self._kind_columns['line']}{reset}", f"{source}{reset}\n", column)
        return parts

    def _render_call(self, event: Event) -> str:
        """The line for one event: the call tree's call, return, exception or source line."""
        stack = self._stack_for(event)
        if stack and not self._top_is_current(event, stack[-1]):
            self._cap(event, stack)
        if event.builtin:
            return self._builtin_line(event, stack)
        return self._tree_line(event, stack, self._prefix(event), event.function)

    def _tree_line(
        self, event: Event, stack: OpenCalls, prefix: str, function: str, code: CodeType | None = None
    ) -> str:
        """The line of a Python event after its columns (``prefix``), by kind; a call is pushed, a return popped.

        ``function`` (and ``code``, None: the event's): the event's function and code, which the fast path reads
        from the frame rather than the event's fields (computed on first use).
        """
        kind = event.kind
        tags = self.tags
        color = self.event_colors[kind]
        if kind == "call":
            self._open_call(event, stack, function)
            if self.asyncio and event.frame is not None and _tasks.is_resumption(event.frame):
                return f"{prefix}{'   ' * (len(stack) - 1)}{color}~>{tags['NORMAL']} {function}{tags['RESET']}\n"
            return (
                f"{prefix}{'   ' * (len(stack) - 1)}{color}=>{tags['NORMAL']} {function}("
                f"{self._arguments(event, code)}{color}{tags['NORMAL']}){tags['RESET']}\n"
            )
        if kind == "exception":
            value = self._value_repr(event, event.arg)
            indent = "   " * (len(stack) - 1)
            return f"{prefix}{indent}{color} !{tags['NORMAL']} {function}: {tags['RESET']}{value}\n"
        if kind == "return":
            value = self._value_repr(event, event.arg)
            indent = "   " * (len(stack) - 1)
            suspended = self.asyncio and event.frame is not None and _tasks.is_suspension(event.frame)
            marker = "<~" if suspended else "<="
            line = f"{prefix}{indent}{color}{marker}{tags['NORMAL']} {function}: {tags['RESET']}{value}\n"
            if stack:
                top = stack[-1]
                if top[1] == function and top[0] == event.module:
                    stack.pop()
            return line
        return f"{prefix}{tags['RESET']}{'   ' * len(stack)}{self.try_source(event).strip()}{tags['RESET']}\n"

    def _builtin_line(self, event: Event, stack: OpenCalls) -> str:
        """A C function's call, return or exception (profile mode): ``> module.name: source``; not on the stack."""
        tags = self.tags
        kind = event.kind
        head = f"{self._prefix(event)}{'   ' * (len(stack) - 1)}{self.event_colors[kind]}"
        name = f"{event.module}.{event.function}"
        if kind == "call":
            return f"{head} >{tags['BUILTIN']} {name}: {self.try_source(event).strip()}{tags['RESET']}\n"
        if kind == "exception":
            return f"{head} ! {tags['BUILTIN']}{name}{tags['RESET']}\n"
        return f"{head} <{tags['BUILTIN']} {name}{tags['RESET']}\n"

    @staticmethod
    def _open_call(event: Event, stack: OpenCalls, function: str | None = None) -> None:
        """Push a printed call: its frame's id, by which later events tell whether it still runs."""
        frame = event.frame
        if function is None:
            function = event.function
        if frame is None or event.detached or type(frame) is not FrameType:
            # A replayed event (a Backlog's, a recording's) has no frame to ask later, and a stand-in for a frame
            # (a test's fake tracer) has no real chain: its recorded frame tells, else its depth.
            recorded = recorded_frame(event)
            if recorded is not None:
                stack.append((event.module, function, recorded.token, None))
            else:
                stack.append((event.module, function, None, event.depth))
        else:
            stack.append((event.module, function, id(frame), None))

    @staticmethod
    def _cap(event: Event, stack: OpenCalls) -> None:
        """Drop the open calls that aren't running any more (their frames are not above the event's).

        Calls whose returns were filtered out would otherwise indent forever (hunter 3.9 grows without bound
        under kind="call"). Only needed when the open call on top is not this frame's (or its caller's): the
        stack is consistent then, and the frame chain costs a walk up the stack. The frames, not the depth,
        decide: tracing may start anywhere below depth 0 (``-m``, an import, a notebook cell).
        """
        frame = event.frame
        live = type(frame) is FrameType and not event.detached
        recorded = None if live else recorded_frame(event)
        if live or recorded is not None:
            # (A Backlog replays events that keep their frames, which may have returned since: depth decides there.)
            running: dict[int, str] = {}
            caller_only = event.kind == "call" and not event.builtin
            if recorded is not None:  # (a recording's replay: the recorded frames' chain, as the live one's)
                above = recorded.parent if caller_only else recorded
                running = above.chain() if above is not None else {}
            elif type(frame) is FrameType:
                current = frame.f_back if caller_only else frame
                while current is not None:
                    running[id(current)] = current.f_code.co_name
                    current = current.f_back
            # (Calls of detached events have no frame id: from the first of them down, the depth decides.)
            while stack and stack[-1][2] is not None and running.get(stack[-1][2]) != stack[-1][1]:
                stack.pop()
            if not stack or stack[-1][2] is not None:
                return
        level = event.depth if event.kind in ("call", "return") and not event.builtin else event.depth - 1
        limit = level if event.kind == "call" and not event.builtin else level + 1
        if stack[-1][3] is not None:
            # Replayed calls on top: those at the event's level or deeper have ended (wherever tracing started).
            while stack and stack[-1][3] is not None and stack[-1][3] >= limit:
                stack.pop()
        elif len(stack) > limit >= 0:
            del stack[limit:]

    @staticmethod
    def _top_is_current(event: Event, top: OpenCall) -> bool:
        """Whether the open call on top of the stack is the event's frame (for a call: its caller's frame).

        Frames are matched by id *and* name: names alone match a returned call of the same function (a
        recursive function under kind="call" would indent forever), an id alone could be a dead frame's
        memory reused by a new one.
        """
        frame = event.frame
        if frame is None:  # detached: a recording's replay tells by its recorded frames, a Backlog's by depth only
            recorded = recorded_frame(event)
            if recorded is None or top[2] is None:
                return False
            if event.kind == "call" and not event.builtin:
                recorded = recorded.parent
            return recorded is not None and recorded.token == top[2] and recorded.name == top[1]
        top_module, top_function, top_id, _depth = top
        if event.kind == "call" and not event.builtin:
            caller = frame.f_back
            if caller is None or id(caller) != top_id:
                return False
            return caller.f_code.co_name == top_function and _source.frame_module(caller) == top_module
        # A C function's events (profile mode) come from the frame that calls it.
        if event.builtin:
            return id(frame) == top_id and frame.f_code.co_name == top_function
        return id(frame) == top_id and event.function == top_function and event.module == top_module

    def _arguments(self, event: Event, code: CodeType | None = None) -> str:
        """``name=value, *args=value, **kwargs=value`` of a call, in signature order (the values as reprs)."""
        if code is None:
            code = event.code
        if type(code) is CodeType:
            text = self._code_texts.get(id(code)) or self._code_texts.add(code, _CodeText())
            heads = text.arguments
            if heads is None:
                heads = text.arguments = self._argument_heads(code)
        else:  # a recording's stand-in for a code object (no weak reference to it): not kept
            heads = self._argument_heads(code)
        local_values = event.locals
        if event.detached:  # (through _value_repr, which a replay of a recording adapts to its texts)
            value_repr = self._value_repr
            return ", ".join([f"{head}{value_repr(event, local_values.get(name, MISSING))}" for head, name in heads])
        live_repr = self.try_repr
        return ", ".join([f"{head}{live_repr(local_values.get(name, MISSING))}" for head, name in heads])

    def _argument_heads(self, code: Any) -> tuple[tuple[str, str], ...]:
        """Each parameter of ``code`` as (the text before its value, its name)."""
        tags = self.tags
        return tuple(
            (f"{tags['VARS']}{star}{tags['VARS-NAME']}{name}{tags['VARS']}={tags['RESET']}", name)
            for star, name in _source.parameters(code)
        )


def _names_in(expression: str) -> frozenset[str]:
    import ast  # (at a VarsPrinter's start: not imported into every traced program)

    tree = ast.parse(expression)
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
        tags = self.tags
        lines: list[str] = []
        for name, (required, code) in self.names.items():
            # An expression shows where all its names exist; an attribute or key it can't find hides it too.
            if any(
                symbol not in frame_locals and symbol not in frame_globals and not hasattr(builtins, symbol)
                for symbol in required
            ):
                continue
            try:
                value = self._value_repr(event, eval(code, frame_globals, frame_locals))
            except (AttributeError, KeyError):
                continue
            except Exception as exc:
                let_through(exc)
                value = f"{tags['INTERNAL-FAILURE']}FAILED EVAL: {tags['INTERNAL-DETAIL']}{stored_exception_repr(exc)}"
            if self._custom_output:  # through output(), as hunter 3.9 writes it
                self._output_value(event, not lines, name, value)
                lines.append("")
                continue
            start = f"{self._blank_columns(event)}{tags['CONT']}{'...':9} " if lines else self._prefix(event)
            lines.append(
                f"{start}{tags['VARS']}[{tags['VARS-NAME']}{name} {tags['VARS']}=> {tags['RESET']}{value}"
                f"{tags['VARS']}]{tags['RESET']}\n"
            )
        if lines and not self._custom_output:
            self.write("".join(lines))

    def _output_value(self, event: Event, first: bool, name: str, value: str) -> None:
        """One value's line through ``self.output``, with hunter 3.9's format string and arguments."""
        columns = (self.pid_prefix(), self.thread_prefix(event))
        if first:
            line_format = "{}{}{}{KIND}{:9} {VARS}[{VARS-NAME}{} {VARS}=> {RESET}{}{VARS}]{RESET}\n"
            self.output(line_format, *columns, self.filename_prefix(event), event.kind, name, value)
        else:
            line_format = "{}{}{}{CONT}...       {VARS}[{VARS-NAME}{} {VARS}=> {RESET}{}{VARS}]{RESET}\n"
            self.output(line_format, *columns, self.filename_prefix(), name, value)


class VarsSnooper(ColorStreamAction):
    """Prints the local variables that were assigned or changed since the previous event in the same code."""

    #: How many code objects' reprs to keep when their returns are never seen (filtered out).
    MAX_SCOPES = 10_000

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        #: The last repr of each local variable, per code object (hunter 3.9's name and layout).
        self.stored_reprs: defaultdict[Any, dict[str, str]] = defaultdict(dict)

    def __call__(self, event: Event) -> None:
        # Reprs are compared, not values: == could run user code, and identity misses in-place changes.
        current = {name: self._value_repr(event, value) for name, value in event.locals.items()}
        scope_key = event.code or event.function
        stored = self.stored_reprs
        if scope_key not in stored and len(stored) >= self.MAX_SCOPES:
            del stored[next(iter(stored))]
        scope = stored[scope_key]
        changes: list[tuple[str, str | None, str]] = []  # (name, repr before or None when new, repr now)
        for name, value in sorted(current.items()):
            before = scope.get(name)
            if before is not None and before == value:
                continue
            changes.append((name, before, value))
            scope[name] = value
        if event.kind == "return":
            stored.pop(scope_key, None)
        if not changes:
            return
        if self._custom_output:
            self._output_changes(event, changes)
            return
        tags = self.tags
        head = self._prefix(event)
        cont = f"{self._blank_columns(event)}{tags['CONT']}{'...':9} "
        lines = []
        for index, (name, before, value) in enumerate(changes):
            if before is None:
                change = f"{tags['VARS-NAME']}{name} {tags['VARS']}:= {tags['RESET']}{value}"
            else:
                change = (
                    f"{tags['VARS-NAME']}{name} {tags['VARS']}: {tags['RESET']}{before}{tags['VARS']} => "
                    f"{tags['RESET']}{value}"
                )
            lines.append(f"{cont if index else head}{tags['VARS']}[{change}{tags['VARS']}]{tags['RESET']}\n")
        self.write("".join(lines))

    def _output_changes(self, event: Event, changes: list[tuple[str, str | None, str]]) -> None:
        """The changes' lines through ``self.output``, with hunter 3.9's format strings and arguments."""
        pid, thread = self.pid_prefix(), self.thread_prefix(event)
        for index, (name, before, value) in enumerate(changes):
            start = (
                ("{}{}{}{CONT}{:9} ", self.filename_prefix(), "...")
                if index
                else (
                    "{}{}{}{KIND}{:9} ",
                    self.filename_prefix(event),
                    event.kind,
                )
            )
            values: tuple[str, ...]
            if before is None:
                tail, values = "{VARS}[{VARS-NAME}{} {VARS}:= {RESET}{}{VARS}]{RESET}\n", (name, value)
            else:
                tail = "{VARS}[{VARS-NAME}{} {VARS}: {RESET}{}{VARS} => {RESET}{}{VARS}]{RESET}\n"
                values = (name, before, value)
            self.output(start[0] + tail, pid, thread, *start[1:], *values)


#: The instructions a frame returns through (``_engine._compat``: also what a recording's records tell).
RETURN_OPCODES = _RETURN_OPCODES


class ErrorSnooper(CodePrinter):
    """Reports exceptions that a function swallowed (it went on to return normally), with events around them.

    ``max_backlog`` events before the exception are kept; after it, up to ``max_events`` events at most
    ``max_depth`` calls below the function, until the function returns (then, if it returned normally rather
    than re-raising, the story is printed) or the budget runs out (printed as it is, ``too many lines``).
    """

    def __init__(self, *args: Any, max_backlog: int = 10, max_events: int = 50, max_depth: int = 0, **options: Any):
        super().__init__(*args, **options)
        self.max_backlog = max_backlog
        self.max_events = max_events
        self.max_depth = max_depth
        self.backlog: deque[Event] = deque(maxlen=max_backlog)
        #: The first exception event of the story being followed (None: no story), and the story's events so far.
        self.origin: Event | None = None
        self.events: list[Event] = []

    def _reads_depth(self) -> bool:
        return True  # every event is kept detached (with its depth) for the story

    def _detach(self, event: Event) -> Event:
        # Only the value is shown when a story is printed: the frame's variables need no repr.
        detached = event.detach()
        # (An event that is already detached, a recorded one, holds its value's text: it is not repr'd again.)
        detached.arg = self._value_repr(event, event.arg)
        return detached

    def __call__(self, event: Event) -> None:
        detached = None
        if self.max_backlog:
            detached = self._detach(event)
            self.backlog.append(detached)
        origin = self.origin
        if event.kind == "exception":
            detached = detached or self._detach(event)
            if origin is None:
                self.events = list(self.backlog) if self.max_backlog else []
                self.origin = detached
            else:
                self.events.append(detached)
                if origin.depth > event.depth:  # it reached a caller: the story is about the caller now
                    self.origin = detached
        elif origin is not None:
            events = self.events
            if event.kind == "return":
                events.append(detached or self._detach(event))
                if event.depth == origin.depth - 1:  # the function that saw the exception is leaving
                    if event.instruction in RETURN_OPCODES:
                        self._dump()
                        self.output("{BRIGHT}{fore(BLACK)}{} function exit{RESET}\n", "-" * 46)
                    self.origin, self.events = None, []
            elif event.depth > origin.depth + self.max_depth:
                return  # deeper than asked for
            elif len(events) > self.max_events:
                self._dump()
                self.output("{BRIGHT}{fore(BLACK)}{} too many lines{RESET}\n", "-" * 46)
            else:
                events.append(detached or self._detach(event))

    def _dump(self) -> None:
        """Print the story: a header naming the function and the exception, then its events."""
        origin, events = self.origin, self.events
        self.origin, self.events = None, []
        if origin is None:
            return
        tags = self.tags
        header = (
            f"{tags['BRIGHT']}{tags['fore(BLUE)']}{'>' * 46} tracing {tags['fore(YELLOW)']}{origin.function}"
            f"{tags['fore(BLUE)']} on {tags['fore(RED)']}{origin.arg}{tags['RESET']}\n"
        )
        self.write(header + "".join(self._render(event) for event in events))

    def cleanup(self) -> None:
        """Forget the backlog and the story being followed."""
        self.backlog.clear()
        self.origin, self.events = None, []


class StackPrinter(ColorStreamAction):
    """Prints the call stack leading to the event on one line: ``file:line:function <= caller <= ...``."""

    def __init__(self, depth: int = 15, limit: int = 2, **options: Any) -> None:
        super().__init__(**options)
        self.depth = depth
        self.limit = limit

    def __call__(self, event: Event) -> None:
        tags = self.tags
        head = f"{self.pid_prefix()}{self.thread_prefix(event)}{self.filename_prefix(event).rstrip()}"
        head += f"{tags['CONT']}:{tags['BRIGHT']}{tags['fore(BLUE)']}{event.function} {tags['KIND']}<="
        found = _callers(event, self.depth)
        if found is None:
            # (a replayed event says what its live event said: it had no callers, it wasn't detached)
            detached = event.detached and "recorded_parents" not in event.__dict__
            tail = f" {tags['BRIGHT']}{tags['fore(YELLOW)']}no frames available {tags['NORMAL']}(detached={detached})"
        else:
            parents = []
            for filename, lineno, function in found:
                filename = "/".join(filename.split(os.sep)[-self.limit :])
                parents.append(
                    f"{filename}{tags['CONT']}:{tags['RESET']}{lineno}{tags['CONT']}:"
                    f"{tags['BRIGHT']}{tags['fore(BLUE)']}{function}"
                )
            tail = f"{tags['RESET']} " + f" {tags['KIND']}<={tags['RESET']} ".join(parents)
        self.write(f"{head}{tail}{tags['RESET']}\n")


def _callers(event: Event, depth: int) -> list[tuple[str, Any, str]] | None:
    """The first ``depth`` callers of the event's frame (file name, line now, function), innermost first; None when
    its frame had none (the command line's launcher frames aren't the program's). A replayed event has the callers
    its recording told (hunter.record.stacks)."""
    recorded = event.__dict__.get("recorded_parents")
    if recorded is not None:
        return list(recorded[:depth]) if recorded else None
    frame = event.frame
    runner = _own_code.PROGRAM_RUNNER
    if frame is None or frame.f_back is None or frame.f_back.f_code is runner:
        return None
    found: list[tuple[str, Any, str]] = []
    parent: FrameType | None = frame.f_back
    while parent is not None and parent.f_code is not runner and len(found) < depth:
        found.append((parent.f_code.co_filename, parent.f_lineno, parent.f_code.co_name))
        parent = parent.f_back
    return found


def _debugger_hooks() -> tuple[int, object]:
    """What a debugger takes a thread with: the thread's trace function (by identity) and, with sys.monitoring,
    the owner of the debugger's tool id (pdb's monitoring backend, 3.14+)."""
    monitoring = getattr(sys, "monitoring", None)
    tool = monitoring.get_tool(monitoring.DEBUGGER_ID) if monitoring is not None else None
    return id(sys.gettrace()), tool


class Debugger(Action):
    """Stops in a debugger (``pdb.Pdb`` by default) at the event's frame."""

    def __init__(self, klass: Any = _UNSET, **kwargs: Any) -> None:
        if klass is _UNSET:
            klass = config.action_default("klass", None)
        if klass is None:
            import pdb  # imported on use: pdb pulls in a dozen modules nobody else needs

            klass = pdb.Pdb
        self.klass = klass
        self.kwargs = kwargs

    def __call__(self, event: Event) -> None:
        kwargs = self.kwargs
        bdb = sys.modules.get("bdb")
        if (
            bdb is not None
            and "skip" not in kwargs
            and isinstance(self.klass, type)
            and issubclass(self.klass, bdb.Bdb)
        ):
            # Stepping on from the event must not stop in hunter's own code (the tracer stopping, say): the
            # debugger skips hunter's modules, as it would the frames of a C tracer like hunter 3.9's.
            kwargs = {**kwargs, "skip": ["hunter", "hunter.*"]}
        before = _debugger_hooks()
        self.klass(**kwargs).set_trace(event.frame)
        tracer = event.tracer
        if tracer is not None and _debugger_hooks() != before:
            # The debugger's sys.settrace took the thread, as it took it from hunter 3.9's settrace hook (or, from
            # 3.14 on, pdb's sys.monitoring backend took the debugger's tool id). A debugger class that installed
            # neither took nothing: the thread stays traced.
            tracer.hand_over_thread()

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
