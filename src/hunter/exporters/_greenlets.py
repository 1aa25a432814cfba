"""Greenlets (gevent, eventlet) in a timeline: a track per greenlet, followed through greenlet's switch hook.

Greenlets take turns on one thread, each with a stack of its own. On the thread's one track their calls would
interleave, nest hundreds deep and end in the wrong places. So the writer keeps a state per greenlet (as per
asyncio task) and ``greenlet.settrace`` tells it, at each switch, whose state the thread's next events (and raw
records) go to. The hook is set once greenlet is imported (greenlet is never imported by hunter): at a thread's
first event, or by an import watcher that looks at each import the program makes until greenlet is there.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ._summary import GREENLET_TIDS
from ._timeline import ThreadState

__all__ = ["GREENLET_TIDS", "GreenletTracks"]

# GREENLET_TIDS: the track ids of greenlets count from there: above asyncio tasks' (2**31 on), below 2**32.
#: Keys of greenlet tracks in the writer's ``_states`` (thread idents are positive, asyncio tasks' small negative).
_KEYS = -(1 << 40)


class GreenletTracks:
    """The greenlet tracks of one writer (a ChromeTrace): made at a greenlet's first switch, dropped when it is gone."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.states: dict[int, tuple[weakref.ref[Any], ThreadState]] = {}
        self.count = 0
        #: Per thread where the hook is set: what was set before (called on), to put back at close.
        self.previous: dict[int, Any] = {}
        self._watcher: _ImportWatcher | None = None
        #: The name of each thread whose switches are followed, by its native id (for its greenlets' track names).
        self.thread_names: dict[int, str] = {}

    def start(self) -> None:
        """Set the hook now if greenlet is imported, else once it is (an import watcher)."""
        if not self.hook_thread() and self._watcher is None:
            self._watcher = _ImportWatcher(self._imported)
            sys.meta_path.insert(0, self._watcher)

    def _imported(self) -> bool:
        return self.hook_thread()

    def hook_thread(self) -> bool:
        """Set the switch hook in the current thread if greenlet is imported (once per thread); whether it is."""
        module = sys.modules.get("greenlet")
        settrace = getattr(module, "settrace", None)
        if settrace is None:
            return False
        ident = threading.get_ident()
        if ident not in self.previous:
            # (Named now: once gevent patches threading, each greenlet looks like a thread of its own.)
            self.thread_names[threading.get_native_id()] = threading.current_thread().name
            try:
                self.previous[ident] = settrace(self._make_hook(settrace))
            except Exception:  # an odd greenlet: the thread's one track then
                return True
        return True

    def _make_hook(self, settrace: Callable[[Any], Any]) -> Callable[[str, Any], Any]:
        tracks = self
        ident = threading.get_ident()

        def on_switch(event: str, args: Any) -> Any:
            try:
                if event in ("switch", "throw"):
                    tracks.switch_to(args[1])
            except Exception:  # never fail a switch of the program's
                pass
            previous = tracks.previous.get(ident)
            if previous is not None:
                return previous(event, args)
            return None

        on_switch.__qualname__ = "hunter greenlet hook"
        return on_switch

    def switch_to(self, target: Any) -> None:
        """The thread now runs ``target``: its events go to that greenlet's track (the main greenlet: the thread's)."""
        writer = self.writer
        if writer.closed:
            return
        local = writer.local
        base = getattr(local, "thread_state", None)
        if base is None:
            base = writer._new_state(None)
            if base is None:
                return
        # (The main greenlet, the one without a parent, is the thread itself.)
        state = base if getattr(target, "parent", None) is None else self._state_of(target, base)
        local.state = state
        local.records = state.records

    def _state_of(self, target: Any, base: ThreadState) -> ThreadState:
        entry = self.states.get(id(target))
        if entry is not None and entry[0]() is target:
            return entry[1]
        try:
            reference = weakref.ref(target)
        except TypeError:
            return base
        self.count += 1
        number = self.count
        if number % 1024 == 0:
            self._forget_finished()
        state = ThreadState(GREENLET_TIDS + number)
        name = f"{type(target).__name__}-{number} ({self.thread_names.get(threading.get_native_id(), 'a thread')})"
        writer = self.writer
        writer._thread_start(state, None, name)
        with writer._lock:
            if writer.closed:
                return base
            writer._states[_KEYS - number] = state
            self.states[id(target)] = (reference, state)
        return state

    def _forget_finished(self) -> None:
        """Write out and drop the tracks of greenlets that are gone."""
        writer = self.writer
        now = writer.now_us()
        with writer._lock:
            finished = [(key, entry[1]) for key, entry in self.states.items() if entry[0]() is None]
            for key, state in finished:
                del self.states[key]
                if state.records:
                    writer._format_records(state)
                writer._thread_end(state, now)
                writer._write("".join(state.buf))
                state.buf.clear()
            gone = {id(state) for _, state in finished}
            writer._states = {key: state for key, state in writer._states.items() if id(state) not in gone}

    def stop(self) -> None:
        """At close: put back this thread's previous hook, stop watching imports."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.done = True
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(watcher)
        module = sys.modules.get("greenlet")
        ident = threading.get_ident()
        if module is not None and ident in self.previous:
            with contextlib.suppress(Exception):  # (exit goes on)
                module.settrace(self.previous.pop(ident))

    def forked(self) -> None:
        """In a forked child: only the forking greenlet goes on, on the thread's track."""
        self.states = {}


class _ImportWatcher:
    """A meta path finder that finds nothing: it looks, at each import, whether greenlet has been imported."""

    def __init__(self, imported: Callable[[], bool]) -> None:
        # (Weakly: a writer nobody uses any more may go away, and its watcher with it, see find_spec.)
        self.imported = weakref.WeakMethod(imported)
        self.done = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        """Never a spec; sets the hook once greenlet is in sys.modules (gevent imports more right after it)."""
        if not self.done and "greenlet" in sys.modules:
            imported = self.imported()
            try:
                self.done = imported is None or imported()
            except Exception:  # (the program's import goes on)
                self.done = True
        # (It stays in sys.meta_path until the writer closes: removing it here, while importlib goes through that
        # list, would make this import skip the finder after it.)
        return None
