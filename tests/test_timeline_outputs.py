"""Where a timeline run ends: pipes and devices, a full disk, os._exit, a busy pool told to stop."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import child_env, describe, kill_group, run_python, start_in_group
from test_exporters import EXPECTED_MAIN, PROGRAM, check_timeline, find, load_strict, main_trees

POSIX = os.name == "posix"
needs_devices = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, /dev/zero, /dev/stdout")

#: main() in the parent, and leaf(5) in a forked child that ends with os._exit (as pool workers do).
FORKING = PROGRAM + textwrap.dedent(
    """
    import os

    main()
    pid = os.fork()
    if pid == 0:
        leaf(5)
        os._exit(0)
    os.waitpid(pid, 0)
    """
)


def hunter(*args: str | Path) -> list[str | Path]:
    return ["-m", "hunter", *args, "--module", "__main__", "prog.py"]


@needs_devices
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_chrome_timeline_piped_to_stdout_is_whole_and_never_read_back(tmp_path: Path) -> None:
    # The run's stdout is a pipe (as in `| jq`): read back at the end, it waited for its own output for ever.
    (tmp_path / "prog.py").write_text(FORKING)
    result = run_python(hunter("--format", "chrome", "-o", "/dev/stdout"), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    events = json.loads(result.stdout)  # the forked child's lines are in the one array, before its end
    roots = check_timeline(events)
    assert main_trees(roots) == [EXPECTED_MAIN]
    assert len({pid for pid, _node in find(roots, "leaf")}) == 2  # leaf(5): the child's
    assert len({event["pid"] for event in events if event["name"] == "process_name"}) == 2
    assert re.fullmatch(
        r"hunter: timeline written to /dev/stdout: [0-9]+ lines, [0-9.]+ kB \(from this process\)\n", result.stderr
    ), describe(result)
    assert os.listdir(tmp_path) == ["prog.py"]  # no per-process files next to /dev/stdout (nor anywhere)


@needs_devices
def test_json_lines_piped_to_stdout(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM + "main()\n")
    result = run_python(hunter("--format", "jsonl", "-o", "/dev/stdout", "--kind", "call"), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    functions = [json.loads(line)["function"] for line in result.stdout.splitlines()]
    assert functions == [
        "<module>",
        "main",
        "middle",
        "leaf",
        "leaf",
        "gen",
        "leaf",
        "gen",
        "leaf",
        "gen",
        "catches",
        "fails",
    ]
    assert re.fullmatch(
        r"hunter: events written to /dev/stdout: 12 lines, [0-9.]+ kB \(from this process\)\n", result.stderr
    ), describe(result)


@needs_devices
@pytest.mark.parametrize("format", ["chrome", "jsonl"])
def test_a_device_that_never_ends_is_not_read_back(tmp_path: Path, format: str) -> None:
    # Read back to be summarised, /dev/zero was an endless file (memory grew until the OOM killer came).
    (tmp_path / "prog.py").write_text(PROGRAM + "print(main())\n")
    result = run_python(hunter("--format", format, "-o", "/dev/zero"), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "caught\n"
    what = "timeline" if format == "chrome" else "events"
    assert result.stderr.startswith(f"hunter: {what} written to /dev/zero: "), describe(result)
    assert result.stderr.count("\n") == 1


@needs_devices
@pytest.mark.parametrize("calls", [1, 20_000])
@pytest.mark.parametrize("format", ["chrome", "jsonl"])
def test_a_full_disk_is_one_message_and_the_program_runs_on(tmp_path: Path, format: str, calls: int) -> None:
    # Few calls: the first write fails at the end (chrome used to fail at its start: exit 2, the program never ran;
    # jsonl said nothing). Many: a batch fails on the way, tracing stops, the program goes on.
    (tmp_path / "prog.py").write_text(PROGRAM + f"for _ in range({calls}):\n    leaf(1)\nprint(main())\n")
    result = run_python(hunter("--format", format, "-o", "/dev/full"), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "caught\n"
    assert result.stderr == (
        "hunter: tracing stopped: cannot write the timeline to '/dev/full': [Errno 28] No space left on device\n"
    ), describe(result)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_os_exit_in_the_main_process_merges_and_summarises(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(FORKING + "os._exit(3)\n")
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert result.returncode == 3, describe(result)
    events = load_strict(out)
    roots = check_timeline(events)
    assert main_trees(roots) == [EXPECTED_MAIN]
    assert len({pid for pid, _node in find(roots, "leaf")}) == 2  # the child's file was merged in
    assert sorted(os.listdir(tmp_path)) == ["out.json", "prog.py"]
    assert result.stderr.startswith(f"hunter: timeline written to {out}: "), describe(result)
    assert ", 2 processes, " in result.stderr


#: Two pool workers calling f() as fast as they can (each writing megabytes a second) until the main process is
#: gone; the main process says "ready" and waits to be ended.
BUSY_POOL = textwrap.dedent(
    """
    import multiprocessing, os, time

    def f(x):
        return x

    def busy(parent):
        while os.getppid() == parent:
            f(1)
        os._exit(0)  # (the pool is gone: nothing to hand a result back to)

    if __name__ == "__main__":
        with multiprocessing.get_context("fork").Pool(2) as pool:
            for _ in range(2):
                pool.apply_async(busy, (os.getpid(),))
            time.sleep(0.5)  # (not a wait for an outcome: the workers need only to have started calling f)
            print("ready", flush=True)
            while True:
                time.sleep(0.05)
    """
)


@pytest.mark.skipif(not POSIX or not hasattr(os, "fork"), reason="POSIX signals, fork")
def test_sigterm_to_a_busy_pool_stops_the_workers_recording_and_ends(tmp_path: Path) -> None:
    # The merge used to copy the workers' files while they grew faster than it read: the run never ended.
    (tmp_path / "pool.py").write_text(BUSY_POOL)
    out = tmp_path / "out.json"
    process = start_in_group(
        [sys.executable, "-m", "hunter", "--format", "chrome", "-o", str(out), "--module", "__main__", "pool.py"],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    try:
        _stdout, stderr = process.communicate(timeout=120)
    finally:
        kill_group(process)  # (a hung run's pool workers with it)
    assert process.returncode == -signal.SIGTERM, stderr
    events = load_strict(out)  # whole: every worker's file was finished before it was merged
    workers = {event["pid"] for event in events if event.get("name") == "f"}
    assert len(workers) == 2, stderr
    assert sorted(os.listdir(tmp_path)) == ["out.json", "pool.py"], stderr
    assert stderr.startswith(f"hunter: timeline written to {out}: "), stderr
    assert stderr.count("\n") == 1, stderr


# -- .gz -------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_gz_name_gets_gzip_that_merges_summarises_and_views(tmp_path: Path) -> None:
    import gzip

    from hunter.exporters.viewer import build_model

    (tmp_path / "prog.py").write_text(FORKING)
    out = tmp_path / "t.json.gz"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    events = json.loads(gzip.decompress(out.read_bytes()))  # (plain JSON under a .gz name made this fail)
    roots = check_timeline(events)
    assert main_trees(roots) == [EXPECTED_MAIN]
    assert len({pid for pid, _node in find(roots, "leaf")}) == 2  # the forked child's compressed file merged
    assert sorted(os.listdir(tmp_path)) == ["prog.py", "t.json.gz"]
    count = sum(event["ph"] != "M" for event in events)
    assert result.stderr.startswith(f"hunter: timeline written to {out}: {count} events, 2 threads, 2 processes, ")
    model = build_model(str(out))
    assert sum(len(track["slices"]) for track in model["tracks"]) == sum(event["ph"] == "B" for event in events)


def test_a_gz_timeline_cut_off_mid_write_keeps_every_batch_before(tmp_path: Path) -> None:
    # Each write is a gzip member: a crash leaves whole members and at most a part of one, which readers skip.
    from hunter.exporters import ChromeTrace
    from hunter.exporters._summary import summarize
    from hunter.exporters.chrome import read_events

    out = tmp_path / "t.json.gz"
    script = PROGRAM + textwrap.dedent(
        f"""
        import hunter
        from hunter.exporters import ChromeTrace
        hunter.trace(module="__main__", action=ChromeTrace({str(out)!r}, batch=1))
        main()
        """
    )
    assert run_python(script, cwd=tmp_path).returncode == 0
    full = read_events(str(out))
    whole = out.read_bytes()
    out.write_bytes(whole[:-60])  # the footer's member (22 bytes) and most of the last batch's
    cut = read_events(str(out))
    assert next(event.get("name") for event in cut if event["ph"] == "B") == "main"
    assert cut == full[: len(cut)] and len(full) - 3 <= len(cut) < len(full)
    assert summarize(str(out)).events == len(cut) - 2  # (less the two metadata events)
    assert ChromeTrace  # (imported for its module's registration of the format)


@pytest.mark.parametrize("format", ["jsonl"])
def test_json_lines_to_gz(tmp_path: Path, format: str) -> None:
    import gzip

    (tmp_path / "prog.py").write_text(PROGRAM + "main()\n")
    out = tmp_path / "t.jsonl.gz"
    result = run_python(hunter("--format", format, "-o", out, "--kind", "call"), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert [json.loads(line)["function"] for line in lines][:3] == ["<module>", "main", "middle"]
    assert f"hunter: events written to {out}: 12 events, 1 thread, 1 process, " in result.stderr


# -- names, merge, Ctrl-C --------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_processes_are_named_after_the_script_and_their_multiprocessing_name(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import multiprocessing

            def f(x):
                return x * 2

            if __name__ == "__main__":
                with multiprocessing.get_context("fork").Pool(2) as pool:
                    print(pool.map(f, range(4)))
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    names: dict[int, str] = {}
    for event in load_strict(out):
        if event.get("name") == "process_name":
            names[event["pid"]] = event["args"]["name"]  # (the last one is the one viewers show)
    assert sorted(names.values()) == ["ForkPoolWorker-1", "ForkPoolWorker-2", "prog.py"], names


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_child_ended_by_a_signal_before_hunters_fork_hook_leaves_the_parents_timeline_whole(tmp_path: Path) -> None:
    # A pool's terminate() of a worker that has only just started: the SIGTERM is handled while the interpreter's
    # fork hooks run, here before hunter's (a hook registered at start-up, as sitecustomize's are, runs first). The
    # child closed the parent's writer: "]" and the child's ends went into the parent's file, the child's was lost
    # (the CI flake of the test above: a pool worker missing from the merged timeline).
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import os, signal\nos.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
    )
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import os

            def leaf(x):
                return x * 2

            pid = os.fork()
            if pid == 0:
                leaf(1)
                os._exit(0)
            print("child:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
            leaf(2)
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python(
        hunter("--format", "chrome", "-o", out), cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")}, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, f"child: {-signal.SIGTERM}\n"), describe(result)
    events = load_strict(out)
    parent = next(event["pid"] for event in events if event.get("args", {}).get("name") == "hunter")
    by_process: dict[int, list[tuple[str, str]]] = {}
    for event in events:
        if event["ph"] in "BE":
            by_process.setdefault(event["pid"], []).append((event["ph"], event["name"]))
    (child,) = set(by_process) - {parent}
    assert by_process == {
        parent: [("B", "<module __main__>"), ("B", "leaf"), ("E", "leaf"), ("E", "<module __main__>")],
        child: [("B", "<module __main__>"), ("E", "<module __main__>")],  # (ended by the signal before leaf(1))
    }
    names = {event["pid"]: event["args"]["name"] for event in events if event["name"] == "process_name"}
    assert names == {parent: "prog.py", child: "prog.py"}


def test_a_forked_worker_is_named_after_its_process_from_the_fork_on(tmp_path: Path) -> None:
    # Between the fork and the Process's bootstrap, current_process() is still the parent's: a pool worker terminated
    # then (the work was done by the other one) wrote a timeline named after the parent (a CI flake of the test
    # above). The after-fork hook runs in that window.
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import multiprocessing, os
            from hunter._output._process import process_label

            early = []
            os.register_at_fork(after_in_child=lambda: early.append(process_label()))

            def work():
                print(early, process_label())

            if __name__ == "__main__":
                worker = multiprocessing.get_context("fork").Process(target=work, name="Worker-7")
                worker.start()
                worker.join()
                print(process_label())
            """
        )
    )
    result = run_python(["prog.py"], cwd=tmp_path, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "['Worker-7'] Worker-7\nprog.py\n", "")


@pytest.mark.parametrize(
    ("command", "writes"),
    [
        ("import sys; print('a child of the program')", True),
        ("from multiprocessing.resource_tracker import main; print('the resource tracker')", False),
    ],
    ids=["a program's child", "resource tracker"],
)
def test_multiprocessing_resource_tracker_writes_no_file_of_a_timeline_run(
    tmp_path: Path, command: str, writes: bool
) -> None:
    """A process started as a timeline run's child (the environment the command line gives them): the program's
    children write their file beside the timeline, the resource tracker (which may start after the run merged the
    files, and would leave its own beside the timeline) none."""
    out = tmp_path / "out.json"
    env = {
        "PYTHONHUNTER": f'module="__main__", action=ChromeTrace({str(out)!r})',
        "HUNTER_TIMELINE_ROOTS": json.dumps({str(out): [1, "0011223344556677", 1_700_000_000_000_000_000]}),
    }
    result = run_python(command, env=env, cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stderr == ""
    assert len(list(tmp_path.glob("out.*.json"))) == (1 if writes else 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_child_that_outlives_terminate_gets_sigterm_again(tmp_path: Path) -> None:
    # A traced child's SIGTERM runs hunter's Python handler, which can be noted and never acted on (it lands right
    # before a wait no signal interrupts afterwards: a pool worker waiting for its queue's lock). Here the child's
    # own handler lets the first one pass, as that lost one was: terminate() must still end it (see _child_ends).
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import multiprocessing, os, signal

            def work(ready):
                seen = []
                def on_term(signum, frame):
                    seen.append(signum)
                    if len(seen) > 1:
                        os._exit(3)
                signal.signal(signal.SIGTERM, on_term)
                ready.set()
                while True:
                    signal.pause()

            if __name__ == "__main__":
                context = multiprocessing.get_context("fork")
                ready = context.Event()
                child = context.Process(target=work, args=(ready,))
                child.start()
                ready.wait()
                child.terminate()
                child.join()
                print("joined", child.exitcode)
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert (result.returncode, result.stdout) == (0, "joined 3\n"), describe(result)


def test_hunter_merge_folds_the_files_a_run_left(tmp_path: Path) -> None:
    from hunter.exporters import ChromeTrace
    from hunter.exporters._files import per_process_path

    target = tmp_path / "out.json"
    with ChromeTrace(str(target)):
        pass
    token = json.loads(target.read_text().splitlines()[1])["args"]["hunter_run"]
    child = Path(per_process_path(str(target), 999_999_990))
    child.write_text(
        '[\n{"ph":"M","name":"process_name","pid":999999990,"tid":999999990,"ts":0,'
        f'"args":{{"name":"worker","hunter_run":"{token}"}}}}\n'
        ',{"ph":"B","pid":999999990,"tid":999999990,"ts":5.5,"name":"f","cat":"m","args":{}}\n'
    )  # (cut off: the process was killed)
    result = run_python(["-m", "hunter", "merge", target], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stderr.startswith(f"hunter: merged 1 file(s) into {target}: 2 events, "), describe(result)
    assert not child.exists()
    events = load_strict(target)
    assert [event["ph"] for event in events if event["pid"] == 999_999_990] == ["M", "B", "E"]
    again = run_python(["-m", "hunter", "merge", target, tmp_path / "missing.json"], cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == (
        f"hunter: nothing to merge into {target} (no files of its run next to it)\n"
        f"python -m hunter merge: error: '{tmp_path / 'missing.json'}' is not a file\n"
    )


def test_merge_closes_the_calls_of_cut_off_files_of_either_form(tmp_path: Path) -> None:
    # Files written before calls were written whole (a B as each call began) and after (an X when a call ended,
    # after its callees; a B for a call running when lines were written out): both merge into a whole timeline.
    from hunter.exporters import ChromeTrace
    from hunter.exporters._files import per_process_path

    target = tmp_path / "out.json"
    with ChromeTrace(str(target)):
        pass
    token = json.loads(target.read_text().splitlines()[1])["args"]["hunter_run"]

    def child(pid: int, lines: list[str]) -> None:
        head = (
            f'[\n{{"ph":"M","name":"process_name","pid":{pid},"tid":{pid},"ts":0,'
            f'"args":{{"name":"worker","hunter_run":"{token}"}}}}\n'
            f',{{"ph":"M","name":"thread_name","pid":{pid},"tid":{pid},"ts":0,"args":{{"name":"MainThread"}}}}\n'
        )
        Path(per_process_path(str(target), pid)).write_text(head + "".join(f",{line}\n" for line in lines))

    old, new = 999_999_980, 999_999_981
    child(
        old,
        [
            f'{{"ph":"B","pid":{old},"tid":{old},"ts":1.5,"name":"f","cat":"m","args":{{}}}}',
            f'{{"ph":"B","pid":{old},"tid":{old},"ts":2.5,"name":"g","cat":"m","args":{{}}}}',
            f'{{"ph":"E","pid":{old},"tid":{old},"ts":3.5,"name":"g"}}',
            f'{{"ph":"B","pid":{old},"tid":{old},"ts":4.5,"name":"h","cat":"m","args":{{}}}}',
        ],
    )
    child(
        new,
        [
            f'{{"ph":"X","pid":{new},"tid":{new},"ts":2.5,"dur":1.0,"name":"g","cat":"m","args":{{}}}}',
            f'{{"ph":"B","pid":{new},"tid":{new},"ts":1.5,"name":"f","cat":"m","args":{{}}}}',
            f'{{"ph":"X","pid":{new},"tid":{new},"ts":4.5,"dur":20.25,"name":"h","cat":"m","args":{{}}}}',
        ],
    )
    result = run_python(["-m", "hunter", "merge", target], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    events = load_strict(target)
    closing = {event["pid"]: event for event in events if event.get("args") == {"unfinished": "process ended"}}
    assert sorted(closing) == [old, new]
    assert closing[new]["ts"] == 24.75  # after the last call that ended (written before it, as it began earlier)
    roots = check_timeline(events)
    assert [node.shape() for node in roots[(old, old)]] == [("f", [("g", []), ("h", [])])]
    assert [node.shape() for node in roots[(new, new)]] == [("f", [("g", []), ("h", [])])]


@pytest.mark.skipif(not POSIX, reason="POSIX signals")
@pytest.mark.parametrize("format", ["chrome", "jsonl"])
def test_ctrl_c_in_a_timeline_run_exits_by_sigint_as_python_does(tmp_path: Path, format: str) -> None:
    # The finishing work imported modules at exit, which after a KeyboardInterrupt makes python exit with 1.
    result = run_python(["-m", "hunter", "--format", format, "-o", tmp_path / "k", "-c", "raise KeyboardInterrupt"])
    assert result.returncode == -signal.SIGINT, describe(result)
    assert result.stderr.endswith("KeyboardInterrupt\n" + result.stderr.splitlines()[-1] + "\n")


# -- limits and counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["chrome", "jsonl"])
def test_max_size_stops_recording_with_one_message_and_a_whole_file(tmp_path: Path, format: str) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM + "for _ in range(5000):\n    main()\nprint('done')\n")
    out = tmp_path / "out"
    result = run_python(hunter("--format", format, "--max-size", "50kB", "-o", out), cwd=tmp_path, timeout=60)
    assert (result.returncode, result.stdout) == (0, "done\n"), describe(result)
    first, second = result.stderr.splitlines()
    assert first == f"hunter: tracing stopped: the timeline reached its size limit (50.0 kB) in {out}"
    assert second.startswith(f"hunter: {'timeline' if format == 'chrome' else 'events'} written to {out}: ")
    size = out.stat().st_size
    assert 50_000 <= size < 50_000 + 40_000  # (the batch that went past it, and the ends of the open calls)
    if format == "chrome":
        check_timeline(load_strict(out))  # whole: every call that began has its end
    else:
        assert all(json.loads(line) for line in out.read_text().splitlines())


def test_max_size_takes_units_and_says_what_is_wrong(tmp_path: Path) -> None:
    from hunter.exporters import ChromeTrace
    from hunter._output._sizes import parse_size

    assert [parse_size(text) for text in ("4096", "500k", "1.5MB", "2g", "3 mb")] == [
        4096,
        500_000,
        1_500_000,
        2_000_000_000,
        3_000_000,
    ]
    for bad in ("", "MB", "1XB", "0", "-5"):
        with pytest.raises(ValueError):
            parse_size(bad)
    with pytest.raises(ValueError, match="max_size must be a whole number of bytes"):
        ChromeTrace(str(tmp_path / "t.json"), max_size=0)
    result = run_python(hunter("--max-size", "1MB", "-o", tmp_path / "t.txt"), cwd=tmp_path)
    assert result.returncode == 2
    assert "--max-size applies to --format chrome and jsonl" in result.stderr


def test_min_duration_takes_units_and_says_what_is_wrong(tmp_path: Path) -> None:
    from hunter.cli._parser import _duration

    assert [_duration(text) for text in ("250", "100us", "0.5ms", "2s", "1.5 MS", ".5s")] == pytest.approx(
        [250e-6, 100e-6, 0.5e-3, 2.0, 1.5e-3, 0.5]
    )
    for bad in ("", "ms", "5 parsecs", "-1ms", "1e3"):
        with pytest.raises(ValueError):
            _duration(bad)
    (tmp_path / "prog.py").write_text("def f():\n    pass\n\nf()\n")
    for args, message in [
        (("--format", "jsonl"), "--min-duration applies to --format chrome"),
        (("--format", "chrome", "--min-duration", "5parsec"), "invalid duration value: '5parsec'"),
    ]:
        result = run_python(hunter("--min-duration", "1ms", *args, "-o", tmp_path / "t.out"), cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, describe(result)
    # Every call shorter than it: the timeline is empty, and the line says why (not "no event matched").
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "--min-duration", "1000s", "-o", out), cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stderr.splitlines()[-1].startswith("hunter: no call lasted --min-duration (1000 s) or longer (")
    assert not [event for event in load_strict(out) if event["ph"] != "M"]


def test_the_summary_counts_asyncio_tasks_apart_from_threads(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import asyncio

            async def leaf(x):
                await asyncio.sleep(0)
                return x

            async def main():
                await asyncio.gather(leaf(1), leaf(2), leaf(3))

            asyncio.run(main())
            """
        )
    )
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "--asyncio", "-o", out), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    assert " events, 1 thread, 4 asyncio tasks, 1 process, " in result.stderr, describe(result)  # (it said "5 threads")


def test_speedscope_sees_one_frame_per_function_and_the_values_are_on_the_end(tmp_path: Path) -> None:
    # speedscope tells frames apart by a B event's name and args: values there made every call a frame of its own.
    (tmp_path / "prog.py").write_text(PROGRAM + "for number in range(5):\n    middle(number)\nmain()\n")
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    events = load_strict(out)
    check_timeline(events)
    begins = [event for event in events if event["ph"] == "B"]
    keys = {(event["name"], json.dumps(event["args"], sort_keys=True)) for event in begins}
    assert sorted(name for name, _args in keys) == sorted({event["name"] for event in begins})
    ends = [event["args"] for event in events if event["ph"] == "E" and event["name"] == "middle"]
    assert ends[:5] == [{"a": str(number), "b": "3", "return": str(number * 2 + 6)} for number in range(5)]


# -- gevent ----------------------------------------------------------------------------------------------------

GEVENT_PROGRAM = textwrap.dedent(
    """
    import gevent
    from gevent import monkey
    monkey.patch_all()

    def leaf(i):
        gevent.sleep(0)  # (a switch to the other greenlets, in the middle of every call)
        return i

    def mid(i):
        return leaf(i) + leaf(i)

    def top(i):
        return mid(i)

    jobs = [gevent.spawn(top, i) for i in range(4)]
    gevent.joinall(jobs)
    print([job.value for job in jobs])
    """
)


def test_each_greenlet_gets_a_track_of_its_own(tmp_path: Path) -> None:
    pytest.importorskip("gevent", reason="gevent (a test extra) has no wheel for this Python")
    (tmp_path / "prog.py").write_text(GEVENT_PROGRAM)
    out = tmp_path / "out.json"
    result = run_python(hunter("--format", "chrome", "-o", out), cwd=tmp_path, timeout=60)
    assert (result.returncode, result.stdout) == (0, "[0, 2, 4, 6]\n"), describe(result)
    events = load_strict(out)
    roots = check_timeline(events)
    # On the thread's one track they nested 13 deep and mid(3) ended with mid(0)'s value.
    shapes = sorted(node.shape() for nodes in roots.values() for node in nodes if node.name == "top")
    assert shapes == [("top", [("mid", [("leaf", []), ("leaf", [])])])] * 4
    mids = [node for _pid, node in find(roots, "mid")]
    assert sorted((node.end["args"]["i"], node.end["args"]["return"]) for node in mids) == [
        ("0", "0"),
        ("1", "2"),
        ("2", "4"),
        ("3", "6"),
    ]
    tracks = {event["tid"]: event["args"]["name"] for event in events if event["name"] == "thread_name"}
    greenlets = sorted(name for name in tracks.values() if name.startswith("Greenlet-"))
    assert greenlets == [f"Greenlet-{number} (MainThread)" for number in range(2, 6)], tracks
    assert len({tid for tid, name in tracks.items() if name.startswith("Greenlet-")}) == 4
    assert " events, 1 thread, 5 greenlets, 1 process, " in result.stderr, describe(result)  # (and the hub)


# -- progress while a timeline is finished ---------------------------------------------------------------------


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_progress_line_waits_then_is_rewritten_in_place_at_most_every_tenth_of_a_second() -> None:
    from hunter.exporters._progress import Progress

    times = iter([0.0, 0.2, 0.6, 0.65, 0.8])
    stream = _Terminal()
    progress = Progress(stream, delay=0.5, clock=lambda: next(times))  # (made at 0.0)
    for text in ("early", "shown", "too soon", "again"):
        progress.update(text)
    progress.done()
    assert stream.getvalue() == "\rhunter: shown\x1b[K\rhunter: again\x1b[K\r\x1b[K"
    # Not a terminal (a file, a pipe): nothing, ever.
    quiet = io.StringIO()
    progress = Progress(quiet, delay=0)
    progress.update("text")
    progress.done()
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "file"])
def test_finishing_a_timeline_shows_progress_on_a_terminal_then_the_summary_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    # (Thresholds of 0: the line shows however fast this machine finishes; DELAY_S decides when it does.)
    from hunter.exporters import ChromeTrace
    from hunter.exporters import _progress
    from hunter.exporters._files import per_process_path
    from hunter.exporters._finish import finish_timeline, merge_main

    monkeypatch.setattr(_progress, "DELAY_S", 0)
    monkeypatch.setattr(_progress, "_EVERY_S", 0)  # (every step shows)
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    target = tmp_path / "out.json"
    exporter = ChromeTrace(str(target))
    exporter.close()
    token = json.loads(target.read_text().splitlines()[1])["args"]["hunter_run"]
    Path(per_process_path(str(target), 999_999_970)).write_text(
        '[\n{"ph":"M","name":"process_name","pid":999999970,"tid":999999970,"ts":0,'
        f'"args":{{"name":"worker","hunter_run":"{token}"}}}}\n'
    )
    finish_timeline(exporter, "hunter")
    written = stream.getvalue()
    summary = f"hunter: timeline written to {target}: 0 events, 0 threads, 2 processes, "
    if terminal:
        # Merging the child's file, counting the events, cleared, then the summary line.
        assert written.startswith("\rhunter: merging 2 files: ")
        progress, _, rest = written.partition("\r\x1b[K")
        assert "\x1b[K\rhunter: counting the events: " in progress
        assert rest.startswith(summary) and rest.count("\n") == 1
    else:
        assert written.startswith(summary) and "\r" not in written
    # hunter merge too.
    Path(per_process_path(str(target), 999_999_971)).write_text(
        '[\n{"ph":"M","name":"process_name","pid":999999971,"tid":999999971,"ts":0,'
        f'"args":{{"name":"worker","hunter_run":"{token}"}}}}\n'
    )
    stream.seek(0)
    stream.truncate()
    assert merge_main([str(target)], "hunter") == 0
    assert ("\rhunter: merging 2 files: " in stream.getvalue()) is terminal
    assert stream.getvalue().split("\r\x1b[K")[-1].startswith(f"hunter: merged 1 file(s) into {target}: ")


#: A daemon's start: every descriptor it didn't open is closed, then its own log takes the lowest free number (the
#: one hunter's output had), and calls go on being traced while it writes there.
DAEMON = textwrap.dedent(
    """
    import os
    def f(n):
        return n
    for n in range(100):
        f(n)
    os.closerange(3, 4096)
    with open("daemon.log", "w") as log:
        log.write("mine\\n")
        log.flush()
        for n in range(3000):
            f(n)
        log.write("still mine\\n")
    print(open("daemon.log").read(), end="")
    """
)


@pytest.mark.skipif(not hasattr(os, "closerange") or sys.platform == "win32", reason="POSIX descriptors")
@pytest.mark.parametrize(
    "output",
    [
        ["--format", "chrome", "-o", "out.json"],
        ["--format", "jsonl", "-o", "out.jsonl"],
        ["--kind", "call", "-o", "out.txt"],
        ["record", "-o", "out.hunt"],
    ],
    ids=["chrome", "jsonl", "text", "record"],
)
def test_an_output_whose_descriptor_the_program_closed_is_never_written_to_again(
    tmp_path: Path, output: list[str]
) -> None:
    """Writing on to the number hunter remembered wrote the trace into the program's own file (and closing it at the
    end closed the program's): now the write finds that the number is another file's and tracing stops."""
    (tmp_path / "daemon.py").write_text(DAEMON)
    result = run_python(["-m", "hunter", *output, "--module", "__main__", "--", "daemon.py"], cwd=tmp_path, timeout=60)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "mine\nstill mine\n", describe(result)
    assert (tmp_path / "daemon.log").read_text() == "mine\nstill mine\n"
    # (a printer's file relies on its descriptor's high number: the write fails as the number is closed)
    reason = "Bad file descriptor" if output[-1] == "out.txt" else "the traced program closed the file descriptor"
    assert f"[Errno 9] {reason}" in result.stderr, describe(result)
