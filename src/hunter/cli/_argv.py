"""The command line's words: hunter's options split from the program to run and its arguments."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._errors import UsageError

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
        "--last",  # (hunter record's flight recorder)
        "--last-size",
        "--min-duration",
    }
)
_ACTIONS = {
    "call": "CallPrinter",
    "code": "CodePrinter",
    "vars": "VarsPrinter",
    "snoop": "VarsSnooper",
    "errors": "ErrorSnooper",
    "stack": "StackPrinter",
}


@dataclass
class Target:
    """What to run: a script (``kind='script'``; ``'-'`` for stdin), a module (``kind='module'``) or the code given
    with -c (``kind='command'``, the code in ``name``)."""

    kind: str
    name: str
    args: list[str] = field(default_factory=list)
    #: A script file's contents, read before anything runs (so that an unreadable one fails as python's does).
    source: bytes | None = field(default=None, compare=False, repr=False)


def _prog() -> str:
    if os.path.basename(sys.argv[0]) == "__main__.py":
        return "python -m hunter"
    return os.path.basename(sys.argv[0]) or "hunter"


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
        if token == "-" or not token.startswith("-"):
            return options, Target("script", token, list(argv[index + 1 :]))
        target = _module_or_command(argv, index)
        if target is not None:
            return options, target
        options.append(token)
        index = _take_values(argv, index + 1, token, options)
    return options, None


#: The options that end hunter's own, as python's do: what follows is the program (a module, or code to run).
_RUN_OPTIONS = (("-m", "module", "a module name"), ("-c", "command", "the code to run"))


def _module_or_command(argv: Sequence[str], index: int) -> Target | None:
    """The target when ``argv[index]`` is ``-m MODULE``/``-mMODULE`` or ``-c CODE``/``-cCODE``, else None."""
    token = argv[index]
    for option, kind, what in _RUN_OPTIONS:
        if token == option:
            if index + 1 >= len(argv):
                raise UsageError(f"argument {option}: expected {what}")
            return Target(kind, argv[index + 1], list(argv[index + 2 :]))
        if token.startswith(option):  # (glued on, as python takes it)
            return Target(kind, token[len(option) :], list(argv[index + 1 :]))
    return None


def _take_values(argv: Sequence[str], index: int, token: str, options: list[str]) -> int:
    """Add the words that belong to option ``token`` (at ``index`` on) to ``options``; returns the index after them."""
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
    return index
