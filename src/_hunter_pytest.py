"""pytest's entry point for hunter: the options, the marker and the ``hunter`` fixture.

pytest loads this module in every run of anyone who installed hunter, so it imports nothing of hunter: the
tracing plugin (``hunter.pytest_plugin``) is loaded only when ``--hunter``/``--hunter-output`` is given, a
collected test carries the ``hunter`` marker, or a test asks for the ``hunter`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hunter", "tracing tests with hunter")
    group.addoption(
        "--hunter",
        metavar="QUERY",
        default=None,
        help="trace each test with this query, in the PYTHONHUNTER syntax (e.g. 'module=\"app\"'; '' traces "
        "everything but pytest itself); a test's trace is shown with its report (on failure, or with -rP)",
    )
    group.addoption(
        "--hunter-output",
        metavar="FILE",
        default=None,
        help="write the traces to FILE (emptied first, one block per test) instead of the reports",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "hunter(*predicates, **options): trace this test as hunter.trace(*predicates, **options) would "
        "(e.g. @pytest.mark.hunter(module='app')); the trace is shown with the test's report",
    )
    if config.getoption("hunter") is not None or config.getoption("hunter_output") is not None:
        from hunter.pytest_plugin import activate

        activate(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("hunter") is not None for item in items):
        from hunter.pytest_plugin import activate

        activate(config)


@pytest.fixture
def hunter(request: pytest.FixtureRequest) -> Any:
    """Trace part of a test: ``hunter.trace(module="app")`` starts tracing (until the test ends, ``hunter.stop()``,
    or the end of ``with hunter.trace(...):``); the trace is shown with the test's report."""
    from hunter.pytest_plugin import activate

    return activate(request.config).fixture_for(request.node)
