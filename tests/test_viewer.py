"""``hunter view``: the offline flame chart, checked as data and, where Chromium is installed, as pixels."""

from __future__ import annotations

import colorsys
import json
import math
import re
import shutil
import struct
import subprocess
import sys
import urllib.request
import zlib
from pathlib import Path

import pytest
from helpers import child_env, describe, kill_group, run_in_group, run_python, start_in_group

from hunter.exporters.viewer import build_model, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: The page's layout (see viewer.py): the bar above the chart, the time axis, a track's header, a row.
BAR, AXIS, HEADER, ROW = 29, 20, 18, 16


def write_trace(path: Path) -> None:
    """One thread: ``outer`` over the whole 1000 µs, ``inner`` from 500 to 750 µs, an exception at 600 µs."""
    lines = [
        '{"ph":"M","name":"process_name","pid":7,"tid":7,"ts":0,"args":{"name":"python demo.py"}}',
        ',{"ph":"M","name":"thread_name","pid":7,"tid":7,"ts":0,"args":{"name":"MainThread"}}',
        ',{"ph":"B","pid":7,"tid":7,"ts":2000.0,"name":"outer","cat":"demo","args":{"location":"demo.py:1"}}',
        ',{"ph":"B","pid":7,"tid":7,"ts":2500.0,"name":"inner","cat":"demo","args":{"x":"1"}}',
        ',{"ph":"i","s":"t","pid":7,"tid":7,"ts":2600.0,"name":"KeyError","cat":"exception","args":{}}',
        ',{"ph":"E","pid":7,"tid":7,"ts":2750.0,"name":"inner","args":{"return":"2"}}',
        ',{"ph":"E","pid":7,"tid":7,"ts":3000.0,"name":"outer","args":{"return":"None"}}',
    ]
    path.write_text("[\n" + "\n".join(lines) + "\n]\n")


def test_the_model_pairs_calls_per_thread(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    write_trace(trace)
    model = build_model(str(trace))
    assert model["span"] == 1000.0
    [track] = model["tracks"]
    assert track["label"] == "python demo.py (pid 7) / MainThread (tid 7)"
    names = model["names"]
    assert [(start, length, depth, names[name]) for start, length, depth, name, _ in track["slices"]] == [
        (0.0, 1000.0, 0, "outer"),
        (500.0, 250.0, 1, "inner"),
    ]
    assert json.loads(model["details"][1]) == {"cat": "demo", "x": "1", "return": "2"}
    assert [(ts, depth, names[name]) for ts, depth, name in track["instants"]] == [(600.0, 2, "KeyError")]
    # A cut-off file (a killed process): its open calls end at its last event.
    trace.write_text("".join(trace.read_text().splitlines(keepends=True)[:6]))
    [track] = build_model(str(trace))["tracks"]
    assert [row[:3] for row in track["slices"]] == [[0.0, 600.0, 0], [500.0, 100.0, 1]]


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    write_trace(trace)
    page = render_html(str(trace))
    assert not re.search(r"(src|href)=|https?://|@import|fetch\(|XMLHttpRequest", page)  # nothing from outside
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert data is not None and json.loads(data.group(1)) == build_model(str(trace))


def test_view_writes_a_page_and_serves_it_on_loopback_only(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    write_trace(trace)
    result = run_python(["-m", "hunter", "view", trace, "-o", tmp_path / "t.html"], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert (tmp_path / "t.html").read_text() == render_html(str(trace))
    server = start_in_group(
        [sys.executable, "-m", "hunter", "view", "--no-browser", str(trace)],
        cwd=tmp_path,
        env=child_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        match = re.match(r"hunter: serving the timeline at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)$", line)
        assert match, line
        with urllib.request.urlopen(match.group(1), timeout=30) as response:
            assert response.read().decode() == render_html(str(trace))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        finally:
            kill_group(server)
    missing = run_python(["-m", "hunter", "view", tmp_path / "nope.json"], cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def read_png(path: Path) -> tuple[int, int, list[bytearray], int]:
    """Width, height, rows of pixel bytes and bytes per pixel of an 8-bit, non-interlaced RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color_type in (2, 6) and interlace == 0
    size = 3 if color_type == 2 else 4
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                best = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + best[2]) & 255
        rows.append(line)
        previous = line
    return width, height, rows, size


def name_color(name: str) -> tuple[int, int, int]:
    """The colour the page gives a function (the same string hash and HSL as its script)."""
    value = 0
    for char in name:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    if value >= 1 << 31:
        value -= 1 << 32
    hue = (int(math.fmod(value, 360)) + 360) % 360  # JavaScript's % keeps the dividend's sign, as fmod does
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.62, 0.6)
    return round(red * 255), round(green * 255), round(blue * 255)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian's chromium package)")
def test_headless_chromium_draws_the_calls_where_the_data_says(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    write_trace(trace)
    page = tmp_path / "t.html"
    page.write_text(render_html(str(trace)))
    shot = tmp_path / "shot.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1000,300",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
    ]
    assert CHROMIUM is not None
    run = run_in_group([CHROMIUM, *flags, f"--screenshot={shot}", page.as_uri()], timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    dom = run_in_group([CHROMIUM, *flags, "--dump-dom", page.as_uri()], timeout=120).stdout.decode()
    # The script ran over the data: both calls drawn, and the header says what the file holds.
    assert "<title>hunter view: 2 calls drawn</title>" in dom
    assert 'data-drawn="2"' in dom
    assert "1 thread, 2 calls, 1 ms" in dom  # (a duration in the unit that suits it, as short as it can be)
    width, height, rows, size = read_png(shot)
    assert (width, height) == (1000, 300)

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        red, green, blue = rows[y][x * size : x * size + 3]
        return red, green, blue

    def near(actual: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
        return all(
            abs(a - b) <= 12 for a, b in zip(actual, expected, strict=True)
        )  # (the browser rounds HSL its own way)

    track = BAR + AXIS + HEADER  # top of the thread's first row
    outer, inner = name_color("outer"), name_color("inner")
    assert sum(abs(a - b) for a, b in zip(outer, inner, strict=True)) > 60
    # outer spans the whole width on row 0; inner covers 500..750 µs of 1000 µs on row 1, and nothing else does.
    for x in (5, 300, 600, 995):
        assert near(pixel(x, track + ROW // 2), outer), (x, pixel(x, track + ROW // 2))
    for x in (505, 560, 740):
        assert near(pixel(x, track + ROW + ROW // 2), inner), (x, pixel(x, track + ROW + ROW // 2))
    for x in (300, 495, 760, 900):
        assert not near(pixel(x, track + ROW + ROW // 2), inner), x
    # The exception: a red marker at 600 µs on the row below inner.
    red = pixel(600, track + 2 * ROW + 5)
    assert red[0] > 180 and red[1] < 60 and red[2] < 60, red


def test_what_cannot_be_viewed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    write_trace(trace)
    (tmp_path / "bad.json").write_text('{"bad')
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "other.json").write_text('{"traceEvents": [], "metadata": {}}')
    taken = start_in_group([sys.executable, "-c", "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                              "s.listen(); print(s.getsockname()[1], flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert taken.stdout is not None
        port = taken.stdout.readline().strip()
        cases = {
            ("bad.json",): "'bad.json': not a recording, Chrome trace or JSON Lines timeline (it is not JSON)",
            ("empty.json",): "'empty.json' is an empty file",
            (
                "other.json",
            ): "'other.json': not a recording, Chrome trace or JSON Lines timeline (no trace events in it)",
            ("t.json", "-o", "no/such/dir/t.html"): "cannot write 'no/such/dir/t.html': No such file or directory",
            ("t.json", "--port", "99999"): "--port must be between 0 and 65535, not 99999",
            (
                "t.json",
                "--port",
                port,
                "--no-browser",
            ): f"cannot serve on 127.0.0.1 port {port}: Address already in use",
        }
        for args, message in cases.items():
            result = run_python(["-m", "hunter", "view", *args], cwd=tmp_path, timeout=60)
            assert (result.returncode, result.stderr) == (2, f"python -m hunter view: error: {message}\n"), describe(
                result
            )
    finally:
        try:
            taken.communicate("", timeout=60)
        finally:
            kill_group(taken)


def test_other_producers_complete_events_nest_by_time_and_add_up_per_function(tmp_path: Path) -> None:
    # viztracer writes one "X" event per call, when it ends (callees first), in a JSON object on one line.
    events = [
        {"ph": "X", "pid": 1, "tid": 1, "ts": 20, "dur": 30, "name": "inner", "args": {"x": "1"}},
        {"ph": "X", "pid": 1, "tid": 1, "ts": 60, "dur": 30, "name": "inner"},
        {"ph": "X", "pid": 1, "tid": 1, "ts": 70, "dur": 10, "name": "inner"},  # (recursive: counted once)
        {"ph": "X", "pid": 1, "tid": 1, "ts": 10, "dur": 100, "name": "outer"},
        {"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "MainThread"}},
    ]
    path = tmp_path / "viz.json"
    path.write_text(json.dumps({"traceEvents": events, "viztracer_metadata": {}}))
    model = build_model(str(path))
    names = model["names"]
    [track] = model["tracks"]
    assert [(row[0], row[1], row[2], names[row[3]]) for row in track["slices"]] == [
        (0, 100.0, 0, "outer"),
        (10, 30.0, 1, "inner"),
        (50, 30.0, 1, "inner"),
        (60, 10.0, 2, "inner"),
    ]
    assert track["depth"] == 3
    assert json.loads(model["details"][0]) == {"cat": None, "x": "1"}
    # [name, calls, total, self]: outer's self time is 100 - 60; inner's total leaves the nested call out.
    assert [[names[row[0]], *row[1:]] for row in model["functions"]] == [
        ["outer", 1, 100.0, 40.0],
        ["inner", 3, 60.0, 60.0],
    ]
    result = run_python(["-m", "hunter", "view", path, "-o", tmp_path / "v.html"], cwd=tmp_path)
    assert result.returncode == 0, describe(result)


#: Runs the page's script under node with a stand-in for the DOM and the canvas: records what fillText drew where,
#: zooms with the wheel as a user would, and prints both as JSON.
_NODE_HARNESS = r"""
const fs = require("fs");
const html = fs.readFileSync(process.argv[2], "utf8");
const data = html.match(/<script id="data" type="application\/json">([\s\S]*?)<\/script>/)[1];
const code = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].pop()[1];
let texts = [];
const ctx = new Proxy({}, {
  get: (t, k) => k === "fillText" ? (s, x) => texts.push([s, x]) : (k in t ? t[k] : () => {}),
  set: (t, k, v) => { t[k] = v; return true; },
});
const elements = {};
function element(id) {
  return elements[id] = elements[id] || {
    textContent: id === "data" ? data.replace(/<\\\//g, "</") : "", style: {}, dataset: {}, clientWidth: 800,
    listeners: {}, getContext: () => ctx, addEventListener(n, f) { this.listeners[n] = f; },
    querySelector: (q) => element(q), insertRow: () => ({insertCell: () => ({})}),
  };
}
global.document = {getElementById: element, body: {dataset: {}}, title: ""};
global.window = {devicePixelRatio: 1, addEventListener: () => {}};
eval(code);
const before = texts;
for (let i = 0; i < 12; i++) {
  texts = [];
  element("canvas").listeners.wheel({offsetX: 700, deltaY: -1, preventDefault: () => {}});
}
console.log(JSON.stringify({before: before, zoomed: texts}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
def test_the_axis_speaks_in_sensible_units_and_zoomed_labels_stay_on_screen(tmp_path: Path) -> None:
    # outer: 2.4 s long; zoomed in near its end, its bar starts far left of the screen: its label must stay in view.
    events = [
        {"ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 2_400_000, "name": "outer"},
        {"ph": "X", "pid": 1, "tid": 1, "ts": 1000, "dur": 5000, "name": "inner"},
    ]
    (tmp_path / "long.json").write_text(json.dumps({"traceEvents": events}))
    (tmp_path / "page.html").write_text(render_html(str(tmp_path / "long.json")))
    (tmp_path / "harness.js").write_text(_NODE_HARNESS)
    result = run_in_group(["node", "harness.js", "page.html"], cwd=tmp_path, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    drawn = json.loads(result.stdout)
    axis = [text for text, _x in drawn["before"] if text.endswith("s")]
    assert axis == ["0.0 s", "0.5 s", "1.0 s", "1.5 s", "2.0 s"]  # (it said 2000.000 ms)
    labels = [(text, x) for text, x in drawn["zoomed"] if text == "outer"]
    assert labels and labels[0][1] >= 0, drawn["zoomed"]  # (drawn at the bar's start, off-screen, it was lost)
    ticks = [text for text, _x in drawn["zoomed"] if text.endswith(" s")]
    assert ticks and all(re.fullmatch(r"[12]\.[0-9]{2,} s", tick) for tick in ticks), ticks  # seconds, zoomed in


#: A trace file of ``hunter record`` (format version 1), written by hand so that every time is known: the main
#: thread runs ``outer`` over 1000 µs, ``inner(x)`` from 500 to 750 µs with a KeyError at 600 µs caught in it; a
#: worker thread runs ``inner`` from 200 to 400 µs; a line event and the end mark have no place in a timeline.
RECORDING = [
    [
        "hunter-record",
        1,
        {
            "token": "t0",
            "pid": 7,
            "root": True,
            "origin_ns": 1_000_000_000,
            "python": [3, 12, 0],
            "implementation": "CPython",
            "argv": ["demo.py", "--fast"],
            "cwd": "/nowhere",
            "lines": True,
            "values": True,
            "repr_limit": 1024,
        },
    ],
    ["c", 1, "demo.py", "demo", "outer", 1, False, False, 0, 0, 0, []],
    ["c", 2, "demo.py", "demo", "inner", 5, False, False, 1, 0, 0, ["x"]],
    ["t", 1, None, "MainThread"],
    [0, 2_000_000, 1, 0, 1, 1, []],
    [1, 2_100_000, 1, 0, 1, 2],
    ["t", 2, 140, "worker"],
    [0, 2_200_000, 2, 0, 2, 5, ["7"]],
    [2, 2_400_000, 2, 0, 2, 8, 1, "14"],
    [0, 2_500_000, 1, 1, 2, 5, ["1"]],
    [3, 2_600_000, 1, 1, 2, 6, "(<class 'KeyError'>, KeyError('k'), <traceback object at 0x1>)"],
    [2, 2_750_000, 1, 1, 2, 8, 1, "2"],
    [2, 3_000_000, 1, 0, 1, 3, 1, "None"],
    ["end", 3_000_000],
]


def write_recording(path: Path, records: list[object] = RECORDING) -> None:
    path.write_text("".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records))


def test_a_recording_is_viewed_as_its_calls_per_thread(tmp_path: Path) -> None:
    # Told by its content, not its name: .json here, as a renamed copy would be.
    recording = tmp_path / "run.json"
    write_recording(recording)
    model = build_model(str(recording))
    assert model["span"] == 1000.0
    names = model["names"]
    worker, main = model["tracks"]  # (ordered by pid, then thread id as text: "140" before "7")
    assert worker["label"] == "demo.py --fast (pid 7) / worker (tid 140)"
    assert main["label"] == "demo.py --fast (pid 7) / MainThread (tid 7)"
    assert [(row[0], row[1], row[2], names[row[3]]) for row in main["slices"]] == [
        (0.0, 1000.0, 0, "outer"),
        (500.0, 250.0, 1, "inner"),
    ]
    assert [(row[0], row[1], row[2], names[row[3]]) for row in worker["slices"]] == [(200.0, 200.0, 0, "inner")]
    assert [(ts, depth, names[name]) for ts, depth, name in main["instants"]] == [(600.0, 2, "KeyError")]
    # The details a live ChromeTrace gives a call: where it is, its arguments' texts and what it returned.
    assert json.loads(model["details"][main["slices"][1][4]]) == {
        "cat": "demo",
        "location": "demo.py:5",
        "x": "1",
        "return": "2",
    }
    assert [[names[row[0]], *row[1:]] for row in model["functions"]] == [
        ["outer", 1, 1000.0, 750.0],
        ["inner", 2, 450.0, 450.0],
    ]
    # Cut off by a crash (no end mark, a half-written last line): open calls end at the last event read.
    text = recording.read_text().splitlines(keepends=True)
    recording.write_text("".join(text[:10]) + text[10][:12])
    _worker, main = build_model(str(recording))["tracks"]
    assert [row[:3] for row in main["slices"]] == [[0.0, 500.0, 0], [500.0, 0.0, 1]]


def test_hunter_view_shows_a_real_recording(tmp_path: Path) -> None:
    program = tmp_path / "app.py"
    program.write_text(
        "import threading\n"
        "def leaf(n):\n    return n * 2\n"
        "def fail():\n    raise KeyError(1)\n"
        "def top():\n    try:\n        fail()\n    except KeyError:\n        pass\n    return leaf(3)\n"
        "t = threading.Thread(target=top, name='helper'); t.start(); t.join()\n"
        "top()\n"
    )
    recorded = run_python(["-m", "hunter", "record", "-o", "app.hunt", "--no-stdlib", "--", "app.py"], cwd=tmp_path)
    assert recorded.returncode == 0, describe(recorded)
    result = run_python(["-m", "hunter", "view", "app.hunt", "-o", "app.html"], cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        0,
        "hunter: wrote app.html: open it in any browser (it needs no network)\n",
    ), describe(result)
    assert (tmp_path / "app.html").read_text() == render_html(str(tmp_path / "app.hunt"))
    model = build_model(str(tmp_path / "app.hunt"))
    names = model["names"]
    shown = {
        track["label"].rpartition(" / ")[2].partition(" (")[0]: [
            (row[2], names[row[3]]) for row in sorted(track["slices"], key=lambda row: row[0])
        ]
        for track in model["tracks"]
    }
    calls = [(0, "top"), (1, "fail"), (1, "leaf")]
    main = [(0, "<module __main__>"), *[(depth + 1, name) for depth, name in calls]]
    assert shown == {"MainThread": main, "helper": calls}
    # Raised in fail(), then seen in top() where it is caught: twice in each thread.
    assert [names[name] for track in model["tracks"] for _ts, _depth, name in track["instants"]] == ["KeyError"] * 4


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian's chromium package)")
def test_headless_chromium_draws_a_recording(tmp_path: Path) -> None:
    recording = tmp_path / "run.hunt"
    write_recording(recording)
    page = tmp_path / "run.html"
    page.write_text(render_html(str(recording)))
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = run_in_group([CHROMIUM, *flags, "--dump-dom", page.as_uri()], timeout=120).stdout.decode()
    assert "<title>hunter view: 3 calls drawn</title>" in dom
    assert "2 threads, 3 calls, 1 ms" in dom


def test_a_recording_the_viewer_cannot_read_is_one_line_and_exit_2(tmp_path: Path) -> None:
    newer = [["hunter-record", 99, {"pid": 1}], ["x", 1]]
    write_recording(tmp_path / "newer.hunt", newer)
    write_recording(tmp_path / "empty.hunt", RECORDING[:4])
    (tmp_path / "text.txt").write_text("hello\n")
    cases = {
        "newer.hunt": "'newer.hunt' is a version 99 recording; this hunter reads versions up to 1: upgrade hunter",
        "empty.hunt": "'empty.hunt': no trace events in it",
        "text.txt": "'text.txt': not a recording, Chrome trace or JSON Lines timeline (it is not JSON)",
    }
    for name, message in cases.items():
        result = run_python(["-m", "hunter", "view", name, "-o", "page.html"], cwd=tmp_path, timeout=60)
        assert (result.returncode, result.stderr) == (2, f"python -m hunter view: error: {message}\n"), describe(result)
    assert not (tmp_path / "page.html").exists()
