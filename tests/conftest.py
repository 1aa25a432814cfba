"""Suite-wide setup: run every in-process trace on the backend under test (HUNTER_TEST_BACKEND)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

import hunter
from hunter import config

BACKEND = os.environ.get("HUNTER_TEST_BACKEND") or None


def _configure() -> None:
    if BACKEND:
        hunter.load_config(backend=BACKEND)
    else:
        hunter.load_config()


@pytest.fixture(autouse=True)
def backend_config() -> Iterator[str]:
    """Each test starts with only the backend configured, and stray tracers are stopped afterwards."""
    _configure()
    yield BACKEND or hunter.Tracer().backend
    if hunter._last_tracer is not None:
        hunter._last_tracer.stop()
        hunter._last_tracer = None
    _configure()


@pytest.fixture(autouse=True)
def _no_orphans() -> Iterator[None]:
    """A child a test started in a group of its own (helpers.start_in_group) and left running dies with the test,
    and so does everything it started: nothing a hung test started runs on into later tests."""
    from helpers import kill_groups_started_since, live_groups

    known = live_groups()
    yield
    kill_groups_started_since(known)


def pytest_sessionfinish() -> None:
    from helpers import kill_groups_started_since

    kill_groups_started_since(set())  # (a group started outside any test: by a fixture of a wider scope)


@pytest.fixture
def backend(backend_config: str) -> str:
    """The backend name under test; pass it to Tracer(backend=...) when building tracers by hand."""
    return backend_config


def pytest_report_header() -> str:
    return f"hunter backend under test: {BACKEND or 'default'} (config: {config.default_trace_args})"


_PROGRESS = os.environ.get("HUNTER_TEST_PROGRESS")


def _note_progress(text: str) -> None:
    """Tell tools/run_tests.py which test this worker is in; the file's change time is the run's heartbeat."""
    if _PROGRESS:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with contextlib.suppress(OSError), open(os.path.join(_PROGRESS, worker), "w", encoding="utf-8") as file:
            file.write(text)


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _note_progress(nodeid)


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _note_progress("")


@pytest.fixture(autouse=True)
def _no_flight_recorder_left() -> Iterator[None]:
    """A flight recorder a test started (record_last=N) is closed after it: hunter.dump() in a later test of the
    same process would write it too (a stopped trace's recorder keeps its events until closed)."""
    from hunter.record.flight import live_recorders

    before = set(map(id, live_recorders()))
    yield
    for recorder in live_recorders():
        if id(recorder) not in before:
            recorder.close()


# -- the attach tests (test_remote*.py) --------------------------------------------------------------------------


@pytest.fixture
def cleanup() -> object:
    """Kills whatever a test started, whatever happened."""
    things: list[Any] = []  # (remote_support's Target, CLI, NobodyProcess: each has close())
    yield things.append
    for thing in reversed(things):
        thing.close()


@pytest.fixture
def open_tmp() -> object:
    """A scratch directory that other users can traverse (pytest's own are private to us)."""
    path = Path(tempfile.mkdtemp(prefix="hunter-remote-test-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def gdb_reason() -> str | None:
    from remote_support import gdb_usable

    return gdb_usable()


@pytest.fixture
def nobody_sleeper() -> object:
    """A process of user 'nobody' (not Python: for the tests that never get as far as talking to it)."""
    from remote_support import _nobody

    uid, gid = _nobody()
    process = subprocess.Popen(["sleep", "600"], user=uid, group=gid, extra_groups=[])
    yield process
    process.kill()
    process.wait()
