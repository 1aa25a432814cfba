"""``python -m hunter`` / ``hunter``: run a script or module the way ``python`` would, traced."""

from __future__ import annotations

import argparse
import ast
import atexit
import builtins
import importlib.machinery
import os
import re
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ._output import _streams
from . import config
from ._output._empty_trace import asked_modules, hint
from ._setup._keywords import KINDS, did_you_mean
from ._setup._options import CHECK_ONLY, prepare, trace
from ._engine._own_code import HUNTER_DIR
from ._output._tracebacks import without_tracer_frames
from ._version import __version__
from .backends import BackendError, choose

__all__ = ["main"]

EXAMPLES = """\
examples:
  hunter app.py                              trace everything app.py does (calls, lines, returns)
  hunter --no-stdlib app.py --verbose        skip the standard library; app.py gets --verbose
  hunter --module app -m app.cli serve       trace the app package while running `python -m app.cli serve`
  hunter -q 'module="app", function="handle"' --action code app.py
  hunter -q 'Q(kind="exception") | Q(function="retry")' -o trace.txt app.py
  hunter --action vars x self.total -- app.py
  hunter --format chrome -o timeline.json app.py   then: hunter view timeline.json (offline flame chart)
  hunter --format jsonl -o events.jsonl --kind call app.py
  hunter --module __main__ -c 'import app; app.main()'
  hunter -q 'module="app", action=CodePrinter' -o trace.txt app.py

environment variables:
  PYTHONHUNTER        trace any python program without this command: PYTHONHUNTER='module="app"' python app.py
                      (what goes between the parentheses of hunter.trace(...)); this command sets it for the
                      program's child processes, and replaces the one it was given
  PYTHONHUNTERCONFIG  defaults for every trace and printer, e.g. PYTHONHUNTERCONFIG='stdlib=False, repr_limit=80'
  NO_COLOR            any value but the empty one: no colours, even on a terminal (it wins over FORCE_COLOR)
  FORCE_COLOR         any value but the empty one (0 too, as pytest and rich read it): colours, even in a file
                      or pipe; without either, text output is coloured on a terminal unless TERM=dumb

Queries use the PYTHONHUNTER syntax (what goes between the parentheses of hunter.trace(...)); several -q
and the filter flags must all match. Child processes (subprocess, multiprocessing) are traced too, through
the PYTHONHUNTER environment variable, unless --no-children.
"""

#: Options that take a value: needed to find where hunter's options end and the program's arguments begin
#: (python's own rule: at the script name or -m), before argparse sees only hunter's part.
_VALUE_OPTIONS = frozenset(
    {
        "-q",
        "--query",
        "--module",
        "--function",
        "--kind",
        "--depth-lt",
        "-o",
        "--output",
        "--backend",
        "--format",
        "--repr-limit",
        "--max-size",
    }
)
_ACTIONS = {
    "call": "CallPrinter",
    "code": "CodePrinter",
    "vars": "VarsPrinter",
    "snoop": "VarsSnooper",
    "errors": "ErrorSnooper",
}
_FORMATS = ("text", "chrome", "jsonl")
_DEFAULT_OUTPUT = {"chrome": "hunter-trace.json", "jsonl": "hunter-trace.jsonl"}
#: The predicate that recognises threading._shutdown's events, as PYTHONHUNTER text (children use it too).
_SHUTDOWN = "__import__('hunter._setup._noise')._setup._noise.INTERPRETER_SHUTDOWN"
#: The printers whose output -o can redirect when a --query names them as its action.
_PRINTERS = ("CallPrinter", "CodePrinter", "VarsPrinter", "VarsSnooper", "ErrorSnooper", "StackPrinter")


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2, nothing run."""


@dataclass
class Target:
    """What to run: a script (``kind='script'``; ``'-'`` for stdin), a module (``kind='module'``) or the code given
    with -c (``kind='command'``, the code in ``name``)."""

    kind: str
    name: str
    args: list[str] = field(default_factory=list)
    #: A script file's contents, read before anything runs (so that an unreadable one fails as python's does).
    source: bytes | None = field(default=None, compare=False, repr=False)


# -- command line ------------------------------------------------------------------------------------------


def _prog() -> str:
    if os.path.basename(sys.argv[0]) == "__main__.py":
        return "python -m hunter"
    return os.path.basename(sys.argv[0]) or "hunter"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # 3.15's argparse adds its own "maybe you meant" to an invalid choice: one suggestion, ours, on every Python.
        if hasattr(self, "suggest_on_error"):
            self.suggest_on_error = False

    def error(self, message: str) -> NoReturn:
        hint = self._suggestion(message)
        raise UsageError(f"{message}.{hint}" if hint else message)

    def _suggestion(self, message: str) -> str:
        """``" Did you mean '--module'?"`` for a misspelt option or choice, else nothing."""
        unknown = re.match(r"unrecognized arguments: (-\S+)", message)
        if unknown:
            return did_you_mean(unknown.group(1).split("=", 1)[0], self._option_string_actions)
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            return did_you_mean(choice.group(1), re.findall(r"[\w-]+", choice.group(2)))
        return ""


def build_parser() -> argparse.ArgumentParser:
    """The parser for hunter's own options (the program and its arguments are split off before)."""
    prog = _prog()
    parser = _Parser(
        prog=prog,
        usage=(
            f"{prog} [OPTIONS] [--] script.py [args...]\n       {prog} [OPTIONS] -m module [args...]\n"
            f"       {prog} [OPTIONS] -c code [args...]"
        ),
        description="Run a Python program the way `python` would, and trace it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        add_help=False,
    )
    what = parser.add_argument_group("what to trace (all must match)")
    what.add_argument(
        "-q",
        "--query",
        action="append",
        default=[],
        metavar="QUERY",
        help="a query in the PYTHONHUNTER syntax, e.g. 'module=\"app\", stdlib=False' (repeatable)",
    )
    what.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="NAME",
        help="only code of this module or its submodules (repeatable: any of them)",
    )
    what.add_argument("--function", action="append", default=[], metavar="NAME", help="only this function (repeatable)")
    stdlib = what.add_mutually_exclusive_group()
    stdlib.add_argument("--stdlib", dest="stdlib", action="store_const", const=True, help="only the standard library")
    stdlib.add_argument(
        "--no-stdlib", dest="stdlib", action="store_const", const=False, help="leave out the standard library"
    )
    what.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="only these events: call, line, return, exception (repeatable or comma-separated)",
    )
    what.add_argument("--depth-lt", type=int, metavar="N", help="only events less than N calls deep")
    out = parser.add_argument_group("what to do with the events")
    out.add_argument(
        "--action",
        nargs="+",
        metavar="ACTION",
        help="text output: call (default), code, vars NAME... (end the names with --), snoop, errors; several "
        "at once: --action call errors",
    )
    out.add_argument(
        "--format",
        choices=_FORMATS,
        default="text",
        help="text (default), chrome (a timeline for Perfetto / chrome://tracing) or jsonl (one event per line)",
    )
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"where to write (default: stderr for text, {_DEFAULT_OUTPUT['chrome']} / {_DEFAULT_OUTPUT['jsonl']})",
    )
    out.add_argument(
        "--repr-limit",
        type=_whole_number,
        metavar="N",
        help="show at most N characters of each value (default: 1024 for text, 256 for timelines)",
    )
    out.add_argument(
        "--max-size",
        type=_byte_count,
        metavar="SIZE",
        help="timelines: stop recording once a process wrote SIZE (e.g. 200MB; the file stays whole)",
    )
    out.add_argument(
        "--compact",
        action="store_true",
        help="shorter lines for --action call: paths relative to here, Class.method names, exceptions as "
        "'! Error: message', calls ended by an exception said so (the default is hunter 3.9's format)",
    )
    out.add_argument(
        "--elapsed",
        action="store_true",
        help="start each line with the seconds since the first event (--action call or code)",
    )
    out.add_argument(
        "--asyncio",
        action="store_true",
        help="asyncio tasks: a task column and coroutines' steps as one call (text, --action call or code); "
        "a track per task (--format chrome)",
    )
    how = parser.add_argument_group("how")
    how.add_argument("--threads", action="store_true", help="always show the thread column")
    how.add_argument("--backend", choices=("settrace", "monitoring"), help="the tracing backend (default: the best)")
    how.add_argument("--no-children", action="store_true", help="don't trace child processes")
    how.add_argument("-h", "--help", action="help", help="show this help and exit")
    how.add_argument("--version", action="store_true", help="show hunter's version and exit")
    return parser


def _byte_count(text: str) -> int:
    from hunter.exporters._summary import parse_size

    return parse_size(text)


_byte_count.__name__ = "size"  # "invalid size value: '12XB'"


def _whole_number(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_whole_number.__name__ = "whole number"  # argparse names the type in its message: "invalid whole number value"


def split_argv(argv: Sequence[str]) -> tuple[list[str], Target | None]:
    """Split the command line into hunter's options and the target, by python's rule: options end at the
    script name, ``-m MODULE``, ``-c CODE``, ``-`` or ``--``."""
    options: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            rest = argv[index + 1 :]
            if not rest:
                return options, None
            return options, Target("script", rest[0], list(rest[1:]))
        if token == "-":
            return options, Target("script", "-", list(argv[index + 1 :]))
        if token == "-m" or (token.startswith("-m") and not token.startswith("--")):
            if token == "-m":
                if index + 1 >= len(argv):
                    raise UsageError("argument -m: expected a module name")
                return options, Target("module", argv[index + 1], list(argv[index + 2 :]))
            return options, Target("module", token[2:], list(argv[index + 1 :]))
        if token == "-c" or (token.startswith("-c") and not token.startswith("--")):
            if token == "-c":
                if index + 1 >= len(argv):
                    raise UsageError("argument -c: expected the code to run")
                return options, Target("command", argv[index + 1], list(argv[index + 2 :]))
            return options, Target("command", token[2:], list(argv[index + 1 :]))
        if not token.startswith("-"):
            return options, Target("script", token, list(argv[index + 1 :]))
        options.append(token)
        index += 1
        name = token.split("=", 1)[0]
        if name == "--action" and "=" not in token:
            # Printer names (the first word whatever it is, so that a misspelt one gets its message), and after
            # `vars` the names to show: everything up to the next option or `--`.
            in_vars = False
            while index < len(argv) and not argv[index].startswith("-"):
                word = argv[index]
                if options[-1] != token and not in_vars and word not in _ACTIONS:
                    break
                in_vars = in_vars or word == "vars"
                options.append(word)
                index += 1
        elif name in _VALUE_OPTIONS and "=" not in token and index < len(argv):
            options.append(argv[index])  # (-qVALUE / -oFILE carry their value glued on: nothing to take)
            index += 1
    return options, None


# -- turning options into trace() arguments ----------------------------------------------------------------


@dataclass
class Plan:
    """Everything decided from the command line before anything runs."""

    target: Target
    trace_text: str
    child_text: str
    output: str | None
    format: str
    children: bool
    #: The module names asked for (--module, module= in a query): what the hint of an empty trace is about.
    modules: list[str] = field(default_factory=list)


def _check_query(text: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Validate one -q text; split it into positional, query-keyword and option-keyword source texts."""
    try:
        args, kwargs = config.parse_trace_arguments(text)
        # Checked as trace() will take it, without making a printer (its stream is the program's business).
        prepare(args, kwargs, default_action=_no_action)
    except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
        raise UsageError(f"bad --query {text!r}: {exc}{_query_hint(text, str(exc))}") from None
    # Keep the source text of every part, so that the children get the very same query.
    tree = ast.parse(f"_({text}\n)", mode="eval")
    source = f"_({text}\n)"
    call = tree.body
    assert isinstance(call, ast.Call)
    positional = [_segment(source, node) for node in call.args]
    query_parts: list[tuple[str, str]] = []
    option_parts: list[tuple[str, str]] = []
    for keyword in call.keywords:
        value = _segment(source, keyword.value)
        if keyword.arg is None:
            query_parts.append(("**", value))
        elif keyword.arg in config.TRACER_OPTIONS or keyword.arg in config.ACTION_OPTIONS:
            option_parts.append((keyword.arg, value))
        else:
            query_parts.append((keyword.arg, value))
    return positional, query_parts, option_parts


def _query_hint(text: str, message: str) -> str:
    """What to do about a --query's error, when it is one of the common ones (else nothing).

    ``module=bank``: the shell ate the quotes, the value is read as a name; ``CallPrinter(repr_limt=3)``: the
    closest option of the action.
    """
    try:
        call = ast.parse(f"_({text}\n)", mode="eval").body
    except SyntaxError:
        return ""
    if not isinstance(call, ast.Call):
        return ""
    undefined = re.search(r"NameError: name '(\w+)' is not defined", message)
    if undefined:
        for keyword in call.keywords:
            if isinstance(keyword.value, ast.Name) and keyword.value.id == undefined.group(1):
                value = keyword.value.id
                return (
                    f". A text value needs quotes: {keyword.arg}={value!r}; in a shell, quote the whole query: "
                    f"-q '{keyword.arg}=\"{value}\"'"
                )
        return ""
    unexpected = re.search(r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'", message)
    if unexpected and "Did you mean" not in message:  # (3.13's own message names the closest already)
        return _option_hint(call, unexpected.group(2))
    return ""


def _option_hint(call: ast.Call, name: str) -> str:
    """``" Did you mean 'repr_limit'?"`` for an action given an option it doesn't take."""
    import inspect

    for node in ast.walk(call):
        if not (isinstance(node, ast.Call) and any(keyword.arg == name for keyword in node.keywords)):
            continue
        target = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        options: set[str] = set(config.PRINTER_OPTIONS)
        klass = config.public_namespace((target,)).get(target)
        for cls in getattr(klass, "__mro__", ()):
            try:
                options.update(inspect.signature(cls.__init__).parameters)
            except (TypeError, ValueError):
                continue
        options -= {"self", "args", "kwargs", "options"}
        hint = did_you_mean(name, options)
        return f".{hint}" if hint else ""
    return ""


#: Stands for the printer while a query is checked: the printer itself is made when tracing starts.
_no_action = CHECK_ONLY


def _segment(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node)
    if isinstance(node, ast.Starred):
        return text or ""
    return f"({text})" if text and "\n" in text else text or ""


def _kinds(values: list[str]) -> list[str]:
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    for kind in kinds:
        if kind not in KINDS:
            hint = did_you_mean(kind, KINDS)
            message = f"argument --kind: invalid choice: {kind!r} (choose from {', '.join(KINDS)})"
            raise UsageError(f"{message}.{hint}" if hint else message)
    return list(dict.fromkeys(kinds))


def _printers(words: list[str] | None) -> list[tuple[str, list[str]]]:
    """``--action``'s words as printers, each with its names: ``call vars x y`` -> call, then vars of x and y."""
    printers: list[tuple[str, list[str]]] = []
    for word in words or ["call"]:
        if printers and printers[-1][0] == "vars":
            printers[-1][1].append(word)
        elif word in _ACTIONS:
            if any(name == word for name, _ in printers):
                raise UsageError(f"--action {word} given twice")
            printers.append((word, []))
        else:
            hint = did_you_mean(word, _ACTIONS)
            message = f"argument --action: invalid choice: {word!r} (choose from {', '.join(_ACTIONS)})"
            raise UsageError(f"{message}.{hint}" if hint else message)
    for name, names in printers:
        if name == "vars" and not names:
            raise UsageError("--action vars needs at least one NAME")
        for item in names:
            try:
                compile(item, "<vars>", "eval")
            except SyntaxError:
                raise UsageError(f"--action vars: {item!r} is not a Python expression") from None
    return printers


def _action_text(options: argparse.Namespace, output: str | None, child: bool) -> str:
    """The action of the trace, as PYTHONHUNTER source text (``actions=[...]`` for several printers)."""
    limit = [] if options.repr_limit is None else [f"repr_limit={options.repr_limit!r}"]
    limit += ["asyncio=True"] if options.asyncio and options.format == "chrome" else []
    limit += [] if options.max_size is None else [f"max_size={options.max_size}"]
    # signals=True: SIGTERM/SIGHUP close the file before the process ends (in the children too).
    if options.format == "chrome":
        return f"ChromeTrace({', '.join([repr(output), *limit, 'signals=True'])})"
    if options.format == "jsonl":
        return f"JSONLines({', '.join([repr(output), *limit, 'signals=True'])})"
    texts = [_printer_text(options, name, names, output, child, limit) for name, names in _printers(options.action)]
    return texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"


def _printer_text(
    options: argparse.Namespace, name: str, names: list[str], output: str | None, child: bool, limit: list[str]
) -> str:
    """One text printer of --action, as PYTHONHUNTER source text."""
    arguments = [repr(item) for item in names]
    if output is not None:
        arguments.append(f"stream={output!r}")
    if child:
        # A child's lines end up next to the parent's: say which process wrote each.
        arguments.append("force_pid=True")
    arguments += limit
    if options.compact and name == "call":
        arguments.append("style='compact'")
    if options.elapsed and name in ("call", "code"):
        arguments.append("elapsed=True")
    if options.asyncio and name in ("call", "code"):
        arguments.append("asyncio=True")
    return f"{_ACTIONS[name]}({', '.join(arguments)})"


def _retarget(text: str, settings: dict[str, str]) -> str:
    """A --query's own action (``action=`` / ``actions=`` source text) with the command line's settings added.

    ``settings`` maps keyword names to source text (``stream`` from -o, ``repr_limit``, ``force_pid`` for
    children). Each action must be a printer named outright (``CodePrinter``, ``VarsPrinter('x')``), so that
    the keywords can be added to it; one that sets a keyword itself keeps its own value, except ``stream``,
    where two answers to "where does the output go" are an error.
    """
    tree = ast.parse(text.strip(), mode="eval")
    items = tree.body.elts if isinstance(tree.body, (ast.List, ast.Tuple)) else [tree.body]
    for index, item in enumerate(items):
        call = item if isinstance(item, ast.Call) else ast.Call(func=item, args=[], keywords=[])
        target = call.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        accepted = _PRINTERS if "stream" in settings else (*_PRINTERS, "ChromeTrace", "JSONLines")
        if name not in accepted:
            flags = "-o" if "stream" in settings else "--repr-limit"
            raise UsageError(
                f"{flags} applies to the printers a --query names ({', '.join(accepted)}), "
                f"not to {ast.unparse(item)}: give it its own arguments instead"
            )
        given = {keyword.arg for keyword in call.keywords}
        if "stream" in given and "stream" in settings:
            raise UsageError(f"-o and the --query's {ast.unparse(item)} both say where the output goes")
        for key, value in settings.items():
            if key not in given:
                call.keywords.append(ast.keyword(arg=key, value=ast.parse(value, mode="eval").body))
        if isinstance(tree.body, (ast.List, ast.Tuple)):
            tree.body.elts[index] = call
        else:
            tree.body = call
    return ast.unparse(tree)


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
    if options.repr_limit is not None and options.format != "text" and options.repr_limit < 8:
        raise UsageError(f"--repr-limit must be at least 8 for --format {options.format}")
    positional: list[str] = []
    query: list[str] = []
    tracer_options: dict[str, str] = {}
    asked: list[tuple[str, str]] = []
    for text in options.query:
        parts, query_parts, option_parts = _check_query(text)
        asked.extend(query_parts)
        positional.extend(parts)
        if query_parts:
            positional.append("Q(" + ", ".join(f"**{v}" if k == "**" else f"{k}={v}" for k, v in query_parts) + ")")
        for key, value in option_parts:
            if key in tracer_options:
                raise UsageError(f"option {key!r} given in more than one --query")
            tracer_options[key] = value
    if options.module:
        modules = list(options.module)
        for module in modules:
            if not re.fullmatch(r"[\w.]+", module):
                raise UsageError(f"argument --module: {module!r} is not a module name")
        if target.kind == "module" and any(_within(target.name, module) for module in modules):
            # `--module app -m app.cli`: app.cli runs as __main__ (as __mp_main__ in multiprocessing's spawned
            # children), and it is part of app all the same.
            modules += ["__main__", "__mp_main__"]
        pattern = "(?:" + "|".join(re.escape(module) for module in modules) + r")(?:\.|$)"
        query.append(f"module_regex={pattern!r}")
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
    user_actions = {key: tracer_options.pop(key) for key in ("action", "actions") if key in tracer_options}
    if user_actions and (
        options.action or options.format != "text" or options.elapsed or options.asyncio or options.compact
    ):
        raise UsageError(
            "a --query that names its own action can't be combined with --action, --format, --elapsed, --asyncio "
            "or --compact"
        )
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
    output = options.output
    if output is None:
        output = _DEFAULT_OUTPUT.get(options.format)
    if output is not None:
        output = os.path.abspath(output)
    # hunter's own code, the runpy frames that start a -m module and the interpreter's shutdown work are machinery,
    # not the program.
    machinery = [_SHUTDOWN, "module='runpy'", f"filename_startswith={HUNTER_DIR!r}"]
    if launcher is not None:
        machinery.append(f"filename={launcher!r}")
    if options.stdlib is False:
        # setuptools' import hook (its distutils-precedence.pth installs it) runs at every import: it is part of the
        # import machinery, as much as importlib is.
        machinery.append("module_startswith='_distutils_hack'")
    exclude = f"Not(Or({', '.join(machinery)}))"
    common = [exclude, *positional]
    if query:
        common.append("Q(" + ", ".join(query) + ")")
    common.extend(f"{key}={value}" for key, value in tracer_options.items())

    def arguments_text(child: bool) -> str:
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

    return Plan(
        target=target,
        trace_text=arguments_text(False),
        child_text=arguments_text(True),
        output=output,
        format=options.format,
        children=not options.no_children,
        modules=asked_modules(options.module, asked),
    )


def _within(module: str, package: str) -> bool:
    """Whether ``module`` is ``package`` or one of its submodules."""
    return module == package or module.startswith(package + ".")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hunter")
    except Exception:  # not installed as a distribution (e.g. run from a source tree)
        return __version__


# -- running -----------------------------------------------------------------------------------------------


def _fail(message: str, status: int) -> NoReturn:
    config.say(message + "\n")
    raise SystemExit(status)


def _main_module(filename: str | None, loader: Any) -> types.ModuleType:
    """A fresh ``__main__`` module, with the attributes python gives it before running the program."""
    module = types.ModuleType("__main__")
    module.__loader__ = loader
    if sys.version_info < (3, 14):
        module.__annotations__ = {}  # python creates it for __main__ up to 3.13 (PEP 649 changes that)
    # Set through the namespace: ModuleType declares neither attribute (python sets them on __main__ only).
    module.__dict__["__builtins__"] = builtins
    if filename is not None:
        module.__file__ = filename
        if sys.version_info < (3, 15):
            module.__dict__["__cached__"] = None  # 3.15 dropped __cached__ from modules (and __main__)
    return module


def _set_path0(path0: str | None) -> None:
    """Make sys.path[0] what python would have put there for the program (not hunter's own entry)."""
    if getattr(sys.flags, "safe_path", False) or sys.flags.isolated:
        return  # -P / -I: python adds no entry, and hunter's launcher added none either
    if path0 is None:
        return
    if sys.path:
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)


def _trim_traceback(tb: types.TracebackType | None, runner: types.CodeType) -> types.TracebackType | None:
    """The part of a traceback below the frame that ran the program (hunter's and runpy's frames go)."""
    current = tb
    while current is not None:
        if current.tb_frame.f_code is runner:
            return current.tb_next
        current = current.tb_next
    return tb


def _install_excepthook(runner: types.CodeType) -> None:
    """Have the uncaught exception shown as python would: without the launcher's frames."""
    original = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None) -> Any:
        if sys.version_info < (3, 13):
            import linecache

            linecache.cache.pop("<string>", None)  # see _remember_command_source
        trimmed = _trim_traceback(tb, runner)
        if exc is not None:
            # Ctrl-C mostly lands in the tracer's code: those frames aren't the program's.
            trimmed = without_tracer_frames(exc, trimmed)
        if exc is not None and trimmed is not tb:
            # The default hook prints the exception's own __traceback__ when it has one: trim that too.
            exc.__traceback__ = trimmed
        return original(exc_type, exc, trimmed)

    sys.excepthook = excepthook


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
        from hunter.exporters._timeline import TimelineWriter

        self.exporters = [action for action in actions if isinstance(action, TimelineWriter)]
        if self.exporters or plan.output is not None:
            # Now, not at exit: importing a module at exit after a KeyboardInterrupt makes python exit with 1.
            from hunter.exporters import _finish  # noqa: F401
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
        except Exception:
            if sys.stderr is not None:
                raise
            self.run_untraced()

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
            script = self.plan.target.name if self.plan.target.kind == "script" else None
            sys.stderr.write(hint(self.plan.modules, script, list(sys.modules)) + "\n")

    def _traced_nothing(self, timeline_events: int) -> bool:
        """Whether the run's output holds no event (only known for printers and timelines)."""
        from .actions import ColorStreamAction
        from .exporters._timeline import TimelineWriter

        actions = self.kwargs.get("actions") or [self.kwargs.get("action")]
        if (
            self.untraced
            or self.tracer is None
            or not all(isinstance(action, (ColorStreamAction, TimelineWriter)) for action in actions)
        ):
            return False  # (a Debugger, the program's own action: whether they did anything is theirs to say)
        if self.exporters:
            return timeline_events == 0 and len(self.exporters) == len(actions)
        return _streams.writes == 0


# -- timelines ---------------------------------------------------------------------------------------------


def _view(args: list[str]) -> NoReturn:
    """``hunter view FILE``: the timeline as a flame chart in the browser (a script called ``view``: ``-- view``)."""
    from hunter.exporters.viewer import main as view

    raise SystemExit(view(args, _prog()))


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


def _run(session: Session, target: Target) -> None:
    """Run the program as python would (this frame is where tracebacks are cut)."""
    if target.kind == "module":
        sys.argv = ["-m", *target.args]  # what python shows while the module's package is imported
        _set_path0(os.getcwd())
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        import runpy

        if _module_may_exist(target.name):
            # (A misspelt module gets python's one-line error, not buried under the trace of the search for it.)
            session.start()
        run_as_main = getattr(runpy, "_run_module_as_main", None)
        if run_as_main is not None:
            # What `python -m` itself calls: same sys.argv[0], __main__, error messages and traceback.
            run_as_main(target.name, alter_argv=True)
        else:  # pragma: no cover - a future Python without it
            runpy.run_module(target.name, run_name="__main__", alter_sys=True)
        return
    if target.kind == "command":
        code = compile(target.name, "<string>", "exec", dont_inherit=True)
        _remember_command_source(target.name)
        sys.argv = ["-c", *target.args]
        _set_path0("")
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        session.start()
        exec(code, sys.modules["__main__"].__dict__)
        return
    if target.name == "-":
        source: bytes | str = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        code = compile(source, "<stdin>", "exec", dont_inherit=True)
        module = _main_module("<stdin>", importlib.machinery.BuiltinImporter)
        sys.argv = ["-", *target.args]
        _set_path0("")
        sys.modules["__main__"] = module
        session.start()
        exec(code, module.__dict__)  # running the user's program is the point
        return
    filename = os.path.abspath(target.name)
    if target.source is None:
        # A directory or zip file with a __main__.py: python puts it on sys.path and runs __main__ from it.
        sys.argv = [target.name, *target.args]
        sys.path.insert(0, filename) if getattr(sys.flags, "safe_path", False) else _set_path0(filename)
        sys.modules["__main__"] = _main_module(None, importlib.machinery.BuiltinImporter)
        import runpy

        session.start()
        # What python itself runs for a directory or zip: private, so typeshed doesn't list it.
        runpy._run_module_as_main("__main__", alter_argv=False)  # type: ignore[attr-defined]
        return
    code = compile(target.source, filename, "exec", dont_inherit=True)
    module = _main_module(filename, importlib.machinery.SourceFileLoader("__main__", filename))
    sys.argv = [target.name, *target.args]
    _set_path0(os.path.dirname(os.path.realpath(filename)))
    sys.modules["__main__"] = module
    session.start()
    exec(code, module.__dict__)


def _module_may_exist(name: str) -> bool:
    """Whether python could find the top-level package of module ``name`` (looked up without running any code)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name.partition(".")[0]) is not None
    except (ImportError, ValueError):
        return True  # let python itself say what is wrong


def _remember_command_source(code: str) -> None:
    """Make the -c code's lines readable under its file name, ``<string>``, as python 3.13+ does itself.

    The trace shows source lines; before 3.13 python keeps no copy, so the excepthook forgets it again before
    an uncaught exception is printed (the traceback then looks as python's own).
    """
    import linecache

    linecache.cache["<string>"] = (len(code), None, code.splitlines(keepends=True) or [""], "<string>")


def _is_runnable_container(filename: str) -> bool:
    """Whether python would run ``filename`` as a directory or zip file holding a ``__main__`` module."""
    import pkgutil

    return os.path.exists(filename) and pkgutil.get_importer(filename) is not None


def _launcher() -> str | None:
    """The file of the ``hunter`` console script when it called main() (``python -m hunter`` has none).

    Its frame is still running after the program's last line (it turns main()'s return into ``sys.exit``):
    traced, it would end every trace with its SystemExit and return.
    """
    try:
        frame = sys._getframe(2)  # (main's caller; 1 is main itself)
    except ValueError:  # called from C: no launcher frame to hide
        return None
    filename = frame.f_code.co_filename
    script = sys.argv[0] if sys.argv else ""
    if frame.f_code.co_name != "<module>" or filename.startswith(HUNTER_DIR) or not script:
        return None
    # The launcher strips a "-script.py"/".exe" tail from sys.argv[0] before calling main().
    return filename if os.path.abspath(filename).startswith(os.path.abspath(script)) else None


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m hunter`` and the ``hunter`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    launcher = _launcher() if argv is None else None
    if args[:1] == ["view"]:
        _view(args[1:])
    if args[:1] == ["merge"]:
        from hunter.exporters._finish import merge_main

        raise SystemExit(merge_main(args[1:], _prog()))
    from .record.cli import dispatch

    dispatch(args, launcher)  # hunter record / query / summary (a script of one of those names: ``-- record``)
    try:
        plan = make_plan(args, launcher)
    except UsageError as exc:
        _fail(f"{_prog()}: error: {exc} (see {_prog()} --help)", 2)
    execute(plan)


def execute(plan: Plan) -> None:
    """Run the plan's program, traced (``hunter record`` runs its own plans through here too)."""
    target = plan.target
    if target.kind == "script" and target.name != "-":
        filename = os.path.abspath(target.name)
        try:
            if not _is_runnable_container(filename):
                with open(filename, "rb") as file:
                    target.source = file.read()
        except OSError as exc:
            # Word for word what python says, under the name python was started as.
            program = (getattr(sys, "orig_argv", None) or [sys.executable])[0]
            _fail(f"{program}: can't open file {filename!r}: [Errno {exc.errno}] {exc.strerror}", 2)
    session = Session(plan)
    session.prepare()
    try:
        _run(session, target)
    except SystemExit:
        raise
    except BaseException:
        _install_excepthook(_run.__code__)
        raise
