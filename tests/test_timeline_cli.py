"""Timelines from the command line: kept whole when the program is killed, summarised, viewed offline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import child_env, default_signals, describe, kill_group, run_in_group, run_python, start_in_group
from test_exporters import EXPECTED_MAIN, PROGRAM, check_timeline, find, load_strict, main_trees

POSIX = os.name == "posix"

#: Makes known calls, says so, then waits to be killed.
WAITING = PROGRAM + textwrap.dedent(
    """
    import time

    main()
    print("ready", flush=True)
    # Short sleeps, not signal.pause(): a Python handler only runs once the main thread is back in Python, and a
    # signal that lands just before a wait that never ends would wait with it (untraced, SIGTERM kills anyway).
    while True:
        time.sleep(0.05)
    """
)


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return start_in_group(
        [sys.executable, *args],
        cwd=cwd,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The signals this module sends must kill as they would from a terminal, even under nohup.
        preexec_fn=default_signals,
    )


def kill_when_ready(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "ready\n", line + (process.stderr.read() if process.stderr else "")
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        kill_group(process)  # (a hung one, with what it started; after an end, what it left running)
    return process.returncode, line + stdout, stderr


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_killed_program_keeps_its_timeline_and_dies_as_untraced(tmp_path: Path, name: str) -> None:
    signum = getattr(signal, name)
    (tmp_path / "prog.py").write_text(WAITING)
    plain = kill_when_ready(start(["prog.py"], tmp_path), signum)
    assert plain[0] == -signum
    out = tmp_path / "out.json"
    status, stdout, stderr = kill_when_ready(
        start(["-m", "hunter", "--format", "chrome", "--module", "__main__", "-o", str(out), "prog.py"], tmp_path),
        signum,
    )
    assert (status, stdout) == plain[:2], stderr
    # Every call made before the kill is there, the file is complete, and the summary line was printed.
    roots = check_timeline(load_strict(out))
    assert main_trees(roots) == [EXPECTED_MAIN]
    [(_pid, module)] = find(roots, "<module __main__>")
    assert module.end["args"] == {"unfinished": "tracing ended"}
    assert stderr.startswith(f"hunter: timeline written to {out}: "), stderr


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
def test_an_ignored_or_handled_signal_stays_the_program_s(tmp_path: Path) -> None:
    # SIGHUP ignored (nohup): still ignored. SIGTERM with the program's own handler: the handler runs (and the
    # timeline is on disk by then), the program goes on, and ends normally.
    (tmp_path / "prog.py").write_text(
        PROGRAM
        + textwrap.dedent(
            """
            import json, os, signal

            def on_term(signum, frame):
                events = [line for line in open(sys.argv[1]) if '"name":"middle"' in line]
                print("handled", len(events), flush=True)

            signal.signal(signal.SIGTERM, on_term)
            main()
            os.kill(os.getpid(), signal.SIGHUP)
            os.kill(os.getpid(), signal.SIGTERM)
            main()
            print("done")
            """
        )
    )
    out = tmp_path / "out.json"
    command = [sys.executable, "-m", "hunter", "--format", "chrome", "--module", "__main__", "-o", str(out)]
    result = run_in_group(
        [*command, "prog.py", str(out)],
        cwd=tmp_path,
        env=child_env(),
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
        timeout=120,
    )
    assert result.returncode == 0, describe(result)
    # The program's handler replaced hunter's: its SIGTERM is its own. (Its timeline may or may not hold the
    # first main() then, depending on batches; the file is complete at exit either way.)
    assert result.stdout.splitlines()[-1] == "done"
    assert result.stdout.startswith("handled ")
    assert main_trees(check_timeline(load_strict(out))) == [EXPECTED_MAIN, EXPECTED_MAIN]


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
def test_a_program_handler_installed_before_the_exporter_is_chained(tmp_path: Path) -> None:
    # The exporter's handler writes the timeline out, then calls the program's own handler, which decides.
    script = tmp_path / "prog.py"
    script.write_text(
        PROGRAM
        + textwrap.dedent(
            """
            import os, signal
            import hunter
            from hunter import ChromeTrace

            def on_term(signum, frame):
                print("handled", sum('"name":"leaf"' in line for line in open(sys.argv[1])), flush=True)

            signal.signal(signal.SIGTERM, on_term)
            out = ChromeTrace(sys.argv[1], batch=10_000, signals=True)
            hunter.trace(module="__main__", action=out)
            main()
            os.kill(os.getpid(), signal.SIGTERM)
            hunter.stop()
            out.close()
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python([script, out], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "handled 8\n"  # 4 leaf calls: B and E each, all on disk when the handler ran
    check_timeline(load_strict(out))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs the fork start method too")
def test_pool_workers_ended_by_the_pool_keep_their_events(tmp_path: Path) -> None:
    # Pool.__exit__ terminates its workers with SIGTERM: whatever they had queued must reach the timeline.
    (tmp_path / "pool.py").write_text(
        PROGRAM
        + textwrap.dedent(
            """
            import multiprocessing, time

            def work(value):
                return leaf(value)

            def init(queue):
                global started
                started = queue

            def block():
                started.put(1)
                while True:  # (short sleeps: see WAITING)
                    time.sleep(0.05)

            if __name__ == "__main__":
                for method in ("fork", "spawn"):
                    context = multiprocessing.get_context(method)
                    queue = context.Queue()
                    with context.Pool(2, initializer=init, initargs=(queue,)) as pool:
                        print(pool.map(work, range(6)))
                        # Both workers busy (and their last events queued in memory) when the pool ends them.
                        for _ in range(2):
                            pool.apply_async(block)
                        for _ in range(2):
                            queue.get()
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python(
        ["-m", "hunter", "--format", "chrome", "--module", "__main__", "--module", "__mp_main__", "-o", out,
         "pool.py"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, describe(result)
    assert result.stdout == "[0, 2, 4, 6, 8, 10]\n" * 2
    events = load_strict(out)
    roots = check_timeline(events)
    works = find(roots, "work")
    assert len(works) == 12
    assert all([child.name for child in node.children] == ["leaf"] for _pid, node in works)
    blocks = find(roots, "block")
    assert len(blocks) == 4
    assert all(node.end["args"] == {"unfinished": "tracing ended"} for _pid, node in blocks)
    assert events[0]["pid"] not in {pid for pid, _node in works + blocks}  # all in the workers
    # (multiprocessing's resource tracker may still be running at the merge: its file can stay, as documented.)


#: How test_a_signal_while_recording_waits_until_the_event_is_recorded lands its signal halfway through recording:
#: an event through ChromeTrace.__call__ (the normal path), or raw records being formatted (hunter._engine._recording).
_INTERRUPTED_RECORDING = {
    "event": """
        from hunter.exporters import _timeline

        hunter._engine._recording.enabled = False  # the normal path: events through the predicate
        real_value_json_at = _timeline.value_json_at

        def value_json_at(limit):
            real_value_json = real_value_json_at(limit)

            def value_json(value):
                if not calls and value == 6:  # the second leaf() returning: inside ChromeTrace.__call__
                    interrupt(sys._getframe(1))
                return real_value_json(value)

            return value_json

        _timeline.value_json_at = value_json_at  # (the writer's value_json, made when it is created)
        """,
    "raw": """
        real_format = chrome.ChromeTrace._format_records

        def format_records(self, state):
            if not calls:  # formatting raw records, called by the writer's own methods
                interrupt(sys._getframe(1))
            return real_format(self, state)

        chrome.ChromeTrace._format_records = format_records
        """,
}


@pytest.mark.parametrize("path", sorted(_INTERRUPTED_RECORDING))
def test_a_signal_while_recording_waits_until_the_event_is_recorded(tmp_path: Path, path: str) -> None:
    # A Python signal handler can run between any two bytecodes, e.g. halfway through ChromeTrace recording a
    # return or formatting its records. Simulated here: the handler is called from inside the exporter's code.
    script = tmp_path / "prog.py"
    script.write_text(
        PROGRAM
        + textwrap.dedent(
            """
            import signal
            import hunter, hunter._engine._recording
            from hunter import ChromeTrace
            from hunter.exporters import _termination as _signals, chrome

            calls = []
            signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))

            def interrupt(frame):
                _signals._on_signal(signal.SIGTERM, frame)
                print("deferred" if not calls else "too early", flush=True)
            """
        )
        + textwrap.dedent(_INTERRUPTED_RECORDING[path])
        + textwrap.dedent(
            """
            out = ChromeTrace(sys.argv[1], signals=True, batch=3)
            with hunter.trace(module="__main__", function="leaf", action=out):
                main()
            print([int(signum) for signum in calls])
            out.close()
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python([script, out], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stdout == f"deferred\n[{int(signal.SIGTERM)}]\n"
    check_timeline(load_strict(out))
