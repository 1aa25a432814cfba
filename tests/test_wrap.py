"""hunter.wrap: functions, generators, coroutines and async generators traced only inside their own runs."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from helpers import REFERENCE, normalize
from programs import block, lines, load

import hunter
from hunter.actions import CodePrinter


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Where actions created without a stream (the default CallPrinter of wrap) write."""
    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)
    return stream


def printed(stream: io.StringIO) -> list[str]:
    return lines(normalize(stream.getvalue()))


PROGRAM = """
import asyncio
import hunter

def helper(x):
    return x + 1

def deeper(x):
    return helper(x)

@hunter.wrap
def plain(x):
    return helper(x) * 2

@hunter.wrap(module="wrapsample", kind_in=["call", "return"])
def with_options(x):
    return helper(x)

@hunter.wrap(local=True, module="wrapsample")
def local(x):
    return deeper(x)

@hunter.wrap(module="wrapsample")
def failing(x):
    raise KeyError(x)

@hunter.wrap(module="wrapsample")
def gen(n):
    for i in range(n):
        got = yield i
        if got:
            helper(got)
    return "finished"

@hunter.wrap(module="wrapsample")
async def coro(x):
    await asyncio.sleep(0)
    return helper(x)

@hunter.wrap(module="wrapsample")
async def agen(n):
    for i in range(n):
        got = yield i
        if got:
            helper(got)
"""


@pytest.fixture
def program() -> ModuleType:
    return load("wrapsample", PROGRAM)


def test_reference_sample(stream: io.StringIO) -> None:
    # The program the spec names: each resumption of the generator and the coroutine is traced until they finish.
    module = load("wrapped", (REFERENCE / "samples" / "wrapped.py").read_text())
    module.main()
    assert printed(stream) == block(
        """
                                      wrapped.py:10    call      => compute(n=1)
                                      wrapped.py:12    line         return helper(n) * 2
                                      wrapped.py:6     call         => helper(x=1)
                                      wrapped.py:7     return       <= helper: 2
                                      wrapped.py:12    return    <= compute: 4
                                      wrapped.py:15    call      => numbers(n=2)
                                      wrapped.py:17    line         for i in range(n):
                                      wrapped.py:18    line         yield helper(i)
                                      wrapped.py:6     call         => helper(x=0)
                                      wrapped.py:7     line            return x + 1
                                      wrapped.py:7     return       <= helper: 1
                                      wrapped.py:18    return    <= numbers: 1
                                      wrapped.py:18    call      => numbers(n=2)
                                      wrapped.py:17    line         for i in range(n):
                                      wrapped.py:18    line         yield helper(i)
                                      wrapped.py:6     call         => helper(x=1)
                                      wrapped.py:7     line            return x + 1
                                      wrapped.py:7     return       <= helper: 2
                                      wrapped.py:18    return    <= numbers: 2
                                      wrapped.py:18    call      => numbers(n=2)
                                      wrapped.py:17    line         for i in range(n):
                                      wrapped.py:17    return    <= numbers: None
                                      wrapped.py:21    call      => fetch(n=3)
                                      wrapped.py:23    line         await asyncio.sleep(0)
                                      wrapped.py:23    return    <= fetch: None
                                      wrapped.py:23    call      => fetch(n=3)
                                      wrapped.py:23    exception  ! fetch: (<class 'StopIteration'>, StopIteration(), None)
                                      wrapped.py:24    line         return helper(n)
                                      wrapped.py:6     call         => helper(x=3)
                                      wrapped.py:7     return       <= helper: 4
                                      wrapped.py:24    return    <= fetch: 4
        """
    )


def test_plain_function_without_arguments(program: ModuleType, stream: io.StringIO) -> None:
    assert program.plain(1) == 4
    # No filter: everything inside the call, and nothing of hunter's own (the tracer's stop()) after it.
    assert printed(stream) == block(
        """
                                   wrapsample.py:11    call      => plain(x=1)
                                   wrapsample.py:13    line         return helper(x) * 2
                                   wrapsample.py:5     call         => helper(x=1)
                                   wrapsample.py:6     line            return x + 1
                                   wrapsample.py:6     return       <= helper: 2
                                   wrapsample.py:13    return    <= plain: 4
        """
    )
    assert sys.gettrace() is None


def test_with_trace_options(program: ModuleType, stream: io.StringIO) -> None:
    assert program.with_options(1) == 2
    assert printed(stream) == block(
        """
                                   wrapsample.py:15    call      => with_options(x=1)
                                   wrapsample.py:5     call         => helper(x=1)
                                   wrapsample.py:6     return       <= helper: 2
                                   wrapsample.py:17    return    <= with_options: 2
        """
    )


def test_wrap_called_directly() -> None:
    events: list[str] = []

    def target(a: int, *, b: int) -> int:
        return a + b

    wrapped = hunter.wrap(target, kind="call", function="target", action=lambda event: events.append(event.function))
    assert wrapped(1, b=2) == 3
    assert events == ["target"]
    assert wrapped.__name__ == "target"
    assert wrapped.__wrapped__ is target  # type: ignore[attr-defined]


def test_local_traces_own_frame_and_one_level_below(program: ModuleType, stream: io.StringIO) -> None:
    assert program.local(1) == 2
    # deeper() is called by local(): its call and return show, not its lines nor the helper() it calls.
    assert printed(stream) == block(
        """
                                   wrapsample.py:19    call      => local(x=1)
                                   wrapsample.py:21    line         return deeper(x)
                                   wrapsample.py:8     call         => deeper(x=1)
                                   wrapsample.py:9     return       <= deeper: 2
                                   wrapsample.py:21    return    <= local: 2
        """
    )


def test_exceptions_propagate_unchanged(program: ModuleType, stream: io.StringIO) -> None:
    with pytest.raises(KeyError) as info:
        program.failing("k")
    assert info.value.args == ("k",)
    # The traceback still reaches the raising line in the wrapped function.
    assert info.traceback[-1].name == "failing"
    assert sys.gettrace() is None
    assert printed(stream) == block(
        """
                                   wrapsample.py:23    call      => failing(x='k')
                                   wrapsample.py:25    line         raise KeyError(x)
                                   wrapsample.py:25    exception  ! failing: (<class 'KeyError'>, KeyError('k'), <traceback object at 0x?>)
                                   wrapsample.py:25    return    <= failing: None
        """
    )


# -- generators --------------------------------------------------------------------------------------------------


def test_generator_is_traced_at_every_resumption(program: ModuleType, stream: io.StringIO) -> None:
    generator = program.gen(2)
    assert next(generator) == 0
    assert sys.gettrace() is None  # not traced between resumptions...
    program.helper(100)  # ...so this call doesn't show
    assert generator.send(5) == 1
    with pytest.raises(StopIteration) as info:
        next(generator)
    assert info.value.value == "finished"
    assert printed(stream) == block(
        """
                                   wrapsample.py:27    call      => gen(n=2)
                                   wrapsample.py:29    line         for i in range(n):
                                   wrapsample.py:30    line         got = yield i
                                   wrapsample.py:30    return    <= gen: 0
                                   wrapsample.py:30    call      => gen(n=2)
                                   wrapsample.py:31    line         if got:
                                   wrapsample.py:32    line         helper(got)
                                   wrapsample.py:5     call         => helper(x=5)
                                   wrapsample.py:6     line            return x + 1
                                   wrapsample.py:6     return       <= helper: 6
                                   wrapsample.py:29    line         for i in range(n):
                                   wrapsample.py:30    line         got = yield i
                                   wrapsample.py:30    return    <= gen: 1
                                   wrapsample.py:30    call      => gen(n=2)
                                   wrapsample.py:31    line         if got:
                                   wrapsample.py:29    line         for i in range(n):
                                   wrapsample.py:33    line         return "finished"
                                   wrapsample.py:33    return    <= gen: 'finished'
        """
    )


GENERATOR = """
def gen(log):
    try:
        while True:
            try:
                got = yield len(log)
                log.append(("got", got))
            except ValueError as exc:
                log.append(("caught", exc.args))
                yield "recovered"
    finally:
        log.append(("finally",))
    return "never"
"""


def drive_generator(factory: Any) -> list[Any]:
    """Run one script of next/send/throw/close on a generator; the results and what it logged."""
    log: list[Any] = []
    generator = factory(log)
    results: list[Any] = [next(generator), generator.send("a"), generator.send("b")]
    results.append(generator.throw(ValueError("v")))
    results.append(next(generator))
    with pytest.raises(KeyError):
        generator.throw(KeyError("uncaught"))
    with pytest.raises(StopIteration):
        next(generator)
    second = factory(log)
    results.append(next(second))
    second.close()
    results.append(second.close())  # closing twice is fine
    return [results, log]


def test_generator_semantics_are_preserved(stream: io.StringIO) -> None:
    module = load("gensemantics", GENERATOR)
    wrapped = hunter.wrap(module.gen, module="gensemantics")
    assert drive_generator(wrapped) == drive_generator(module.gen)
    # ...and the close() ran the finally block traced, like any resumption.
    assert 'log.append(("finally",))' in stream.getvalue()


def test_yield_from_a_wrapped_generator_gets_its_return_value(program: ModuleType, stream: io.StringIO) -> None:
    def outer() -> Iterator[int]:
        result = yield from program.gen(1)
        yield result

    assert list(outer()) == [0, "finished"]


# -- coroutines and async generators -----------------------------------------------------------------------------


def test_coroutine(program: ModuleType, stream: io.StringIO) -> None:
    assert asyncio.run(program.coro(1)) == 2
    output = printed(stream)
    # Two runs: up to the await, then from it (resumed with StopIteration from the inner sleep) to the return.
    assert [line for line in output if " => coro" in line or "<= coro" in line] == [
        "                           wrapsample.py:35    call      => coro(x=1)",
        "                           wrapsample.py:37    return    <= coro: None",
        "                           wrapsample.py:37    call      => coro(x=1)",
        "                           wrapsample.py:38    return    <= coro: 2",
    ]
    assert "                           wrapsample.py:5     call         => helper(x=1)" in output
    assert sys.gettrace() is None


def test_coroutine_exception_and_cancellation(stream: io.StringIO) -> None:
    module = load(
        "corosample",
        """
        import asyncio
        import hunter

        @hunter.wrap(module="corosample")
        async def failing():
            await asyncio.sleep(0)
            raise KeyError("late")

        @hunter.wrap(module="corosample")
        async def waiting(log):
            try:
                await asyncio.sleep(3600)
            finally:
                log.append("cleaned up")
        """,
    )
    with pytest.raises(KeyError, match="late"):
        asyncio.run(module.failing())
    log: list[str] = []

    async def cancel() -> None:
        task = asyncio.ensure_future(module.waiting(log))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel())
    assert log == ["cleaned up"]
    text = stream.getvalue()
    assert "! failing: (<class 'KeyError'>, KeyError('late')" in text
    assert "! waiting: (<class 'asyncio.exceptions.CancelledError'>" in text
    assert 'log.append("cleaned up")' in text


def test_async_generator(program: ModuleType, stream: io.StringIO) -> None:
    async def consume() -> list[Any]:
        results: list[Any] = []
        agen = program.agen(3)
        results.append(await agen.__anext__())
        results.append(await agen.asend(7))
        results.append([item async for item in agen])
        return results

    assert asyncio.run(consume()) == [0, 1, [2]]
    output = printed(stream)
    calls = [line for line in output if "=> agen" in line]
    assert len(calls) == 4  # one per resumption, the last one finishing it
    assert "                           wrapsample.py:5     call         => helper(x=7)" in output
    assert output[-1] == "                           wrapsample.py:42    return    <= agen: None"
    assert sys.gettrace() is None


def test_async_generator_athrow_and_aclose(stream: io.StringIO) -> None:
    module = load(
        "agensample",
        """
        import hunter

        @hunter.wrap(module="agensample")
        async def agen(log):
            try:
                while True:
                    try:
                        yield "item"
                    except ValueError:
                        log.append("caught")
            finally:
                log.append("closed")
        """,
    )
    log: list[str] = []

    async def use() -> list[Any]:
        agen = module.agen(log)
        first = await agen.__anext__()
        second = await agen.athrow(ValueError("x"))
        await agen.aclose()
        return [first, second]

    assert asyncio.run(use()) == ["item", "item"]
    assert log == ["caught", "closed"]
    assert 'log.append("closed")' in stream.getvalue()


def test_nothing_is_traced_outside_the_wrapped_calls(program: ModuleType) -> None:
    stream = io.StringIO()
    wrapped = hunter.wrap(program.helper, action=CodePrinter(stream=stream))
    program.deeper(1)
    assert wrapped(1) == 2
    program.deeper(2)
    assert lines(stream.getvalue()) == block(
        """
                                   wrapsample.py:5     call      def helper(x):
                                   wrapsample.py:6     line          return x + 1
                                   wrapsample.py:6     return        return x + 1
                                                       ...       return value: 2
        """
    )
