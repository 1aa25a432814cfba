"""gevent: after ``monkey.patch_all()`` greenlets are not threads to the printers (no thread column for them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from helpers import describe, run_python

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None,
    reason="gevent is not installed (the [test] extra installs it on Python 3.10-3.13)",
)

PROGRAM = """\
from gevent import monkey; monkey.patch_all()
import threading
import gevent, hunter

def work(n):
    gevent.sleep(0)
    return n * 2

def main():
    jobs = [gevent.spawn(work, i) for i in range(2)]
    gevent.joinall(jobs)
    return [job.value for job in jobs]

with hunter.trace(module="__main__", function_in=["main", "work"], kind_in=["call", "return"]):
    print(main())
"""

#: hunter 3.9 shows no thread column here either: one OS thread ran it all. Each greenlet has its own stack,
#: so its calls start at the left, as a thread's do.
EXPECTED = [
    "prog.py:9 call => main()",
    "prog.py:5 call => work(n=0)",
    "prog.py:5 call => work(n=1)",
    "prog.py:7 return <= work: 0",
    "prog.py:7 return <= work: 2",
    "prog.py:12 return <= main: [0, 2]",
]


def test_greenlets_get_no_thread_column(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM)
    result = run_python(["prog.py"], cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "[0, 2]\n", describe(result)
    lines = result.stderr.splitlines()
    # No thread column: every line starts with the right-aligned filename column.
    assert [line[:40].strip()[-7:] for line in lines] == ["prog.py"] * len(EXPECTED), result.stderr
    shown = [" ".join([line.split()[0].rsplit("/", 1)[-1], *line.split()[1:]]) for line in lines]
    assert shown == EXPECTED, result.stderr
