"""hunter.wrap: trace only inside calls of one function (plain, generator, coroutine or async generator)."""

from __future__ import annotations

import functools
import threading
import types
from collections.abc import Callable, Generator
from typing import Any

from .. import config
from ._options import new_recorder, trace, with_recorder
from ..predicates import Not, Query

#: ``local=True``: the function's own frame (call at depth 0, lines at 1) and the calls it makes (depth 1).
_LOCAL = Query(depth_lt=2)
#: The tracer is stopped by the wrapper after each run: its stop() (and anything of hunter's) is not the wrapped
#: function's doing. A static test of the module, so hunter's code is pruned rather than filtered event by event.
_NOT_HUNTER = Not(Query(module_regex=r"hunter(\.|$)"))


def make_wrapper(func: Callable[..., Any], local: bool, trace_options: dict[str, Any]) -> Callable[..., Any]:
    """A function like ``func`` that traces each of its runs (each resumption, for generators and coroutines)."""
    record = {key: value for key, value in trace_options.items() if key in config.RECORD_OPTIONS}
    others = {key: value for key, value in trace_options.items() if key not in config.RECORD_OPTIONS}
    recorders: list[Any] = []  # (``record=PATH``: one recorder, made at the first run, writes every run's events)
    lock = threading.Lock()

    def recorder() -> Any:
        with lock:
            if not recorders:
                made = new_recorder(record)
                made.open()
                recorders.append(made)
        return recorders[0]

    def start() -> Any:
        options = dict(others)
        predicates: tuple[Any, ...] = (_NOT_HUNTER, _LOCAL) if local else (_NOT_HUNTER,)
        if record:
            # Each run starts a tracer of its own: a recorder of its own would start the file over each time.
            predicates = with_recorder(predicates, options, recorder())
        # Tracing starts in the wrapper, so the wrapped function's frame is the first new one: depth 0.
        return trace(*predicates, **options)

    import inspect  # (at decoration: hunter's own import doesn't pull it into every traced program)

    if inspect.isasyncgenfunction(func):
        return _async_generator_wrapper(func, start)
    if inspect.iscoroutinefunction(func):
        return _coroutine_wrapper(func, start)
    if inspect.isgeneratorfunction(func):
        return _generator_wrapper(func, start)
    return _function_wrapper(func, start)


Start = Callable[[], Any]


def _step(start: Start, send: Callable[[Any], Any], value: Any) -> Any:
    """One run of a generator or coroutine (``send(value)``), traced."""
    tracer = start()
    try:
        return send(value)
    finally:
        tracer.stop()


@types.coroutine
def _drive(start: Start, awaitable: Any) -> Generator[Any, Any, Any]:
    """Step a generator, a coroutine or an async generator's asend/athrow awaitable by hand, tracing each step;
    what it yields (a coroutine's futures) goes up to the caller (the event loop)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            item = _step(start, awaitable.send, value) if error is None else _step(start, awaitable.throw, error)
        except StopIteration as stop:
            return stop.value
        try:
            value, error = (yield item), None
        except GeneratorExit:
            _step(start, lambda _value: awaitable.close(), None)  # finally blocks run: a resumption too
            raise
        except BaseException as exc:  # thrown in by the caller: forward it
            value, error = None, exc


def _async_generator_wrapper(func: Callable[..., Any], start: Start) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_generator_wrapper(*args: Any, **kwargs: Any) -> Any:
        agen = func(*args, **kwargs)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                awaitable = agen.asend(value) if error is None else agen.athrow(error)
                item = await _drive(start, awaitable)
            except StopAsyncIteration:
                return
            try:
                value, error = (yield item), None
            except GeneratorExit:
                await _drive(start, agen.aclose())
                raise
            except BaseException as exc:
                value, error = None, exc

    return async_generator_wrapper


def _coroutine_wrapper(func: Callable[..., Any], start: Start) -> Callable[..., Any]:
    @functools.wraps(func)
    async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
        return await _drive(start, func(*args, **kwargs))

    return coroutine_wrapper


def _generator_wrapper(func: Callable[..., Any], start: Start) -> Callable[..., Any]:
    @functools.wraps(func)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
        # (The generator is stepped as a coroutine is: what it yields goes to the caller, what is sent or thrown in
        # comes back to it, closing it runs its finally blocks traced.)
        return (yield from _drive(start, func(*args, **kwargs)))

    return generator_wrapper


def _function_wrapper(func: Callable[..., Any], start: Start) -> Callable[..., Any]:
    @functools.wraps(func)
    def function_wrapper(*args: Any, **kwargs: Any) -> Any:
        tracer = start()
        try:
            return func(*args, **kwargs)
        finally:
            tracer.stop()

    return function_wrapper
