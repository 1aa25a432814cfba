"""asyncio awareness (``asyncio=True``): the task column, a coroutine's steps shown as one call going on, and no
StopIteration noise from awaits. The same output on every Python and both backends."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers import describe, normalize
from programs import block, lines, load
from test_cli import hunter as hunter_cli

import hunter
from hunter import CallPrinter, ChromeTrace, CodePrinter

PROGRAM = """
import asyncio


async def fetch(n):
    await asyncio.sleep(0)
    return n * 10


async def main():
    first = asyncio.ensure_future(fetch(1))
    first.set_name("first")
    total = await first
    total += await fetch(2)
    return total


async def countdown(n):
    while n:
        yield n
        await asyncio.sleep(0)
        n -= 1


async def consume():
    seen = []
    async for n in countdown(2):
        seen.append(n)
    return seen


async def sleeper():
    await asyncio.sleep(10)


async def cancelling():
    task = asyncio.ensure_future(sleeper())
    task.set_name("sleeper")
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled"


def numbers():
    yield 1
    yield 2
"""


@pytest.fixture
def program() -> ModuleType:
    return load("async_program", PROGRAM)


def steps(output: str) -> list[str]:
    """The kind and text columns of each line (what comes after ``file:line``)."""
    return [re.sub(r"^.*?\.py:\d+ +", "", line) for line in lines(output)]


def asyncio_printer(stream: io.StringIO) -> CallPrinter:
    """A CallPrinter with asyncio awareness, writing to ``stream``."""
    return CallPrinter(stream=stream, asyncio=True)


def run(coroutine: Any, action: Callable[[io.StringIO], Any], **query: Any) -> str:
    """Run a coroutine in a task named "main", traced with ``action`` writing to a buffer; the output."""
    stream = io.StringIO()
    loop = asyncio.new_event_loop()
    try:
        with hunter.trace(module="async_program", action=action(stream), **query):
            loop.run_until_complete(loop.create_task(coroutine, name="main"))
    finally:
        loop.close()
    return normalize(stream.getvalue())


def test_call_printer_shows_tasks_and_coroutine_steps(program: ModuleType) -> None:
    output = run(program.main(), lambda stream: CallPrinter(stream=stream, asyncio=True))
    assert lines(output) == block(
        """
        main                                async_program.py:10    call      => main()
        main                                async_program.py:11    line         first = asyncio.ensure_future(fetch(1))
        main                                async_program.py:12    line         first.set_name("first")
        main                                async_program.py:13    line         total = await first
        main                                async_program.py:13    return    <~ main: <_asyncio.Task object at 0x?>
        first                               async_program.py:5     call      => fetch(n=1)
        first                               async_program.py:6     line         await asyncio.sleep(0)
        first                               async_program.py:6     return    <~ fetch: None
        first                               async_program.py:6     call      ~> fetch
        first                               async_program.py:7     line         return n * 10
        first                               async_program.py:7     return    <= fetch: 10
        main                                async_program.py:13    call      ~> main
        main                                async_program.py:14    line         total += await fetch(2)
        main                                async_program.py:5     call         => fetch(n=2)
        main                                async_program.py:6     line            await asyncio.sleep(0)
        main                                async_program.py:6     return       <~ fetch: None
        main                                async_program.py:14    return    <~ main: None
        main                                async_program.py:14    call      ~> main
        main                                async_program.py:6     call         ~> fetch
        main                                async_program.py:7     line            return n * 10
        main                                async_program.py:7     return       <= fetch: 20
        main                                async_program.py:15    line         return total
        main                                async_program.py:15    return    <= main: 30
        """
    )


def test_without_the_option_each_step_is_a_call_and_awaits_raise(program: ModuleType) -> None:
    output = run(program.main(), lambda stream: CallPrinter(stream=stream), kind_in=["call", "exception"])
    assert [step.rsplit(", ", 1)[0] if "!" in step else step.split("(")[0] for step in steps(output)][:4] == [
        "call      => main",
        # fetch(1) runs in its own task, from the event loop, while main waits: not inside main, and its next
        # step is the same frame going on, not a call inside itself (hunter 3.9 indents both further).
        "call      => fetch",
        "call      => fetch",
        "exception  ! fetch: (<class 'StopIteration'>, StopIteration()",
    ]


def test_async_generator_and_async_for(program: ModuleType) -> None:
    output = run(program.consume(), asyncio_printer, kind_in=["call", "return", "exception"])
    wrapped = "<async_generator_wrapped_value object at 0x?>"  # what an async generator's yield hands back
    assert steps(output) == [
        "call      => consume()",
        "call         => countdown(n=2)",
        f"return       <~ countdown: {wrapped}",
        "call         ~> countdown",
        "return       <~ countdown: None",
        "return    <~ consume: None",
        "call      ~> consume",
        "call         ~> countdown",
        f"return       <~ countdown: {wrapped}",
        "call         ~> countdown",
        "return       <~ countdown: None",
        "return    <~ consume: None",
        "call      ~> consume",
        "call         ~> countdown",
        "return       <= countdown: None",
        "return    <= consume: [2, 1]",
    ]  # and no StopAsyncIteration where the async for ends


def test_cancelled_task_is_resumed_to_fail(program: ModuleType) -> None:
    # (Line events left out: 3.13 reports the await's line again as the exception leaves it.)
    output = run(program.cancelling(), asyncio_printer, function="sleeper", kind_in=["call", "return", "exception"])
    assert steps(output) == [
        "call      => sleeper()",
        "return    <~ sleeper: <_asyncio.Future object at 0x?>",
        "call      ~> sleeper",
        "exception  ! sleeper: (<class 'asyncio.exceptions.CancelledError'>, CancelledError(), "
        "<traceback object at 0x?>)",
        "return    <= sleeper: None",
    ]
    assert all(line.startswith("sleeper ") for line in lines(output))


def test_generators_outside_tasks(program: ModuleType) -> None:
    stream = io.StringIO()
    with hunter.trace(
        module="async_program",
        function="numbers",
        kind_in=["call", "return"],
        action=CallPrinter(stream=stream, asyncio=True),
    ):
        assert list(program.numbers()) == [1, 2]
    # No task runs: the task column is there, blank.
    assert lines(stream.getvalue()) == block(
        """
                                            async_program.py:47    call      => numbers()
                                            async_program.py:48    return    <~ numbers: 1
                                            async_program.py:48    call      ~> numbers
                                            async_program.py:49    return    <~ numbers: 2
                                            async_program.py:49    call      ~> numbers
                                            async_program.py:49    return    <= numbers: None
        """
    )


def test_code_printer_task_column(program: ModuleType) -> None:
    output = run(program.main(), lambda stream: CodePrinter(stream=stream, asyncio=True), function="fetch", kind="call")
    assert [line.split()[0] for line in lines(output)] == ["first", "first", "main", "main"]


def test_option_is_off_by_default_and_part_of_the_printer_s_identity() -> None:
    assert not CallPrinter().asyncio
    assert CallPrinter(asyncio=True) != CallPrinter()
    assert str(CallPrinter(asyncio=True, elapsed=True)).endswith(", elapsed=True, asyncio=True)")


def test_command_line_flag(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(
        "import asyncio\n\nasync def work():\n    await asyncio.sleep(0)\n    return 1\n\n"
        "asyncio.run(work(), debug=False)\n"
    )
    result = hunter_cli("--asyncio", "--function", "work", "--kind", "call,return", "prog.py", cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert steps(result.stderr) == [
        "call      => work()",
        "return    <~ work: None",
        "call      ~> work",
        "return    <= work: 1",
    ]
    assert all(line.startswith("Task-1 ") for line in result.stderr.splitlines())
    result = hunter_cli("--asyncio", "--format", "chrome", "-o", tmp_path / "t.json", "prog.py", cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    from hunter.exporters import read_events

    names = [event["args"]["name"] for event in read_events(str(tmp_path / "t.json")) if event["name"] == "thread_name"]
    assert "Task-1 (MainThread)" in names, names
    for args in (["--action", "snoop"], ["--format", "jsonl"], ["-q", "action=CallPrinter"]):
        result = hunter_cli("--asyncio", *args, "prog.py", cwd=tmp_path)
        assert result.returncode == 2 and "--asyncio" in result.stderr, describe(result)


def test_timeline_has_a_track_per_task(program: ModuleType, tmp_path: Path) -> None:
    from hunter.exporters import read_events

    path = tmp_path / "out.json"
    loop = asyncio.new_event_loop()
    try:
        with ChromeTrace(str(path), asyncio=True) as out, hunter.trace(module="async_program", action=out):
            loop.run_until_complete(loop.create_task(program.main(), name="main"))
    finally:
        loop.close()
    events = read_events(str(path))
    names = {event["tid"]: event["args"]["name"] for event in events if event.get("name") == "thread_name"}
    from test_exporters import check_timeline

    def flat(nodes: list[Any]) -> list[str]:
        return [text for node in nodes for text in (f"B {node.name}", *flat(node.children), f"E {node.name}")]

    # (Calls in time order, as viewers show them: a call is written when it ends.)
    tracks = {names[tid]: flat(nodes) for (_pid, tid), nodes in check_timeline(events).items()}
    # Each task's steps on its own track: a slice for each step (a coroutine's every resumption is a slice).
    assert tracks == {
        "first (MainThread)": ["B fetch", "E fetch", "B fetch", "E fetch"],
        "main (MainThread)": [
            "B main",
            "E main",
            "B main",
            "B fetch",
            "E fetch",
            "E main",
            "B main",
            "B fetch",
            "E fetch",
            "E main",
        ],
    }
    assert not [event for event in events if event["ph"] == "i"]  # the awaits' StopIteration is not an exception
    assert all(1 << 31 < tid < 1 << 32 for tid in names if names[tid] != "MainThread")  # Perfetto reads 32 bits


def test_timeline_lets_go_of_finished_tasks(tmp_path: Path) -> None:
    from hunter.exporters import read_events

    program = load(
        "many_tasks",
        "async def tiny(n):\n    return n\n\n\nasync def many(count):\n"
        "    for n in range(count):\n        await asyncio.ensure_future(tiny(n))\n\nimport asyncio\n",
    )
    path = tmp_path / "out.json"
    loop = asyncio.new_event_loop()
    try:
        with (
            ChromeTrace(str(path), asyncio=True) as out,
            hunter.trace(module="many_tasks", function="tiny", action=out),
        ):
            loop.run_until_complete(program.many(1500))
            kept = len(out._task_states)  # internal, but the point of the test: memory stays bounded
    finally:
        loop.close()
    assert kept < 1024  # the tracks of tasks that are gone were written out and forgotten
    events = read_events(str(path))
    begins = [event for event in events if event["ph"] == "B"]
    ends = [event for event in events if event["ph"] == "E"]
    assert len(begins) == len(ends) == 1500
    assert len({event["tid"] for event in begins}) == 1500  # a track each, ids never reused
