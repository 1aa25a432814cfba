"""Chrome Trace Event Format exporter: a streaming JSON array of events that Perfetto and chrome://tracing open."""

from __future__ import annotations

import threading
import time
import weakref
from types import CodeType, FrameType
from typing import Any

from .._output import _tasks
from .._engine._recording import RETURN, UNWIND, ended_by_exception
from ..event import Event
from ._chrome_files import FORMS, OBJECT_FOOTER, OBJECT_HEADER, merge, read_events, unfinished_children
from ._greenlets import GreenletTracks
from ._summary import TASK_TIDS
from ._timeline import ThreadState, TimelineWriter, current_thread_name
from ._values import (
    RecordedArguments,
    argument_spec,
    argument_text,
    escape,
    recorded_exception,
    remember_code,
    value_json,
    value_repr,
)

__all__ = ["ChromeTrace", "end_fields", "merge", "read_events", "unfinished_children"]

_perf_ns = time.perf_counter_ns
#: Stack keys of detached events: below every -id(frame) a builtin call uses, one per depth.
_DETACHED = -(1 << 62)
#: The track ids of asyncio tasks (asyncio=True) count from here: far above the thread ids Linux hands out (at
#: most 2**22), and within the unsigned 32 bits that Perfetto reads a tid into.
_TASK_TIDS = TASK_TIDS
#: Exception keys (``ThreadState.exc``) of calls recorded raw, which have no frame: one per stack depth, between
#: the builtin and the detached keys.
_RAW_DEPTH = -(1 << 61)


def _frame_key(frame: FrameType) -> int:
    """The stack key of a call of Python code: its frame's id and its code's. A call whose return is not seen stays
    on the stack after its frame is gone, and the frame's memory may hold another frame by then (a caller made
    lazily: a coroutine's task step); by the id alone the new frame would pass for the call's."""
    return id(frame) | (id(frame.f_code) << 64)


#: What ChromeTrace knows of a code object, for its call lines: ``(static, name, spec, filename, tail)``.
#: ``static`` is the B line's fixed part (name, category, location; its ``args`` left open), ``name`` the
#: ``"name":...`` member of its E line, ``spec`` the parameters (see ``argument_spec``), ``filename`` for
#: exception locations, ``tail`` the end of a B line without arguments. A call recorded raw keeps its site on the
#: thread's stack (where an event keeps its frame's id).
CallSite = tuple[str, str, tuple[tuple[str, str], ...], str, str]
_TRACING_ENDED = '"unfinished":"tracing ended"'
#: Durations below 1 µs as text (microseconds, 3 decimals): a call through a tracer often lasts less.
_SHORT = [f"0.{count:03d}" for count in range(1000)]
#: A returned None (UNWIND records without an exception carry no text).
_NONE_JSON = value_json(None, 8)


class ChromeTrace(TimelineWriter):
    """Writes each call when it ends, exceptions as instant events, one JSON object per line.

    A call is one complete event (``X``, with its ``dur``) without argument values, and a ``B``/``E`` pair with
    them (the values go with the ``E``, see ``_name_entry``). A call still open when its thread's lines are written
    out gets its ``B`` then, and its ``E`` when it ends, so that a file cut off by a crash shows the calls that were
    running. The file is ``[`` and then one event per line, every line after the first starting with a comma, so
    that whatever was written so far is a JSON array missing only its closing bracket (which the format
    allows); :meth:`close` (called at exit) adds it. Every ``B`` gets an ``E``: frames still running when
    tracing ends are closed then. ``min_duration`` (seconds) leaves out calls shorter than it. Another process of
    the same run (a traced child) writes ``<name>.<pid>.json`` next to the file; :func:`merge` folds those into the
    main file.
    """

    #: It takes raw records (hunter._engine._recording): a static filter feeding it records calls without events.
    takes_raw_records = True

    def _reads_calls(self) -> bool:
        # The timeline never shows event.calls: saying so keeps the monitoring backend's pruning of calls.
        return False

    header = "[\n"
    footer = "]\n"

    def __init__(
        self,
        path: Any,
        *,
        args: bool = True,
        repr_limit: int = 256,
        batch: int = 256,
        form: str = "array",
        signals: bool = False,
        asyncio: bool = False,
        max_size: int | None = None,
        min_duration: float = 0.0,
    ) -> None:
        if form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(map(repr, FORMS))}, not {form!r}")
        self.form = form
        if (
            not isinstance(min_duration, (int, float))
            or isinstance(min_duration, bool)
            or not 0 <= min_duration < 1e9  # (NaN fails too)
        ):
            raise ValueError(f"min_duration must be a number of seconds (0 or more), not {min_duration!r}")
        self.min_duration = min_duration
        #: Calls shorter than this (nanoseconds) are left out.
        self.min_ns = round(min_duration * 1e9)
        if form == "object":
            # The JSON Object Format (some tools accept nothing else): the same streamed lines inside
            # "traceEvents". Cut off by a crash it is not valid JSON until read_events()/merge() repair it.
            self.header = OBJECT_HEADER
            self.footer = OBJECT_FOOTER
        self._codes: dict[int, tuple[CodeType, CallSite]] = {}
        #: asyncio=True: each task gets a track of its own; its state by id(task), with a weak reference that
        #: proves the id still belongs to the same task.
        self.asyncio = bool(asyncio)
        self._task_states: dict[int, tuple[weakref.ref[Any], ThreadState]] = {}
        self._task_tracks = 0
        #: A track per greenlet (gevent): see _greenlets.
        self._greenlets = GreenletTracks(self)
        super().__init__(path, args=args, repr_limit=repr_limit, batch=batch, signals=signals, max_size=max_size)
        if not self.closed:
            self._greenlets.start()

    def __repr__(self) -> str:
        target = self.path if self.path is not None else self._file
        extra = "" if self.form == "array" else f", form={self.form!r}"
        return (
            f"ChromeTrace({target!r}, args={self.args}, repr_limit={self.repr_limit}, batch={self.batch}{extra}"
            f"{', signals=True' if self.signals else ''}{', asyncio=True' if self.asyncio else ''}"
            f"{'' if self.max_size is None else f', max_size={self.max_size}'}"
            f"{f', min_duration={self.min_duration!r}' if self.min_ns else ''})"
        )

    __str__ = __repr__

    # -- file and thread setup --------------------------------------------------------------------------

    def _file_start_lines(self) -> list[str]:
        # The first element (no leading comma). The run token lets merge() tell this run's files apart.
        label = escape(self._label)
        # (A process joining a file another one started follows its lines: a comma first.)
        lead = "," if self.shared and not self.root else ""
        line = (
            f'{lead}{{"ph":"M","name":"process_name","pid":{self.pid},"tid":{self.pid},"ts":0,'
            f'"args":{{"name":{label},"hunter_run":{escape(self.token)}}}}}\n'
        )
        return [line]

    def _label_lines(self) -> str:
        return (
            f',{{"ph":"M","name":"process_name","pid":{self.pid},"tid":{self.pid},"ts":0,'
            f'"args":{{"name":{escape(self._label)}}}}}\n'
        )

    def _thread_start(self, state: ThreadState, event: Any, name: str | None = None) -> None:
        pid, tid = self.pid, state.tid
        state.begin_head, state.end_head, state.instant_head, state.complete_head = (
            f',{{"ph":"B","pid":{pid},"tid":{tid},"ts":',
            f',{{"ph":"E","pid":{pid},"tid":{tid},"ts":',
            f',{{"ph":"i","s":"t","pid":{pid},"tid":{tid},"ts":',
            f',{{"ph":"X","pid":{pid},"tid":{tid},"ts":',
        )
        # True until a return event shows up: then returns can be trusted to close calls. Without them
        # (a kind="call" filter) each call must check which of the open calls are still running.
        state.no_return_yet = True
        if name is None:
            name = event.threadname if event is not None else current_thread_name()
        state.buf.append(
            f',{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},"ts":0,"args":{{"name":{escape(name)}}}}}\n'
        )

    def _thread_end(self, state: ThreadState, ts_us: float) -> None:
        self._end_open(state, len(state.stack), "tracing ended")

    def _thread_forked(self, state: ThreadState, ts_us: float) -> None:
        # The child goes on inside the calls that were open at the fork: open them again in its own file (at the
        # fork: the child's track starts there), so that their ends have something to close.
        state.starts[:] = [_perf_ns()] * len(state.starts)
        state.begun = 0
        self._open_lines(state, 0)

    def _open_lines(self, state: ThreadState, now: int) -> None:
        # A B for each open call without one, oldest first; one younger than min_duration may still turn out
        # shorter (now=0: all of them, in a forked child's new file).
        stack = state.stack
        count = min(len(stack), len(state.starts), len(state.names))
        begun = state.begun
        if begun >= count:
            return
        limit = now - self.min_ns if now else 1 << 63
        starts, add, begin, base = state.starts, state.buf.append, state.begin_head, self._base
        # With values, ``statics`` holds the B texts of the calls taken as events only (int keys; a raw call's is
        # its site's): the index of the next one is how many of those are below.
        taken = sum(type(key) is int for key in stack[:begun]) if self.args else 0
        while begun < count and starts[begun] <= limit:
            key = stack[begun]
            if not self.args:
                static = state.names[begun]
            elif type(key) is not int:
                static = key[0]
            elif taken < len(state.statics):
                static = state.statics[taken]
                taken += 1
            else:
                break  # (another thread halfway through an event, at close)
            ts = str(starts[begun] - base)
            add(f"{begin}{ts[:-3]}.{ts[-3:]},{static}}}}}\n")
            begun += 1
        state.begun = begun

    # -- events -----------------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """Turn one event into a timeline line (line events are ignored)."""
        # The per-event path: what is rare (a thread's first event, raw records waiting, asyncio tracks, a return
        # that isn't the innermost call's, an exception pending) is handed to helpers, the rest stays inline.
        kind = event.kind
        if kind == "line":
            return
        try:
            state = self.local.state
        except AttributeError:
            self._first_event(event)
            return
        if state.records or self.asyncio:
            state = self._catch_up(state)
        frame = event.frame
        if frame is None:
            self._detached(state, event)
            self._flush_some(state, _perf_ns())
            return
        stack = state.stack
        if kind == "call":
            if event.builtin:  # (profile mode only)
                key, name, static = -id(frame), _name_field(event.function), self._builtin_static(event)
            else:
                code = frame.f_code
                known = self._codes.get(id(code))
                site = known[1] if known is not None and known[0] is code else self._describe(code, event)
                key = id(frame) | (id(code) << 64)  # (_frame_key, inlined)
                static = site[0]
                # The argument values go with the call's end (see _name_entry): speedscope tells functions apart by
                # the name and the args of the B event, and must see every call of one function as the same.
                name = _name_entry(site[1], self.arguments(site, frame)) if self.args else ""
            if stack and (state.no_return_yet or len(stack) >= state.limit):
                # (a C function's call event comes with its caller's frame: the caller is that frame itself)
                self._tidy_stack(state, frame if event.builtin else frame.f_back)
            # Nothing is written yet: the call is written whole when it ends (see _open_lines for one still open).
            stack.append(key)
            if self.args:
                state.names.append(name)
                state.statics.append(static)
            else:
                state.names.append(static)
            now = _perf_ns()
            state.starts.append(now)
        elif kind == "return":
            state.no_return_yet = False
            key = -id(frame) if event.builtin else id(frame) | (id(frame.f_code) << 64)  # (_frame_key, inlined)
            if not stack or (stack[-1] != key and not self._ended_above(state, key)):
                return  # the call happened before tracing started (nothing was queued), or isn't open
            now = _perf_ns()
            stack.pop()
            start = state.starts.pop()
            depth = len(stack)
            if not self.args:
                static = state.names.pop()
                if depth < state.begun:
                    self._end_begun(state, now, _name_of(static), "")
                elif now - start >= self.min_ns:
                    self._complete(state, start, now, static)
            else:
                self._end_with_values(state, event, frame, key, start, now, depth < state.begun)
        else:  # an exception (line events went first)
            self._exception(state, event)
            now = _perf_ns()
        if len(state.buf) >= self.batch or now >= self.due_ns:
            self._flush_some(state, now)

    def _first_event(self, event: Event) -> None:
        """A thread's first event (or any event after close): make the thread's state, then take the event."""
        if self._new_state(event) is not None:
            self(event)

    def _end_with_values(
        self, state: ThreadState, event: Event, frame: FrameType, key: int, start: int, now: int, begun: bool
    ) -> None:
        """A call with argument values ends: its B/E pair (``begun``: its B is out already, only its E is due)."""
        name = state.names.pop()
        static = state.statics.pop()
        if begun or now - start >= self.min_ns:
            if event.builtin:
                fields = end_fields(name, "")
            elif state.exc is not None:
                fields = self._after_exception(state, key, name, event, frame)
            else:
                fields = end_fields(name, f'"return":{self.value_json(event.arg)}')
            self._end_pair(state, start, now, static, fields, 0)
        elif state.exc is not None and state.exc[0] == key:
            state.exc = None  # (a call left out: its exception ends with it)

    def _tidy_stack(self, state: ThreadState, caller: FrameType | None) -> None:
        """Before a call from ``caller``: without returns seen yet, the open calls that ended unseen go; a deep stack
        is pruned."""
        if state.no_return_yet:
            self._check_caller(state, caller)
        else:
            self._prune(state, caller)

    def _complete(self, state: ThreadState, start: int, now: int, static: str) -> None:
        """A call without argument values, written whole when it ends: one complete (X) event."""
        # Microseconds with 3 decimals by cutting the digits of the nanoseconds: formatting a float costs many times
        # more (and _base keeps the count above 1000, so there are 4+ digits; a duration below 1 µs, common, comes
        # from a table).
        ts = str(start - self._base)
        took = now - start
        if took < 1000:
            state.buf.append(f'{state.complete_head}{ts[:-3]}.{ts[-3:]},"dur":{_SHORT[took]},{static}}}}}\n')
        else:
            dur = str(took)
            state.buf.append(f'{state.complete_head}{ts[:-3]}.{ts[-3:]},"dur":{dur[:-3]}.{dur[-3:]},{static}}}}}\n')

    def _catch_up(self, state: ThreadState) -> ThreadState:
        """Before an event: the thread's raw records become lines first, and an asyncio task gets its own track."""
        if state.records:
            # Raw records of this thread came first (a code object the filter decided in advance): keep the order.
            with self._lock:
                self._format_records(state)
        if self.asyncio:
            task = _tasks.current_task()
            if task is not None:
                return self._task_state(task, state)
        return state

    def _ended_above(self, state: ThreadState, key: int) -> bool:
        """A return of a call below the innermost one: close the calls above it (they ended unseen); False when the
        call isn't open at all."""
        if key not in state.stack:
            return False
        self._unwind_to(state, key)
        return True

    def _after_exception(self, state: ThreadState, key: int, name: str, event: Event, frame: FrameType) -> str:
        """The E fields of a return while an exception is noted: the call ended by it, or returned after all."""
        exc = state.exc
        if exc is not None and exc[0] == key:
            state.exc = None
            if event.arg is None and ended_by_exception(frame):
                return end_fields(name, f'"exception":{escape(exc[1])}')
        return end_fields(name, f'"return":{self.value_json(event.arg)}')

    def _task_state(self, task: Any, thread_state: ThreadState) -> ThreadState:
        """The track of an asyncio task (asyncio=True): made on its first event, named after the task."""
        entry = self._task_states.get(id(task))
        if entry is not None and entry[0]() is task:
            return entry[1]
        try:
            reference = weakref.ref(task)
        except TypeError:  # a task-like object that can't be referred to weakly: its thread's track then
            return thread_state
        self._task_tracks += 1
        number = self._task_tracks
        if number % 1024 == 0:
            self._forget_finished_tasks()
        state = ThreadState(_TASK_TIDS + number)
        self._thread_start(state, None, f"{_tasks.task_name(task)} ({threading.current_thread().name})")
        with self._lock:
            if self._closed:
                return thread_state
            # Keyed apart from threads (whose idents are positive), so flushing and closing see every track.
            self._states[-number] = state
            self._task_states[id(task)] = (reference, state)
        return state

    def _forget_finished_tasks(self) -> None:
        """Write out and drop the tracks of tasks that are gone (a program may run millions of them)."""
        now = self.now_us()
        with self._lock:
            finished = [(key, entry[1]) for key, entry in self._task_states.items() if entry[0]() is None]
            for key, state in finished:
                del self._task_states[key]
                self._thread_end(state, now)
                self._write("".join(state.buf))
                state.buf.clear()
            gone = {id(state) for _, state in finished}
            self._states = {ident: state for ident, state in self._states.items() if id(state) not in gone}

    def _after_fork_in_child(self) -> None:
        # Only the forking thread goes on in the child, outside any of the parent's tasks.
        self._task_states = {}
        self._greenlets.forked()
        super()._after_fork_in_child()

    def _new_state(self, event: Any) -> ThreadState | None:
        state = super()._new_state(event)
        if state is not None:
            self._greenlets.hook_thread()  # (a thread that runs greenlets: its switches pick the track)
        return state

    def close(self) -> None:
        """Finish the file (see TimelineWriter.close) and let go of greenlet's switch hook."""
        super().close()
        self._greenlets.stop()

    def _detached(self, state: ThreadState, event: Event) -> None:
        """An event without a frame (``event.detach()``): calls and returns are matched by their depth."""
        kind = event.kind
        key = _DETACHED - event.depth
        stack = state.stack
        now = self._now_ns()
        if kind == "call":
            code = event.code
            if event.builtin or code is None:
                static = self._builtin_static(event)
                name = _name_field(event.function)
            else:
                known = self._codes.get(id(code))
                site = known[1] if known is not None and known[0] is code else self._describe(code, event)
                static, name = site[0], site[1]
                if self.args and event.locals:  # (a recording's call: its arguments' texts, in the E event as live)
                    name = _name_entry(name, argument_text(RecordedArguments(event.locals), site[2], self.value_json))
            stack.append(key)
            if self.args:
                state.names.append(name)
                state.statics.append(static)
            else:
                state.names.append(static)
            state.starts.append(now)
        elif kind == "return":
            if key not in stack:
                return
            if stack[-1] != key:
                self._unwind_to(state, key)
            exc, state.exc = state.exc, None
            if exc is not None and exc[0] == key and event.instruction is not None and event.instruction < 0:
                # A recording's return that is no return (an exception passed through): ended by it, as live.
                self._end_call(state, now, f'"exception":{escape(exc[1])}' if self.args else "")
            elif event.builtin or not self.args:
                self._end_call(state, now, "")  # (a C function's return shows no value, as live)
            else:
                self._end_call(state, now, f'"return":{self.value_json(event.arg)}')
        elif kind == "exception":
            self._exception(state, event)

    def _exception(self, state: ThreadState, event: Event) -> None:
        frame = event.frame
        if self.asyncio and _tasks.is_await_machinery(frame, event.arg):
            return  # an awaited coroutine handing back its result: not an exception of the program's
        if frame is None:
            # (an exception event is one deeper than its frame's call and return, as line events are)
            key = _DETACHED - (event.depth - 1)
        elif event.builtin:
            key = -id(frame)
        else:
            key = _frame_key(frame)
            stack = state.stack
            if stack and type(stack[-1]) is not int:
                # The innermost open call was recorded raw (no frame to compare): the exception is its own, or of
                # a frame whose calls aren't recorded, which is left before (and so never ends) that call.
                key = _RAW_DEPTH - len(stack)
        if type(event.arg) is str:  # a recording's event (replayed): the text of (type, value, traceback)
            name, text = recorded_exception(event.arg)
        else:
            try:
                exc_type, value = event.arg[0], event.arg[1]
                name = type.__dict__["__name__"].__get__(exc_type) if isinstance(exc_type, type) else "exception"
            except Exception:  # an odd arg: still record that something was raised
                name, value = "exception", None
            text = value_repr(value, self.repr_limit)
        state.exc = (key, text)
        location = f"{self._location_file(event)}:{event.lineno}"
        state.buf.append(
            f'{state.instant_head}{self.now_us()},"name":{escape(name)},"cat":"exception",'
            f'"args":{{"exception":{escape(text)},"location":{escape(location)}}}}}\n'
        )

    # -- helpers ----------------------------------------------------------------------------------------

    def describe(self, code: CodeType, module: str, filename: str) -> CallSite:
        """The fixed parts of a code object's call lines (its ``CallSite``), cached per code object."""
        name = getattr(code, "co_qualname", code.co_name)
        if code.co_name == "<module>":
            name = f"<module {module}>"
        static = (
            f'{_name_field(name)},"cat":{escape(module)},'
            f'"args":{{"location":{escape(f"{filename}:{code.co_firstlineno}")}'
        )
        name_field = _name_field(name)
        site = (static, name_field, argument_spec(code), filename, f"{static}}}}}\n")
        remember_code(self._codes, code, (code, site))
        return site

    def _describe(self, code: CodeType, event: Event) -> CallSite:
        return self.describe(code, event.module, event.filename)

    def _location_file(self, event: Event) -> str:
        code = event.code
        if event.builtin or code is None:
            return "?"
        known = self._codes.get(id(code))
        site = known[1] if known is not None and known[0] is code else self._describe(code, event)
        return site[3]

    @staticmethod
    def _builtin_static(event: Event) -> str:
        return f'"name":{escape(event.function)},"cat":{escape(event.module)},"args":{{"builtin":true'

    def arguments(self, site: CallSite, frame: Any) -> str:
        """``,"name":"repr"`` for each parameter of the called function."""
        spec = site[2]
        return argument_text(frame, spec, self.value_json) if spec else ""

    def _format_records(self, state: ThreadState) -> None:
        """Turn the thread's raw records (_engine._recording) into lines, as ``__call__`` would have the events."""
        records = state.records
        count = len(records)  # (the thread may append more meanwhile: they wait for the next time)
        if self.args:
            self._format_with_values(state, records[:count])
        else:
            self._format_bare(state, records[:count])
        del records[:count]
        # Every raw call gets its return: calls need not check which open calls are still running.
        state.no_return_yet = False

    def _format_bare(self, state: ThreadState, records: list[tuple[Any, ...]]) -> None:
        """``_format_records`` without arguments and return values: records are ``(site or mark, ns)``."""
        stack, starts, statics = state.stack, state.starts, state.names
        push, pop, push_start, pop_start, push_static = (
            stack.append,
            stack.pop,
            starts.append,
            starts.pop,
            statics.append,
        )
        pop_static = statics.pop
        add = state.buf.append
        complete = state.complete_head
        base = self._base
        shortest = self.min_ns
        short = _SHORT
        for what, ns in records:
            if what is RETURN or what is UNWIND:
                if not stack:
                    continue  # the call happened before tracing started
                if type(stack[-1]) is int and not self._unwind_to_raw(state):
                    continue
                site = pop()
                pop_static()
                start = pop_start()
                if len(stack) < state.begun:
                    self._end_begun(state, ns, site[1], "")
                elif ns - start >= shortest:
                    # Microseconds with 3 decimals by cutting the nanoseconds' digits (see __call__).
                    ts = str(start - base)
                    took = ns - start
                    if took < 1000:
                        add(f'{complete}{ts[:-3]}.{ts[-3:]},"dur":{short[took]},{site[4]}')
                    else:
                        dur = str(took)
                        add(f'{complete}{ts[:-3]}.{ts[-3:]},"dur":{dur[:-3]}.{dur[-3:]},{site[4]}')
            else:
                push(what)
                push_static(what[0])
                push_start(ns)

    def _format_with_values(self, state: ThreadState, records: list[tuple[Any, ...]]) -> None:
        """``_format_records`` with arguments and return values: records are ``(site or mark, ns, text)``."""
        # (A raw call's B text is its site's, on the stack: ``statics`` holds only those of calls taken as events.)
        stack, starts, names = state.stack, state.starts, state.names
        push, pop, push_name, pop_name, push_start, pop_start = (
            stack.append,
            stack.pop,
            names.append,
            names.pop,
            starts.append,
            starts.pop,
        )
        shortest = self.min_ns
        add = state.buf.append
        begin, end = state.begin_head, state.end_head
        base = self._base
        for what, ns, text in records:
            if what is RETURN or what is UNWIND:
                if not stack:
                    continue
                if type(stack[-1]) is int and not self._unwind_to_raw(state):
                    continue
                exc = state.exc
                if exc is not None and exc[0] == _RAW_DEPTH - len(stack):
                    # An exception was raised in this call: it ended by it (UNWIND) or returned anyway.
                    state.exc = None
                    member = f'"exception":{escape(exc[1])}' if what is UNWIND else f'"return":{text or _NONE_JSON}'
                    site = pop()
                    self._end_pair(state, pop_start(), ns, site[0], f"{pop_name()}{member}}}", shortest)
                    continue
                site = pop()
                start = pop_start()
                name = pop_name()
                if len(stack) < state.begun:
                    self._end_pair(state, start, ns, site[0], f'{name}"return":{text or _NONE_JSON}}}', 0)
                elif ns - start >= shortest:
                    # (The B, and the E with the values: _end_pair, inlined. Times as in __call__.)
                    ts, te = str(start - base), str(ns - base)
                    add(
                        f"{begin}{ts[:-3]}.{ts[-3:]},{site[4]}"
                        f'{end}{te[:-3]}.{te[-3:]},{name}"return":{text or _NONE_JSON}}}}}\n'
                    )
            else:
                push(what)
                push_start(ns)
                # (_name_entry, inlined: the arguments' text starts with a comma)
                push_name(f'{what[1]},"args":{{{text[1:]},' if text else f'{what[1]},"args":{{')

    def _unwind_to_raw(self, state: ThreadState) -> bool:
        """A raw return while calls of the normal path are open above the innermost raw call: they ended unseen."""
        stack = state.stack
        for index in range(len(stack) - 1, -1, -1):
            if type(stack[index]) is not int:
                self._end_open(state, len(stack) - 1 - index, "return not seen")
                return True
        return False

    def _check_caller(self, state: ThreadState, caller: Any) -> None:
        """Without return events, close the open calls that a new call from ``caller`` shows to have ended."""
        if caller is not None:
            top = state.stack[-1]
            if top == _frame_key(caller) or top == -id(caller):
                return
        self._prune(state, caller)

    def _prune(self, state: ThreadState, caller: Any) -> None:
        """Close open calls that are not ``caller`` or its callers any more (their returns never came)."""
        callers: set[int] = set()  # (the keys of a Python call and of a builtin call that each caller may have)
        current = caller
        while current is not None:
            callers.add(_frame_key(current))
            callers.add(id(current))
            current = current.f_back
        stack = state.stack
        keep = 0
        for key in stack:
            # (A call recorded raw has no frame to look for: it is taken for a caller, as its return will come.)
            if type(key) is int and abs(key) not in callers:
                break
            keep += 1
        if keep < len(stack):
            self._end_open(state, len(stack) - keep, "return not seen")
        # Legitimately deep recursion must not make every call walk the whole stack again.
        state.limit = max(256, 2 * len(stack))

    def _unwind_to(self, state: ThreadState, key: int) -> None:
        """A return of a frame below the top: the calls above it ended without a return event."""
        stack = state.stack
        count = 0
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] == key:
                break
            count += 1
        self._end_open(state, count, "return not seen")

    def _end_open(self, state: ThreadState, count: int, why: str) -> None:
        """End the innermost ``count`` open calls now, their ends unseen (``why``)."""
        now = self._now_ns()
        unfinished = f'"unfinished":{escape(why)}'
        # (At close another thread may be halfway through an event: its lists can differ by one.)
        depth = min(len(state.stack), len(state.starts), len(state.names))
        for lists in (state.stack, state.starts, state.names):
            del lists[depth:]
        if self.args:
            del state.statics[sum(type(key) is int for key in state.stack) :]
        for _ in range(min(count, depth)):
            self._end_call(state, now, unfinished)

    def _now_ns(self) -> int:
        """``perf_counter_ns()`` as ``now_us()`` tells it: a replay of a recording sets that to the recorded clock
        (see record.replay), for the events it replays (detached) and the calls still open at its end."""
        return round(self.now_us() * 1000) + self._base

    def _end_call(self, state: ThreadState, now: int, member: str) -> None:
        """End the innermost open call at ``now``, with ``member`` (``"name":value``, or none) in its args."""
        key = state.stack.pop()
        start = state.starts.pop()
        if self.args:
            fields = end_fields(state.names.pop(), member)
            static = state.statics.pop() if type(key) is int else key[0]
            self._end_pair(state, start, now, static, fields, self.min_ns)
            return
        static = state.names.pop()
        if len(state.stack) < state.begun:
            self._end_begun(state, now, _name_of(static), member)
        elif now - start >= self.min_ns:
            ts = str(start - self._base)
            state.buf.append(
                f'{state.complete_head}{ts[:-3]}.{ts[-3:]},"dur":{_duration(now - start)},{static}'
                f"{',' if member else ''}{member}}}}}\n"
            )

    def _end_begun(self, state: ThreadState, now: int, name: str, member: str) -> None:
        """The ``E`` of a call without argument values whose ``B`` was written while it ran."""
        state.begun = len(state.stack)
        ts = str(now - self._base)
        state.buf.append(f"{state.end_head}{ts[:-3]}.{ts[-3:]},{end_fields(name, member)}}}\n")

    def _end_pair(self, state: ThreadState, start: int, now: int, static: str, fields: str, shortest: int) -> None:
        """A call with argument values ended (``fields``: its ``E``'s): its ``E``, after its ``B`` unless that was
        written while it ran; nothing when it is shorter than ``shortest`` (and has no ``B`` yet)."""
        ts = str(now - self._base)
        end = f"{state.end_head}{ts[:-3]}.{ts[-3:]},{fields}}}\n"
        if len(state.stack) < state.begun:
            state.begun = len(state.stack)
            state.buf.append(end)
        elif now - start >= shortest:
            begin = str(start - self._base)
            state.buf.append(f"{state.begin_head}{begin[:-3]}.{begin[-3:]},{static}}}}}\n{end}")


def _name_entry(name: str, arguments: str) -> str:
    """What a call keeps for its E event when argument values are recorded: its name and its open args object, with
    the arguments (``arguments``: ``,"x":"1"``...) and room for a last member (``end_fields``).

    The B event carries only what is the same for every call of the function (its location): speedscope takes the B
    event's name and args for what tells one function from another, and Perfetto shows the args of both events.
    """
    return f'{name},"args":{{{arguments[1:]},' if arguments else f'{name},"args":{{'


def end_fields(entry: str, member: str) -> str:
    """The fields of an E event after its time: the call's entry (a name, or a ``_name_entry``) and ``member``."""
    if entry[-1] == "{":
        return f"{entry}{member}}}"
    if entry[-1] == ",":
        return f"{entry}{member}}}" if member else f"{entry[:-1]}}}"
    return f'{entry},"args":{{{member}}}' if member else entry


def _duration(took: int) -> str:
    """Nanoseconds as microseconds with 3 decimals (a ``dur``)."""
    if took < 1000:
        return _SHORT[max(took, 0)]
    text = str(took)
    return f"{text[:-3]}.{text[-3:]}"


def _name_of(static: str) -> str:
    """The ``"name":...`` member at the start of a call's ``B`` text (the name is escaped: no bare ``,"cat":``)."""
    return static[: static.index(',"cat":')]


def _name_field(name: str) -> str:
    """The ``"name":...`` member of a call's B and E events (viewers such as speedscope pair them by name)."""
    return f'"name":{escape(name)}'
