"""hunter's own threads (hunter._engine._own_threads): no backend reports what they run, whatever the query."""

from __future__ import annotations

import _thread
import json
import threading
from typing import Any

import pytest

import hunter
from hunter._engine import _own_threads
from hunter.tracer import Tracer

DEADLINE = 60.0


class OwnWorker:
    """One of hunter's threads that calls json.dumps (stdlib, which a broad query shows) each time it is asked."""

    def __init__(self) -> None:
        self.ask = threading.Semaphore(0)
        self.answered = threading.Semaphore(0)
        self.ident: int | None = None
        self.stopping = False
        self.finished = threading.Event()
        _own_threads.start(self._run)
        assert self.answered.acquire(timeout=DEADLINE)  # started: its ident is known and it is registered

    def _run(self) -> None:
        self.ident = _thread.get_ident()
        try:
            while True:
                self.answered.release()
                self.ask.acquire()
                if self.stopping:
                    return
                json.dumps({"from": "hunter's own thread"})
        finally:
            self.finished.set()

    def call(self) -> None:
        """Have the thread run json.dumps once, and wait until it did."""
        self.ask.release()
        assert self.answered.acquire(timeout=DEADLINE)

    def stop(self) -> None:
        self.stopping = True
        self.ask.release()
        assert self.finished.wait(DEADLINE)


def record_events(backend: str) -> tuple[Tracer, list[tuple[int, str, str, str]]]:
    """A broad query (the whole standard library; nothing of hunter's can match anyway) and what it saw.

    Each event as (the ident of the thread it happened in, module, kind, function).
    """
    seen: list[tuple[int, str, str, str]] = []

    def action(event: Any) -> None:
        seen.append((_thread.get_ident(), event.module, event.kind, event.function))

    tracer = Tracer(backend=backend)
    tracer.trace(hunter.Q(stdlib=True, action=action))
    return tracer, seen


@pytest.mark.parametrize("started", ["before tracing", "while tracing"])
def test_what_hunters_threads_run_is_never_traced(backend, started):
    worker = OwnWorker() if started == "before tracing" else None
    tracer, seen = record_events(backend)
    try:
        if worker is None:
            worker = OwnWorker()
        worker.call()
        json.dumps({"from": "the program"})  # the query does match json: here it shows
    finally:
        tracer.stop()
        if worker is not None:
            worker.stop()
    main = threading.get_ident()
    assert ("json", "call", "dumps") in [
        (module, kind, function) for ident, module, kind, function in seen if ident == main
    ]
    assert [event for event in seen if event[0] == worker.ident] == []
    assert set() == _own_threads.IDENTS


def test_a_thread_is_ours_only_while_it_runs_as_ours(backend):
    tracer, seen = record_events(backend)
    done = threading.Event()
    idents: list[int] = []

    def program_thread() -> None:
        idents.append(_thread.get_ident())
        _own_threads.run(json.dumps, {"from": "hunter"})
        json.dumps({"from": "the program"})  # the same thread, the program's again
        done.set()

    try:
        _thread.start_new_thread(program_thread, ())
        assert done.wait(DEADLINE)
    finally:
        tracer.stop()
    if backend == "monitoring":  # settrace never hooks a thread started with _thread
        calls = [(module, function) for ident, module, kind, function in seen if ident == idents[0] and kind == "call"]
        assert calls.count(("json", "dumps")) == 1  # the program's; hunter's came before
    assert set() == _own_threads.IDENTS


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_forked_child_forgets_the_threads_that_stayed_in_the_parent():
    import os

    worker = OwnWorker()
    try:
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through the pipe
            os.write(write_end, b"clean" if not _own_threads.IDENTS else b"dirty")
            os._exit(0)
        os.close(write_end)
        answer = os.read(read_end, 5)
        os.close(read_end)
        os.waitpid(child, 0)
    finally:
        worker.stop()
    assert answer == b"clean"
