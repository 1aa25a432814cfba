"""The command line's options turned into a Plan: the trace() arguments as text, for this process and its children."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence

from .. import config
from .._output._empty_trace import asked_modules
from .._setup._keywords import did_you_mean
from ..event import KINDS
from .._engine._own_code import HUNTER_DIR
from .._version import __version__
from ..backends import BackendError, choose
from ._actions import _action_text, _printers, _retarget
from ._argv import Target, split_argv
from ._errors import UsageError
from ._parser import _DEFAULT_OUTPUT, build_parser
from ._queries import _check_query

#: The predicate that recognises threading._shutdown's events, as PYTHONHUNTER text (children use it too).
_SHUTDOWN = "__import__('hunter._setup._noise')._setup._noise.INTERPRETER_SHUTDOWN"


class Plan:
    """Everything decided from the command line before anything runs (``hunter record`` adds its recorder to the
    texts). A plain class, as Target is."""

    __slots__ = ("child_text", "children", "format", "modules", "output", "target", "trace_text")

    def __init__(
        self,
        *,
        target: Target,
        trace_text: str,
        child_text: str,
        output: str | None,
        format: str,
        children: bool,
        modules: list[str],
    ) -> None:
        self.target = target
        self.trace_text = trace_text
        self.child_text = child_text
        self.output = output
        self.format = format
        self.children = children
        #: The module names asked for (--module, module= in a query): what the hint of an empty trace is about.
        self.modules = modules


def _kinds(values: list[str]) -> list[str]:
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    for kind in kinds:
        if kind not in KINDS:
            hint = did_you_mean(kind, KINDS)
            message = f"argument --kind: invalid choice: {kind!r} (choose from {', '.join(KINDS)})"
            raise UsageError(f"{message}.{hint}" if hint else message)
    return list(dict.fromkeys(kinds))


def make_plan(argv: Sequence[str], launcher: str | None = None) -> Plan:
    """Parse and check the command line (raises UsageError; runs nothing).

    ``launcher``: the file of the console script that called :func:`main` (its frame is machinery too).
    """
    option_words, target = split_argv(argv)
    parser = build_parser()
    options = parser.parse_args(option_words)
    if options.version:
        print(f"hunter {_version()}")
        raise SystemExit(0)
    if target is None:
        hint = " (after --action vars NAME..., put -- before the script)" if "vars" in (options.action or []) else ""
        raise UsageError(f"no script, -m module or -c code given{hint}")
    _check_flags(options)
    positional, tracer_options, asked = _queries(options.query)
    query = _filters(options, target)
    user_actions = _own_actions(options, tracer_options)
    _add_tracer_flags(options, tracer_options)
    output = _output(options)
    common = [_machinery(options, launcher), *positional]
    if query:
        common.append("Q(" + ", ".join(query) + ")")
    common.extend(f"{key}={value}" for key, value in tracer_options.items())
    return Plan(
        target=target,
        trace_text=_arguments_text(common, options, output, user_actions, child=False),
        child_text=_arguments_text(common, options, output, user_actions, child=True),
        output=output,
        format=options.format,
        children=not options.no_children,
        modules=asked_modules(options.module, asked),
    )


def _check_flags(options: argparse.Namespace) -> None:
    """Refuse the output flags that don't apply to the output asked for."""
    if options.action is not None and options.format != "text":
        raise UsageError(f"--action applies to --format text, not --format {options.format}")
    printers = {name for name, _ in _printers(options.action)}
    if options.compact and (options.format != "text" or "call" not in printers):
        raise UsageError("--compact applies to the text output of --action call (the default)")
    if options.elapsed and (options.format != "text" or not printers & {"call", "code"}):
        raise UsageError("--elapsed applies to the text output of --action call (the default) or code")
    if options.asyncio and (
        options.format == "jsonl" or (options.format == "text" and not printers & {"call", "code"})
    ):
        raise UsageError("--asyncio applies to --format chrome and to the text output of --action call or code")
    if options.max_size is not None and options.format == "text":
        raise UsageError("--max-size applies to --format chrome and jsonl")
    if options.min_duration is not None and options.format != "chrome":
        # (JSON Lines is the stream of events as they happen: a call's line is written before its callees'.)
        raise UsageError("--min-duration applies to --format chrome (JSON Lines writes each call as it begins)")
    if options.repr_limit is not None and options.format != "text" and options.repr_limit < 8:
        raise UsageError(f"--repr-limit must be at least 8 for --format {options.format}")


def _queries(texts: list[str]) -> tuple[list[str], dict[str, str], list[tuple[str, str]]]:
    """The --query texts, checked: their positional parts (each query's keywords as one ``Q(...)``), the tracer's
    options they set, and the query keywords asked for (for the hint of an empty trace)."""
    positional: list[str] = []
    tracer_options: dict[str, str] = {}
    asked: list[tuple[str, str]] = []
    for text in texts:
        parts, query_parts, option_parts = _check_query(text)
        asked.extend(query_parts)
        positional.extend(parts)
        if query_parts:
            positional.append("Q(" + ", ".join(f"**{v}" if k == "**" else f"{k}={v}" for k, v in query_parts) + ")")
        for key, value in option_parts:
            if key in tracer_options:
                raise UsageError(f"option {key!r} given in more than one --query")
            tracer_options[key] = value
    return positional, tracer_options, asked


def _filters(options: argparse.Namespace, target: Target) -> list[str]:
    """The filter flags (--module, --function, --stdlib, --kind, --depth-lt) as ``Q()`` keywords' source text."""
    query: list[str] = []
    if options.module:
        query.append(_module_filter(list(options.module), target))
    if options.function:
        query.append(f"function_in={tuple(options.function)!r}")
    if options.stdlib is not None:
        query.append(f"stdlib={options.stdlib!r}")
    kinds = _kinds(options.kind)
    if not kinds and options.format == "chrome":
        # The timeline is made of calls; line events would only cost time.
        kinds = ["call", "return", "exception"]
    if kinds:
        query.append(f"kind_in={tuple(kinds)!r}")
    if options.depth_lt is not None:
        query.append(f"depth_lt={options.depth_lt!r}")
    return query


def _module_filter(modules: list[str], target: Target) -> str:
    """--module's names as one ``module_regex`` keyword: each module and its submodules."""
    for module in modules:
        if not re.fullmatch(r"[\w.]+", module):
            raise UsageError(f"argument --module: {module!r} is not a module name")
    if target.kind == "module" and any(_within(target.name, module) for module in modules):
        # `--module app -m app.cli`: app.cli runs as __main__ (as __mp_main__ in multiprocessing's spawned
        # children), and it is part of app all the same.
        modules += ["__main__", "__mp_main__"]
    pattern = "(?:" + "|".join(re.escape(module) for module in modules) + r")(?:\.|$)"
    return f"module_regex={pattern!r}"


def _own_actions(options: argparse.Namespace, tracer_options: dict[str, str]) -> dict[str, str]:
    """The ``action``/``actions`` a --query names (taken out of ``tracer_options``), refused with the output flags."""
    user_actions: dict[str, str] = {
        key: tracer_options.pop(key) for key in ("action", "actions") if key in tracer_options
    }
    if user_actions and (
        options.action or options.format != "text" or options.elapsed or options.asyncio or options.compact
    ):
        raise UsageError(
            "a --query that names its own action can't be combined with --action, --format, --elapsed, --asyncio "
            "or --compact"
        )
    return user_actions


def _add_tracer_flags(options: argparse.Namespace, tracer_options: dict[str, str]) -> None:
    """--threads and --backend as the tracer's options (each refused when a --query sets it too)."""
    if options.threads:
        if any(alias in tracer_options for alias in config.THREADING_ALIASES):
            raise UsageError("--threads given both as an option and in a --query")
        tracer_options["threading_support"] = "True"
    if options.backend:
        if "backend" in tracer_options:
            raise UsageError("--backend given both as an option and in a --query")
        try:
            choose(options.backend, False)
        except BackendError as exc:
            raise UsageError(str(exc)) from None
        tracer_options["backend"] = repr(options.backend)


def _output(options: argparse.Namespace) -> str | None:
    """Where the output goes, as an absolute path (None: text to stderr)."""
    output: str | None = options.output
    if output is None:
        output = _DEFAULT_OUTPUT.get(options.format)
    if output is not None:
        output = os.path.abspath(output)
    return output


def _machinery(options: argparse.Namespace, launcher: str | None) -> str:
    """The predicate that leaves out what runs around the program, as source text."""
    # hunter's own code, the runpy frames that start a -m module and the interpreter's shutdown work are machinery,
    # not the program.
    machinery = [_SHUTDOWN, "module='runpy'", f"filename_startswith={HUNTER_DIR!r}"]
    if launcher is not None:
        machinery.append(f"filename={launcher!r}")
    if options.stdlib is False:
        # setuptools' import hook (its distutils-precedence.pth installs it) runs at every import: it is part of the
        # import machinery, as much as importlib is.
        machinery.append("module_startswith='_distutils_hack'")
    return f"Not(Or({', '.join(machinery)}))"


def _arguments_text(
    common: list[str], options: argparse.Namespace, output: str | None, user_actions: dict[str, str], child: bool
) -> str:
    """The whole trace() arguments' text: the predicate (``common``) and the action, for this process or a child."""
    parts = list(common)
    if not user_actions:
        text = _action_text(options, output, child)
        parts.append(f"{'actions' if text.startswith('[') else 'action'}={text}")
    settings = {}
    if output is not None:
        settings["stream"] = repr(output)
        if child:
            settings["force_pid"] = "True"
    if options.repr_limit is not None:
        settings["repr_limit"] = repr(options.repr_limit)
    for key, value in user_actions.items():
        parts.append(f"{key}={_retarget(value, settings) if settings else value}")
    return ", ".join(parts)


def _within(module: str, package: str) -> bool:
    """Whether ``module`` is ``package`` or one of its submodules."""
    return module == package or module.startswith(package + ".")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hunter")
    except Exception:  # not installed as a distribution (e.g. run from a source tree)
        return __version__
