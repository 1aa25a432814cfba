"""Every example in README.md runs and prints exactly the output the README shows after it.

The outputs come from real runs. Memory addresses are written ``0x?``, and ``examples/bank.py`` is shown by that
relative name (it runs from wherever the repository is). To regenerate the outputs after a deliberate change of
the printers' format: ``HUNTER_UPDATE_README=1 python -m pytest tests/test_readme.py``.
"""

from __future__ import annotations

import os
import re

import pytest
from helpers import REPO, normalize, run_python

README_PATH = REPO / "README.md"
README = README_PATH.read_text(encoding="utf-8")
#: A ```python (or ```sh) block, then the ```text block of its output.
EXAMPLE = re.compile(r"```(python|sh)\n((?:(?!```).)*)```\n+```text\n((?:(?!```).)*)```", re.DOTALL)
EXAMPLES = [(match.group(1), match.group(2), match.group(3)) for match in EXAMPLE.finditer(README)]
BANK = str(REPO / "examples" / "bank.py")
SHOWN = "examples/bank.py"
ALIGNMENT = 40  # the printers' default filename_alignment


def column(path: str) -> str:
    """A file name as the printers' filename column shows it: right-aligned, long ones cut from the left."""
    return f"{path:>{ALIGNMENT}}" if len(path) <= ALIGNMENT else f"[...]{path[5 - ALIGNMENT :]}"


def shown(output: str) -> str:
    """An example's output as the README shows it: addresses and the path of examples/ made machine-independent."""
    output = output.replace(column(BANK), column(SHOWN)).replace(BANK, SHOWN)
    return normalize(output)


def run_example(kind: str, code: str) -> str:
    if kind == "sh":
        # The quick start: PYTHONHUNTER='...' python examples/demo.py (the shell's words, run without a shell).
        match = re.search(r"PYTHONHUNTER='([^']*)' \S*python (\S+)", code)
        assert match, code
        result = run_python([match.group(2)], cwd=REPO, env={"PYTHONHUNTER": match.group(1)})
    else:
        result = run_python(
            ["-c", code],
            cwd=REPO,
            env={"PYTHONPATH": str(REPO / "examples")},
            input="c\n" if "Debugger" in code else None,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    output = shown(result.stderr + result.stdout)
    # pdb's last prompt waits on the same line (the input typed there isn't echoed): end the block there.
    return output if output.endswith("\n") else output + "\n"


def test_the_readme_has_examples_with_outputs() -> None:
    assert len(EXAMPLES) >= 7
    assert README.count("```python\n") == len([kind for kind, _, _ in EXAMPLES if kind == "python"])


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_prints_what_the_readme_shows(index: int) -> None:
    kind, code, expected = EXAMPLES[index]
    output = run_example(kind, code)
    if os.environ.get("HUNTER_UPDATE_README") and output != expected:
        text = README_PATH.read_text(encoding="utf-8")
        block = f"```{kind}\n{code}```"
        start = text.index(block) + len(block)
        old = text.index("```text\n", start)
        end = text.index("```", old + 8)
        README_PATH.write_text(text[: old + 8] + output + text[end:], encoding="utf-8")
        pytest.skip("README output updated")
    assert output == expected
