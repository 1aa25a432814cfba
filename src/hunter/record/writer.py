"""Recorder: the action that writes events to a trace file (``record=PATH``, ``hunter record``)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import linecache
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, NoReturn

from .._engine import _fork, _own_code, _speedups
from .._engine._code_flags import CO_OPTIMIZED
from .._engine._codemap import CodeMap, CodeRecord
from .._engine._frames import locals_readable
from .._engine._recording import RETURN, how_event_left, how_left
from .._engine._reporting import report
from .._engine._source import is_stdlib, parameters
from .._output._streams import OutputError
from ..actions import Action
from ..event import Event
from .._output._owned_fd import FileIdentity, close_if_ours, identity, open_out_of_the_way, raise_unless_ours
from .._output._process import process_label
from .._output._reprs import cut_repr, shows_address_only
from ..util import MISSING, safe_repr, shorten
from .format import (
    BUILTIN_KINDS,
    CALLERS,
    KINDS,
    MAX_CALLERS,
    PARAMETER_FLAGS,
    WRITTEN,
    compact_json,
    escape,
    header_line,
    part_path,
)

__all__ = ["Recorder", "value_text"]

#: Names the file the root process of a run records to: ``{abspath: [pid, token, origin_ns]}``. A traced child
#: (PYTHONHUNTER is inherited) finds its parent's entry and writes a part of its own next to it.
ROOTS_ENV = "HUNTER_RECORD_ROOTS"
#: Buffered events are written at least this often (checked at each event): kill -9 loses at most this much.
FLUSH_INTERVAL_NS = 200_000_000
#: Code objects remembered at a time (each entry keeps its code alive): past it the table starts over.
MAX_CODES = 50_000

_perf_ns = time.perf_counter_ns
#: A raw record that renames its thread: ``(_THREAD, new ref, its t entry)``.
_THREAD = object()
#: A raw callers record (see ``Recorder._callers``): ``(_CALLERS, ns, "top,[[ref,line],...]")``.
_CALLERS = object()
_live: weakref.WeakSet[Recorder] = weakref.WeakSet()


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None), bytes})


def value_text(value: Any, limit: int) -> str:
    """What a printer shows of ``value`` with safe_repr, one line, kept to its first and last ``limit // 2`` chars.

    A printer cutting this text to any limit up to ``limit`` gets what it gets from the value itself.
    """
    try:
        # (only the head and tail that are kept are rendered: a list of 5,000 objects is 1,024 characters' work)
        return cut_repr(value, limit)
    except Exception as exc:  # (a huge int on 3.11+) never fail the program over a repr
        return f"!!! FAILED REPR: {safe_repr(exc)}"


_SMALL = 10**15
object_repr = object.__repr__


def _json_text_at(limit: int, address_only: dict[type, bool]) -> Callable[[Any], str]:
    """``value_text`` as a JSON string: the compiled one's for the values it takes (when built), else with a fast
    path for the small numbers most arguments are. ``address_only``: classes -> whether safe_repr shows their
    instances as object.__repr__ does (filled here as classes are met; the compiled one reads it)."""
    python_text = _python_json_text_at(limit, address_only)
    compiled = _speedups.compiled
    if compiled is None:
        return python_text
    compiled_text = compiled.json_text

    def json_text(value: Any) -> str:
        text = compiled_text(value, limit, address_only)
        return python_text(value) if text is None else text

    return json_text


def _python_json_text_at(limit: int, address_only: dict[type, bool]) -> Callable[[Any], str]:
    """``_json_text_at`` in Python (the compiled one's texts are these, tests compare them)."""
    scalars = _SCALAR_TYPES.issuperset

    def json_text(value: Any) -> str:
        kind = type(value)
        if (kind is int and -_SMALL < value < _SMALL) or kind is bool or value is None:
            return f'"{value!r}"'
        if kind is float:
            text = repr(value)  # (digits, a sign, a dot, 'e', 'inf', 'nan': nothing to escape)
            return f'"{text}"' if len(text) <= limit else escape(shorten(text, limit))
        if type(kind) is not type:
            # Another metaclass (ABCMeta, enums): safe_repr shows the type and address (asking the metaclass nothing).
            text = object_repr(value)
            return escape(text if len(text) <= limit else shorten(text, limit))
        plain = address_only.get(kind)
        if plain is None:
            if len(address_only) > 1000:
                address_only.clear()  # (each entry keeps its class alive: dynamically made ones must not pile up)
            plain = address_only[kind] = shows_address_only(kind)
        if plain:  # instances of the program's own classes: safe_repr shows their type and address
            text = object_repr(value)
            return escape(text if len(text) <= limit else shorten(text, limit))
        if kind is str:  # (safe_repr of a str is its repr, which holds no newline)
            text = repr(value)
            return escape(text if len(text) <= limit else shorten(text, limit))
        if (kind is dict and scalars(map(type, value)) and scalars(map(type, value.values()))) or (
            (kind is list or kind is tuple) and scalars(map(type, value))
        ):
            # A flat container of exact scalars: its repr is safe_repr's, made in C (the repr of an int too
            # big to print fails: value_text says so).
            try:
                text = repr(value)
            except ValueError:
                return escape(value_text(value, limit))
            return escape(text if len(text) <= limit else shorten(text, limit))
        return escape(value_text(value, limit))

    return json_text


class _Table:
    """Per-process file state: the refs of the code objects and threads already written, and every thread's state."""

    def __init__(self) -> None:
        #: id(code) -> (code, ref, parameter names); the code is kept so that its id isn't reused meanwhile.
        self.codes: dict[int, tuple[CodeType, int, tuple[str, ...]]] = {}
        self.builtins: dict[tuple[Any, ...], int] = {}
        #: File names whose source was looked at (stored when it is not in a file: ``-c`` code, exec'd strings).
        self.sources: set[str] = set()
        self.next_ref = 0
        #: ``local.state`` (the thread's _ThreadState) and ``local.records`` (its raw records, see _engine._recording).
        self.local = threading.local()
        self.threads: list[_ThreadState] = []
        #: (id(code), f_lasti) -> a caller's ``[ref,line]`` in a callers record (see ``Recorder._caller_pair``); only
        #: codes with an entry in ``codes``, which keeps them alive (both start over together).
        self.caller_pairs: dict[tuple[int, int], str] = {}

    def new_ref(self) -> int:
        self.next_ref += 1
        return self.next_ref

    def add_code(self, code: CodeType, names: tuple[str, ...]) -> tuple[CodeType, int, tuple[str, ...]]:
        """A new ref for ``code``, remembered; past ``MAX_CODES`` the table starts over (each entry keeps its code
        alive: a program making code objects without end must not pile them up here). Forgotten codes met again
        get an entry again under a new ref; the refs already written stay valid in the file."""
        if len(self.codes) >= MAX_CODES:
            self.codes.clear()
            self.caller_pairs.clear()
        entry = (code, self.new_ref(), names)
        self.codes[id(code)] = entry
        return entry


class _ThreadState:
    """One thread's part of the file: its ref and name, where its lines go, its raw records not formatted yet, and
    the recorded calls still running (``frames``: ``(frame, count, site)``, innermost last) that give depths."""

    __slots__ = (
        "formatted_ref",
        "frames",
        "ident",
        "name",
        "native",
        "out",
        "raw_name",
        "records",
        "ref",
        "returns",
        "thread",
        "top_callers",
    )

    def __init__(self, ident: int, thread: threading.Thread | None, name: str, out: Any) -> None:
        self.ident = ident
        #: The OS's id of the thread (made in the thread itself): what a live timeline shows as its ``tid``.
        self.native = threading.get_native_id()
        #: The Thread whose ``_name`` (what its ``name`` gives) a raw call compares with ``raw_name``, to see a rename
        #: without a call of the property (None: a thread that threading doesn't know, or an odd Thread object).
        self.raw_name = getattr(thread, "_name", None)
        self.thread: Any = thread if self.raw_name is not None else None
        self.name = name
        self.ref = 0
        #: The ref of the records waiting to be formatted (a raw rename record changes it from there on).
        self.formatted_ref = 0
        self.out = out
        self.records: list[tuple[Any, ...] | str] = []
        self.frames: list[tuple[Any, int, Any]] = []
        #: A return was recorded on the normal path: its calls' frames can be kept (their returns will come).
        self.returns = False
        #: The callers of the thread's last callers record that went up to its first frame, innermost first, as
        #: ``(code, f_lasti, pair)``: the next one tells those it shares by their number (see ``Recorder._callers``).
        self.top_callers: list[tuple[CodeType, int, str]] = []


class _Site(CodeRecord):
    """A code object whose calls and returns are recorded raw (``describe``): what its records need.

    It holds its code weakly (``code_ref``, set by the ``CodeMap`` that keeps it): the backends keep sites for as
    long as their code lives, and a site must not be what keeps it alive.
    """

    __slots__ = ("filename", "module", "names", "optimized", "ref", "stdlib", "table")

    def __init__(self, code: CodeType, module: str, filename: str) -> None:
        self.module = module
        self.filename = filename
        self.stdlib = is_stdlib(filename, module)
        self.names = tuple(name for _star, name in parameters(code))
        self.optimized = bool(code.co_flags & CO_OPTIMIZED)
        #: Its ref in the file of ``table`` (a forked child's new file, or a new table, writes it again).
        self.ref = 0
        self.table: _Table | None = None


def _current_thread() -> tuple[int, threading.Thread | None, str]:
    """The current thread's ident, Thread and name, as an event tells them."""
    ident = threading.get_ident()
    thread = threading._active.get(ident)  # type: ignore[attr-defined]  # (see Event.threadname)
    name = thread.name if thread is not None else f"Thread-{ident}"
    return ident, thread, name


def _threadid(ident: int) -> int | None:
    """An event's ``threadid``: None for the main thread."""
    return None if ident == threading.main_thread().ident else ident


class Recorder(Action):
    """Writes every event it gets to a trace file: ``hunter query``/``hunter summary`` ask it questions later.

    ``lines``: record line events too (off: they are dropped). ``values``: record the safe_repr of arguments,
    returned values and exceptions, cut to ``repr_limit`` characters. Events are buffered and written in whole
    lines at least every 200 ms, so a file cut off by a crash holds everything up to its last write.

    It takes raw records too (``hunter._engine._recording``): behind a filter decided per code object, the backends
    hand it the calls and returns of such code without building events (the file is the same).
    """

    # Slots beside the instance dict: the compiled callbacks read these per event at their offsets.
    __slots__ = ("_t0", "_table", "due_ns", "local")

    #: Raw records (see hunter._engine._recording): the backends hand over the frame of every call (``arguments``)
    #: and return (``returned``), whose texts the recorder makes itself.
    takes_raw_records = True
    framed = True
    args = True
    #: Raw records a thread keeps before they are turned into lines.
    batch = 1024
    #: Set by ``trace(record=PATH)`` on the recorder it makes: the tracer's stop finishes the file (see ``close``).
    closes_with_tracer = False
    #: Whether it keeps only the last events until a dump (FlightRecorder).
    keeps_last = False
    #: Whether the file tells each event's callers (callers records, see ``_chain``): a replay's StackPrinter needs
    #: them. A flight recorder's rings keep only each thread's last lines, which a callers record may have left.
    records_callers = True

    def __init__(
        self, path: str | os.PathLike[str], *, lines: bool = False, values: bool = True, repr_limit: int = 1024
    ):
        if not isinstance(repr_limit, int) or isinstance(repr_limit, bool) or repr_limit < 8:
            raise ValueError(f"repr_limit must be a whole number of at least 8, not {repr_limit!r}")
        self.path = os.path.abspath(os.fspath(path))
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
            raise ValueError(f"cannot record to {self.path!r}: its folder is missing or not writable")
        self.lines = bool(lines)
        self.values = bool(values)
        self.repr_limit = repr_limit
        self.filename: str | None = None
        # (held across a fork by the forking thread: no other thread is half-way through a record then)
        self._lock = _fork.lock(_fork.TIMELINE)
        self._buffer: list[str] = []
        self._fd = -1
        self._fd_file: FileIdentity = (-1, -1)  # (the file it was opened on: see _output._owned_fd)
        #: Set up in this process (a forked child sets itself up again at its first event).
        self._ready = False
        #: Buffered lines that make the next event write them.
        self._flush_at: float = 4096
        self._pid = 0
        self._closed = False
        self._table = _Table()
        self.local = self._table.local
        self._t0 = 0
        self._token = ""
        self._origin = 0
        #: What this process was called when its file said so last (see ``_label_lines``).
        self._label = ""
        self.due_ns = 0
        #: Classes (metaclass ``type``) -> whether safe_repr shows their instances as object.__repr__ does: what
        #: ``_text`` learns as it meets them, and what the compiled callbacks read (see _value_json.c).
        self.address_only: dict[type, bool] = {}
        self._text: Callable[[Any], str] = _json_text_at(repr_limit, self.address_only)
        #: id(code) -> its raw site (``describe``), for a return whose call wasn't recorded (gone with the code).
        self._sites: CodeMap[_Site] = CodeMap()
        #: The tracer whose events these are (the raw path's depths need its start), see ``attach``.
        self._owner: Any = None

    def __repr__(self) -> str:
        return f"Recorder({self.path!r}, lines={self.lines}, values={self.values}, repr_limit={self.repr_limit})"

    __str__ = __repr__
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def _reads_calls(self) -> bool:
        return False  # (keeps the monitoring backend's pruning of calls)

    @property
    def records_lines(self) -> bool:
        """Whether line events are recorded (the raw path must then deliver them: see _recording.code_judge)."""
        return self.lines

    # -- events -----------------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """Append one event's record."""
        if not self._ready and (self._closed or not self._open()):
            return
        kind = event.kind
        if kind == "line" and not self.lines:
            return
        now = _perf_ns()
        table = self._table
        local = table.local
        try:
            state: _ThreadState = local.state
        except AttributeError:
            state = self._new_thread(table)
        if kind == "call" and state.name != event.threadname:  # (renamed: threads are named early, if ever)
            self._renamed(state, event.threadname)
        if state.records:  # raw records came first: they go first
            with self._lock:
                self._format(state)
        thread = state.ref
        if event.builtin:
            self._builtin(event, kind, now, state, table)
            return
        code = event.code
        entry = table.codes.get(id(code))
        if entry is None or entry[0] is not code:
            entry = self._new_code(event, code, table)
        depth, callers = self._chain(event, kind, state)
        if callers is not None:
            state.out.append(f'["{CALLERS}",0,{thread},{callers}]\n')
        head = f"{KINDS[kind]},{now - self._t0},{thread},{depth},{entry[1]},{event.lineno}"
        if kind == "return":
            head += f",{how_event_left(event)}"
        if self.values and kind != "line":
            text = self._text
            if kind == "call":
                local_values = event.locals
                head += ",[" + ",".join([text(local_values.get(name, MISSING)) for name in entry[2]]) + "]"
            else:
                head += "," + text(event.arg)
        if kind == "call":
            frame: Any = event.frame  # (a live event's: never None here)
            head += f",{_line_json(frame.f_back)}"
        state.out.append(f"[{head}]\n")
        if now >= self.due_ns or len(self._buffer) >= self._flush_at:
            self.due_ns = now + FLUSH_INTERVAL_NS
            self.flush()

    def _chain(self, event: Event, kind: str, state: _ThreadState) -> tuple[int, str | None]:
        """The event's depth, mostly without walking the stack, and a callers record's text when the records before
        don't tell its frame's callers (None when they do).

        ``state.frames`` holds the recorded calls still running, innermost last, with their frame counts: a call whose
        caller is the last of them is one deeper, an event of the last one's frame is at its depth. Anything else asks
        the event for its depth, and its frame's callers are recorded up to the last of them (when it is one).
        """
        frame: Any = event.frame  # (a live event's: never None here)
        frames = state.frames
        if frames and frames[-1][0] is (frame.f_back if kind == "call" else frame):
            count = frames[-1][1]
            if kind == "call":
                frames.append((frame, count + 1, None))
                return count, None
            if kind == "return":
                frames.pop()
                # (a frame that ran before tracing started counts 0: its return is at depth 0, as its lines are)
                return max(count - 1, 0), None
            return count, None
        # Until a return shows that returns are recorded, frames are not kept: one whose return is never seen would
        # stay referenced (and its variables alive) after it ended.
        keep = bool(frames) or state.returns or kind == "return"
        if kind == "return":
            state.returns = True
        depth: int = event.depth
        callers, _reached, _walked = self._callers(state, frame.f_back)
        if keep and kind != "return":
            # (the frame's later events and calls continue from it: its count is one more than its call's depth,
            # which a line or an exception already is)
            frames.append((frame, depth + 1 if kind == "call" else depth, None))
        return depth, callers if self.records_callers else None

    def _callers(self, state: _ThreadState, frame: FrameType | None) -> tuple[str, bool, int]:
        """A callers record's text: ``frame`` and the frames above it, innermost first, each as its code's ref and its
        line now, up to the thread's innermost recorded call (listed last, for its line now, which its recorded calls
        don't tell) or the thread's first frame; whether that call was reached (then the text starts with 0, else
        1), and how many frames there are between. Not reached, the recorded calls are forgotten: they aren't this
        frame's chain (their returns were not recorded)."""
        known = state.frames[-1][0] if state.frames else None
        runner = _own_code.PROGRAM_RUNNER  # (above it: the command line's launcher, not the program's callers)
        walked: list[FrameType] = []
        while frame is not None and frame is not known and frame.f_code is not runner and len(walked) < MAX_CALLERS:
            walked.append(frame)
            frame = frame.f_back
        reached = frame is not None and frame is known
        if not reached:
            state.frames.clear()
        if frame is not None and frame.f_code is runner:
            frame = None  # (the program's first frame: a top like a thread's first frame)
        if not self.records_callers:
            return "", reached, len(walked)
        if frame is not None and reached:
            pairs = [self._caller_pair(caller) for caller in (*walked, frame)]
            return f"0,[{','.join(pairs)}]", True, len(walked)
        # Up to the thread's first frame: the outer ones are mostly those of its last such record (an event loop's, a
        # test runner's, resuming the program's code over and over), told by their number (same code, same place).
        last = state.top_callers if frame is None else []  # (a list cut at MAX_CALLERS is no thread's top)
        count, known_count = len(walked), len(last)
        shared = 0
        while shared < count and shared < known_count:
            caller = walked[count - 1 - shared]
            known_code, known_lasti, _pair = last[known_count - 1 - shared]
            if caller.f_code is not known_code or caller.f_lasti != known_lasti:
                break
            shared += 1
        fresh = [(caller.f_code, caller.f_lasti, self._caller_pair(caller)) for caller in walked[: count - shared]]
        state.top_callers = [*fresh, *last[known_count - shared :]] if frame is None else []
        if not fresh:
            return f"1,[],{shared}", False, count
        return f"1,[{','.join(pair for _code, _lasti, pair in fresh)}],{shared}", False, count

    def _caller_pair(self, frame: FrameType) -> str:
        """A caller as a callers record lists it: ``[code ref,line now]``."""
        if not _LINE_FROM_LASTI:
            return f"[{self._frame_ref(frame)},{_line_json(frame)}]"
        # An event loop resuming coroutines has the same callers, at the same places, over and over: finding a line
        # scans the code's line table (µs for a long function like the loop's), so the pair is kept by place.
        key = (id(frame.f_code), frame.f_lasti)
        pairs = self._table.caller_pairs
        pair = pairs.get(key)
        if pair is None:
            ref = self._frame_ref(frame)  # (first: it gives the code an entry in the table)
            pair = pairs[key] = f"[{ref},{_line_json(frame)}]"
        return pair

    def _frame_ref(self, frame: FrameType) -> int:
        """The ref of a frame's code in this file: its entry written at its first use, as a raw site's is."""
        code = frame.f_code
        entry = self._table.codes.get(id(code))
        if entry is not None and entry[0] is code:
            return entry[1]
        site = self._site_for(frame)
        self._register(site, frame)
        return site.ref

    def _builtin(self, event: Event, kind: str, now: int, state: _ThreadState, table: _Table) -> None:
        """A C function's event (profile mode): its own code entry; with values, its ``arg`` (the function, as
        hunter 3.9's C events carry it)."""
        key = (event.filename, event.module, event.function, event.stdlib)
        ref = table.builtins.get(key)
        if ref is None:
            with self._lock:
                ref = table.builtins[key] = table.new_ref()
                self._buffer.append(_code_line(ref, event=event, code=None))
        frame: Any = event.frame  # (the Python frame it is called in: a live event's, never None here)
        frames = state.frames
        if self.records_callers and not (frames and frames[-1][0] is frame):
            # The frame's callers, when the records before don't tell them (the frame itself isn't kept: its own
            # events, if recorded, put it among the recorded calls).
            callers, _reached, _walked = self._callers(state, frame.f_back)
            state.out.append(f'["{CALLERS}",0,{state.ref},{callers}]\n')
        number = BUILTIN_KINDS[kind]
        value = f",{self._text(event.arg)}" if self.values else ""
        state.out.append(f"[{number},{now - self._t0},{state.ref},{event.depth},{ref},{event.lineno}{value}]\n")

    def _new_code(self, event: Event, code: CodeType, table: _Table) -> tuple[CodeType, int, tuple[str, ...]]:
        """A code object's entry met on the event path: its ref and parameter names (written once per file)."""
        names = tuple(name for _star, name in parameters(code))
        return self._code_entry(
            table, code, names, event.filename, event.globals, functools.partial(_code_line, event=event, code=code)
        )

    def _code_entry(
        self,
        table: _Table,
        code: CodeType,
        names: tuple[str, ...],
        filename: str,
        f_globals: Any,
        line: Callable[[int], str],
    ) -> tuple[CodeType, int, tuple[str, ...]]:
        """``code``'s entry in ``table``; at its first, a new ref and the entry ``line(ref)`` written (after its
        file's source when needed). Both paths take entries here; another thread may have just added it."""
        with self._lock:
            entry = table.codes.get(id(code))
            if entry is None or entry[0] is not code:
                entry = table.add_code(code, names)
                self._add_entry(table, filename, f_globals, line(entry[1]))
        return entry

    def _add_entry(self, table: _Table, filename: str, f_globals: Any, line: str) -> None:
        """A code entry among the shared entries, after its file's source when the file needs it stored (the
        caller holds the lock)."""
        if filename not in table.sources:
            table.sources.add(filename)
            self._buffer.extend(_source_lines(filename, f_globals))
        self._buffer.append(line)

    def _new_thread(self, table: _Table) -> _ThreadState:
        """The current thread's state, at its first record: its ``t`` entry written."""
        ident, thread, name = _current_thread()
        state = _ThreadState(ident, thread, name, self._thread_out())
        with self._lock:
            table.threads.append(state)
            state.ref = state.formatted_ref = table.new_ref()
            self._buffer.append(_thread_line(state))
        table.local.state = state
        table.local.records = state.records
        return state

    def _thread_out(self) -> Any:
        """Where a new thread's lines go (a flight recorder keeps a ring per thread)."""
        return self._buffer

    def _renamed(self, state: _ThreadState, name: str) -> None:
        """The thread got a new name (seen at a call): its events from here on go under a new ``t`` entry."""
        with self._lock:
            if state.records:
                self._format(state)
            state.name = name
            state.ref = state.formatted_ref = self._table.new_ref()
            self._buffer.append(_thread_line(state))

    def _raw_renamed(self, state: _ThreadState, thread: threading.Thread) -> None:
        """The thread got a new name (seen at a raw call): a new ``t`` entry among its records, from here on."""
        state.raw_name = thread._name  # type: ignore[attr-defined]
        name = thread.name
        if name == state.name:
            return
        state.name = name
        with self._lock:
            state.ref = self._table.new_ref()
        state.records.append((_THREAD, state.ref, _thread_line(state)))

    # -- raw records (hunter._engine._recording) ------------------------------------------------------------

    def attach(self, owner: Any) -> None:
        """The tracer that hands over raw records (its start decides depths a frame chain can't)."""
        self._owner = owner

    def describe(self, code: CodeType, module: str, filename: str) -> _Site:
        """A code object whose calls and returns come as raw records: its site (written at its first record)."""
        return self._sites.add(code, _Site(code, module, filename))

    def thread_records(self) -> list[tuple[Any, ...] | str] | None:
        """The current thread's raw record list, at its first record; None when not recording (dropped)."""
        if not self._ready and (self._closed or not self._open()):
            return None
        if self._closed:
            return None
        table = self._table
        state = getattr(table.local, "state", None)
        return (state or self._new_thread(table)).records

    def records_due(self, ns: int) -> None:
        """The current thread's records fill a batch, or the flush interval passed: turn them into lines, write."""
        state = getattr(self.local, "state", None)
        if state is None:
            return
        if ns >= self.due_ns:
            self.due_ns = ns + FLUSH_INTERVAL_NS
            self.flush()
            return
        with self._lock:
            self._format(state)
        if len(self._buffer) >= self._flush_at:
            self.flush()

    def arguments(self, site: _Site, frame: FrameType) -> str:
        """A raw call's text: depth, code ref, line number and (values) the arguments' texts."""
        try:
            state: _ThreadState = self.local.state
        except AttributeError:
            state = self._raw_state()  # type: ignore[assignment]
            if state is None:
                return ""
        thread = state.thread
        if thread is not None and thread._name is not state.raw_name:  # (renamed: a new str; see __call__)
            self._raw_renamed(state, thread)
        if site.table is not self._table:
            self._register(site, frame)
        frames = state.frames
        back = frame.f_back
        # (the caller is the innermost recorded call, mostly: one deeper than it, without walking the stack)
        count = frames[-1][1] + 1 if frames and frames[-1][0] is back else self._count(frame, state)
        frames.append((frame, count, site))
        # (the caller's line now: a replay's StackPrinter shows it; inline, this is every raw call's step on settrace)
        caller = back.f_lineno if back is not None else None
        if caller is None:
            caller = "null"
        if not self.values:
            return f"{count - 1},{site.ref},{frame.f_lineno},{caller}"
        arguments = ""
        # (f_locals is read only where there are parameters: before 3.13 reading it stores a copy of every local in the
        # frame, which holds them until the next read, so a generator resumed here would keep what it deletes)
        if site.names:
            text = self._text
            f_locals: Any = frame.f_locals if site.optimized or locals_readable(frame) else {}
            arguments = ",".join([text(f_locals.get(name, MISSING)) for name in site.names])
        return f"{count - 1},{site.ref},{frame.f_lineno},[{arguments}],{caller}"

    def returned(self, frame: FrameType, value: Any) -> str:
        """A raw return's text: depth, code ref, line number, whether it returned, and (values) the value's text."""
        try:
            state: _ThreadState = self.local.state
        except AttributeError:
            state = self._raw_state()  # type: ignore[assignment]
            if state is None:
                return ""
        frames = state.frames
        if frames and frames[-1][0] is frame:
            _frame, count, site = frames.pop()
            if site is None:  # (its call wasn't recorded: an event of it on the normal path put it there)
                site = self._site_for(frame)
        else:
            site, count = self._unseen_call(frame, state)
        if site.table is not self._table:
            self._register(site, frame)
        normal = how_left(frame)
        depth = max(count - 1, 0)  # (an event put it there: a frame that ran before tracing started counts 0)
        if not self.values:
            return f"{depth},{site.ref},{frame.f_lineno},{normal}"
        return f"{depth},{site.ref},{frame.f_lineno},{normal},{self._text(value)}"

    def raised_line(self, frame: FrameType, value: Any, ns: int) -> str | None:
        """A raw exception record's line, of the thread's innermost recorded call (``frame``) at ``ns``, as the normal
        path writes it; None when ``frame`` isn't that call (the event then takes the normal path)."""
        try:
            state: _ThreadState = self.local.state
        except AttributeError:
            return None
        frames = state.frames
        if not frames or frames[-1][0] is not frame:
            return None
        _frame, count, site = frames[-1]
        if site is None or site.table is not self._table:
            return None
        head = f"[3,{ns - self._t0},{state.ref},{count},{site.ref},{frame.f_lineno}"
        if not self.values:
            return head + "]\n"
        return f"{head},{self._text(value)}]\n"

    def value_json(self, value: Any) -> str:
        """A value's text (``returned`` makes the texts of raw returns: this is the protocol's fallback)."""
        return self._text(value)

    def _raw_state(self) -> _ThreadState | None:
        state: _ThreadState | None = getattr(self.local, "state", None)
        if state is None and self.thread_records() is not None:
            state = self.local.state
        return state

    def _count(self, frame: FrameType, state: _ThreadState) -> int:
        """Frames entered since tracing started, from ``frame`` up: from the innermost recorded call still running
        when it is a caller (frames in between were not recorded), else from the tracer's start. The callers up to
        there are recorded first (the records before don't tell them)."""
        reached, walked = self._raw_callers(state, frame)
        if reached:
            count: int = state.frames[-1][1] + walked + 1
            return count
        return self._entered(frame)

    def _raw_callers(self, state: _ThreadState, frame: FrameType) -> tuple[bool, int]:
        """A raw callers record of ``frame``'s callers among the thread's records (see ``_callers``): whether the
        innermost recorded call was reached, and how many frames there are between."""
        callers, reached, walked = self._callers(state, frame.f_back)
        if self.records_callers:
            state.records.append((_CALLERS, self._t0, callers))
        return reached, walked

    def _entered(self, frame: FrameType) -> int:
        """Frames entered since tracing started, from ``frame`` up, as the tracer counts them (at least 1: the
        frame itself; 1 when no tracer was attached)."""
        owner = self._owner
        entered: int = owner.count_frames(frame) if owner is not None else 1
        return max(entered, 1)

    def _unseen_call(self, frame: FrameType, state: _ThreadState) -> tuple[_Site, int]:
        """The site and frame count of a raw return whose call was not recorded (it started before tracing); its
        callers are recorded first."""
        self._raw_callers(state, frame)
        state.returns = True
        return self._site_for(frame), self._entered(frame)

    def _site_for(self, frame: FrameType) -> _Site:
        """The raw site of a frame's code, made now if its calls were never recorded."""
        code = frame.f_code
        site = self._sites.get(id(code))
        if site is None or site.code_ref() is not code:
            from .._engine._source import code_filename, frame_module

            site = self.describe(code, frame_module(frame), code_filename(code, frame.f_globals))
        return site

    def _register(self, site: _Site, frame: FrameType) -> None:
        """A raw site's first record in this file: its code entry (and source) go first, among the shared entries.

        Not among this thread's records: another thread may record the site too, and its records may be written out
        before this thread's are; the entries are written before any thread's records that follow them.
        """
        table = self._table
        code = frame.f_code  # (the site's: its frame is running)
        line = functools.partial(
            _python_code_line, filename=site.filename, module=site.module, stdlib=site.stdlib, code=code
        )
        entry = self._code_entry(table, code, site.names, site.filename, frame.f_globals, line)
        site.ref = entry[1]
        site.table = table  # (last: another thread seeing it takes ``ref`` as it is)

    def _format(self, state: _ThreadState) -> None:
        """Turn a thread's raw records into lines (the caller holds the lock)."""
        records = state.records
        count = len(records)  # (the thread may append more meanwhile: they wait for the next time)
        if count:
            state.formatted_ref = self._render(
                records[:count], state.formatted_ref, state.out.append, self._buffer.append
            )
            del records[:count]

    def _render(
        self, records: list[tuple[Any, ...] | str], ref: int, out: Callable[[str], Any], entries: Callable[[str], Any]
    ) -> int:
        """Raw records (of a thread whose ref is ``ref``) as event lines to ``out``, code and thread entries to
        ``entries``; the thread's ref after them."""
        compiled = _speedups.compiled
        if compiled is not None:
            after: int = compiled.render(records, ref, self._t0, RETURN, _THREAD, _CALLERS, out, entries)
            return after
        head = f",{ref},"
        t0 = self._t0
        returned = RETURN
        for record in records:
            if isinstance(record, str):
                out(record)  # an event's whole line (the compiled callbacks make them)
                continue
            what, ns, text = record
            if what is returned:
                out(f"[2,{ns - t0}{head}{text}]\n")
            elif what is None:
                entries(text)  # a code entry (or a source)
            elif what is _THREAD:
                entries(text)  # the thread renamed: its new entry, and its ref (in ``ns``) from here on
                ref = ns
                head = f",{ns},"
            elif what is _CALLERS:
                out(f'["{CALLERS}",{ns - t0}{head}{text}]\n')
            else:
                out(f"[0,{ns - t0}{head}{text}]\n")
        return ref

    # -- the file ---------------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the file now (else the first event does): a run without events still leaves a recording."""
        if not self._closed and self._pid != os.getpid():
            self._open()

    def _open(self) -> bool:
        """Open this process's file at its first event (the root's, or a part of its own); False: not recording."""
        pid = os.getpid()
        root, token, origin = _claim(self.path, pid)
        filename = self.path if root else part_path(self.path, pid)
        with self._lock:
            if self._ready:  # (another thread was first)
                return True
            self._reset()
            self._open_file(filename)
            self._pid, self.filename = pid, filename
            self._token, self._origin = token, origin
            self._t0 = _perf_ns() - max(time.time_ns() - origin, 0)
            self._label = process_label()
            metadata = {
                "token": token,
                "pid": pid,
                "root": root,
                "origin_ns": origin,
                "python": list(sys.version_info[:3]),
                "implementation": sys.implementation.name,
                "argv": list(getattr(sys, "orig_argv", sys.argv)),
                "cwd": os.getcwd(),
                "lines": self.lines,
                "values": self.values,
                "repr_limit": self.repr_limit,
                "label": self._label,
                "callers": self.records_callers,
                # (each write ends with a WRITTEN line: the threads' events between two are ordered by time)
                "written": True,
            }
            self._buffer.append(header_line(metadata))
            # The header goes out with the first batch, a flush interval from now (or at close): a short run makes
            # one write in all. (A kill -9 before it leaves an empty file, as it would lose that interval's events.)
            self.due_ns = _perf_ns() + FLUSH_INTERVAL_NS
            self._ready = True
        _install_process_hooks()
        _live.add(self)
        return True

    def _open_file(self, filename: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        try:
            self._fd = open_out_of_the_way(filename, flags)
            self._fd_file = identity(self._fd)
        except OSError as exc:
            self._closed = True
            raise OutputError(f"cannot record to {filename!r}: {exc}") from exc

    def _reset(self) -> None:
        """Forget the file (a forked child starts a part of its own: nothing it inherited is written twice)."""
        close_if_ours(self._fd, self._fd_file)
        self._fd = -1
        self._ready = False
        self._buffer = []
        self._table = _Table()
        self.local = self._table.local  # (every thread's next record sets it up anew, or finds recording closed)

    def flush(self) -> None:
        """Write every buffered record now (whole lines, one write)."""
        self._write_buffered(end=False)

    def _write_buffered(self, end: bool) -> None:
        """Write every buffered record, and with ``end`` the end mark last, in one write."""
        with self._lock:
            if self._fd < 0 or self._pid != os.getpid():
                return
            threads = self._table.threads
            for state in threads:
                if state.records:
                    self._format(state)
            # (a finished thread's lines are all out now: its state goes, and the Thread it holds; a program that
            # starts a thread per request kept every one for as long as it was recorded)
            running = [state for state in threads if not _finished(state)]
            if len(running) < len(threads):
                threads[:] = running
            if self._buffer:
                self._buffer.append(_WRITTEN_LINE)
            if end:
                self._buffer.append(f'["end",{_perf_ns() - self._t0}]\n')
            if not self._buffer:
                return
            lines = self._buffer
            count = len(lines)
            # (joined in pieces: one str of a whole batch is big enough that malloc maps fresh memory for it, and the
            # page faults of touching it cost more than the copy, twice: for the str and for its bytes)
            pieces = [
                "".join(lines[start : start + _LINES_PER_PIECE]).encode("ascii", "backslashreplace")
                for start in range(0, count, _LINES_PER_PIECE)
            ]
            label = self._label_lines()  # (a new name after the lines: the first holds the header)
            if label:
                pieces.append(label.encode("ascii", "backslashreplace"))
            del lines[:count]
            try:
                raise_unless_ours(self._fd, self._fd_file)  # (a number the program took over is not written to)
                _write_all(self._fd, pieces)
            except OSError as exc:
                self._closed = True
                fd, self._fd = self._fd, -1
                close_if_ours(fd, self._fd_file)
                raise OutputError(f"cannot write the recording to {self.filename!r}: {exc}") from exc

    def _label_lines(self) -> str:
        """A ``p`` entry when what a timeline calls this process changed since the file said it (a multiprocessing
        worker is named after its start), else nothing: a timeline of the recording names the process as live."""
        label = process_label()
        if label == self._label:
            return ""
        self._label = label
        return label_line(label)

    def close(self) -> None:
        """Write what is buffered and the end mark, then close the file (later events are ignored)."""
        if self._closed:
            return
        if self._fd >= 0 and self._pid == os.getpid():
            try:
                self._write_buffered(end=True)
            except OutputError as exc:  # (a full disk: the last batch, and with a short run the whole recording)
                report(f"hunter: {exc} (the recording holds what was written before)\n")
        self._closed = True
        with self._lock:
            self._reset()
            self._pid = 0
            self._sites.clear()  # (each holds a reference back to the map: a cycle, until a collection, otherwise)
        _live.discard(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        return self._closed

    def _after_fork_in_child(self) -> None:
        # The lock may have been held by a thread that doesn't exist here; the part file opens at the first event.
        self._lock = _fork.lock(_fork.TIMELINE)
        self._reset()


def _finished(state: _ThreadState) -> bool:
    """Whether ``state``'s thread has ended (threading says so: it makes no more events) with nothing left to write."""
    thread = state.thread
    if thread is None or state.records:
        return False
    try:
        return not thread.is_alive()
    except RuntimeError:  # (3.13+: a thread that threading didn't start says so once it has ended)
        return True


#: The line that ends each write (see format.WRITTEN).
_WRITTEN_LINE = f'["{WRITTEN}"]\n'

#: How many lines ``_write_buffered`` joins into one piece of a write (about 30 KB of the usual lines), and how many
#: pieces one system call gathers (under every platform's IOV_MAX).
_LINES_PER_PIECE = 128
_PIECES_PER_WRITE = 512


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write ``pieces`` to ``fd`` in order, gathered into few system calls where the platform can."""
    gather = getattr(os, "writev", None)
    for start in range(0, len(pieces), _PIECES_PER_WRITE):
        group = pieces[start : start + _PIECES_PER_WRITE]
        written = gather(fd, group) if gather is not None and len(group) > 1 else 0
        if written == sum(map(len, group)):
            continue
        # (no gathering, or a short write: rare for a file; one piece is written as it is, not copied)
        view = memoryview(group[0] if len(group) == 1 else b"".join(group))[written:]
        while view:
            view = view[os.write(fd, view) :]


def label_line(label: str) -> str:
    """A ``p`` entry: what a timeline calls the process from here on."""
    return compact_json(["p", label]) + "\n"


#: A caller's f_lineno is the line of its instruction at f_lasti (3.12+: a settrace line event sets a frame's f_lineno
#: only while its callback runs; before, a traced frame's f_lineno is its last line event's, which may lag).
_LINE_FROM_LASTI = sys.version_info >= (3, 12)


def _line_json(frame: FrameType | None) -> str:
    """A frame's line now as JSON (null without a frame, or at an instruction without a line)."""
    line = frame.f_lineno if frame is not None else None
    return "null" if line is None else str(line)


def _thread_line(state: _ThreadState) -> str:
    """A thread's ``t`` entry, under its current ref and name."""
    fields = ["t", state.ref, _threadid(state.ident), state.name, state.native]
    return compact_json(fields) + "\n"


def _source_lines(filename: str, module_globals: dict[str, Any] | None) -> list[str]:
    """The ``["s", filename, text]`` record of a source that no file holds (``-c`` code, a string given to exec that
    linecache knows, a module in a zip): a replay shows its lines as the live trace did. None for a real file."""
    if os.path.exists(filename):
        return []
    try:
        lines = linecache.getlines(filename, module_globals)
    except Exception:  # (a loader's get_source may fail in any way)
        return []
    if not lines:
        return []
    return [compact_json(["s", filename, "".join(lines)]) + "\n"]


def _code_line(ref: int, *, event: Event, code: CodeType | None) -> str:
    if code is None:  # a C function (profile mode): no parameters, no first line
        fields: list[Any] = ["c", ref, event.filename, event.module, event.function, 0, event.stdlib, True, 0, 0, 0, []]
        return compact_json(fields) + "\n"
    return _python_code_line(ref, filename=event.filename, module=event.module, stdlib=event.stdlib, code=code)


def _python_code_line(ref: int, *, filename: str, module: str, stdlib: bool, code: CodeType) -> str:
    """A Python code object's entry (the raw path writes the same as the event path)."""
    count = code.co_argcount + code.co_kwonlyargcount
    flags = code.co_flags & PARAMETER_FLAGS
    count += bool(flags & 0x04) + bool(flags & 0x08)
    # (formatted here rather than by an encoder: every code object a recording meets writes one)
    names = ",".join([escape(name) for name in code.co_varnames[:count]])
    qualname = getattr(code, "co_qualname", code.co_name)  # (3.11+)
    tail = ""
    if code.co_filename != filename or qualname != code.co_name:
        tail = "," + escape(code.co_filename)  # (what its frames say: a replay's StackPrinter shows it)
    if qualname != code.co_name:
        tail += "," + escape(qualname)  # (``Account.withdraw``: what a timeline and the compact printer name it by)
    return (
        f'["c",{ref},{escape(filename)},{escape(module)},{escape(code.co_name)},{code.co_firstlineno},'
        f"{'true' if stdlib else 'false'},false,{code.co_argcount},{code.co_kwonlyargcount},{flags},[{names}]{tail}]\n"
    )


def _claim(path: str, pid: int) -> tuple[bool, str, int]:
    """Whether this process writes ``path`` itself (the run's root) or a part next to it; the run's token and origin."""
    noted = os.environ.get(ROOTS_ENV)
    try:
        roots = json.loads(noted) if noted else {}
    except ValueError:
        roots = {}
    roots = roots if isinstance(roots, dict) else {}
    entry = roots.get(path)
    if isinstance(entry, list) and len(entry) == 3 and entry[0] != pid:
        return False, str(entry[1]), int(entry[2])
    for recorder in list(_live):  # a forked child: the parent's recorder of this path knows the run
        if recorder.path == path and recorder._pid != pid and recorder._pid:
            return False, recorder._token, recorder._origin
    token, origin = os.urandom(8).hex(), time.time_ns()
    if os.environ.get("PYTHONHUNTER"):
        # Only a run whose children are traced needs the note (subprocess, spawn): otherwise the environment stays
        # exactly as the program left it.
        roots[path] = [pid, token, origin]
        os.environ[ROOTS_ENV] = json.dumps(roots)
    return True, token, origin


_os_exit = os._exit
_hooks = False


def flush_recording(path: str) -> None:
    """Write what this process's recorders of ``path`` hold buffered (a reader in the same process sees it all)."""
    for recorder in list(_live):
        if recorder.path == path:
            with contextlib.suppress(Exception):
                recorder.flush()


def _close_all() -> None:
    for recorder in list(_live):
        try:
            recorder.close()
        except Exception:  # exit must go on
            continue


def _exit_closing(status: int) -> NoReturn:
    """``os._exit`` that first closes the open recordings (forked workers end this way)."""
    _close_all()
    _os_exit(status)


def _before_fork() -> None:
    for recorder in list(_live):
        with contextlib.suppress(Exception):
            recorder.flush()


def _after_fork_in_child() -> None:
    for recorder in list(_live):
        recorder._after_fork_in_child()


def _install_process_hooks() -> None:
    """Hook fork and exit once, at the first recording (importing changes nothing)."""
    global _hooks, _os_exit
    if _hooks:
        return
    _hooks = True
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    atexit.register(_close_all)
    _os_exit = os._exit  # (a timeline's own wrapper, if any, runs after ours)
    os._exit = _exit_closing
