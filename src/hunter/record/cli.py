"""The ``hunter record``, ``hunter query`` and ``hunter summary`` commands."""

from __future__ import annotations

import argparse
import ast
import atexit
import errno
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["main"]

COMMANDS = ("record", "query", "summary")
DEFAULT_OUTPUT = "hunter-trace.hunt"
#: --action of ``hunter query``: the printer it names.
_ACTIONS = {"call": "CallPrinter", "code": "CodePrinter", "errors": "ErrorSnooper", "stack": "StackPrinter"}
#: hunter's own options that make no sense when recording (the recording is the output).
_NOT_FOR_RECORD = ("--action", "--format", "--elapsed", "--asyncio")


def main(command: str, args: list[str], launcher: str | None = None) -> NoReturn:
    """Run one of the commands (``hunter COMMAND ARGS``) and exit; ``launcher``: the console script's file."""
    from ..cli._argv import _prog

    prog = f"{_prog()} {command}"
    try:
        if command == "record":
            _record(prog, args, launcher)
            raise SystemExit(0)  # (not reached: the program's own exit ends the process)
        if command == "query":
            raise SystemExit(_query(prog, args))
        raise SystemExit(_summary(prog, args))
    except _Usage as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        raise SystemExit(2) from None


class _Usage(Exception):
    """A bad command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(message)


# -- hunter record ----------------------------------------------------------------------------------------


def _record_parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        usage=f"{prog} [-o FILE] [--lines] [--no-values] [--repr-limit N] [FILTERS] [--] script.py|-m mod|-c code",
        description="Run a program and record its events to a trace file, to ask hunter query/summary about later. "
        "hunter's filters (--module, --no-stdlib, -q QUERY, --threads, --backend...) limit what is recorded.",
        add_help=False,
    )
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE", help=f"default: {DEFAULT_OUTPUT}")
    parser.add_argument("--lines", action="store_true", help="record line events too (for CodePrinter and lines)")
    parser.add_argument("--no-values", action="store_true", help="don't record arguments, return values, exceptions")
    parser.add_argument("--repr-limit", type=int, default=1024, metavar="N", help="characters kept of each value")
    parser.add_argument(
        "--last",
        type=int,
        metavar="N",
        help="flight recorder: keep each thread's last N events in memory, write them on an uncaught exception, "
        "SIGUSR2 or hunter.dump() (nothing when the program ends normally)",
    )
    parser.add_argument(
        "--last-size",
        metavar="SIZE",
        help="flight recorder: keep each thread's last events up to SIZE bytes (512KB, 10MB; with --last, both bounds)",
    )
    parser.add_argument("-h", "--help", action="help", help="show this help and exit")
    return parser


def _record(prog: str, args: list[str], launcher: str | None = None) -> None:
    from ..cli._argv import _prog, split_argv
    from ..cli._errors import UsageError
    from ..cli._execute import execute
    from ..cli._plan import make_plan

    try:
        option_words, _target = split_argv(args)
    except UsageError as exc:
        raise _Usage(str(exc)) from None
    mine, rest = _record_parser(prog).parse_known_args(option_words)
    for word in rest:
        if word.split("=", 1)[0] in _NOT_FOR_RECORD:
            raise _Usage(f"{word.split('=', 1)[0]} doesn't apply to a recording (ask hunter query for it afterwards)")
    if mine.repr_limit < 8:
        raise _Usage("--repr-limit must be at least 8")
    path = os.path.abspath(mine.output)
    _check_writable(path)
    settings = {"record": repr(path), "record_lines": repr(mine.lines), "record_values": repr(not mine.no_values)}
    settings["record_repr_limit"] = repr(mine.repr_limit)
    if mine.last is not None:
        if mine.last < 1:
            raise _Usage("--last must be at least 1")
        settings["record_last"] = repr(mine.last)
    if mine.last_size is not None:
        from .._output._sizes import parse_size
        from .flight import MIN_SIZE

        try:
            size = parse_size(mine.last_size)
        except ValueError as exc:
            raise _Usage(f"--last-size: {exc}") from None
        if size < MIN_SIZE:
            raise _Usage(f"--last-size must be at least {MIN_SIZE} bytes")
        settings["record_last_size"] = repr(size)
    try:
        plan = make_plan([*rest, *args[len(option_words) :]], launcher)
    except UsageError as exc:
        raise _Usage(str(exc)) from None
    plan.trace_text = _with_recorder(plan.trace_text, settings)
    plan.child_text = _with_recorder(plan.child_text, settings)
    plan.output = None
    atexit.register(_say_recorded, path, _prog())
    execute(plan)


def _check_writable(path: str) -> None:
    """A recording's file that can't be created (a folder, a missing folder, no permission) is a bad command line:
    said before the program runs, as a timeline's ``-o`` is. (A device or a pipe that exists is left untouched.)"""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666))
    except OSError as exc:
        reason = "its folder is missing" if exc.errno == errno.ENOENT else exc.strerror
        raise _Usage(f"cannot record to {path!r}: {reason}") from None


def _with_recorder(text: str, settings: dict[str, str]) -> str:
    """trace() arguments text with the printer the plan chose replaced by the recording settings."""
    tree = ast.parse(f"_({text})", mode="eval")
    call = tree.body
    assert isinstance(call, ast.Call)
    call.keywords = [keyword for keyword in call.keywords if keyword.arg != "action"]
    for key, value in settings.items():
        call.keywords.append(ast.keyword(arg=key, value=ast.parse(value, mode="eval").body))
    return ast.unparse(call)[2:-1]


def _say_recorded(path: str, prog: str) -> None:
    if os.path.isfile(path) and os.path.getsize(path):  # (not a device, nor a file the first write never reached)
        sys.stderr.write(f"hunter: recorded to {path}; ask it with: {prog} query {path} 'QUERY' (or {prog} summary)\n")


# -- hunter query ---------------------------------------------------------------------------------------


def _query_parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Run the events of a recording through a query (PYTHONHUNTER syntax) and its actions: the same "
        "output a live trace with that query prints.",
    )
    parser.add_argument("tracefile")
    parser.add_argument("query", nargs="*", help='e.g. \'module="bank", kind="call"\' (several: all must match)')
    parser.add_argument("--action", choices=sorted(_ACTIONS), help="the printer (default: call)")
    parser.add_argument("--format", choices=("text", "chrome", "jsonl"), default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="where to write (default: stdout; a file for timelines)")
    parser.add_argument("--threads", action="store_true", help="always show the thread column")
    parser.add_argument("--pid", type=int, help="only this process's events (a recording of several processes)")
    return parser


def _query(prog: str, args: list[str]) -> int:
    from .. import config
    from .._output._streams import OutputError
    from .reader import FormatError, read
    from .replay import Refused, replay

    options = _query_parser(prog).parse_args(args)
    parts = [text for text in options.query if text.strip()]
    action = _action_text(options)
    if action:
        parts.append(action)
    if options.threads:
        parts.append("threading_support=True")
    text = ", ".join(parts)
    try:
        trace = read(options.tracefile)
    except (OSError, FormatError) as exc:
        raise _Usage(str(exc)) from None
    stream: Any = sys.stdout
    if options.output and options.format == "text":
        stream = open(options.output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        replay(trace, text, stream=stream, pid=options.pid)
    except Refused as exc:
        raise _Usage(f"can't answer from the recording: {exc}") from None
    except OutputError as exc:
        if isinstance(exc.__cause__, BrokenPipeError):  # (`hunter query ... | head`: the reader has had enough)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 1
    except (TypeError, ValueError, config.ConfigError) as exc:
        raise _Usage(f"bad query {text!r}: {exc}") from None
    except Exception as exc:  # a predicate or action of the user's failed on an event: as a live trace stops, in a line
        sys.stderr.write(f"{prog}: error: the query failed on a recorded event: {type(exc).__name__}: {exc}\n")
        return 1
    finally:
        if stream is not sys.stdout:
            stream.close()
    return 0


def _action_text(options: argparse.Namespace) -> str:
    if options.format == "chrome":
        return f"action=ChromeTrace({options.output or 'hunter-trace.json'!r})"
    if options.format == "jsonl":
        return f"action=JSONLines({options.output or 'hunter-trace.jsonl'!r})"
    if options.action:
        return f"action={_ACTIONS[options.action]}"
    return ""


# -- hunter summary -------------------------------------------------------------------------------------


def _summary(prog: str, args: list[str]) -> int:
    from .reader import FormatError, read
    from .summary import summarize

    parser = _Parser(prog=prog, description="Functions by calls, total and self time; exceptions and where caught.")
    parser.add_argument("tracefile")
    parser.add_argument("--top", type=int, default=30, metavar="N", help="how many functions to list (default 30)")
    options = parser.parse_args(args)
    try:
        trace = read(options.tracefile)
    except (OSError, FormatError) as exc:
        raise _Usage(str(exc)) from None
    sys.stdout.write(summarize(trace, options.top))
    return 0


def dispatch(args: Sequence[str], launcher: str | None = None) -> None:
    """Called by ``hunter``'s main: runs a command named first on the command line (else returns)."""
    if args and args[0] in COMMANDS:
        main(args[0], list(args[1:]), launcher)
