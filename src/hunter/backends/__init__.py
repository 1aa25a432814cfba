"""Tracer backends: adapters from an interpreter hook to hunter events, chosen once per tracer.

The contract between a Tracer and its backend is all in this module: the backend gets a :class:`Context`
(the predicate, the options, where to report a failure) and offers :class:`Backend` (``start()``, ``stop()``,
``previous``). Backends never import the tracer; predicates and actions never know which backend runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .._engine._compat import HAS_MONITORING

if TYPE_CHECKING:
    from .._engine._depths import Depths
    from .._engine._recording import Recording
    from ..event import Event, EventSource

__all__ = ["BACKENDS", "Backend", "BackendError", "Context", "choose", "load"]

BACKENDS = ("settrace", "monitoring")


class Context:
    """Everything a backend gets from its tracer, and the one thing it writes back (``calls``).

    - ``handler``: the predicate every event goes to.
    - ``threading_support``, ``profiling``: the tracer's options.
    - ``owner``: the tracer itself, opaque to the backend: events carry it (their lazy ``depth`` and ``calls``
      ask it), and a backend that suspends an older tracer reports that one's owner as ``previous``.
    - ``calls``: the number of call events so far; the backend counts them.
    - ``handler_failed(event, exc)``: the handler raised; the tracer reports it and stops (the backend's
      ``stop()`` is called from there, maybe while the backend's callback is still running).
    - ``stop_tracer()``: the backend can't go on (e.g. no tool id left to resume on); the tracer stops.
    - ``depths``: the frame counts of this run (``hunter._engine._depths``): the frames running at start, and the
      running frames a backend remembers because it sees them leave.
    - ``recording``: None, or the handler recognised as a static filter feeding one exporter that takes raw
      records (see ``hunter._engine._recording``). Then the backend judges code objects by the filter (``code_judge``)
      and, for those whose calls and returns are certain (``records_raw``), appends raw records to the exporter
      instead of building events; everything else goes to ``handler`` as usual.
    """

    __slots__ = (
        "calls",
        "depths",
        "handler",
        "handler_failed",
        "owner",
        "profiling",
        "recording",
        "stop_tracer",
        "threading_support",
    )

    def __init__(
        self,
        handler: Callable[[Event], Any],
        threading_support: bool | None,
        profiling: bool,
        owner: EventSource,
        handler_failed: Callable[[Event, Exception], None],
        stop_tracer: Callable[[], None],
        depths: Depths,
        calls: int = 0,
        recording: Recording | None = None,
    ) -> None:
        self.handler = handler
        self.threading_support = threading_support
        self.profiling = profiling
        self.owner = owner
        self.handler_failed = handler_failed
        self.stop_tracer = stop_tracer
        self.calls = calls
        self.depths = depths
        self.recording = recording


class Backend(Protocol):
    """What a Tracer needs from a backend."""

    name: str

    def __init__(self, context: Context) -> None: ...

    def start(self) -> None:
        """Install the interpreter hooks and start delivering events to ``context.handler``."""

    def stop(self) -> None:
        """Remove the hooks and restore whatever was installed before; never raise."""

    @property
    def previous(self) -> object:
        """What comes back on stop: the previous trace function (settrace), the suspended tracer (monitoring)."""

    def hand_over_thread(self) -> None:
        """The current thread now runs under another trace function (a debugger's): report none of its events."""


class BackendError(ValueError):
    """The requested backend does not exist or cannot run here."""


def choose(requested: str | None, profiling_mode: bool) -> tuple[str, str]:
    """Pick a backend name and say why: explicit choice, or the best one this interpreter has."""
    if requested is not None:
        if requested not in BACKENDS:
            raise BackendError(f"Unknown backend {requested!r}: choose one of {', '.join(BACKENDS)}.")
        if requested == "monitoring":
            problem = _monitoring_problem()
            if problem:
                raise BackendError(f"The 'monitoring' backend can't be used: {problem}. Use backend='settrace'.")
        return requested, "requested"
    if _monitoring_problem() is None:
        return "monitoring", "default on Python 3.12+ (sys.monitoring)"
    return "settrace", "sys.monitoring is not available before Python 3.12"


def _monitoring_problem() -> str | None:
    """Why the monitoring backend can't run here, or None when it can."""
    if not HAS_MONITORING:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return f"it needs sys.monitoring (Python 3.12+) and this is Python {version}"
    try:
        from . import monitoring  # noqa: F401
    except ImportError as exc:
        return f"it failed to load ({exc})"
    return None


def load(name: str) -> type[Backend]:
    """The backend class for a name returned by :func:`choose`."""
    if name == "monitoring":
        from .monitoring import MonitoringBackend

        return MonitoringBackend
    from .settrace import SettraceBackend

    return SettraceBackend
