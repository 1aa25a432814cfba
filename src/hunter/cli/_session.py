"""One traced run: the children's environment, starting the tracer, and the finishing work at exit."""

from __future__ import annotations

import atexit
import os
import re
import sys
from typing import Any

from .._output import _streams
from .. import config
from .._output._empty_trace import hint
from .._setup._options import trace
from ._argv import _prog
from ._errors import _fail
from ._plan import Plan


def _is_timeline(action: Any) -> bool:
    """Whether ``action`` is a timeline exporter. Read without importing the exporters (most runs print or record;
    the exporters are a large import): a timeline exporter exists only once its module was imported."""
    timeline = sys.modules.get("hunter.exporters._timeline")
    return timeline is not None and isinstance(action, timeline.TimelineWriter)


def _writes_nowhere(action: Any) -> bool:
    """Whether ``action`` is a printer left without a stream (its default, stderr, is closed)."""
    return getattr(action, "stream", None) is _streams.NOWHERE


class Session:
    """One traced run: environment for the children, the tracer, and the finishing work at exit."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.prog = _prog()  # (sys.argv becomes the program's)
        self.pid = os.getpid()
        self.tracer: Any = None
        self.exporters: list[Any] = []
        self.finished = False
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.untraced = False
        self.inherited_value = os.environ.get("PYTHONHUNTER")

    def run_untraced(self) -> None:
        """Give up tracing, silently: stderr is closed (``2>&-``), so the trace and any message about it have
        nowhere to go; the program (and its children) run exactly as they would without hunter."""
        self.untraced = True
        if self.inherited_value is None:
            os.environ.pop("PYTHONHUNTER", None)
        else:
            os.environ["PYTHONHUNTER"] = self.inherited_value

    def prepare(self) -> None:
        """Set up the children's environment and build the trace() arguments (the output file is made here).

        Exits with status 2 when the output file can't be written: nothing has run yet.
        """
        plan = self.plan
        if config.last_tracer is not None:
            # PYTHONHUNTER was set for this very process: the command line wins.
            config.stop()
        if plan.children:
            os.environ["PYTHONHUNTER"] = plan.child_text
        else:
            os.environ.pop("PYTHONHUNTER", None)
        try:
            if plan.format == "text" and plan.output is not None:
                open(plan.output, "w").close()  # like a shell redirection: this run's lines only
            self.args, self.kwargs = config.parse_trace_arguments(plan.trace_text)
        except (OSError, config.ConfigError) as exc:
            if sys.stderr is None and isinstance(exc, config.ConfigError):
                self.run_untraced()  # the printer had no stream to write to
                return
            # In practice the output file (every query was checked on its own already); nothing has run.
            # (The column of a ConfigError points into text the user never wrote: leave it out.)
            _fail(f"{_prog()}: error: {re.sub(r' [(]at column [0-9]+[)]$', '', str(exc))}", 2)
        actions = self.kwargs.get("actions") or [self.kwargs.get("action")]
        if sys.stderr is None and all(_writes_nowhere(action) for action in actions):
            self.run_untraced()  # every printer writes to the closed stderr: the trace has nowhere to go
            return
        self.exporters = [action for action in actions if _is_timeline(action)]
        if self.exporters or plan.output is not None:
            # Now, not at exit: importing a module at exit after a KeyboardInterrupt makes python exit with 1.
            from hunter.exporters import _finish  # noqa: F401
        if plan.modules:
            # (the hint of an empty trace suggests close module names at exit: imported now, for the reason above)
            import difflib  # noqa: F401
        atexit.register(self.finish)
        if self.exporters:
            # What finish() needs, imported now: python forgets an uncaught KeyboardInterrupt (and ends with
            # status 1, not by SIGINT) once any module is imported while it exits.
            import hunter.exporters._summary
            import hunter.exporters.chrome  # noqa: F401

            _handle_fatal_signals(self.finish)

    def start(self) -> None:
        """Start tracing: the very last thing before the program's first line."""
        if self.untraced:
            return
        try:
            self.tracer = trace(*self.args, **self.kwargs)
        except Exception as exc:
            if sys.stderr is None:
                self.run_untraced()
                return
            if isinstance(exc, _streams.OutputError):
                # The output broke at its first write (a full disk): as when it breaks later, the program runs on.
                config.say(f"hunter: tracing stopped: {exc}\n")
                self.run_untraced()
                return
            if isinstance(exc, (OSError, ValueError)):
                # What only starting can tell (a recording's folder that is missing, options that conflict):
                # one line, nothing run, as for the other outputs.
                _fail(f"{self.prog}: error: {exc}", 2)
            raise

    def finish(self) -> None:
        """At exit (after the program's own exit handlers): stop, close the files, merge the children's."""
        if self.finished:
            return
        self.finished = True
        if self.tracer is not None:
            self.tracer.stop()
        for exporter in self.exporters:
            exporter.close()
        if os.getpid() != self.pid:
            # A forked child of the program that exits normally runs our exit handler too: its own file is
            # closed now, and the merge is the main process's job (it would replace the file under its feet).
            return
        counts = [_finish_timeline(exporter, self.prog) for exporter in self.exporters]
        events = -1 if any(count < 0 for count in counts) else sum(counts)  # -1: not known
        if self.plan.format == "text" and self.plan.output is not None and not self.untraced:
            from hunter.exporters._finish import finish_text

            finish_text(self.plan.output)
        if sys.stderr is not None and self._traced_nothing(events):
            shortest = max((getattr(exporter, "min_duration", 0) for exporter in self.exporters), default=0)
            if shortest and self.tracer is not None and self.tracer.calls:
                # Calls were traced; none lasted long enough to be kept: the filters are not what to loosen.
                sys.stderr.write(
                    f"hunter: no call lasted --min-duration ({_duration_text(shortest)}) or longer "
                    f"({self.tracer.calls:,} calls traced)\n"
                )
                return
            script = self.plan.target.name if self.plan.target.kind == "script" else None
            sys.stderr.write(hint(self.plan.modules, script, list(sys.modules)) + "\n")

    def _traced_nothing(self, timeline_events: int) -> bool:
        """Whether the run's output holds no event (only known for printers and timelines)."""
        from ..actions import ColorStreamAction

        actions = self.kwargs.get("actions") or [self.kwargs.get("action")]
        if (
            self.untraced
            or self.tracer is None
            or not all(isinstance(action, ColorStreamAction) or _is_timeline(action) for action in actions)
        ):
            return False  # (a Debugger, the program's own action: whether they did anything is theirs to say)
        if self.exporters:
            return timeline_events == 0 and len(self.exporters) == len(actions)
        return _streams.writes == 0 and not any(getattr(action, "_printed", False) for action in actions)


def _duration_text(seconds: float) -> str:
    """``1.5 ms``, ``250 µs``, ``2 s``."""
    for unit, size in (("s", 1.0), ("ms", 1e-3)):
        if seconds >= size:
            return f"{round(seconds / size, 6):g} {unit}"
    return f"{round(seconds * 1e6, 3):g} µs"


def _handle_fatal_signals(finish: Any) -> None:
    """SIGTERM and SIGHUP: ``finish`` (stop, close, merge, summary), then end by the signal as python would."""
    from hunter.exporters import _termination as _signals

    _signals.add_hook(finish)
    _signals.handle_fatal_signals()


def _finish_timeline(exporter: Any, prog: str) -> int:
    """Stop the child processes' recording, merge their files into the closed timeline, print the summary line;
    returns how many events it holds (-1: unknown)."""
    from hunter.exporters._finish import finish_timeline

    return finish_timeline(exporter, prog)
