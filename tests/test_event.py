"""Event: every field of SPEC section 2 on real frames, laziness, detach(), clone(), item access and pickling."""

from __future__ import annotations

import dis
import functools
import io
import json
import os
import pickle
import posixpath
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from helpers import REPO, describe, run_python
from programs import load

import hunter
from hunter import Q
from hunter._engine._source import is_stdlib
from hunter.event import Event

PROGRAM = """
import functools
import sys

def deco(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper

@deco
@deco
def decorated(
    a,
    b=2,
):
    total = (a +
             b)
    return total

def fail():
    raise KeyError("k")

def catch():
    try:
        fail()
    except KeyError:
        return "caught"

def inner(x):
    return x + 1

def outer(x):
    y = inner(x)
    return inner(y)

def main():
    outer(1)
    catch()
"""


def record(
    func: Callable[[], Any],
    *predicates: Callable[..., Any],
    backend: str | None = None,
    action: Callable[[Event], Any] | None = None,
    **query: Any,
) -> list[Event]:
    """Run ``func`` under a Tracer (no option processing: calls count from 0) and return the matching events.

    Fields of a live event describe its frame *now*: the returned events are only good for what doesn't change
    (kind, function, module, filename, code...). Tests of lineno, locals, source, depth or calls read them
    while the event happens, with :func:`snapshot`.
    """
    events: list[Event] = []
    tracer = hunter.Tracer(backend=backend)
    tracer.trace(Q(*predicates, action=action or events.append, **query))
    try:
        func()
    finally:
        tracer.stop()
    return events


def snapshot(
    func: Callable[[], Any], fields: tuple[str, ...], *predicates: Callable[..., Any], backend: str | None, **query: Any
) -> list[tuple[Any, ...]]:
    """The given fields of each matching event, read while the event happens."""
    rows: list[tuple[Any, ...]] = []
    record(func, *predicates, backend=backend, action=lambda e: rows.append(tuple(e[f] for f in fields)), **query)
    return rows


@pytest.fixture
def program() -> ModuleType:
    return load("eventsample", PROGRAM)


# -- kind, arg, frame, code ------------------------------------------------------------------------------------


def test_kinds_and_args(program: ModuleType, backend: str) -> None:
    events = record(program.catch, module="eventsample", backend=backend)
    summary = [(event.kind, event.function) for event in events]
    assert summary == [
        ("call", "catch"),
        ("line", "catch"),
        ("line", "catch"),
        ("call", "fail"),
        ("line", "fail"),
        ("exception", "fail"),
        ("return", "fail"),
        ("exception", "catch"),
        ("line", "catch"),
        ("line", "catch"),
        ("return", "catch"),
    ]
    by_kind: dict[str, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    assert all(event.arg is None for event in by_kind["call"] + by_kind["line"])
    exc_type, exc_value, exc_tb = by_kind["exception"][0].arg
    assert exc_type is KeyError
    assert isinstance(exc_value, KeyError) and exc_value.args == ("k",)
    assert exc_tb.tb_frame is by_kind["exception"][0].frame
    # The exception propagating out of fail() returns None; catch() returns its value.
    assert [event.arg for event in by_kind["return"]] == [None, "caught"]


def test_frame_and_code(program: ModuleType, backend: str) -> None:
    frames: list[tuple[FrameType, Any, Any]] = []

    def keep(event: Event) -> None:
        frames.append((event.frame, event.code, sys._getframe(1)))

    record(lambda: program.inner(1), backend=backend, module="eventsample", action=keep)
    assert len(frames) == 3
    for frame, code, _ in frames:
        assert isinstance(frame, FrameType)
        assert code is frame.f_code is program.inner.__code__
    assert frames[0][0] is frames[1][0] is frames[2][0]


def test_builtin_kinds_drop_the_c_prefix() -> None:
    frame = sys._getframe()
    for raw, kind in (("c_call", "call"), ("c_return", "return"), ("c_exception", "exception")):
        event = Event(frame, raw, len, 0, 0, None)
        assert (event.kind, event.builtin) == (kind, True)
        assert event.function == "len"
        assert event.module == "builtins"
    event = Event(frame, "call", None, 0, 0, None)
    assert (event.kind, event.builtin) == ("call", False)


def test_profile_mode_reports_c_functions_as_builtin(program: ModuleType, backend: str) -> None:
    module = load(
        "profilesample",
        """
        def main():
            return len([1, 2]) + abs(-3)
        """,
    )
    events: list[tuple[str, str, bool]] = []
    tracer = hunter.Tracer(profiling_mode=True, backend=backend)
    tracer.trace(
        Q(module_in=["profilesample", "builtins"], action=lambda e: events.append((e.kind, e.function, e.builtin)))
    )
    module.main()
    tracer.stop()
    assert events[:6] == [
        ("call", "main", False),
        ("call", "len", True),
        ("return", "len", True),
        ("call", "abs", True),
        ("return", "abs", True),
        ("return", "main", False),
    ]


# -- depth, calls ----------------------------------------------------------------------------------------------


def test_depth_and_calls(program: ModuleType, backend: str) -> None:
    fields = ("kind", "function", "depth", "calls")
    summary = snapshot(
        program.main, fields, Q(function_in=["main", "outer", "inner"]), backend=backend, module="eventsample"
    )
    # call/return sit at the caller's level, lines one deeper (hunter 3.9's quirk); calls counts call events.
    assert summary == [
        ("call", "main", 0, 0),
        ("line", "main", 1, 1),
        ("call", "outer", 1, 1),
        ("line", "outer", 2, 2),
        ("call", "inner", 2, 2),
        ("line", "inner", 3, 3),
        ("return", "inner", 2, 3),
        ("line", "outer", 2, 3),
        ("call", "inner", 2, 3),
        ("line", "inner", 3, 4),
        ("return", "inner", 2, 4),
        ("return", "outer", 1, 4),
        ("line", "main", 1, 4),
        # catch() and fail() are not shown but their calls count.
        ("return", "main", 0, 6),
    ]


def test_calls_count_every_call_even_of_filtered_code(program: ModuleType, backend: str) -> None:
    # Only main's return is asked for: every call before it (main, outer, 2x inner, catch, fail) still counts.
    rows = snapshot(
        program.main, ("kind", "calls"), backend=backend, module="eventsample", function="main", kind="return"
    )
    assert rows == [("return", 6)]


def test_depth_counts_frames_of_other_modules(program: ModuleType, backend: str) -> None:
    other = load(
        "eventother",
        """
        def relay(func, x):
            return func(x)
        """,
    )
    rows = snapshot(
        lambda: other.relay(program.inner, 5),
        ("function", "depth"),
        backend=backend,
        module="eventsample",
        kind="call",
        function="inner",
    )
    # The lambda is level 0; relay() is filtered out (its code can't match) but is still a level on the stack.
    assert rows == [("inner", 2)]


# -- function, function_object, module -------------------------------------------------------------------------

OBJECTS = """
import functools

def plain():
    return 1

class Thing:
    def method(self):
        return 2

    @classmethod
    def klassmethod(cls):
        return 3

    @property
    def prop(self):
        return 4

    def __getattr__(self, name):
        touched.append(("Thing.__getattr__", name))
        raise AttributeError(name)

class Sneaky:
    def __getattribute__(self, name):
        touched.append(("Sneaky.__getattribute__", name))
        return object.__getattribute__(self, name)

    def method(self):
        return 5

class Decorator:
    def __init__(self, func):
        self.func = func

    def __call__(self, *args):
        return self.func(*args)

    def __getattr__(self, name):
        touched.append(("Decorator.__getattr__", name))
        raise AttributeError(name)

@Decorator
def wrapped(x):
    return x

def outer():
    def nested():
        return 6
    return nested()

anonymous = lambda: 7

touched = []

def main():
    thing = Thing()
    sneaky = Sneaky()
    plain()
    thing.method()
    Thing.klassmethod()
    thing.klassmethod()
    thing.prop
    sneaky.method()
    wrapped(8)
    outer()
    anonymous()
    touched.clear()  # the program's own attribute access above is not what the test is about
"""


def test_function_and_function_object(backend: str) -> None:
    module = load("objectsample", OBJECTS)
    found: list[tuple[str, Any]] = []
    record(
        module.main,
        backend=backend,
        module="objectsample",
        kind="call",
        action=lambda event: found.append((event.function, event.function_object)),
    )
    expected = {
        "main": module.main,
        "plain": module.plain,
        "method": module.Thing.method,
        "klassmethod": module.Thing.__dict__["klassmethod"].__func__,
        "prop": module.Thing.__dict__["prop"].fget,
        "__getattribute__": module.Sneaky.__getattribute__,
        "__call__": module.Decorator.__call__,
        "wrapped": None,  # the global of that name is the Decorator instance: not looked into
        "outer": module.outer,
        "nested": None,
        "<lambda>": None,
    }
    assert [name for name, _ in found] == [
        "main",
        "plain",
        "method",
        "klassmethod",
        "klassmethod",
        "prop",
        "__getattribute__",
        "method",
        "__call__",
        "wrapped",
        "outer",
        "nested",
        "<lambda>",
    ]
    for name, function_object in found:
        if name == "method" and function_object is module.Sneaky.method:
            continue
        assert function_object is expected[name], name


def test_function_object_does_not_touch_user_attributes(backend: str) -> None:
    module = load("objectsample", OBJECTS)
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def inspect(event: Event) -> None:
        before = list(module.touched)
        event.function_object  # noqa: B018 - computing it is the test
        seen.append((event.function, module.touched[len(before) :]))

    record(module.main, backend=backend, module="objectsample", kind="call", action=inspect)
    assert [side_effects for _, side_effects in seen if side_effects] == []


def test_module_is_question_mark_without_a_name(backend: str) -> None:
    code = compile("def f():\n    return 1\nf()\n", "nameless.py", "exec")
    events = record(lambda: exec(code, {}), backend=backend, function="f", kind="call")
    assert [event.module for event in events] == ["?"]


# -- filename, lineno, globals, locals ---------------------------------------------------------------------------


def test_relative_filename_stays_relative(program: ModuleType, backend: str) -> None:
    rows = snapshot(lambda: program.inner(1), ("kind", "filename", "lineno"), backend=backend, module="eventsample")
    assert rows == [("call", "eventsample.py", 30), ("line", "eventsample.py", 31), ("return", "eventsample.py", 31)]


def test_compiled_file_name_maps_to_source(tmp_path: Path, backend: str) -> None:
    source = tmp_path / "compiledmod.py"
    source.write_text("def f():\n    return 1\n")
    code = compile(source.read_text(), str(tmp_path / "compiledmod.pyc"), "exec")
    namespace: dict[str, Any] = {"__name__": "compiledmod"}
    exec(code, namespace)
    rows = snapshot(namespace["f"], ("kind", "filename", "source"), backend=backend, module="compiledmod")
    assert rows[:2] == [("call", str(source), "def f():\n"), ("line", str(source), "    return 1\n")]


def test_filename_from_module_file_when_code_has_none(backend: str) -> None:
    code = compile("def f():\n    return 1\n", "", "exec")
    namespace: dict[str, Any] = {"__name__": "nofilemod", "__file__": "/somewhere/nofilemod.py"}
    exec(code, namespace)
    events = record(namespace["f"], backend=backend, module="nofilemod", kind="call")
    assert [event.filename for event in events] == ["/somewhere/nofilemod.py"]


@pytest.mark.skipif(
    not posixpath.join.__code__.co_filename.startswith("<frozen"), reason="posixpath is not frozen here"
)
def test_frozen_stdlib_module_maps_to_its_real_file(backend: str) -> None:
    fields = ("kind", "code", "filename", "fullsource", "source", "stdlib")
    rows = snapshot(lambda: posixpath.join("a", "b"), fields, backend=backend, module="posixpath", function="join")
    assert rows[0][1].co_filename == "<frozen posixpath>"
    assert {row[2] for row in rows} == {posixpath.__file__}
    assert os.path.exists(posixpath.__file__)
    # ...so that its source shows, instead of "??? NO SOURCE".
    # (3.15 made ``a`` positional-only.)
    assert rows[0][0] == "call" and rows[0][3] in ("def join(a, *p):\n", "def join(a, /, *p):\n")
    assert rows[-1][0] == "return" and rows[-1][4] == "    return path\n"
    assert all(row[5] is True for row in rows)


def test_globals_and_locals(program: ModuleType, backend: str) -> None:
    rows: list[tuple[Any, dict[str, Any]]] = []
    record(
        lambda: program.outer(10),
        backend=backend,
        module="eventsample",
        function="outer",
        action=lambda event: rows.append((event.globals, dict(event.locals))),
    )
    assert all(namespace is program.__dict__ for namespace, _ in rows)
    assert [local_values for _, local_values in rows] == [
        {"x": 10},
        {"x": 10},
        {"x": 10, "y": 11},
        {"x": 10, "y": 11},
    ]


COMPREHENSIONS = """
base = [1, 2, 3]
top = [(n, 1)
       for n in base]

class K:
    items = [(n, 1)
             for n in base if n]
    pairs = {k: v
             for k, v in zip(base, base)}
"""


@pytest.mark.parametrize("action", ["VarsSnooper", "locals"])
def test_reading_locals_never_changes_a_comprehension_in_a_module_or_class_body(backend: str, action: str) -> None:
    # 3.12 writes a frame's locals dict back into the frame after a Python trace function read it; in module and
    # class bodies an inlined comprehension's variable isn't in that dict and became None: [(None, 1), ...].
    stream = io.StringIO()
    seen: list[dict[str, Any]] = []
    actions: list[Any] = [hunter.VarsSnooper(stream=stream)] if action == "VarsSnooper" else []
    actions.append(lambda event: seen.append(dict(event.locals)))
    with hunter.trace(module="compsample", backend=backend, actions=actions):
        module = load("compsample", COMPREHENSIONS)
    assert module.top == [(1, 1), (2, 1), (3, 1)]
    assert module.K.items == [(1, 1), (2, 1), (3, 1)]
    assert module.K.pairs == {1: 1, 2: 2, 3: 3}
    assert seen


# -- source, fullsource ------------------------------------------------------------------------------------------


def test_source_and_fullsource(program: ModuleType, backend: str) -> None:
    fields = ("kind", "lineno", "source", "fullsource")
    rows = snapshot(lambda: program.decorated(1), fields, backend=backend, module="eventsample", function="decorated")
    # A call's fullsource is the definition header from its first decorator to the ``def`` line; other events
    # show their own line.
    assert rows == [
        ("call", 11, "@deco\n", "@deco\n@deco\ndef decorated(\n"),
        ("line", 17, "    total = (a +\n", "    total = (a +\n"),
        ("line", 18, "             b)\n", "             b)\n"),
        ("line", 17, "    total = (a +\n", "    total = (a +\n"),
        ("line", 19, "    return total\n", "    return total\n"),
        ("return", 19, "    return total\n", "    return total\n"),
    ]


def test_fullsource_of_a_method_and_a_module(backend: str) -> None:
    module = load(
        "fullsourcesample",
        """
        class K:
            @property
            def p(self):
                return 1

        def main():
            return K().p
        """,
    )
    rows = snapshot(module.main, ("fullsource",), backend=backend, module="fullsourcesample", kind="call")
    assert rows == [("def main():\n",), ("    @property\n    def p(self):\n",)]


def test_unavailable_source(backend: str) -> None:
    code = compile("def f():\n    return 1\nf()\n", "<no source here>", "exec")
    rows = snapshot(
        lambda: exec(code, {"__name__": "nosource"}),
        ("source", "fullsource"),
        backend=backend,
        module="nosource",
    )
    message = "??? NO SOURCE: Source code string for '<no source here>' is empty."
    assert len(rows) >= 4
    assert set(rows) == {(message, message)}


def test_source_of_a_binary_module_is_not_read() -> None:
    frame = sys._getframe()
    event = Event(frame, "line", None, 0, 0, None)
    event.filename = "/somewhere/module.cpython-311-x86_64-linux-gnu.so"
    assert event.source == "??? NO SOURCE: not reading binary .so file"


# -- stdlib -------------------------------------------------------------------------------------------------------


def event_for_file(filename: str, module_name: str, backend: str) -> Event:
    """The call event of a function whose code claims to come from ``filename`` in module ``module_name``."""
    code = compile("def f():\n    return 1\n", filename, "exec")
    namespace: dict[str, Any] = {"__name__": module_name}
    exec(code, namespace)
    return record(namespace["f"], backend=backend, function="f", kind="call", module=module_name)[0]


def test_stdlib_module_is_stdlib(backend: str) -> None:
    events = record(lambda: json.dumps(1), backend=backend, module_sw="json", kind="call")
    assert events and all(event.stdlib for event in events)
    assert event_for_file(os.__file__, "fake_os", backend).stdlib is True


def test_site_packages_is_not_stdlib(backend: str) -> None:
    site_packages_file = pytest.__file__
    assert "site-packages" in site_packages_file
    assert event_for_file(site_packages_file, "fake_pytest", backend).stdlib is False


def test_user_code_is_not_stdlib(program: ModuleType, backend: str) -> None:
    events = record(lambda: program.inner(1), backend=backend, module="eventsample")
    assert not any(event.stdlib for event in events)
    # hunter's own code is never traced at all, so its folder is checked on the stdlib rule directly.
    assert is_stdlib(str(Path(hunter.__file__).parent / "x.py"), "hunter_fake") is False


def test_pkg_resources_counts_as_stdlib(tmp_path: Path, backend: str) -> None:
    filename = str(tmp_path / "pkg_resources" / "__init__.py")
    assert event_for_file(filename, "pkg_resources", backend).stdlib is True
    assert event_for_file(filename, "pkg_resources._vendor.thing", backend).stdlib is True
    assert event_for_file(filename, "pkg_resourcesx", backend).stdlib is False


VENV_APP = """
import hunter

def work():
    return 1

found = []
with hunter.trace(function="work", action=lambda event: found.append((event.kind, event.stdlib))):
    work()
print(found)
"""


def test_user_code_inside_a_virtualenv_folder_is_not_stdlib(tmp_path: Path) -> None:
    # A real virtualenv (its sys.prefix differs from base_prefix); code inside its folder, as `pip install -e`
    # checkouts in <venv>/src are, is user code.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    app = venv / "src" / "app.py"
    app.parent.mkdir()
    app.write_text(VENV_APP)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    result = run_python([app], python=python, env={"PYTHONPATH": str(REPO / "src")})
    assert result.returncode == 0, describe(result)
    assert result.stdout == "[('call', False), ('line', False), ('return', False)]\n", describe(result)


# -- threads, instruction -----------------------------------------------------------------------------------------


def test_thread_fields(program: ModuleType) -> None:
    found: list[tuple[str, Any, str]] = []

    def keep(event: Event) -> None:
        found.append((threading.current_thread().name, event.threadid, event.threadname))

    tracer = hunter.Tracer(threading_support=True)
    tracer.trace(Q(module="eventsample", function="inner", kind="call", action=keep))
    try:
        program.inner(1)
        thread = threading.Thread(target=program.inner, args=(2,), name="worker-thread")
        thread.start()
        thread.join()
    finally:
        tracer.stop()
    assert found == [("MainThread", None, "MainThread"), ("worker-thread", thread.ident, "worker-thread")]


def test_instruction_is_the_current_opcode(program: ModuleType, backend: str) -> None:
    events = record(lambda: program.inner(1), backend=backend, module="eventsample")
    assert all(isinstance(event.instruction, int) for event in events)
    assert dis.opname[events[-1].instruction] in ("RETURN_VALUE", "RETURN_CONST")


# -- laziness -----------------------------------------------------------------------------------------------------


def test_fields_are_computed_only_when_asked(program: ModuleType, backend: str) -> None:
    events = record(program.main, backend=backend, kind="call", module="eventsample")
    assert events
    for event in events:
        for field in ("source", "fullsource", "locals", "threadname", "threadid", "function_object", "instruction"):
            assert field not in event.__dict__, field
    event = events[0]
    assert event.threadname == "MainThread"
    assert event.__dict__["threadname"] == "MainThread"  # cached from now on


# -- detach, clone, item access, pickling ---------------------------------------------------------------------


def test_detach_drops_live_objects(program: ModuleType, backend: str) -> None:
    events = record(lambda: program.outer(3), backend=backend, module="eventsample", function="outer")
    ret = events[-1]
    detached = ret.detach()
    assert detached.detached is True and ret.detached is False
    assert detached.frame is None
    assert detached.arg is None
    assert detached.globals == {} and detached.locals == {}
    assert detached.function_object is None
    for field in ("kind", "function", "module", "filename", "lineno", "depth", "calls", "stdlib", "threadid"):
        assert getattr(detached, field) == getattr(ret, field), field
    assert detached.threadname == ret.threadname
    assert detached.source == ret.source == "    return inner(y)\n"


def test_detach_with_value_filter(program: ModuleType, backend: str) -> None:
    events = record(lambda: program.outer(3), backend=backend, module="eventsample", function="outer")
    ret = events[-1]
    detached = ret.detach(repr)
    assert detached.frame is None
    assert detached.arg == "5"
    assert detached.locals == {"x": "3", "y": "4"}
    assert detached.globals["__name__"] == "'eventsample'"
    assert detached.globals["inner"] == repr(program.inner)


def test_clone_is_a_shallow_copy(program: ModuleType, backend: str) -> None:
    event = record(lambda: program.inner(1), backend=backend, module="eventsample")[0]
    clone = event.clone()
    assert clone is not event
    assert clone.frame is event.frame
    assert (clone.kind, clone.function, clone.depth, clone.calls) == (
        event.kind,
        event.function,
        event.depth,
        event.calls,
    )
    clone.depth = 42
    assert event.depth != 42


def test_item_access(program: ModuleType, backend: str) -> None:
    event = record(lambda: program.inner(1), backend=backend, module="eventsample")[0]
    for field in ("kind", "function", "module", "lineno", "depth", "calls", "filename", "source", "stdlib"):
        assert event[field] == getattr(event, field)
    with pytest.raises(AttributeError):
        event["no_such_field"]


def test_events_do_not_pickle(program: ModuleType, backend: str) -> None:
    event = record(lambda: program.inner(1), backend=backend, module="eventsample")[0]
    # hunter 3.9's words, for code that checks them.
    with pytest.raises(TypeError, match=r"^cannot pickle 'hunter._event.Event' object$"):
        pickle.dumps(event)
    with pytest.raises(TypeError, match=r"^cannot pickle 'hunter._event.Event' object$"):
        pickle.dumps(event.detach())


def test_threading_support_is_passed_on(program: ModuleType) -> None:
    for support in (None, True, False):
        tracer = hunter.Tracer(threading_support=support)
        seen: list[Any] = []
        tracer.trace(
            Q(module="eventsample", kind="call", action=lambda event, seen=seen: seen.append(event.threading_support))
        )
        program.inner(1)
        tracer.stop()
        assert seen == [support]


def _wraps(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return func(*args)

    return wrapper


@_wraps
def _decorated_module_function(_: int) -> None:
    pass


class _Holder:
    @staticmethod
    def static(_: int) -> None:
        pass

    def method(self, _: int) -> None:
        pass


def test_function_object_through_wraps_staticmethods_and_put_back_frames(backend: str) -> None:
    """As hunter 3.9 finds them: the function a functools.wraps wrapper holds, a staticmethod on a module class,
    and a detached event given a frame again (as replaying test tracers do)."""
    found: dict[str, Any] = {}
    replayed: list[Event] = []

    def record(event: Event) -> None:
        found[event.function] = event.function_object
        copy = event.detach(lambda value: value)
        copy.frame = event.frame
        replayed.append(copy)

    with hunter.trace(
        kind="call", function_in={"_decorated_module_function", "static", "method"}, action=record, backend=backend
    ):
        _decorated_module_function(1)
        _Holder.static(2)
        _Holder().method(3)
    assert found == {
        "_decorated_module_function": _decorated_module_function.__wrapped__,  # type: ignore[attr-defined]
        "static": _Holder.__dict__["static"].__func__,
        "method": _Holder.method,
    }
    assert [event.function_object for event in replayed] == list(found.values())
    assert Event.__new__(Event).__dict__ == {} and replayed[0].detach().function_object is None


def test_an_event_names_its_tracer_and_a_copy_none(backend: str) -> None:
    # Actions reach the tracer through event.tracer (Stop, Debugger, CallPrinter's runs): the tracer that made the
    # event, answering the EventSource questions; a detached copy names none.
    seen: list[tuple[object, object, int, int]] = []

    def record(event: Any) -> None:
        source = event.tracer
        seen.append((source, event.detach().tracer, source.count_frames(event.frame), source.calls))

    def target() -> None:
        pass

    tracer = hunter.Tracer(backend=backend).trace(Q(function="target", kind="call", action=record))
    target()
    tracer.stop()
    assert seen == [(tracer, None, 1, 1)]


def test_every_field_holds_what_the_field_table_says(backend: str) -> None:
    # event.FIELD_TABLE is the one description of the fields that queries, verdicts and detach() read: each row's
    # "holds" must be what a real event's field holds, and a detached copy must keep what the table says it keeps.
    from hunter.event import FIELD_TABLE

    holds = {
        "text": lambda value: isinstance(value, str),
        "number": lambda value: type(value) is int,
        "number or none": lambda value: value is None or type(value) is int,
        "mapping": lambda value: isinstance(value, Mapping),  # (3.13+: a frame's locals are a proxy)
        "kind": lambda value: value in hunter.event.KINDS,
        "flag": lambda value: type(value) is bool,
        "code": lambda value: type(value) is type(test_every_field_holds_what_the_field_table_says.__code__),
        "option": lambda value: value in (None, True, False),
        "any": lambda value: True,
    }
    events: list[Any] = []

    def target(value: int) -> int:
        return value + 1

    tracer = hunter.Tracer(backend=backend).trace(Q(function="target", action=events.append))
    target(1)
    tracer.stop()
    assert [event.kind for event in events] == ["call", "line", "return"]
    for event in events:
        copy = event.detach()
        wrong = [row.name for row in FIELD_TABLE if not holds[row.holds](getattr(event, row.name))]
        lost = [row.name for row in FIELD_TABLE if row.detached and getattr(copy, row.name) != getattr(event, row.name)]
        assert (wrong, lost) == ([], [])
    assert [row.name for row in FIELD_TABLE if row.query] == list(hunter.event.Event.FIELDS)


def test_the_facts_a_code_object_is_judged_by_are_the_event_init_makes() -> None:
    """The backends judge each code object by a call event made from its fields (Event.__init__ costs µs per code
    object): the same fields, in the same order, for every threading_support."""
    from hunter._engine._pruning import call_facts

    frame = sys._getframe()
    for threading_support in (None, True, False):
        made = Event(frame, "call", None, 0, 0, threading_support)
        facts = call_facts(frame, threading_support)
        assert type(facts) is Event
        assert list(facts.__dict__.items()) == list(made.__dict__.items())
        assert (facts.module, facts.function, facts.stdlib) == (made.module, made.function, made.stdlib)
