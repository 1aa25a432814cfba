"""Both backends print the same thing: whole outputs of real programs traced once per backend, in subprocesses."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import REFERENCE, describe, run_python

import hunter

pytestmark = pytest.mark.skipif(not hasattr(sys, "monitoring"), reason="only Python 3.12+ has both backends")

STDLIB = """
import argparse, difflib, json

a = ["one", "two", "three", "four"]
b = ["one", "tree", "three", "five", "four"]
print(list(difflib.unified_diff(a, b, lineterm="")))
print(difflib.SequenceMatcher(None, "abcd", "bcde").ratio())
print(json.dumps({"a": [1, 2.5, None, True, {"b": "c"}]}, indent=2, sort_keys=True))
print(json.loads('{"x": [1, 2, {"y": null}], "z": "w"}'))
try:
    json.loads("{bad")
except ValueError as exc:
    print("bad", exc)
parser = argparse.ArgumentParser(prog="x")
parser.add_argument("--n", type=int, default=3)
parser.add_argument("names", nargs="*")
print(parser.parse_args(["--n", "5", "a", "b"]))
try:
    parser.parse_args(["--n", "q"])
except SystemExit:
    pass
"""

GENERATORS = """
import contextlib, itertools

def gen(n):
    for i in range(n):
        try:
            yield i
        except ValueError as exc:
            print("caught", exc)
            yield -1
        finally:
            pass

def delegate():
    result = yield from gen(2)
    return result

def catcher():
    while True:
        try:
            x = yield
        except KeyError:
            continue
        if x is None: break

def one_line_loop(n):
    while n: n -= 1
    return [i for i in range(3) if i]

def inner():
    return 1 / 0

def chain():
    try:
        inner()
    except ZeroDivisionError:
        pass
    try:
        try:
            inner()
        except ZeroDivisionError:
            raise
    except ZeroDivisionError:
        pass
    try:
        inner()
    finally:
        pass

class Countdown:
    def __init__(self): self.n = 2
    def __iter__(self): return self
    def __next__(self):
        self.n -= 1
        if self.n < 0: raise StopIteration
        return self.n

@contextlib.contextmanager
def managed():
    try:
        yield 1
    except RuntimeError:
        pass

def main():
    g = gen(3)
    next(g)
    print(g.throw(ValueError("boom")))
    print(list(g))
    print(list(delegate()))
    c = catcher(); next(c); c.throw(KeyError); c.send(1)
    try:
        c.send(None)
    except StopIteration:
        pass
    c2 = catcher(); next(c2); c2.close()
    one_line_loop(3)
    try:
        chain()
    except ZeroDivisionError:
        pass
    for _ in Countdown(): pass
    for _ in gen(2): pass
    with managed():
        raise RuntimeError
    print(list(itertools.islice(gen(5), 2)))
    f = lambda a: a + 1
    print(sorted([3, 1, 2], key=lambda v: -v), f(1))
    def rec(n): return 0 if n == 0 else rec(n - 1) + 1
    rec(3)
    try:
        rec(None)
    except TypeError:
        pass

main()
"""

ASYNC = """
import asyncio

async def value(x):
    await asyncio.sleep(0)
    return x

async def agen():
    for i in range(2):
        yield i

async def failing():
    await asyncio.sleep(0)
    raise KeyError("k")

async def amain():
    total = await value(1)
    async for v in agen():
        total += v
    try:
        await asyncio.gather(value(2), failing())
    except KeyError:
        pass
    return total

print(asyncio.run(amain()))
"""

THREADS = """
import queue, threading

def work(q, n):
    total = 0
    for i in range(n):
        total += i
    q.put(total)

def main():
    q = queue.Queue()
    threads = [threading.Thread(target=work, args=(q, 3), name=f"w{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(q.get() for _ in threads))

main()
"""

LOOPS = """
def gen(n):
    for i in range(n):
        yield i

def delegate(n):
    yield from gen(n)

def loop(n):
    total = 0
    for i in gen(n):
        total += i
    return total

def one_line(n):
    for i in gen(n): pass
    return [i for i in gen(n)]

def nested(n):
    for i in gen(n):
        for j in delegate(i):
            if j:
                continue
    return sum(gen(n)) + sum(i for i in delegate(n))

def first_true(n):
    # Leaving the loop early closes the generator where it waits (3.14 throws GeneratorExit into it only while
    # a tool listens to PY_UNWIND, as settrace does; 3.13 never does).
    for i in gen(n):
        if i:
            return i

def main():
    # Called again and again: loops over generators get specialised (FOR_ITER_GEN) after the first rounds.
    for _ in range(20):
        loop(3)
        one_line(2)
        nested(3)
    print(loop(4), one_line(3), nested(4), first_true(3))

main()
"""

#: Everything but hunter's own frames (which differ between backends), C calls made from them included.
NOT_HUNTER = f"~Q(filename_startswith={str(Path(hunter.__file__).parent)!r})"

CASES = [
    ("stdlib", STDLIB, "stdlib=True, action=CodePrinter"),
    ("stdlib", STDLIB, "stdlib=True"),
    ("stdlib", STDLIB, 'module_in=["json.decoder", "json.scanner", "difflib"], kind_in=["call", "exception"]'),
    ("stdlib", STDLIB, "stdlib=True, profile=True"),
    ("generators", GENERATORS, f"{NOT_HUNTER}, action=CodePrinter"),
    ("generators", GENERATORS, 'module="__main__"'),
    ("generators", GENERATORS, 'module="__main__", kind="exception"'),
    ("generators", GENERATORS, 'module="__main__", kind="line"'),
    ("generators", GENERATORS, 'module="__main__", kind_in=["call", "return"]'),
    ("generators", GENERATORS, f"{NOT_HUNTER}, profile=True"),
    ("generators", GENERATORS, 'Q(module="__main__", function_in=["gen", "catcher"]) | Q(module="contextlib")'),
    ("loops", LOOPS, 'module="__main__", kind="exception"'),
    ("loops", LOOPS, 'module="__main__", kind="call"'),
    ("loops", LOOPS, 'module="__main__", action=ErrorSnooper'),
    ("loops", LOOPS, 'module="__main__", kind_in=["exception", "return"], action=CodePrinter'),
    ("async", ASYNC, 'module="__main__"'),
    ("async", ASYNC, 'module="__main__", action=CodePrinter'),
    ("async", ASYNC, 'Q(module="__main__") | Q(module="asyncio.tasks", kind_in=["call", "exception"])'),
    ("async", ASYNC, 'module="__main__", profile=True'),
    ("threads", THREADS, 'module="__main__", threading_support=True'),
    ("threads", THREADS, 'module_in=["__main__", "queue"], threading_support=True, profile=True'),
]

_ADDRESS = re.compile(r"0x[0-9a-f]+")
_TRUNCATED_ADDRESS = re.compile(r"\[\.\.\.\] [0-9a-f]+")
_THREAD_ID = re.compile(r"-?\b[0-9]{12,}\b")


def normalized(text: str) -> str:
    """Addresses (also the halves left by repr truncation) and thread idents differ from run to run."""
    text = _ADDRESS.sub("0x?", text)
    text = _TRUNCATED_ADDRESS.sub("[...] ", text)
    return _THREAD_ID.sub("<ident>", text)


def without_cut_tails(monitoring: str, settrace: str) -> tuple[list[str], list[str]]:
    """Both outputs' lines, where a pair differs only after a value's cut: each such pair up to a little before the
    first cut. Where repr_limit cuts a long value depends on the length of what comes before in it (an address, a
    clock reading of the standard library's), which differs from process to process: the characters around the cut
    may shift by a few, and a value that is cut in one process may just fit in the other."""
    ours, theirs = monitoring.splitlines(), settrace.splitlines()
    # (outputs of unequal length: the lists differ, and the assertion shows where)
    for index, (one, other) in enumerate(zip(ours, theirs, strict=False)):
        cut = [_before_cut(line) for line in (one, other) if " [...] " in line]
        if one != other and cut:
            head = min(cut, key=len)
            if one.startswith(head) and other.startswith(head):
                ours[index] = theirs[index] = head
    return ours, theirs


def _before_cut(line: str) -> str:
    """A cut line up to its last address before the cut (where the uncertain stretch starts), or a little short."""
    head = line.split(" [...] ", 1)[0]
    return head[: head.rindex("0x?") + 3] if "0x?" in head else head[:-16]


def assert_same(monitoring: str, settrace: str) -> None:
    """Both backends printed the same, exactly, or but for where the tails of cut values begin."""
    if monitoring != settrace:
        ours, theirs = without_cut_tails(monitoring, settrace)
        assert ours == theirs


def per_thread(text: str) -> dict[str, list[str]]:
    """Lines grouped by the thread-name column: threads interleave as the OS schedules them."""
    groups: dict[str, list[str]] = {}
    for line in text.splitlines():
        groups.setdefault(line[:12].strip(), []).append(line)
    return groups


def traced_output(program: Path, value: str, backend: str) -> str:
    result = run_python(
        [str(program)],
        env={"PYTHONHUNTER": value, "PYTHONHUNTERCONFIG": f'backend="{backend}"', "PYTHONHASHSEED": "0"},
        cwd=program.parent,
        backend=False,
    )
    assert result.returncode == 0, describe(result)
    return normalized(result.stdout + result.stderr)


@pytest.mark.parametrize(("name", "source", "value"), CASES, ids=[f"{case[0]}: {case[2]}" for case in CASES])
def test_same_output_on_both_backends(tmp_path: Path, name: str, source: str, value: str) -> None:
    program = tmp_path / f"{name}.py"
    program.write_text(textwrap.dedent(source))
    settrace = traced_output(program, value, "settrace")
    monitoring = traced_output(program, value, "monitoring")
    assert settrace.count("\n") > 20, settrace  # something was traced at all
    if "threading_support=True" in value:
        assert per_thread(monitoring) == per_thread(settrace)
    else:
        assert_same(monitoring, settrace)


@pytest.mark.parametrize("case", ["calls", "code", "exceptions", "profile", "from-watermark"])
def test_reference_samples_unfiltered_but_for_hunter(tmp_path: Path, case: str) -> None:
    # The reference programs, with everything but hunter's own frames shown: run.py, importlib, the exit.
    samples = tmp_path / "samples"
    samples.mkdir()
    for sample in ("run.py", "demo.py"):
        (samples / sample).write_text((REFERENCE / "samples" / sample).read_text())
    options = {
        "calls": NOT_HUNTER,
        "code": f"{NOT_HUNTER}, action=CodePrinter",
        "exceptions": f'{NOT_HUNTER}, kind="exception"',
        "profile": f"{NOT_HUNTER}, profile=True",
        "from-watermark": f'From(Q(function="deposit"), watermark=1), {NOT_HUNTER}',
    }
    outputs = []
    for backend in ("settrace", "monitoring"):
        result = run_python(
            ["run.py", "demo"],
            env={"PYTHONHUNTER": options[case], "PYTHONHUNTERCONFIG": f'backend="{backend}"', "PYTHONHASHSEED": "0"},
            cwd=samples,
            backend=False,
        )
        assert result.returncode == 0, describe(result)
        outputs.append(normalized(result.stderr))
    assert "demo.py" in outputs[0]
    assert_same(outputs[1], outputs[0])
