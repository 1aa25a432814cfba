"""Timeline exporters: the files ChromeTrace and JSONLines write, checked structurally."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, run_python

from hunter.exporters import ChromeTrace, JSONLines, merge, read_events
from hunter.exporters._files import ROOTS_ENV, per_process_path
from hunter.exporters._values import value_repr
from hunter.exporters.viewer import build_model

HAS_FORK = hasattr(os, "fork")

# A program whose call structure is known: plain calls, a generator resumed three times, an exception that
# propagates out of one function and is caught by its caller.
PROGRAM = """\
import sys

def leaf(x):
    return x * 2

def middle(a, b=3):
    return leaf(a) + leaf(b)

def gen(n):
    for i in range(n):
        yield leaf(i)

def fails():
    raise ValueError("bad value")

def catches():
    try:
        fails()
    except ValueError:
        return "caught"

def main():
    middle(1)
    for _ in gen(2):
        pass
    return catches()
"""

#: The call tree of main() as (name, children).
EXPECTED_MAIN = (
    "main",
    [
        ("middle", [("leaf", []), ("leaf", [])]),
        ("gen", [("leaf", [])]),
        ("gen", [("leaf", [])]),
        ("gen", []),
        ("catches", [("fails", [])]),
    ],
)


class Node:
    """One B..E slice: its B event, its E event, instant events inside it, and children."""

    def __init__(self, begin: dict[str, Any]) -> None:
        self.begin = begin
        self.end: dict[str, Any] = {}
        self.instants: list[dict[str, Any]] = []
        self.children: list[Node] = []

    @property
    def name(self) -> str:
        return self.begin["name"]

    def shape(self) -> tuple[str, list[Any]]:
        return (self.name, [child.shape() for child in self.children])


#: What a call's beginning carries (the same for every call of a function); the rest of an X's args is its end's.
BEGIN_ARGS = ("location", "builtin")


def split_complete(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A complete event (X) as the B and E it stands for: the args every call shares begin it, the rest end it."""
    assert isinstance(event.get("dur"), (int, float)) and event["dur"] >= 0, event
    args = event.get("args", {})
    begin = {**event, "ph": "B", "args": {key: value for key, value in args.items() if key in BEGIN_ARGS}}
    del begin["dur"]
    end = {"ph": "E", "pid": event["pid"], "tid": event["tid"], "ts": event["ts"] + event["dur"], "name": event["name"]}
    rest = {key: value for key, value in args.items() if key not in BEGIN_ARGS}
    if rest:
        end["args"] = rest
    return begin, end


def thread_queues(events: list[dict[str, Any]]) -> dict[tuple[int, int], tuple[list[Any], list[Any], list[Any]]]:
    """Per thread: its beginnings (B, and X as a B, with the X's duration), ends and instants, each in time order
    (stable; beginnings at one time: the longer first, as speedscope and Perfetto nest complete events)."""
    queues: dict[tuple[int, int], tuple[list[Any], list[Any], list[Any]]] = {}
    for event in events:
        if event["ph"] not in ("B", "E", "X", "i"):
            continue
        begins, ends, instants = queues.setdefault((event["pid"], event["tid"]), ([], [], []))
        if event["ph"] == "X":
            begin, end = split_complete(event)
            begins.append((begin, event["dur"]))
            ends.append(end)
        elif event["ph"] == "B":
            begins.append((event, float("inf")))
        elif event["ph"] == "E":
            ends.append(event)
        else:
            instants.append(event)
    for begins, ends, instants in queues.values():
        begins.sort(key=lambda pair: (pair[0]["ts"], -pair[1]))
        ends.sort(key=lambda event: event["ts"])
        instants.sort(key=lambda event: event["ts"])
    return queues


def check_timeline(events: list[dict[str, Any]]) -> dict[tuple[int, int], list[Node]]:
    """Assert the structural rules of a timeline and return the call forest of each (pid, tid).

    Calls are complete events (X), or B/E pairs (with argument values, or a call that was running when lines were
    written out); a file is in no time order (a call is written when it ends): its events are put in time order per
    thread, as viewers do.
    """
    roots: dict[tuple[int, int], list[Node]] = {}
    thread_names: set[tuple[int, int]] = set()
    process_names: set[int] = set()
    for event in events:
        assert {"ph", "pid", "tid", "ts"} <= event.keys(), event
        where = (event["pid"], event["tid"])
        if event["ph"] == "M":
            assert event["name"] in ("process_name", "thread_name"), event
            assert isinstance(event["args"]["name"], str)
            (thread_names.add(where) if event["name"] == "thread_name" else process_names.add(event["pid"]))
            continue
        assert isinstance(event["ts"], (int, float)), event
        if event["ph"] in ("B", "X"):
            assert isinstance(event["name"], str) and event["name"], event
        elif event["ph"] == "i":
            assert event.get("s") == "t", event
        elif event["ph"] != "E":
            pytest.fail(f"unexpected event type: {event}")
    for where, (begins, ends, instants) in thread_queues(events).items():
        stack: list[Node] = []
        while begins or ends or instants:
            front = [
                begins[0][0]["ts"] if begins else float("inf"),
                ends[0]["ts"] if ends else float("inf"),
                instants[0]["ts"] if instants else float("inf"),
            ]
            # At one time: an end first, unless it ends the call beginning then (zero duration); instants between.
            if begins and front[0] <= front[1] and (front[0] < front[1] or begins[0][0]["name"] == ends[0].get("name")):
                if front[2] < front[0]:
                    (stack[-1].instants if stack else []).append(instants.pop(0))
                    continue
                node = Node(begins.pop(0)[0])
                (stack[-1].children if stack else roots.setdefault(where, [])).append(node)
                stack.append(node)
            elif ends and front[2] >= front[1]:
                event = ends.pop(0)
                assert stack, f"E without B in thread {where}: {event}"
                # speedscope pairs an E with the B on top of its stack by name, and ignores it when they differ.
                assert event.get("name") == stack[-1].name, f"E names {event.get('name')!r}, open: {stack[-1].name!r}"
                stack.pop().end = event
            else:
                (stack[-1].instants if stack else []).append(instants.pop(0))
        assert not stack, f"B without E in thread {where}: {[node.name for node in stack]}"
        assert where in thread_names, f"no thread_name for {where}"
        assert where[0] in process_names, f"no process_name for pid {where[0]}"
    shapes = {where: [node.shape() for node in nodes] for where, nodes in roots.items()}
    assert speedscope_forests(events) == shapes
    assert perfetto_forests(events) == shapes
    return roots


def speedscope_forests(events: list[dict[str, Any]]) -> dict[tuple[int, int], list[Any]]:
    """The call trees speedscope's Trace Event importer builds from the events (B/E/X; others ignored).

    Modelled on its documented algorithm: per thread, a queue of B and a queue of E events, each in time
    order (stable), an X adding one to each (X events at one time: the longer first); the earlier front is taken,
    and at equal times B first only when both fronts have the same name; an E whose name differs from the open B on
    top of the stack is ignored (it warns, the call stays open). Any warning it would print fails here. Each call's
    frame is keyed by its name and its B's args (an X's whole args): every call of a function must have one key.
    """
    forests: dict[tuple[int, int], list[Any]] = {}
    for event in events:
        if event["ph"] in ("B", "X"):
            # (A call that ended unseen says so in its X's args: a frame of its own, which speedscope may show apart.)
            allowed = (*BEGIN_ARGS, "unfinished") if event["ph"] == "X" else BEGIN_ARGS
            assert set(event.get("args", {})) <= set(allowed), f"speedscope: a frame per call: {event}"
    for where, (begin_pairs, ends, _instants) in thread_queues(events).items():
        begins = [begin for begin, _ in begin_pairs]
        roots: list[Any] = []
        stack: list[tuple[str, list[Any]]] = []
        while begins or ends:
            take_begin = not ends or (
                begins
                and (
                    begins[0]["ts"] < ends[0]["ts"]
                    or (begins[0]["ts"] == ends[0]["ts"] and begins[0]["name"] == ends[0].get("name"))
                )
            )
            if take_begin:
                node: tuple[str, list[Any]] = (begins.pop(0)["name"], [])
                (stack[-1][1] if stack else roots).append(node)
                stack.append(node)
                continue
            end = ends.pop(0)
            assert stack, f"speedscope: an E with an empty stack in {where}: {end}"
            assert end.get("name") == stack[-1][0], f"speedscope ignores E {end.get('name')!r}, open: {stack[-1][0]!r}"
            stack.pop()
        assert not stack, f"speedscope: still open at the end of {where}: {[name for name, _ in stack]}"
        forests[where] = roots
    return forests


def perfetto_forests(events: list[dict[str, Any]]) -> dict[tuple[int, int], list[Any]]:
    """The call trees Perfetto's JSON importer builds: events sorted by time (stable; complete events at one time
    the longer first), an E closes the last B, a complete event nests in the slices still open at its time."""
    forests: dict[tuple[int, int], list[Any]] = {}
    stacks: dict[tuple[int, int], list[tuple[str, list[Any], float]]] = {}
    ordered = sorted(events, key=lambda event: (event.get("ts", 0), -event.get("dur", float("inf"))))
    for event in ordered:
        where = (event["pid"], event["tid"])
        assert isinstance(event["pid"], int) and isinstance(event["tid"], int), event
        stack = stacks.setdefault(where, [])
        if event["ph"] != "M":
            while stack and stack[-1][2] <= event["ts"] and not (event["ph"] == "E" and stack[-1][2] == float("inf")):
                stack.pop()  # complete events that ended by now
        if event["ph"] == "M":
            assert isinstance(event["args"]["name"], str), event
        elif event["ph"] == "i":
            assert event["s"] in ("g", "p", "t") and isinstance(event["name"], str), event
        elif event["ph"] in ("B", "X"):
            node: tuple[str, list[Any]] = (event["name"], [])
            (stack[-1][1] if stack else forests.setdefault(where, [])).append(node)
            end = event["ts"] + event["dur"] if event["ph"] == "X" else float("inf")
            stack.append((event["name"], node[1], end))
        elif event["ph"] == "E":
            assert stack and stack[-1][2] == float("inf"), f"Perfetto: an E without an open slice in {where}: {event}"
            stack.pop()
    assert not any(entry[2] == float("inf") for stack in stacks.values() for entry in stack), (
        "Perfetto: slices left open"
    )
    return {where: forest for where, forest in forests.items()}


def load_strict(path: Path, form: str = "array") -> list[dict[str, Any]]:
    """The file as strict JSON (what a clean close must produce), in the given form; its events."""
    data = json.loads(path.read_text())
    if form == "object":
        assert isinstance(data, dict) and data["displayTimeUnit"] in ("ms", "ns"), data
        assert isinstance(data["otherData"], dict)
        data = data["traceEvents"]
    assert isinstance(data, list)
    # What every viewer needs of every element (speedscope rejects the whole file otherwise).
    assert all(isinstance(event, dict) and "ph" in event and "ts" in event for event in data)
    return data


def write_program(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "app.py"
    script.write_text(PROGRAM + textwrap.dedent(body))
    return script


def run(script: Path, *args: str, env: dict[str, str | None] | None = None) -> Any:
    result = run_python([script, *args], env=env, cwd=script.parent)
    assert result.returncode == 0, describe(result)
    return result


def find(roots: dict[tuple[int, int], list[Node]], name: str) -> list[tuple[int, Node]]:
    """Every slice called ``name`` (not looking inside those), with its pid, wherever it sits in the forests."""
    found = []
    pending = [(pid, node) for (pid, _tid), nodes in roots.items() for node in nodes]
    while pending:
        pid, node = pending.pop(0)
        if node.name == name:
            found.append((pid, node))
        else:
            pending.extend((pid, child) for child in node.children)
    return found


def main_trees(roots: dict[tuple[int, int], list[Node]]) -> list[tuple[str, list[Any]]]:
    """The shapes of every main() call."""
    return [node.shape() for _pid, node in find(roots, "main")]


# -- the API ---------------------------------------------------------------------------------------------------


def test_calls_nest_as_the_program_calls_with_arguments_and_return_values(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace
        out = ChromeTrace(sys.argv[1])
        with hunter.trace(module="__main__", action=out):
            main()
        out.close()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    roots = check_timeline(load_strict(target))
    [forest] = roots.values()
    assert [node.shape() for node in forest] == [EXPECTED_MAIN]
    main = forest[0]
    middle, gen1, gen2, gen3, catches = main.children
    # The values go with the end; the beginning holds what every call of the function shares (speedscope's key).
    assert middle.end["args"]["a"] == "1"
    assert middle.end["args"]["b"] == "3"
    assert middle.begin["args"] == {"location": middle.begin["args"]["location"]}
    assert middle.begin["args"]["location"].endswith("app.py:6")
    assert middle.begin["cat"] == "__main__"
    assert [leaf.end["args"]["return"] for leaf in middle.children] == ["2", "6"]
    assert middle.end["args"]["return"] == "8"
    # A generator's slices end at each yield, with the yielded value.
    assert [gen.end["args"]["return"] for gen in (gen1, gen2, gen3)] == ["0", "2", "None"]
    fails = catches.children[0]
    assert [instant["name"] for instant in fails.instants] == ["ValueError"]
    assert fails.instants[0]["args"]["exception"] == "ValueError('bad value')"
    assert fails.end["args"] == {"exception": "ValueError('bad value')"}
    assert catches.end["args"]["return"] == "'caught'"
    assert main.end["args"]["return"] == "'caught'"


def test_without_return_events_calls_still_nest_and_close(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace
        out = ChromeTrace(sys.argv[1])
        with hunter.trace(module="__main__", kind="call", action=out):
            main()
        out.close()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    roots = check_timeline(load_strict(target))
    assert main_trees(roots) == [EXPECTED_MAIN]


def test_profile_mode_shows_builtin_calls_around_the_python_calls_they_make(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace, Q

        def key(x):
            return -x

        def more():
            return sorted([3, 1, 2], key=key), len("abc")

        out = ChromeTrace(sys.argv[1])
        query = Q(module="__main__") | Q(builtin=True, function_in=["sorted", "len"])
        with hunter.trace(query, profile=True, action=out):
            main()
            more()
        out.close()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    roots = check_timeline(load_strict(target))
    forest = [node.shape() for nodes in roots.values() for node in nodes]
    assert forest == [EXPECTED_MAIN, ("more", [("sorted", [("key", [])] * 3), ("len", [])])]
    [(_pid, length)] = find(roots, "len")
    assert length.begin["cat"] == "builtins" and length.begin["args"] == {"builtin": True}


def test_a_builtin_call_before_any_return_leaves_its_caller_open(tmp_path: Path) -> None:
    """A C function's call event comes with its caller's frame: before any return was seen (when each call checks
    which open calls its callers still are) the caller was taken to have ended unseen, its real return dropped."""
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace, Q

        def work(items):
            total = sum(items)
            return len(items) + total

        query = Q(module="__main__") | Q(builtin=True, function_in=["sum", "len"])
        with ChromeTrace(sys.argv[1]) as out, hunter.trace(query, profile=True, action=out):
            work([1, 2, 3])
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    roots = check_timeline(load_strict(target))
    assert [node.shape() for nodes in roots.values() for node in nodes] == [("work", [("sum", []), ("len", [])])]
    [(_pid, work)] = find(roots, "work")
    assert work.end["args"] == {"items": "[1, 2, 3]", "return": "9"}


def test_args_false_records_no_values(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace
        with ChromeTrace(sys.argv[1], args=False) as out, hunter.trace(module="__main__", action=out):
            main()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    events = load_strict(target)
    roots = check_timeline(events)
    assert main_trees(roots) == [EXPECTED_MAIN]
    begins = [event for event in events if event["ph"] == "B"]
    assert all(set(event["args"]) == {"location"} for event in begins)
    assert all("return" not in event.get("args", {}) for event in events if event["ph"] == "E")


def test_threads_get_their_own_balanced_tracks(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import threading
        import hunter
        from hunter import ChromeTrace
        out = ChromeTrace(sys.argv[1], batch=1)
        with hunter.trace(module="__main__", action=out):
            threads = [threading.Thread(target=main, name=f"worker-{i}") for i in range(4)]
            for thread in threads:
                thread.start()
            main()
            for thread in threads:
                thread.join()
        out.close()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    events = load_strict(target)
    roots = check_timeline(events)
    per_thread = {where: [node.shape() for node in nodes if node.name == "main"] for where, nodes in roots.items()}
    per_thread = {where: trees for where, trees in per_thread.items() if trees}
    assert len(per_thread) == 5
    assert all(trees == [EXPECTED_MAIN] for trees in per_thread.values())
    names = {event["args"]["name"] for event in events if event["ph"] == "M" and event["name"] == "thread_name"}
    assert {"MainThread", "worker-0", "worker-1", "worker-2", "worker-3"} <= names


def test_a_file_cut_off_by_a_kill_still_loads(tmp_path: Path) -> None:
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    script = write_program(
        tmp_path,
        """
        import os, signal
        import hunter
        from hunter import ChromeTrace

        def die():
            os.kill(os.getpid(), signal.SIGKILL)

        out = ChromeTrace(sys.argv[1], batch=1)
        hunter.trace(module="__main__", action=out)
        main()
        die()
        """,
    )
    target = tmp_path / "out.json"
    result = run_python([script, str(target)], cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL, describe(result)
    text = target.read_text()
    assert not text.rstrip().endswith("]")
    with pytest.raises(ValueError):
        json.loads(text)
    # What a viewer does with a missing bracket; true at every line, wherever the cut fell.
    lines = text.splitlines(keepends=True)
    for count in range(1, len(lines) + 1):
        assert isinstance(json.loads("".join(lines[:count]) + "]"), list)
    events = json.loads(text + "]")
    assert events == read_events(str(target))
    names = [event.get("name") for event in events if event["ph"] == "B"]
    assert names[-1] == "die"
    assert names.count("leaf") == 4


def test_os_exit_still_closes_the_file(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import os
        import hunter
        from hunter import ChromeTrace

        def leave():
            os._exit(3)

        hunter.trace(module="__main__", action=ChromeTrace(sys.argv[1]))
        main()
        leave()
        """,
    )
    target = tmp_path / "out.json"
    result = run_python([script, str(target)], cwd=tmp_path)
    assert result.returncode == 3, describe(result)
    roots = check_timeline(load_strict(target))
    forest = [node.shape() for nodes in roots.values() for node in nodes]
    assert forest == [EXPECTED_MAIN, ("leave", [])]
    leave = [node for nodes in roots.values() for node in nodes][-1]
    assert leave.end["args"] == {"unfinished": "tracing ended"}


def test_truncated_last_line_is_skipped_by_read_events(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    ChromeTrace(str(target)).close()
    complete = target.read_text()
    target.write_text(complete.rstrip("]\n") + '\n,{"ph":"B","pid":1,"tid":1,"ts":3.0,"na')
    events = read_events(str(target))
    assert [event["name"] for event in events] == ["process_name"]


@pytest.mark.skipif(not HAS_FORK, reason="needs os.fork")
def test_fork_child_writes_its_own_file_which_merges(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import os
        import hunter
        from hunter import ChromeTrace

        def spawn_worker():
            pid = os.fork()
            if pid == 0:
                main()
                sys.exit(0)
            os.waitpid(pid, 0)
            return pid

        out = ChromeTrace(sys.argv[1])
        with hunter.trace(module="__main__", action=out):
            child = spawn_worker()
            main()
        out.close()
        print(child)
        """,
    )
    target = tmp_path / "out.json"
    result = run(script, str(target))
    child = int(result.stdout.strip())
    child_file = Path(per_process_path(str(target), child))
    assert child_file.exists()
    child_roots = check_timeline(load_strict(child_file))
    # The child opens again the calls it was inside when it forked, so that their returns close something.
    [child_forest] = child_roots.values()
    assert [node.name for node in child_forest] == ["spawn_worker"]
    assert [child.shape() for child in child_forest[0].children] == [EXPECTED_MAIN]
    merged, running = merge(str(target))
    assert merged == [str(child_file)] and running == []
    assert not child_file.exists()
    events = load_strict(target)
    roots = check_timeline(events)
    assert {pid for pid, _ in roots} == {child, int(events[0]["pid"])}
    assert len(main_trees(roots)) == 2
    assert merge(str(target)) == ([], [])  # nothing left to merge


@pytest.mark.skipif(not HAS_FORK, reason="needs os.fork")
def test_multiprocessing_children_from_pythonhunter_get_files_of_their_own(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import multiprocessing

        if __name__ == "__main__":
            for method in ("fork", "spawn"):
                process = multiprocessing.get_context(method).Process(target=main)
                process.start()
                process.join()
                assert process.exitcode == 0
            main()
        """,
    )
    target = tmp_path / "out.json"
    query = f'module_in=["__main__", "__mp_main__"], action=ChromeTrace({str(target)!r})'
    run(script, env={"PYTHONHUNTER": query})
    merged, _running = merge(str(target))
    assert len(merged) >= 2
    events = load_strict(target)
    roots = check_timeline(events)
    assert len({pid for pid, _node in find(roots, "main")}) == 3
    assert main_trees(roots) == [EXPECTED_MAIN] * 3
    # One time axis (microseconds since the run started): the children start after the parent.
    parent = events[0]["pid"]
    starts: dict[int, float] = {}
    for event in events:
        if event["ph"] in ("B", "X"):
            starts[event["pid"]] = min(starts.get(event["pid"], event["ts"]), event["ts"])
    assert all(starts[parent] < start for pid, start in starts.items() if pid != parent)
    assert max(starts.values()) < 600 * 1_000_000


def test_pythonhunter_activation_writes_a_complete_file(tmp_path: Path) -> None:
    script = write_program(tmp_path, "main()\n")
    target = tmp_path / "out.json"
    run(script, env={"PYTHONHUNTER": f'module="__main__", action=ChromeTrace({str(target)!r})'})
    roots = check_timeline(load_strict(target))
    forest = [node.shape() for nodes in roots.values() for node in nodes]
    assert forest == [("<module __main__>", [EXPECTED_MAIN])]


def test_a_plain_child_process_does_not_clobber_the_parent_file(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import subprocess
        main()
        subprocess.run([sys.executable, __file__.replace("app.py", "child.py")], check=True)
        """,
    )
    (tmp_path / "child.py").write_text("def child_main():\n    return 1\n\nchild_main()\n")
    target = tmp_path / "out.json"
    run(script, env={"PYTHONHUNTER": f'module="__main__", action=ChromeTrace({str(target)!r})'})
    parent = load_strict(target)
    assert "main" in {event.get("name") for event in parent}
    merged, _ = merge(str(target))
    assert len(merged) == 1
    names = {event.get("name") for event in load_strict(target)}
    assert {"main", "child_main"} <= names


# -- JSON Lines ------------------------------------------------------------------------------------------------


def test_jsonl_has_one_detached_event_per_line(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import JSONLines
        with JSONLines(sys.argv[1]) as out, hunter.trace(module="__main__", action=out):
            main()
        """,
    )
    target = tmp_path / "out.jsonl"
    run(script, str(target))
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert records
    keys = {"time", "pid", "tid", "threadid", "threadname", "kind", "builtin", "function", "module", "filename"}
    keys |= {"lineno", "depth", "calls", "stdlib", "source"}
    assert all(keys <= record.keys() for record in records)
    assert {record["kind"] for record in records} == {"call", "line", "return", "exception"}
    assert [record["time"] for record in records] == sorted(record["time"] for record in records)
    calls = [record for record in records if record["kind"] == "call"]
    assert [record["function"] for record in calls][:4] == ["main", "middle", "leaf", "leaf"]
    assert calls[1]["args"] == {"a": "1", "b": "3"}
    assert calls[1]["depth"] == calls[0]["depth"] + 1
    returns = [record for record in records if record["kind"] == "return" and record["function"] == "leaf"]
    assert [record["arg"] for record in returns][:2] == ["2", "6"]
    [exception] = [record for record in records if record["kind"] == "exception" and record["function"] == "fails"]
    assert exception["exception"] == "ValueError"
    assert exception["arg"] == "ValueError('bad value')"
    assert exception["source"].strip() == 'raise ValueError("bad value")'
    assert all(record["filename"].endswith("app.py") and record["stdlib"] is False for record in records)


@pytest.mark.skipif(not HAS_FORK, reason="needs os.fork")
def test_jsonl_processes_append_whole_lines_to_one_file(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import os, subprocess

        if __name__ == "__main__":
            pid = os.fork()
            if pid == 0:
                for _ in range(50):
                    main()
                os._exit(0)
            subprocess.run([sys.executable, __file__.replace("app.py", "child.py")], check=True)
            for _ in range(50):
                main()
            os.waitpid(pid, 0)
            print(pid)
        """,
    )
    (tmp_path / "child.py").write_text("import app\nfor _ in range(50):\n    app.main()\n")
    target = tmp_path / "out.jsonl"
    query = f'module_in=["app", "__main__"], kind="call", function="leaf", action=JSONLines({str(target)!r}, batch=7)'
    result = run(script, env={"PYTHONHUNTER": query})
    fork_child = int(result.stdout.strip())
    records = [json.loads(line) for line in target.read_text().splitlines()]
    per_pid: dict[int, int] = {}
    for record in records:
        per_pid[record["pid"]] = per_pid.get(record["pid"], 0) + 1
    assert len(per_pid) == 3
    assert fork_child in per_pid
    assert sorted(per_pid.values()) == [200, 200, 200]


# -- robustness and helpers ------------------------------------------------------------------------------------


class Loud:
    """A value whose repr and eq must never run while it is exported."""

    calls = 0

    def __repr__(self) -> str:
        Loud.calls += 1
        raise RuntimeError("repr called")

    def __eq__(self, other: object) -> bool:
        Loud.calls += 1
        raise RuntimeError("eq called")

    __hash__ = object.__hash__


def test_value_repr_runs_no_user_code_and_stays_small() -> None:
    assert value_repr(Loud(), 100).startswith("<test_exporters.Loud object at 0x")
    assert value_repr([Loud()], 100).startswith("[<test_exporters.Loud object at 0x")
    assert Loud.calls == 0
    big = value_repr(list(range(1_000_000)), 300)
    assert big == "[" + ", ".join(str(i) for i in range(16)) + ", ...]"
    assert len(value_repr("x" * 10_000, 50)) <= 60
    assert value_repr({"a": (1,)}, 100) == "{'a': (1,)}"
    assert value_repr(10**5000, 100).startswith(("!!! FAILED REPR", "1"))  # int too large to print (3.11+)
    assert len(value_repr([[["x" * 100] * 16] * 16] * 16, 200)) <= 210


def test_exporting_odd_values_never_raises(tmp_path: Path) -> None:
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace, JSONLines
        from test_exporters_values import Loud

        def takes(value, *rest, **named):
            return value

        def explode():
            raise Loud.Error(Loud())

        out = ChromeTrace(sys.argv[1])
        lines = JSONLines(sys.argv[2])
        with hunter.trace(module="__main__", actions=[out, lines]):
            takes(Loud(), Loud(), key=Loud())
            takes(10**5000)
            takes("\\ud800 \\x00 \\"quoted\\" \\\\ é")
            try:
                explode()
            except Loud.Error:
                pass
        out.close()
        lines.close()
        print(Loud.calls)
        """,
    )
    (tmp_path / "test_exporters_values.py").write_text(
        textwrap.dedent(
            """
            class Loud:
                calls = 0
                class Error(Exception):
                    pass
                def __repr__(self):
                    Loud.calls += 1
                    raise RuntimeError("repr called")
            """
        )
    )
    result = run(script, str(tmp_path / "out.json"), str(tmp_path / "out.jsonl"))
    assert result.stdout.strip() == "0"
    assert "Disabling tracer" not in result.stderr
    events = load_strict(tmp_path / "out.json")
    check_timeline(events)
    calls = [event for event in events if event["ph"] == "E" and event["name"] == "takes"]  # (values: at the end)
    assert calls[0]["args"]["rest"].startswith("(<test_exporters_values.Loud object at 0x")
    assert calls[2]["args"]["value"] == "'\\ud800 \\x00 \"quoted\" \\\\ é'"
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert any(record.get("exception") == "Error" for record in records)


def test_detached_events_are_exported_too(tmp_path: Path) -> None:
    # Events copied with event.detach() have no frame: calls and returns pair up by depth.
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace, JSONLines
        out = ChromeTrace(sys.argv[1])
        lines = JSONLines(sys.argv[2])

        def forward(event):
            out(event.detach())
            lines(event.detach(repr))

        with hunter.trace(module="__main__", action=forward):
            main()
        out.close()
        lines.close()
        """,
    )
    run(script, str(tmp_path / "out.json"), str(tmp_path / "out.jsonl"))
    roots = check_timeline(load_strict(tmp_path / "out.json"))
    assert main_trees(roots) == [EXPECTED_MAIN]
    [(_pid, fails)] = find(roots, "fails")
    assert [instant["name"] for instant in fails.instants] == ["exception"]  # a detached event has no value
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [record["function"] for record in records if record["kind"] == "call"][:3] == ["main", "middle", "leaf"]
    assert "args" not in records[0]
    assert [record["arg"] for record in records if record["kind"] == "return"][:1] == ["'2'"]  # repr of repr


def test_writers_compare_by_identity_and_show_their_settings(tmp_path: Path) -> None:
    path = str(tmp_path / "x.json")
    with ChromeTrace(path, args=False) as first, ChromeTrace(path) as second:
        assert first != second
        assert first == first
        assert repr(first) == f"ChromeTrace({path!r}, args=False, repr_limit=256, batch=256)"
    with JSONLines(str(tmp_path / "x.jsonl"), source=False) as lines:
        assert "source=False" in repr(lines)
    with pytest.raises(ValueError, match="repr_limit"):
        ChromeTrace(path, repr_limit=0)
    with pytest.raises(TypeError, match="path or a writable file"):
        ChromeTrace(42)


def test_a_file_object_is_written_but_not_closed(tmp_path: Path) -> None:
    import io

    import hunter

    stream = io.StringIO()

    def work(value: int) -> int:
        return value + 1

    with ChromeTrace(stream) as out, hunter.trace(function="work", action=out):
        work(1)
    assert not stream.closed
    events = json.loads(stream.getvalue())
    check_timeline(events)
    assert [event["ph"] for event in events if event["ph"] != "M"] == ["B", "E"]


def test_merge_takes_only_files_of_the_same_run(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with ChromeTrace(str(target)):
        pass
    token = json.loads(target.read_text().splitlines()[1])["args"]["hunter_run"]

    def child_file(pid: int, run_token: str, closed: bool) -> Path:
        path = Path(per_process_path(str(target), pid))
        head = f'[\n{{"ph":"M","name":"process_name","pid":{pid},"tid":{pid},"ts":0,'
        head += f'"args":{{"name":"c","hunter_run":"{run_token}"}}}}\n'
        body = f',{{"ph":"M","name":"thread_name","pid":{pid},"tid":{pid},"ts":0,"args":{{"name":"MainThread"}}}}\n'
        body += f',{{"ph":"B","pid":{pid},"tid":{pid},"ts":5.5,"name":"f","cat":"m","args":{{}}}}\n'
        path.write_text(head + body + ("]\n" if closed else ""))
        return path

    stale = child_file(999_999_991, "other-run", closed=True)
    done = child_file(999_999_992, token, closed=True)
    crashed = child_file(999_999_993, token, closed=False)
    alive = child_file(os.getpid(), token, closed=False)
    merged, running = merge(str(target))
    assert sorted(merged) == sorted([str(done), str(crashed)])
    assert running == ([str(alive)] if os.name == "posix" else [])
    assert stale.exists() and not done.exists() and not crashed.exists()
    assert alive.exists() == (os.name == "posix")
    events = load_strict(target)
    check_timeline(events)  # the open calls of the crashed and the running process got closing events
    assert {event["pid"] for event in events} >= {999_999_992, 999_999_993}
    assert 999_999_991 not in {event["pid"] for event in events}


def test_children_find_the_root_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    monkeypatch.setenv("PYTHONHUNTER", "module='x'")
    monkeypatch.delenv(ROOTS_ENV, raising=False)
    with ChromeTrace(str(target)) as root:
        assert root.root and root.filename == str(target)
        roots = json.loads(os.environ[ROOTS_ENV])
        assert roots[str(target)][0] == os.getpid()
        # Another process of the run sees the entry (here: pretend the root has another pid).
        roots[str(target)][0] = os.getpid() + 1
        monkeypatch.setenv(ROOTS_ENV, json.dumps(roots))
        with ChromeTrace(str(target)) as child:
            assert not child.root
            assert child.filename == per_process_path(str(target), os.getpid())
            assert child.token == root.token and child.origin_ns == root.origin_ns
    monkeypatch.delenv("PYTHONHUNTER")
    monkeypatch.delenv(ROOTS_ENV)
    with ChromeTrace(str(tmp_path / "quiet.json")):
        assert ROOTS_ENV not in os.environ  # no traced children: the environment is left alone


def test_per_process_path() -> None:
    assert per_process_path("/a/out.json", 12) == "/a/out.12.json"
    assert per_process_path("/a/out", 12) == "/a/out.12"
    assert per_process_path("/a.b/trace.tar.json", 7) == "/a.b/trace.tar.7.json"


def test_exporters_are_public_names() -> None:
    import hunter

    assert hunter.ChromeTrace is ChromeTrace
    assert hunter.JSONLines is JSONLines
    assert sys.modules["hunter.exporters"].__all__ == ["ChromeTrace", "JSONLines", "merge", "read_events"]


def test_stopping_the_tracer_flushes_the_exporter(tmp_path: Path) -> None:
    import hunter

    def leaf(x: int) -> int:
        return x + 1

    path = tmp_path / "flushed.jsonl"
    exporter = JSONLines(str(path))
    with hunter.trace(function="leaf", kind="call", action=exporter):
        leaf(1)
    # Still open (no close(), no exit): the batched line must be on disk once the tracer stopped.
    lines = path.read_text().splitlines()
    assert [json.loads(line)["function"] for line in lines] == ["leaf"]
    exporter.close()


def test_importing_the_exporters_patches_nothing(tmp_path: Path) -> None:
    # PYTHONHUNTER activation imports hunter.exporters (the config namespace has ChromeTrace): a traced process
    # that never creates an exporter must keep its own os._exit, fork hooks and exit handlers.
    code = textwrap.dedent(
        """
        import atexit, os, sys
        original = getattr(sys.modules[os.name], "_exit")  # posix._exit / nt._exit: the real one
        import hunter.exporters
        print(os._exit is original, atexit._ncallbacks())
        hunter.exporters.ChromeTrace(os.path.join(os.getcwd(), "out.json")).close()
        print(os._exit is original, os._exit.__wrapped__ is original)
        """
    )
    result = run_python(code, cwd=tmp_path, env={"PYTHONHUNTER": 'module="nothing.here"'})
    assert result.returncode == 0, describe(result)
    before, after = result.stdout.splitlines()
    assert before.split()[0] == "True"
    assert after == "False True"
    baseline = run_python("import atexit, hunter; print(atexit._ncallbacks())", cwd=tmp_path)
    assert before.split()[1] == baseline.stdout.strip()


def test_object_form_holds_the_same_events_and_repairs_when_cut_off(tmp_path: Path) -> None:
    # Some tools (vizviewer) only accept {"traceEvents": [...]}; it streams just like the array form.
    script = write_program(
        tmp_path,
        """
        import hunter
        from hunter import ChromeTrace
        with ChromeTrace(sys.argv[1], form="object") as out, hunter.trace(module="__main__", action=out):
            main()
        """,
    )
    target = tmp_path / "out.json"
    run(script, str(target))
    events = load_strict(target, form="object")
    assert main_trees(check_timeline(events)) == [EXPECTED_MAIN]
    assert read_events(str(target)) == events
    # Cut off (a crash): read_events still takes every whole line, and merge() writes a complete object.
    lines = target.read_text().splitlines(keepends=True)
    # (The last lines: main()'s B and E, written when it ended; without its E, main() is still open.)
    target.write_text("".join(lines[:-2]))
    assert read_events(str(target)) == events[:-1]
    child = Path(per_process_path(str(target), 999_999_997))
    child.write_text("".join(lines[:2]).replace(f'"pid":{events[0]["pid"]}', '"pid":999999997'))
    merged, _ = merge(str(target))
    assert merged == [str(child)]
    repaired = load_strict(target, form="object")
    assert len(repaired) == len(events) - 1 + 1 + 1  # the child's process_name; main()'s closing event
    check_timeline(repaired)
    with pytest.raises(ValueError, match="form"):
        ChromeTrace(str(target), form="list")


@pytest.mark.parametrize("args", [False, True], ids=["no-args", "args"])
def test_calls_are_written_whole_when_they_end_and_calls_running_at_a_kill_show(tmp_path: Path, args: bool) -> None:
    # One complete event (X) per call without values, a B/E pair with them, written when the call ends; a call
    # still running when its thread's lines are written out gets its B then, so that a kill -9 leaves it visible.
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    script = write_program(
        tmp_path,
        f"""
        import os, signal, time
        import hunter
        from hunter import ChromeTrace

        def wait_for_the_file():
            give_up = time.monotonic() + 60
            while '"name":"outer"' not in open(sys.argv[1]).read() and time.monotonic() < give_up:
                leaf(0)
            os.kill(os.getpid(), signal.SIGKILL)

        def outer():
            middle(1)
            wait_for_the_file()

        out = ChromeTrace(sys.argv[1], batch=1_000_000, args={args})
        hunter.trace(module="__main__", action=out)
        outer()
        """,
    )
    target = tmp_path / "out.json"
    result = run_python([script, str(target)], cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL, describe(result)
    events = read_events(str(target))
    calls = [event for event in events if event["ph"] in ("B", "E", "X")]
    # The calls that ended: middle() and its two leaf() calls, whole, before anything else (written when they ended).
    if args:
        assert [(event["ph"], event["name"]) for event in calls[:6]] == [
            ("B", "leaf"), ("E", "leaf"), ("B", "leaf"), ("E", "leaf"), ("B", "middle"), ("E", "middle")
        ]  # fmt: skip
        assert calls[5]["args"] == {"a": "1", "b": "3", "return": "8"}
    else:
        assert [(event["ph"], event["name"]) for event in calls[:3]] == [("X", "leaf"), ("X", "leaf"), ("X", "middle")]
        assert calls[0]["dur"] > 0 and calls[0]["args"] == {"location": calls[0]["args"]["location"]}
    # The calls running when the lines were written out: their beginnings, and no end.
    running = [
        event["name"] for event in calls if event["ph"] == "B" and event["name"] in ("outer", "wait_for_the_file")
    ]
    assert running == ["outer", "wait_for_the_file"]
    assert not any(event["ph"] in ("E", "X") and event["name"] in running for event in calls)
    # hunter view shows them running to the end, around the calls they made (depth by time).
    model = build_model(str(target))
    [track] = model["tracks"]
    depths = {model["names"][row[3]]: row[2] for row in track["slices"]}
    assert depths["outer"] == 0 and depths["middle"] == 1 and depths["wait_for_the_file"] == 1 and depths["leaf"] == 2


def test_queued_lines_are_written_on_a_timer_not_only_by_count(tmp_path: Path) -> None:
    # A batch that never fills still reaches the file shortly after (checked at each event), so a process killed
    # outright (SIGKILL: no handler, no exit) loses only its last moments.
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    script = write_program(
        tmp_path,
        """
        import os, signal, time
        import hunter
        from hunter import ChromeTrace

        def tick():
            pass

        out = ChromeTrace(sys.argv[1], batch=1_000_000)
        hunter.trace(module="__main__", action=out)
        main()
        give_up = time.monotonic() + 60
        while '"name":"main"' not in open(sys.argv[1]).read() and time.monotonic() < give_up:
            tick()
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    target = tmp_path / "out.json"
    result = run_python([script, str(target)], cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL, describe(result)
    events = read_events(str(target))
    assert [event["name"] for event in events if event["ph"] == "B"].count("leaf") == 4


# -- min_duration ----------------------------------------------------------------------------------------------


def _leaf() -> None:
    pass


def _middle() -> None:
    _leaf()
    _leaf()


def _top() -> None:
    _middle()


@pytest.mark.parametrize("args", [False, True], ids=["no-args", "args"])
def test_min_duration_leaves_out_shorter_calls_on_the_event_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: bool
) -> None:
    import itertools
    import time

    import hunter
    import hunter._engine._recording
    import hunter.exporters.chrome

    # A clock that moves 1 µs each time the exporter reads it (once per call and per return): a leaf lasts 1 µs,
    # _middle() 5 µs, _top() 7 µs, whatever the machine's speed.
    ticks = itertools.count()
    origin = time.perf_counter_ns()
    monkeypatch.setattr(hunter.exporters.chrome, "_perf_ns", lambda: origin + next(ticks) * 1000)
    monkeypatch.setattr(hunter._engine._recording, "enabled", False)
    target = tmp_path / "out.json"
    with ChromeTrace(str(target), args=args, min_duration=3e-6) as out:
        assert "min_duration=3e-06" in repr(out)
        with hunter.trace(function_in=("_top", "_middle", "_leaf"), kind_in=("call", "return"), action=out):
            _top()
    roots = check_timeline(load_strict(target))
    [forest] = roots.values()
    assert [node.shape() for node in forest] == [("_top", [("_middle", [])])]
    [top] = forest
    assert top.end["ts"] - top.begin["ts"] == pytest.approx(7.0)
    if args:
        assert top.end["args"] == {"return": "None"}


@pytest.mark.parametrize("args", [False, True], ids=["no-args", "args"])
def test_min_duration_leaves_out_shorter_calls_recorded_raw(tmp_path: Path, args: bool) -> None:
    import time

    from hunter._engine._recording import RETURN

    target = tmp_path / "out.json"
    out = ChromeTrace(str(target), args=args, min_duration=0.001)
    top, leaf = (out.describe(function.__code__, __name__, __file__) for function in (_top, _leaf))
    records = out.thread_records()
    assert records is not None
    start = time.perf_counter_ns()
    value = ('"1"',) if args else ()
    text = (',"x":"2"',) if args else ()
    records.extend(
        [
            (top, start, *text),
            (leaf, start + 10, *text),
            (RETURN, start + 999_999, *value),  # 0.99999 ms: left out
            (leaf, start + 1_000_000, *text),
            (RETURN, start + 2_000_000, *value),  # 1 ms: kept
            (RETURN, start + 3_000_000, *value),
        ]
    )
    out.close()
    roots = check_timeline(load_strict(target))
    [forest] = roots.values()
    assert [node.shape() for node in forest] == [("_top", [("_leaf", [])])]
    [kept] = forest[0].children
    assert kept.end["ts"] - kept.begin["ts"] == pytest.approx(1000.0)
    if args:
        assert kept.end["args"] == {"x": "2", "return": "1"}


def test_min_duration_is_checked() -> None:
    for bad in (-1, "1ms", True, float("nan")):
        with pytest.raises(ValueError, match="min_duration"):
            ChromeTrace(os.devnull, min_duration=bad)


def _stand_in() -> None:
    """A function whose code a made-up frame runs (below)."""


def _later() -> None:
    """Another one."""


class _MadeUpFrame:
    """What an exporter reads of a frame, for a frame whose memory is to hold another frame later."""

    def __init__(self, code: Any, back: Any) -> None:
        self.f_code, self.f_back, self.f_globals = code, back, globals()
        self.f_lineno, self.f_lasti, self.f_locals, self.f_trace = code.co_firstlineno, 0, {}, None


def test_an_open_call_whose_frame_memory_holds_another_frame_is_closed(tmp_path: Path) -> None:
    """Without returns (``kind="call"``) a call stays open until a later call shows it ended. Its frame may be gone
    by then and its memory hold a frame made later (asyncio's task step, made when first asked for): the later call
    must not pass for one made inside the ended call because that caller frame has its id."""
    from hunter.event import Event

    path = tmp_path / "reused.json"
    exporter = ChromeTrace(str(path), args=False)
    caller = _MadeUpFrame(_later.__code__, sys._getframe())
    ended = _MadeUpFrame(_stand_in.__code__, caller)
    exporter(Event(caller, "call", None))
    exporter(Event(ended, "call", None))  # (its return is never seen)
    ended.f_code = _later.__code__  # the same memory, another frame now: the caller of the next call
    exporter(Event(_MadeUpFrame(_later.__code__, ended), "call", None))
    exporter.close()
    events = [event for event in load_strict(path) if event["ph"] in "BEX"]
    assert [(event["name"], event["args"]["unfinished"]) for event in events] == [
        ("_stand_in", "return not seen"),
        ("_later", "tracing ended"),
        ("_later", "tracing ended"),
    ]
    roots = check_timeline(load_strict(path))
    (forest,) = roots.values()
    assert [(node.name, [child.name for child in node.children]) for node in forest] == [
        ("_later", ["_stand_in", "_later"])
    ]
