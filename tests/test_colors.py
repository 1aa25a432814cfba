"""When the printers colour their output: the option, NO_COLOR, FORCE_COLOR, TERM=dumb and terminals."""

from __future__ import annotations

import io

import pytest

from hunter import CallPrinter
from hunter._output._colors import wants_colors


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


# (environment, a terminal gets colours, a pipe/file gets colours)
CASES = [
    ({}, True, False),
    ({"TERM": "xterm-256color"}, True, False),
    ({"TERM": "dumb"}, False, False),
    ({"NO_COLOR": "1"}, False, False),
    ({"NO_COLOR": "0"}, False, False),  # any value but the empty string (no-color.org)
    ({"NO_COLOR": ""}, True, False),  # empty: as if unset
    ({"FORCE_COLOR": "1"}, True, True),
    ({"FORCE_COLOR": "0"}, True, True),  # any value but the empty string, as pytest, rich and CPython read it
    ({"FORCE_COLOR": ""}, True, False),
    ({"FORCE_COLOR": "1", "TERM": "dumb"}, True, True),  # forcing beats a dumb terminal
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
]


@pytest.mark.parametrize(("environment", "terminal", "pipe"), CASES, ids=[str(case[0]) for case in CASES])
def test_environment_conventions(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], terminal: bool, pipe: bool
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert (wants_colors(Terminal(), False), wants_colors(io.StringIO(), False)) == (terminal, pipe)
    # What the printers do with it.
    assert (CallPrinter(stream=Terminal())._colored, CallPrinter(stream=io.StringIO())._colored) == (terminal, pipe)


@pytest.mark.parametrize("environment", [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {}])
def test_force_colors_option_wins(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert wants_colors(io.StringIO(), True)
    assert CallPrinter(stream=io.StringIO(), force_colors=True)._colored


def test_closed_stream_gets_no_colors() -> None:
    stream = io.StringIO()
    stream.close()
    assert not wants_colors(stream, False)
