"""The parser of hunter's own options, its help text, and the closest name for a misspelt option."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from .._setup._keywords import did_you_mean
from ._argv import _prog
from ._errors import UsageError

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


_FORMATS = ("text", "chrome", "jsonl")
_DEFAULT_OUTPUT = {"chrome": "hunter-trace.json", "jsonl": "hunter-trace.jsonl"}


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
        help="text output: call (default), code, vars NAME... (end the names with --), snoop, errors, stack; several "
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
        "--min-duration",
        type=_duration,
        metavar="TIME",
        help="--format chrome: leave out calls shorter than TIME (e.g. 0.5ms, 100us, 1s; a bare number is µs)",
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
    from hunter._output._sizes import parse_size

    return parse_size(text)


_byte_count.__name__ = "size"  # "invalid size value: '12XB'"


_SECONDS_PER = {"": 1e-6, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "ns": 1e-9}


def _duration(text: str) -> float:
    """``0.5ms``, ``100us``, ``2s``, ``250`` (microseconds, as viztracer's --min_duration) in seconds."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zµ]*)\s*", text.lower())
    if match is None or match.group(2) not in _SECONDS_PER:
        raise ValueError(text)
    return float(match.group(1)) * _SECONDS_PER[match.group(2)]


_duration.__name__ = "duration"  # "invalid duration value: '5 parsecs'"


def _whole_number(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_whole_number.__name__ = "whole number"  # argparse names the type in its message: "invalid whole number value"
