"""The compiled hot paths (hunter._speedups): built, and writing exactly what the Python code writes."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import gc
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import child_env

import hunter
import hunter._engine._recording
import hunter.record
from hunter import Q
from hunter._engine import _speedups
from hunter._engine._recording import RETURN
from hunter.record import writer

MONITORING = sys.version_info >= (3, 12)


def test_the_compiled_hot_paths_are_built() -> None:
    """``pip install -e .`` compiles them (a C compiler is all it takes); the raw callbacks need sys.monitoring."""
    assert _speedups.compiled is not None, "hunter._speedups was not built: is a C compiler installed?"
    assert _speedups.compiled.RAW_CALLBACKS == MONITORING


def test_the_environment_can_leave_them_out() -> None:
    code = "import hunter._engine._speedups as s; print(s.compiled is None)"
    for value, expected in (("1", "True"), (None, "False")):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=child_env({"HUNTER_PURE_PYTHON": value}),
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected


# -- a program of every shape the raw path meets -------------------------------------------------------------


def leaf(value: Any) -> Any:
    return value


def closure_maker(value: int) -> Any:
    def inner() -> int:
        return value

    return inner


def counting(limit: int) -> Iterator[int]:
    yield from range(limit)


def forgets_its_argument(limit: int) -> Iterator[int]:
    yield limit
    del limit  # (resumed after this: the argument is unbound, and shown so)
    yield 0


def raises(value: int) -> None:
    raise ValueError(value)


def catches() -> str:
    try:
        raises(1)
    except ValueError:
        return "caught"
    return "missed"


def recursive(depth: int) -> int:
    return depth if depth == 0 else recursive(depth - 1)


def two_ways(early: bool) -> str:
    if early:
        return "early"  # (a return of its own line: lines are kept per return instruction)
    return "late"


class Thing:
    def method(self, first: int, *rest: int, keyword: int = 1, **others: int) -> int:
        return first + sum(rest) + keyword + sum(others.values())


def program() -> list[Any]:
    results: list[Any] = [leaf("text"), leaf([1, {"a": 2.5}]), closure_maker(2)(), list(counting(3))]
    results += [list(forgets_its_argument(5)), catches(), recursive(4), Thing().method(1, 2, keyword=3, extra=4)]
    results.append(sorted([3, 1, 2], key=leaf))  # (called from C: the caller frame is still this one)
    results += [two_ways(True), two_ways(False), two_ways(True)]
    worker = threading.Thread(target=leaf, args=("in a thread",), name="worker")
    worker.start()
    worker.join()
    return results


def recorded_events(
    path: Path, raw: bool, predicate: Any = None, run: Any = None, **options: Any
) -> dict[str, list[Any]]:
    """Record program() (or ``run``) on one path; its events per thread (times and addresses left out: each thread's
    records are written in their order, the threads' in the order they were written out)."""
    hunter._engine._recording.enabled = raw
    try:
        predicate = Q(module=__name__, function_in=FUNCTIONS) if predicate is None else predicate
        with hunter.trace(predicate, record=str(path), **options) as tracer:
            (run or program)()
            assert (tracer._context is not None and tracer._context.recording is not None) is raw
    finally:
        hunter._engine._recording.enabled = True
    threads: dict[str, list[Any]] = {}
    for event in hunter.record.read(path):
        fields = [event.kind, event.function, event.lineno, event.depth, event.instruction, event.arg, event.locals]
        threads.setdefault(event.threadname, []).append(fields)
    return json.loads(re.sub(r"0x[0-9a-f]+", "0x?", json.dumps(threads)))


FUNCTIONS = (
    "leaf",
    "closure_maker",
    "inner",
    "counting",
    "forgets_its_argument",
    "raises",
    "catches",
    "recursive",
    "two_ways",
    "method",
    "program",
)


@pytest.mark.parametrize("values", [True, False], ids=["values", "no-values"])
def test_compiled_and_python_raw_paths_write_what_events_write(tmp_path: Path, values: bool) -> None:
    before = _speedups.compiled
    try:
        _speedups.use(False)
        by_events = recorded_events(tmp_path / "events.hunt", False, record_values=values)
        by_python = recorded_events(tmp_path / "python.hunt", True, record_values=values)
        _speedups.use(True)
        by_compiled = recorded_events(tmp_path / "compiled.hunt", True, record_values=values)
    finally:
        _speedups.compiled = before
    assert by_python == by_events
    assert by_compiled == by_events
    assert [event[:2] for event in by_compiled["worker"]] == [["call", "leaf"], ["return", "leaf"]]
    main = by_compiled["MainThread"]
    assert len(main) > 40
    resumed = [event[6] for event in main if event[:2] == ["call", "forgets_its_argument"]]
    unbound = "<hunter.util.MISSING object at 0x?>"
    assert resumed == ([{"limit": "5"}, {"limit": "5"}, {"limit": unbound}] if values else [{}, {}, {}])


def uses_json() -> Any:
    return json.loads(json.dumps({"a": [1, {"b": 2}]}), object_hook=leaf)


def stdlib_program() -> list[Any]:
    """Standard library code called by the program's, and (a new thread's entry: json.dumps) by hunter's own."""
    results = [uses_json() for _ in range(3)]
    worker = threading.Thread(target=uses_json, name="worker")
    worker.start()
    worker.join()
    return results


@pytest.fixture
def python_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many raw calls took the Python step (``[count]``, which a test may reset)."""
    in_python = [0]
    arguments = writer.Recorder.arguments

    def counted(self: writer.Recorder, site: Any, frame: Any) -> str:
        in_python[0] += 1
        return arguments(self, site, frame)

    monkeypatch.setattr(writer.Recorder, "arguments", counted)
    return in_python


def test_standard_library_calls_are_recorded_alike_and_hunters_own_stay_silent(
    tmp_path: Path, backend: str, python_steps: list[int]
) -> None:
    """The compiled callbacks take standard library calls whose caller was recorded; one that hunter's own code
    made stays out of the recording on every path."""
    json_modules = (__name__, "json", "json.encoder", "json.decoder")
    in_python = python_steps
    recorded = []
    before = _speedups.compiled
    try:
        for compiled, raw in ((False, False), (False, True), (True, True)):
            _speedups.use(compiled)
            in_python[0] = 0
            path = tmp_path / f"{compiled}-{raw}.hunt"
            recorded.append(recorded_events(path, raw, Q(module_in=json_modules), stdlib_program))
    finally:
        _speedups.compiled = before
    assert recorded[1] == recorded[0]
    assert recorded[2] == recorded[0]
    if backend == "monitoring" and MONITORING:
        # (each code's first call writes its entry; a thread's first call starts its chain: the rest is compiled)
        assert in_python[0] <= 12, f"{in_python[0]} calls took the Python step"
    calls = [event[1] for thread in recorded[0].values() for event in thread if event[0] == "call"]
    assert calls.count("dumps") == 4 and calls.count("loads") == 4  # (the thread entries' dumps are hunter's)
    assert calls.count("encode") == 4 and calls.count("decode") == 4


def replace(match: Any) -> str:
    return str(leaf(match.group().upper()))


def substitutes() -> str:
    # (re.sub's own frame, which the recording leaves out, is each call's caller: a callback from the stdlib)
    return re.sub("[a-z]", replace, "a1b2c3d4e5f6g7h8i9j0")


def callers_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith('["k"')]


def test_calls_from_code_the_recording_leaves_out_are_recorded_alike(
    tmp_path: Path, backend: str, python_steps: list[int]
) -> None:
    """A recorded function that unrecorded code calls (re.sub calling its replacement function) gets a callers
    record up to the innermost recorded call: the compiled callbacks write it once the callers' entries are made,
    as the Python steps write it."""
    in_python = python_steps
    recorded, callers, steps = [], [], []
    before = _speedups.compiled
    try:
        for compiled in (False, True):
            _speedups.use(compiled)
            in_python[0] = 0
            path = tmp_path / f"{compiled}.hunt"
            predicate = Q(module=__name__, function_in=("replace", "leaf", "substitutes"))
            recorded.append(recorded_events(path, True, predicate, substitutes))
            callers.append(callers_lines(path))
            steps.append(in_python[0])
    finally:
        _speedups.compiled = before
    assert recorded[1] == recorded[0]
    assert callers[1] == callers[0]
    # (the thread's first call's, up to its first frame; then one per call of replace, up to substitutes's call)
    assert len(callers[0]) == 11 and all(line.startswith('["k",0,1,0,[[') for line in callers[0][1:])
    assert steps[0] == 21
    if backend == "monitoring" and MONITORING:
        # (substitutes's call, and replace's and leaf's first: their entries and re.sub's pair are made then)
        assert steps[1] <= 3, f"{steps[1]} calls took the Python step"


def spied_recording(path: Path, values: bool) -> tuple[int, int]:
    """Record program() with a recorder whose Python steps count their calls: (calls recorded, Python steps)."""
    recorder = writer.Recorder(path, values=values)
    seen = [0]
    arguments, returned = recorder.arguments, recorder.returned

    def counted_arguments(site: Any, frame: Any) -> str:
        seen[0] += 1
        return arguments(site, frame)

    def counted_returned(frame: Any, value: Any) -> str:
        seen[0] += 1
        return returned(frame, value)

    recorder.arguments = counted_arguments  # type: ignore[method-assign]
    recorder.returned = counted_returned  # type: ignore[method-assign]
    try:
        # (what record=PATH makes: the recorder is the only action, line events are left out)
        kinds = ("call", "return", "exception")
        with hunter.trace(Q(module=__name__, function_in=FUNCTIONS, kind_in=kinds), action=recorder) as tracer:
            for _ in range(3):
                program()
            assert tracer._context is not None and tracer._context.recording is not None
    finally:
        recorder.close()
    events = list(hunter.record.read(path))
    return sum(1 for event in events if event.kind in ("call", "return")), seen[0]


@pytest.mark.skipif(not MONITORING, reason="the compiled raw callbacks are sys.monitoring callbacks (3.12+)")
@pytest.mark.parametrize("values", [True, False], ids=["values", "no-values"])
def test_the_compiled_callbacks_take_the_calls_whose_caller_was_recorded(
    tmp_path: Path, backend: str, values: bool
) -> None:
    """On the monitoring backend the compiled callbacks record every call and return but a code's first (its entry
    is written first) and where a chain of recorded calls starts (a thread's first call, the first after an
    exception left a frame); the Python steps record all of them otherwise."""
    if backend != "monitoring":
        pytest.skip("the settrace backend's raw path is Python (only the lines are rendered compiled)")
    before = _speedups.compiled
    try:
        _speedups.use(True)
        total, in_python = spied_recording(tmp_path / "compiled.hunt", values)
        _speedups.use(False)
        python_total, all_in_python = spied_recording(tmp_path / "python.hunt", values)
    finally:
        _speedups.compiled = before
    assert total == python_total > 120
    assert all_in_python == total
    assert in_python <= len(FUNCTIONS) + 8, f"{in_python} of {total} calls and returns took the Python steps"


@pytest.mark.skipif(not MONITORING, reason="the compiled raw callbacks are sys.monitoring callbacks (3.12+)")
def test_a_recordings_compiled_callbacks_are_made_from_one_reading_of_its_settings(tmp_path: Path) -> None:
    """The return, raise and stop-iteration callbacks are the call callback's ``for_event``: each for its own event,
    over its own Python callback (what its repr shows), and asking for an event that doesn't exist is refused."""
    from hunter.backends.monitoring import _backend

    if _speedups.compiled is None or not _speedups.compiled.RAW_CALLBACKS:
        pytest.skip("no compiled raw callbacks on this Python")
    events = sys.monitoring.events
    tracer = hunter.trace(module="no_such_module", record=str(tmp_path / "made.hunt"), backend="monitoring")
    try:
        backend = tracer._backend
        assert isinstance(backend, _backend.MonitoringBackend)
        callbacks = dict(backend._callbacks)
    finally:
        tracer.stop()
    kinds = {
        event: re.fullmatch(r"<compiled raw (\w+(?: \w+)?) callback over <function (\S+) .*>", repr(callbacks[event]))
        for event in (events.PY_START, events.PY_RETURN, events.RAISE, events.STOP_ITERATION)
    }
    assert {event: found.groups() if found else None for event, found in kinds.items()} == {
        events.PY_START: ("call", "_starts.<locals>.on_start"),
        events.PY_RETURN: ("return", "_returns.<locals>.on_return"),
        events.RAISE: ("raise", "_exceptions.<locals>.on_raise"),
        events.STOP_ITERATION: ("stop iteration", "_exceptions.<locals>.on_stop_iteration"),
    }
    first = callbacks[events.PY_START]
    with pytest.raises(ValueError, match="event is CALL, RETURN, RAISE or STOP"):
        first.for_event(7, print)
    with pytest.raises(TypeError, match=r"for_event\(event, fallback\)"):
        first.for_event(_speedups.compiled.RETURN, "not callable")


def leaves(count: int) -> None:
    for index in range(count):
        leaf(index)


@pytest.mark.skipif(not MONITORING, reason="the compiled raw callbacks are sys.monitoring callbacks (3.12+)")
def test_records_waiting_in_memory_give_the_garbage_collector_nothing_to_count(tmp_path: Path, backend: str) -> None:
    """A batch of records waits in memory until it is written; the compiled callbacks keep each as its line, a str,
    where a tuple is a container the collector counts: a few hundred calls made it collect before."""
    if backend != "monitoring":
        pytest.skip("the settrace backend's raw path is Python")
    assert _speedups.compiled is not None
    recorder = writer.Recorder(tmp_path / "gc.hunt")
    gc.disable()
    try:
        with hunter.trace(
            Q(module=__name__, function_in=("leaves", "leaf"), kind_in=("call", "return")), action=recorder
        ):
            leaves(1)  # (the first calls take the Python steps: their codes' entries are written first)
            count = gc.get_count()[0]
            leaves(500)
            grown = gc.get_count()[0] - count
    finally:
        gc.enable()
        recorder.close()
    events = [(event.kind, event.function) for event in hunter.record.read(tmp_path / "gc.hunt")]
    assert len(events) == 2 * (2 + 501)
    assert grown < 20, f"{grown} containers more after 1,000 records"


def test_compiled_and_python_rendering_make_the_same_lines() -> None:
    thread_marker = writer._THREAD
    records = [
        (None, 0, '["c",2,"a.py"]\n'),
        ("site", 1500, "0,2,10,[1]"),
        (RETURN, 1700, '0,2,11,1,"x\\u00e9"'),
        (thread_marker, 7, '["t",7,null,"renamed",1]\n'),
        ("site", 2000, "1,2,10,[2]"),
        (RETURN, 999_999_999_999, "1,2,11,0,null"),
        "[0,999999999999,7,1,2,10,[3],12]\n",  # (the compiled callbacks' records are whole lines already)
    ]
    assert _speedups.compiled is not None
    made: list[tuple[list[str], list[str], int]] = []
    for compiled in (_speedups.compiled, None):
        recorder = writer.Recorder(Path.cwd() / "unused.hunt")
        recorder._t0 = 1000
        lines: list[str] = []
        entries: list[str] = []
        _speedups.compiled = compiled
        try:
            ref = recorder._render(list(records), 3, lines.append, entries.append)
        finally:
            _speedups.use(True)
        made.append((lines, entries, ref))
    assert made[0] == made[1]
    assert made[0][2] == 7
    assert made[0][0][0] == "[0,500,3,0,2,10,[1]]\n"
    assert made[0][0][-2:] == ["[2,999999998999,7,1,2,11,0,null]\n", records[-1]]


# -- value texts ------------------------------------------------------------------------------------------------

PLAIN_VALUES = [
    "",
    "plain words",
    "it's",
    'say "hi"',
    "both ' and \"",
    "back\\slash",
    "tab\tnew\nline\rcr",
    "\x00\x08\x0c\x1f\x7f",
    "café",
    "ünïcödé \u2028 \u00a0",
    "party 🎉",
    "\ud800 lone",
    "x" * 2000,
    "é" * 2000 + "🎉",
    'a"b\\' * 500,
    0,
    -1,
    7,
    10,
    -10,
    99,
    100,
    -100,
    12345,
    2**31,
    10**15 - 1,
    10**15,
    -(10**15) + 1,
    -(10**15),
    2**63,
    -(2**63),
    10**40,
    True,
    False,
    None,
    0.0,
    -0.0,
    1.5,
    1e300,
    -1e-300,
    float("inf"),
    float("nan"),
    1 / 3,
    b"",
    b"abc",
    b"\x00\xff'\"\n",
    bytes(range(256)),
    [],
    (),
    {},
    (1,),
    ("é",),
    [1, "a", None, 2.5, b"x", True],
    {"id": 5, "text": "hello 'world'"},
    {1: "é", None: b"\n", 2.5: 10**20},
    ("x" * 3000, 1),
    list(range(500)),
    # (an exception event's arg: the class, the exception, its traceback)
    (StopIteration, StopIteration(), None),
    (StopIteration, StopIteration([1, "a"]), None),
    (ValueError, ValueError(1, "two", (3,), {"four": 4.0}), None),
    (KeyError, KeyError("key"), None),
    (UnicodeDecodeError, UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), None),
]


class _Text(str):
    pass


class _Failure(Exception):
    pass


def _caught() -> tuple[Any, ...]:
    try:
        raise ValueError("with a traceback")
    except ValueError as exc:
        return (ValueError, exc, exc.__traceback__)


PLAIN_VALUES.append(_caught())

OTHER_VALUES = [
    [[1]],
    {"a": [1]},
    object(),
    _Text("sub"),
    [_Text("sub")],
    {_Text("k"): 1},
    (object(),),
    writer.MISSING,
    (_Failure, _Failure(1), None),  # (a class of the program's: its args may be anything)
    (ValueError, ValueError(object()), None),
    (ValueError, ValueError([[1]]), None),
    (OSError, FileNotFoundError(2, "gone"), None),  # (not exactly the class the tuple names)
    (ValueError, ValueError(1), "not a traceback"),
    (KeyError, KeyError("é"), None),  # (text beyond ASCII in an exception's args: the Python text makes it)
]


@pytest.mark.parametrize("limit", [8, 9, 15, 16, 100, 1024])
def test_compiled_value_texts_are_the_python_ones(limit: int) -> None:
    """The C texts of plain values (exact builtin scalars, flat containers of them) are the Python function's, cut
    and escaped alike; other values are left to the Python function."""
    assert _speedups.compiled is not None
    compiled_text = _speedups.compiled.json_text
    python_text = writer._python_json_text_at(limit, {})
    for value in PLAIN_VALUES:
        assert compiled_text(value, limit) == python_text(value), value
        assert json.loads(python_text(value))  # (a JSON string: what the file's readers decode)
    for value in OTHER_VALUES:
        assert compiled_text(value, limit) is None, value


@pytest.mark.parametrize("character", ["'", '"', "\\", "\n", "\x1f", "\x7f", "\x80", "é"])
def test_compiled_texts_find_a_character_to_escape_wherever_it_stands(character: str) -> None:
    """The C scan looks at many characters per step: a character to escape is found at every place of a text, at
    the start or end of a step or within one, alone or with another after it, in a str and in a dict's repr."""
    assert _speedups.compiled is not None
    compiled_text = _speedups.compiled.json_text
    python_text = writer._python_json_text_at(1024, {})
    for place in range(48):
        for text in ("y" * place + character + "z" * (47 - place), "y" * place + character * 2 + "z" * 30):
            for value in (text, {"text": text}, [text, text]):
                assert compiled_text(value, 1024) == python_text(value), (place, value)


class _Shown:
    """A class of the program's: safe_repr shows its instances by type and address."""


class _Colour(enum.Enum):
    RED = 1


class _Renamed:
    pass


_Renamed.__qualname__ = "oddly\nnamed ü"


class _Meta(type):
    pass


class _Builtin(metaclass=_Meta):
    pass


_Builtin.__module__ = "builtins"  # (object.__repr__ then shows its __name__ alone)


# (a __module__ that isn't a str: object.__repr__ then shows the class's __name__ alone)
_Nowhere = type("_Nowhere", (), {"__module__": 5})


@pytest.mark.parametrize("limit", [8, 40, 1024])
def test_instances_shown_by_type_and_address_are_compiled_once_their_class_is_known(limit: int) -> None:
    """An instance of the program's class is shown by its type and address: the compiled text makes it once the
    Python text has met its class (the cache both read); another metaclass's instance (an enum member) at once."""
    assert _speedups.compiled is not None
    compiled_text = _speedups.compiled.json_text
    classes: dict[type, bool] = {}
    python_text = writer._python_json_text_at(limit, classes)
    values = [_Shown(), object(), _Renamed(), _Nowhere(), writer.MISSING]
    for value in values:
        assert compiled_text(value, limit, classes) is None, value
        assert python_text(value) is not None
        assert compiled_text(value, limit, classes) == python_text(value), value
    for value in (_Colour.RED, _Builtin()):  # (another metaclass: its instances by type and address, asking it nothing)
        assert compiled_text(value, limit, classes) == python_text(value), value
    # (classes whose instances safe_repr shows otherwise stay the Python text's, known or not)
    for value in (decimal.Decimal("1.5"), datetime.date(2026, 12, 7), collections.OrderedDict(a=1)):
        python_text(value)
        assert classes[type(value)] is False
        assert compiled_text(value, limit, classes) is None, value


def test_a_value_whose_repr_fails_is_left_to_the_python_text() -> None:
    assert _speedups.compiled is not None
    huge = 10**5000  # (its repr fails on Pythons that limit int printing: the Python text says so)
    for value in (huge, [huge], {"n": huge}):
        try:
            repr(value)
        except ValueError:
            assert _speedups.compiled.json_text(value, 1024) is None
        else:
            assert _speedups.compiled.json_text(value, 1024) == writer._python_json_text_at(1024, {})(value)
