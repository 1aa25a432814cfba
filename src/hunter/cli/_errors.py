"""How the command line fails: a usage error, or one message and an exit status."""

from __future__ import annotations

from typing import NoReturn

from .. import config


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2, nothing run."""


def _fail(message: str, status: int) -> NoReturn:
    config.say(message + "\n")
    raise SystemExit(status)
