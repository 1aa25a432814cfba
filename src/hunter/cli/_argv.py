"""The command line's words: hunter's options split from the program to run and its arguments."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

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


class Target:
    """What to run: a script (``kind='script'``; ``'-'`` for stdin), a module (``kind='module'``) or the code given
    with -c (``kind='command'``, the code in ``name``).

    (A plain class, not a dataclass: ``dataclasses`` imports ``inspect``, whose import alone was a tenth of the
    command line's start-up.)
    """

    __slots__ = ("args", "kind", "name", "source")

    def __init__(self, kind: str, name: str, args: list[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.args = [] if args is None else args
        #: A script file's contents, read before anything runs (so that an unreadable one fails as python's does).
        self.source: bytes | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Target):
            return NotImplemented
        return (self.kind, self.name, self.args) == (other.kind, other.name, other.args)

    __hash__ = None  # type: ignore[assignment]  # (mutable: compared by value, never a key)

    def __repr__(self) -> str:
        return f"Target(kind={self.kind!r}, name={self.name!r}, args={self.args!r})"


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
