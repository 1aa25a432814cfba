"""Tracing tests under pytest: ``--hunter QUERY`` for every test, the ``hunter`` marker and fixture for one.

Loaded on demand by the ``_hunter_pytest`` entry point. Each test's trace is written to a buffer of its own
(pytest's output capturing never sees it) and ends up with the test's report, as a "Captured hunter call"
section (shown for failures, and for passed tests with ``-rP``), or in the ``--hunter-output`` file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import pytest

import hunter

from ._output._capture import start_trace
from ._setup._noise import RunnerCode
from ._engine._own_code import HUNTER_DIR
from .config import ConfigError, parse_trace_arguments
from .tracer import Tracer

__all__ = ["HunterFixture", "TestTracing", "activate"]

#: The name the tracing plugin is registered under (``-p no:hunter`` disables the entry point instead).
PLUGIN_NAME = "hunter-tracing"
#: pytest's and pluggy's frames run the test, and the stdlib code they call is theirs too: none of it is part of
#: the test's trace (nor is hunter's own code).
_RUNNER = hunter.Not(hunter.Or(RunnerCode(r"(?:_pytest|pytest|pluggy)(?:\.|$)"), filename_startswith=HUNTER_DIR))


def activate(config: pytest.Config) -> TestTracing:
    """The tracing plugin of this pytest run, registered on first use."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = TestTracing(config)
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    return plugin


class ItemTrace:
    """The trace of one test: a buffer, and the tracer writing to it while one runs."""

    def __init__(self, colors: bool) -> None:
        self.buffer = io.StringIO()
        self.colors = colors
        self.tracer: Tracer | None = None

    def start(self, build: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]) -> Tracer:
        """Start tracing with the arguments ``build()`` returns; printers without a stream write to the buffer."""
        self.stop()
        self.tracer = start_trace(self.buffer, build, _RUNNER, force_colors=self.colors)
        return self.tracer

    def stop(self) -> None:
        """Stop the tracer, if one runs."""
        if self.tracer is not None:
            self.tracer.stop()
            self.tracer = None

    def take(self) -> str:
        """Stop, and return the output so far (the buffer starts empty again)."""
        self.stop()
        text = self.buffer.getvalue()
        self.buffer = io.StringIO()
        return text


class HunterFixture:
    """What the ``hunter`` fixture gives a test: ``trace()`` and ``stop()``, with the output kept for its report."""

    def __init__(self, item_trace: ItemTrace) -> None:
        self._item_trace = item_trace

    def trace(self, *predicates: Any, **options: Any) -> Tracer:
        """Start tracing, as ``hunter.trace(...)`` (until the test function returns, ``stop()``, or the end of a
        ``with`` block); replaces the trace ``--hunter`` or the marker started for this test."""
        return self._item_trace.start(lambda: (predicates, options))

    def stop(self) -> None:
        """Stop tracing (the output so far stays for the report)."""
        self._item_trace.stop()

    @property
    def output(self) -> str:
        """What the trace printed so far in this test."""
        return self._item_trace.buffer.getvalue()


_TRACE_KEY = pytest.StashKey[ItemTrace]()


class TestTracing:
    """The tracing plugin: starts each test's trace around its call, and files the output afterwards."""

    __test__ = False  # a class named Test* in an imported module: not a test class

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.query: str | None = config.getoption("hunter")
        if self.query is not None:
            try:
                parse_trace_arguments(self.query)
            except ConfigError as exc:
                raise pytest.UsageError(f"--hunter {self.query!r}: {exc}") from None
        output = config.getoption("hunter_output")
        self.output = os.path.abspath(output) if output else None
        self.written = 0
        if self.output is not None and not hasattr(config, "workerinput"):
            # Emptied once per run, by the process that runs the session (pytest-xdist's workers append).
            try:
                open(self.output, "w").close()
            except OSError as exc:
                raise pytest.UsageError(f"--hunter-output: {exc}") from None

    def _colors(self) -> bool:
        # Colours in the reports when pytest uses them itself (its --color, NO_COLOR, FORCE_COLOR); never in a file.
        if self.output is not None:
            return False
        try:
            return bool(self.config.get_terminal_writer().hasmarkup)
        except AttributeError:  # no terminal reporter (-p no:terminal)
            return False

    def item_trace(self, item: pytest.Item) -> ItemTrace:
        """The trace state of a test (made on first use)."""
        state = item.stash.get(_TRACE_KEY, None)
        if state is None:
            state = item.stash[_TRACE_KEY] = ItemTrace(self._colors())
        return state

    def fixture_for(self, item: pytest.Item) -> HunterFixture:
        """The ``hunter`` fixture's value for a test."""
        return HunterFixture(self.item_trace(item))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        marker = item.get_closest_marker("hunter")
        state = item.stash.get(_TRACE_KEY, None)
        if marker is not None:
            self.item_trace(item).start(lambda: (marker.args, dict(marker.kwargs)))
        elif self.query is not None and (state is None or state.tracer is None):
            query = self.query
            try:
                self.item_trace(item).start(lambda: parse_trace_arguments(query))
            except (TypeError, ValueError) as exc:
                pytest.exit(f"--hunter {query!r}: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
        try:
            yield
        finally:
            self._file(item)

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        # A trace the fixture started in a fixture that never reached the call (setup failed) stops here.
        self._file(item)

    def _file(self, item: pytest.Item) -> None:
        state = item.stash.get(_TRACE_KEY, None)
        if state is None:
            return
        text = state.take()
        if not text:
            return
        if self.output is None:
            item.add_report_section("call", "hunter", text)
            return
        block = f"=== {item.nodeid} ===\n{text}"
        with open(self.output, "a", encoding="utf-8") as file:
            file.write(block)
        self.written += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.output is not None and self.written:
            terminalreporter.write_line(f"hunter: {self.written} test trace(s) written to {self.output}")
