"""Every Python example in README.md runs, and prints what the README says it shows."""

from __future__ import annotations

import re

import pytest
from helpers import REPO, run_python

README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, re.DOTALL)

# What each example must print (on stderr for the printers, stdout for print()), in README order.
EXPECTED = [
    ("=> transfer(", "<= withdraw: 70", "<= transfer: True"),
    ("=> withdraw(self=<bank.Account object at 0x", "=> deposit("),
    ("[amount => 30]", "[self.balance => 70]", "return value: 70"),
    ("(Pdb)", "withdraw()"),
    ("transfer swallowed (<class 'bank.InsufficientFunds'>, InsufficientFunds('bob has only 0')",),
    ("=> withdraw(self=", "<= withdraw: 70"),
]
# What an example must not print: the algebra example excludes line events, the operators one returns.
UNEXPECTED = {0: ("line  ",), 1: ("line  ", "<= ")}


def test_every_example_has_expectations() -> None:
    assert len(EXAMPLES) == len(EXPECTED)


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_readme_example(index: int) -> None:
    result = run_python(
        ["-c", EXAMPLES[index]],
        env={"PYTHONPATH": str(REPO / "examples")},
        input="c\n" if "Debugger" in EXAMPLES[index] else None,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    for fragment in EXPECTED[index]:
        assert fragment in output, f"{fragment!r} missing from:\n{output}"
    for fragment in UNEXPECTED.get(index, ()):
        assert fragment not in output, f"{fragment!r} unexpected in:\n{output}"
