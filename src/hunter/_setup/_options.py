"""The one path from keywords to tracing: trace()-style arguments become a checked predicate and the Tracer's
settings (``prepare``), and configuration keywords become the defaults of trace() and of actions (``load_config``).

``hunter.trace()``, PYTHONHUNTER, the command line's query check and remote sessions all go through ``prepare``,
so an option means the same everywhere and a mistake is reported the same way, before anything starts.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection
from typing import Any

from .. import config
from ._keywords import FIELDS, OPERATOR_ALIASES, did_you_mean, parse_query_key, query_keywords, value_problem
from ..actions import CallPrinter
from ..backends import BACKENDS, BackendError, choose
from ..event import Event
from ..predicates import Q, check
from ..tracer import Tracer

__all__ = [
    "TraceSetup",
    "classify",
    "load_config",
    "new_recorder",
    "prepare",
    "prepare_predicate",
    "trace",
    "with_recorder",
]

Predicate = Callable[[Event], Any]


def classify(key: str) -> str | None:
    """What a keyword is: ``'tracer'``, ``'action'``, ``'printer'``, ``'debugger'``, ``'query'``, or None."""
    if key in config.TRACER_OPTIONS:
        return "tracer"
    if key in config.ACTION_OPTIONS:
        return "action"
    if key in config.PRINTER_OPTIONS:
        return "printer"
    if key in config.DEBUGGER_OPTIONS:
        return "debugger"
    try:
        parse_query_key(key)
    except TypeError:
        return None
    return "query"


def unexpected_option(key: str) -> str:
    """The one-line message for a keyword trace() doesn't take: the closest valid name, and what it takes."""
    if key in config.PRINTER_OPTIONS or key in config.DEBUGGER_OPTIONS:
        hint = f" It is an option of the actions: give it to one (e.g. CallPrinter({key}=...)) or to load_config()."
    else:
        hint = did_you_mean(key, [*config.TRACER_OPTIONS, *config.ACTION_OPTIONS, *query_keywords()])
    options = sorted({"threading_support", "clear_env_var", "profile", "backend", *config.ACTION_OPTIONS})
    operators = sorted(alias for alias in OPERATOR_ALIASES if alias)
    return (
        f"Unexpected argument {key!r}.{hint} trace() takes the options {', '.join(options)} and query keywords "
        f"FIELD or FIELD_OPERATOR (FIELD one of {', '.join(sorted(FIELDS))}; OPERATOR one of {', '.join(operators)})."
    )


# -- trace() -------------------------------------------------------------------------------------------------


class TraceSetup:
    """What trace()-style arguments ask for: the predicate to install and how to build the Tracer.

    (A plain class: a dataclass's module imports inspect, and a NamedTuple class is made through annotationlib, and
    so ast, on 3.14; each a large part of a small program's start-up when hunter is imported.)
    """

    __slots__ = ("backend", "clear_env_var", "predicate", "profiling_mode", "threading_support")

    def __init__(
        self,
        *,
        predicate: Predicate,
        threading_support: bool | None,
        profiling_mode: bool,
        backend: str | None,
        clear_env_var: bool,
    ) -> None:
        self.predicate = predicate
        self.threading_support = threading_support
        self.profiling_mode = profiling_mode
        self.backend = backend
        self.clear_env_var = clear_env_var


def prepare_predicate(*predicates: Any, **options: Any) -> Predicate:
    """Turn predicates, query keywords and ``action(s)=`` into one predicate (CallPrinter when no action given)."""
    if "action" not in options and "actions" not in options:
        options["action"] = CallPrinter
    return Q(*predicates, **options)


def prepare(
    predicates: tuple[Any, ...],
    options: dict[str, Any],
    default_action: Any = CallPrinter,
    check_backend: bool = True,
) -> TraceSetup:
    """trace()'s arguments, with the configured defaults, as a checked predicate and the Tracer's settings.

    Raises a TypeError/ValueError with a one-line message for anything that can't work (an unknown option, a
    query value that can never match, a backend this Python lacks), before anything starts. With
    ``check_backend=False`` a requested backend is checked by name only (for another process's Python).
    """
    predicates, options = config.apply_config(tuple(predicates), dict(options))
    tracer_options: dict[str, Any] = {}
    keywords: dict[str, Any] = {}
    for key, value in options.items():
        role = classify(key)
        if role == "tracer":
            tracer_options[key] = value
        elif role in ("action", "query"):
            keywords[key] = value
        else:
            raise TypeError(unexpected_option(key))
    threading_support = None
    for alias in config.THREADING_ALIASES:
        if alias in tracer_options:
            threading_support = tracer_options[alias]
    profiling_mode = bool(tracer_options.get("profile", False))
    backend = tracer_options.get("backend")
    if check_backend or backend not in BACKENDS:
        choose(backend, profiling_mode)  # a BackendError (ValueError) says why it can't run here
    record = {key: keywords.pop(key) for key in config.RECORD_OPTIONS if key in keywords}
    if "action" not in keywords and "actions" not in keywords and not record:
        keywords["action"] = default_action
    if record:
        predicates = _recording(predicates, keywords, record, default_action is not CHECK_ONLY)
    predicate = Q(*predicates, **keywords)
    check(predicate)
    return TraceSetup(
        predicate=predicate,
        threading_support=threading_support,
        profiling_mode=profiling_mode,
        backend=backend,
        clear_env_var=bool(tracer_options.get("clear_env_var", False)),
    )


def CHECK_ONLY(event: Any) -> None:
    """The default action of a check that must start nothing (the CLI's query check: ``record=`` opens no file)."""


def _recording(
    predicates: tuple[Any, ...], keywords: dict[str, Any], record: dict[str, Any], create: bool
) -> tuple[Any, ...]:
    """``record=PATH``: a Recorder of this tracer's own joins the actions (see :func:`with_recorder`)."""
    recorder = new_recorder(record)
    if create:
        recorder.open()  # (a run with no event still leaves a recording, an empty one)
        # Its file is finished (the end mark written, closed) when the tracer stops: the recording is whole then, and
        # a program that records again and again doesn't keep a file open for each. A flight recorder stays: its
        # events are written later, on a dump (an uncaught exception, a signal).
        recorder.closes_with_tracer = not recorder.keeps_last
    return with_recorder(predicates, keywords, recorder)


def new_recorder(record: dict[str, Any]) -> Any:
    """The Recorder (or FlightRecorder) the ``record=``/``record_*=`` keywords ask for; the file isn't opened yet."""
    if "record" not in record:
        raise TypeError(f"{sorted(record)[0]!r} needs record=PATH (the file to record to).")
    settings = {key[len("record_") :]: value for key, value in record.items() if key != "record"}
    # record_last=N / record_last_size=SIZE: the flight recorder (each thread's last events, written when something
    # goes wrong).
    if "last" in settings or "last_size" in settings:
        from ..record.flight import FlightRecorder

        return FlightRecorder(record["record"], **settings)
    from ..record.writer import Recorder

    return Recorder(record["record"], **settings)


def with_recorder(predicates: tuple[Any, ...], keywords: dict[str, Any], recorder: Any) -> tuple[Any, ...]:
    """The recorder joins the actions in ``keywords``; without line events recorded, lines are left out of the
    predicates returned, so that the backends don't deliver them at all."""
    keywords["actions"] = [*keywords.get("actions", ()), *([keywords.pop("action")] if "action" in keywords else [])]
    keywords["actions"].append(recorder)
    if not recorder.lines:
        predicates = (*predicates, _without_lines())
    return predicates


@functools.cache
def _without_lines() -> Predicate:
    """``Q(kind_in=("call", "return", "exception"))``, made once (a Query never changes)."""
    return Q(kind_in=("call", "return", "exception"))


def trace(*predicates: Predicate, **options: Any) -> Tracer:
    """Start tracing now with the given predicates, query keywords and options; returns the Tracer."""
    setup = prepare(predicates, options)
    if setup.clear_env_var:
        os.environ.pop("PYTHONHUNTER", None)
    tracer = Tracer(
        threading_support=setup.threading_support, profiling_mode=setup.profiling_mode, backend=setup.backend
    )
    config.last_tracer = tracer
    return tracer._start(setup.predicate)  # (prepare checked it)


# -- load_config() ------------------------------------------------------------------------------------------


def _config_namespace(names: Collection[str]) -> dict[str, Any]:
    # As in hunter 3.9, which evaluates the configuration among the package's globals: `stream=sys.stdout`.
    return {"os": os, "sys": sys, **config.public_namespace(names)}


def _option_problem(key: str, value: Any) -> str | None:
    """Why a configured keyword can't be used (one line), or None when it is fine."""
    role = classify(key)
    if role is None:
        candidates = [
            *config.TRACER_OPTIONS,
            *config.ACTION_OPTIONS,
            *config.PRINTER_OPTIONS,
            *config.DEBUGGER_OPTIONS,
            *query_keywords(),
        ]
        hint = did_you_mean(key, candidates)
        return f"Unknown option.{hint}" if hint else "Unknown option"
    if role in ("printer", "debugger"):
        return config.printer_option_problem(key, value)
    if role == "action":
        values = value if key == "actions" and isinstance(value, (list, tuple)) else [value]
        return next((f"Not a callable: {item!r}" for item in values if not callable(item)), None)
    if key == "backend":
        try:
            choose(value, False)
        except BackendError as exc:
            return str(exc)
        return None
    if role == "query":
        field, operator = parse_query_key(key)
        return value_problem(field, operator, value)
    return None


def _predicate_problem(predicate: Any) -> str | None:
    if not callable(predicate):
        return "Not a callable"
    try:
        check(predicate)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def load_config(*args: Any, **kwargs: Any) -> None:
    """Set the defaults of trace() and of actions; with no arguments, read PYTHONHUNTERCONFIG.

    Each unusable value is reported in one line and left out; the rest applies. Problems are found here, once,
    so that no trace() reports them again.
    """
    origin = "load_config()"
    if not args and not kwargs:
        origin = "PYTHONHUNTERCONFIG"
        value = os.environ.get("PYTHONHUNTERCONFIG", "")
        if value.strip():
            try:
                args, kwargs = config.parse_trace_arguments(value, _config_namespace)
            except config.ConfigError as exc:
                config.say(f"Failed to load hunter config from PYTHONHUNTERCONFIG {value!r}: {exc.shown!r}\n")
                config.default_trace_args = ((), ())  # what 3.9 leaves after a failed load
                return
    options: dict[str, Any] = {}
    action_defaults: dict[str, Any] = {}
    for key, value in kwargs.items():
        key = key.lower()  # as in 3.9
        problem = _option_problem(key, value)
        role = classify(key)
        if problem:
            config.say(f"Discarded config from {origin} {key}={value!r}: {problem}\n")
        if role in ("printer", "debugger"):
            # Kept as given, as in 3.9 (which test suites read back): actions pass over unusable values.
            action_defaults[key] = value
        elif not problem:
            options[key] = value
    predicates: list[Any] = []
    for position, value in enumerate(args):
        problem = _predicate_problem(value)
        if problem:
            config.say(f"Discarded config from {origin} {value} (position {position}): {problem}\n")
        else:
            predicates.append(value)
    config.default_config.clear()
    config.default_config.update(action_defaults)
    config.default_trace_args = (predicates, options)
