"""A When whose condition is certainly true for a code object's events hands them straight to its actions."""

from __future__ import annotations

import io
from typing import Any

import pytest

import hunter
from hunter import CallPrinter, Q, When
from hunter.event import Event
from hunter.predicates import Query


def _work(value: int) -> int:
    total = 0
    for step in range(3):
        total += value * step
    return total


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every event a Query is asked about (by function name)."""
    names: list[str] = []
    original = Query.__call__

    def counting(self: Query, event: Event) -> bool:
        names.append(event.function)
        return original(self, event)

    monkeypatch.setattr(Query, "__call__", counting)
    return names


def test_a_certain_condition_is_not_asked_per_event(backend: str, asked: list[str]) -> None:
    seen: list[tuple[str, str]] = []
    with hunter.trace(Q(module=__name__), action=lambda event: seen.append((event.kind, event.function))):
        _work(2)
    assert ("call", "_work") in seen
    assert ("return", "_work") in seen
    assert "_work" not in asked  # module= is decided per code object: the action gets the events directly


def test_an_uncertain_condition_is_asked(backend: str, asked: list[str]) -> None:
    seen: list[int] = []
    with hunter.trace(Q(module=__name__, lineno_gt=0), action=lambda event: seen.append(event.lineno)):
        _work(2)
    assert seen
    assert "_work" in asked  # lineno changes per event: asked each time


def test_several_actions_all_run_in_order(backend: str) -> None:
    order: list[str] = []
    with hunter.trace(When(Q(module=__name__), lambda event: order.append("a"), lambda event: order.append("b"))):
        _work(1)
    assert order
    assert order[::2] == ["a"] * (len(order) // 2)
    assert order[1::2] == ["b"] * (len(order) // 2)


class _LoudWhen(When):
    """A When subclass whose __call__ does more: it must be called, not bypassed."""

    calls = 0

    def __call__(self, event: Event) -> Any:
        type(self).calls += 1
        return super().__call__(event)


def test_a_when_subclass_is_called_as_it_is(backend: str) -> None:
    _LoudWhen.calls = 0
    seen: list[str] = []
    with hunter.trace(_LoudWhen(Q(module=__name__), lambda event: seen.append(event.kind))):
        _work(1)
    assert seen
    assert _LoudWhen.calls >= len(seen)


def test_a_failing_action_is_reported_as_before(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(event: Event) -> None:
        raise RuntimeError("no")

    stream = io.StringIO()
    monkeypatch.setattr(hunter.config, "default_stream", stream)
    tracer = hunter.trace(Q(module=__name__), action=fails)
    _work(1)
    tracer.stop()
    text = stream.getvalue()
    assert "RuntimeError: no" in text
    assert "Disabling tracer because handler <hunter.predicates.When: condition=" in text
    assert text.count("Disabling tracer") == 1


def test_the_printed_trace_is_the_same(backend: str) -> None:
    """The action directly or through the When's question: the same lines (the question is certain here)."""

    def printed(predicate: Any) -> str:
        stream = io.StringIO()
        printer = CallPrinter(stream=stream)
        with hunter.trace(predicate(printer)):
            _work(3)
        return stream.getvalue()

    certain = printed(lambda printer: When(Q(module=__name__), printer))
    asked_each_time = printed(lambda printer: When(lambda event: event.module == __name__, printer))
    assert certain == asked_each_time
    assert "=> _work(value=3)" in certain
