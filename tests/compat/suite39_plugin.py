"""Loaded into the child run of hunter 3.9's suite (``-p suite39_plugin``): the backend under test, the exclusions.

3.9's tests build tracers with ``Tracer()`` and reset the configuration (``hunter._default_trace_args = None``), so
neither a configured backend nor PYTHONHUNTERCONFIG would last: the backend a tracer gets when none is asked for is
set here instead. The excluded tests (node ids in HUNTER_SUITE39_EXCLUDE, one a line) are deselected and their node
ids written to HUNTER_SUITE39_DESELECTED, so that the parent can count them and notice an entry that matches nothing.
Nothing else of the suite or of our package changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    backend = os.environ.get("HUNTER_SUITE39_BACKEND")
    if not backend:
        return
    from hunter import tracer

    choose = tracer.choose

    def choose_backend(requested: str | None, profiling_mode: bool) -> Any:
        return choose(requested or backend, profiling_mode)

    tracer.choose = choose_backend


def _is_excluded(node: str, excluded: list[str]) -> bool:
    # An entry names a test function: all of its parameters, but not another function whose name it starts.
    return any(node == entry or node.startswith(f"{entry}[") for entry in excluded)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    excluded = [line for line in os.environ.get("HUNTER_SUITE39_EXCLUDE", "").splitlines() if line]
    kept = [item for item in items if not _is_excluded(item.nodeid, excluded)]
    dropped = [item for item in items if _is_excluded(item.nodeid, excluded)]
    items[:] = kept
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    report = os.environ.get("HUNTER_SUITE39_DESELECTED")
    if report:
        Path(report).write_text(json.dumps([item.nodeid for item in dropped]), encoding="utf-8")
