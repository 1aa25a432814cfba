"""safe_repr side by side with hunter 3.9's, value by value (repr_values.py lists them)."""

from __future__ import annotations

import functools
import json
import os
import sys

import harness
import pytest
import repr_values
from helpers import child_env, normalize, run_in_group


@functools.cache
def reprs(python: str) -> dict[str, str]:
    """What repr_values.py prints under the given interpreter (its hunter's safe_repr of every value)."""
    result = run_in_group(
        [python, repr_values.__file__], env=child_env(harness.RUN_ENV, backend=False), text=True, timeout=120
    )
    result.check_returncode()
    texts: dict[str, str] = json.loads(result.stdout)
    return texts


#: hunter 3.9 bugs we fix (README, "Where hunter differs"): its safe_repr runs the __repr__ of objects held by
#: a slice, a dict view, a classmethod or staticmethod, or a mappingproxy.
RUNS_PROGRAM_REPR = {
    "slice(Evil(), None)",
    "{Evil(): 1}.keys()",
    "classmethod(Evil())",
    "types.MappingProxyType({'k': Evil()})",
}


#: hunter 3.9 bugs we fix (README): its safe_repr fails on a bound method of a callable without a name.
FAILS = {"types.MethodType(functools.partial(max, 1), 5)"}


def known_difference(expression: str) -> list[pytest.MarkDecorator]:
    """The strict expected failure of an expression whose safe_repr is known to differ from hunter 3.9's."""
    if expression in RUNS_PROGRAM_REPR:
        return [pytest.mark.xfail(strict=True, reason="README: safe_repr never runs the program's __repr__")]
    if expression in FAILS:
        return [pytest.mark.xfail(strict=True, reason="README: safe_repr never fails (hunter 3.9 raises)")]
    return []


@pytest.mark.parametrize(
    "expression",
    [pytest.param(expression, marks=known_difference(expression)) for expression in repr_values.expressions()],
)
def test_safe_repr_as_hunter39(expression: str) -> None:
    """safe_repr(value) is the text hunter 3.9's safe_repr gives (addresses aside)."""
    theirs = reprs(os.fspath(harness.hunter39_python()))[expression]
    ours = reprs(sys.executable)[expression]
    assert normalize(ours) == normalize(theirs)
