"""The compat suite reports how many cases it compared with hunter 3.9 and how many were identical."""

from __future__ import annotations

import harness
import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = harness.summary()
    if line:
        terminalreporter.write_line(line)
