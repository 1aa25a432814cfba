"""The compat suite reports how many cases it compared with hunter 3.9 and how many were identical, and how much
of hunter 3.9's own test suite passed."""

from __future__ import annotations

import harness
import pytest
import suite39


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = harness.summary()
    if line:
        terminalreporter.write_line(line)
    for line in suite39.SUMMARIES:
        terminalreporter.write_line(line)
