"""``hunter view FILE``: an offline flame chart of a timeline, as one self-contained HTML page (ours, no CDN)."""

from __future__ import annotations

import argparse
import html
import http.server
import json
import os
import sys
import threading
import webbrowser
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ._files import open_read, read_lines_of
from .chrome import read_events

#: How a trace file of ``hunter record`` starts (its header line: see hunter.record.format).
RECORDING_HEAD = b'["hunter-record"'

__all__ = ["build_model", "main", "render_html"]

#: Characters of a call's arguments kept for its detail panel (the page must stay loadable for big traces).
_DETAIL_LIMIT = 400
#: Functions listed in the page's table (by total time).
_TABLE_ROWS = 500


class NotATimeline(ValueError):
    """The file holds no trace events the viewer can read."""


def _chrome_events(path: str) -> list[dict[str, Any]]:
    """Our files' events, one per line; else the file as one JSON document (other Chrome-trace producers)."""
    events = read_events(path)
    if events:
        return events
    try:
        with open_read(path) as file:
            document = json.loads(b"".join(read_lines_of(file)) or b"null")
    except (ValueError, EOFError) as exc:
        raise NotATimeline("not a recording, Chrome trace or JSON Lines timeline (it is not JSON)") from exc
    if isinstance(document, dict):
        document = document.get("traceEvents")
    if not isinstance(document, list) or not any(isinstance(event, dict) and "ph" in event for event in document):
        raise NotATimeline("not a recording, Chrome trace or JSON Lines timeline (no trace events in it)")
    return [event for event in document if isinstance(event, dict)]


def _jsonl_events(path: str) -> Iterator[dict[str, Any]]:
    """JSON Lines records as Chrome-style B/E/i events (times in µs since the first record)."""
    with open_read(path) as file:
        records = []
        for line in read_lines_of(file):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "time" in record:
                records.append(record)
    if not records:
        return
    start = min(record["time"] for record in records)
    named: set[tuple[Any, Any]] = set()
    for record in records:
        where = (record.get("pid"), record.get("tid"))
        if where not in named:
            named.add(where)
            yield {
                "ph": "M",
                "name": "thread_name",
                "pid": where[0],
                "tid": where[1],
                "args": {"name": str(record.get("threadname"))},
            }
        ts = (record["time"] - start) * 1e6
        base = {
            "pid": where[0],
            "tid": where[1],
            "ts": ts,
            "name": str(record.get("function")),
            "cat": record.get("module"),
        }
        kind = record.get("kind")
        if kind == "call":
            yield {**base, "ph": "B", "args": record.get("args") or {}}
        elif kind == "return":
            yield {**base, "ph": "E", "args": {"return": record.get("arg")}}
        elif kind == "exception":
            yield {
                **base,
                "ph": "i",
                "name": str(record.get("exception", "exception")),
                "args": {"exception": record.get("arg")},
            }


def build_model(path: str) -> dict[str, Any]:
    """The page's data: per thread, its calls as ``[start, duration, depth, name, detail]`` rows, plus exceptions.

    Calls are paired per thread by nesting (as trace viewers do); calls left open end at the last event.
    """
    model = _Model()
    for event in _events_of(path):
        model.add(event)
    return model.result(os.path.basename(path))


def _events_of(path: str) -> Iterable[dict[str, Any]]:
    """The file's events, Chrome-style, whichever of our formats it holds (or another producer's JSON), told by
    its first bytes: a recording's header, a JSON Lines record, else Chrome-trace JSON."""
    with open_read(path) as file:
        try:
            head = file.read(32).lstrip()
        except (EOFError, OSError) as exc:
            raise NotATimeline("a damaged gzip file") from exc
    if not head:
        raise NotATimeline("an empty file")
    if head.startswith(RECORDING_HEAD):
        return _recorded_events(path)
    return _jsonl_events(path) if head.startswith(b'{"time"') else _chrome_events(path)


def _recorded_events(path: str) -> Iterable[dict[str, Any]]:
    """A trace file of ``hunter record`` (with the parts its other processes wrote) as Chrome-style events."""
    from ..record.reader import FormatError, read
    from ..record.timeline import chrome_events

    try:
        trace = read(path)
    except FormatError as exc:
        # (its message starts with the file's full name, which the command line's error already names)
        raise NotATimeline(str(exc).rpartition(" is ")[2]) from None
    return chrome_events(trace)


class _Model:
    """The page's data, gathered one event at a time (see :func:`build_model`)."""

    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.details: list[str] = []
        self.processes: dict[Any, str] = {}
        self.threads: dict[tuple[Any, Any], str] = {}
        self.tracks: dict[tuple[Any, Any], dict[str, Any]] = {}
        self.stacks: dict[tuple[Any, Any], list[list[Any]]] = {}
        self.first, self.last = float("inf"), float("-inf")

    def track(self, where: tuple[Any, Any]) -> dict[str, Any]:
        """A thread's track, made on its first call or instant."""
        entry = self.tracks.get(where)
        if entry is None:
            entry = self.tracks[where] = {"slices": [], "instants": [], "depth": 0}
        return entry

    def name_index(self, name: str) -> int:
        """The index of a function's name in the page's list of names (each name is written once)."""
        return self.names.setdefault(name, len(self.names))

    def add(self, event: dict[str, Any]) -> None:
        """Take one event: a name of a process or thread, a call's begin or end, a complete call, an instant."""
        phase = event.get("ph")
        where = (event.get("pid"), event.get("tid"))
        if phase == "M":
            self._metadata(event, where)
            return
        ts = event.get("ts")
        if not isinstance(ts, (int, float)):
            return
        self.first, self.last = min(self.first, ts), max(self.last, ts)
        if phase == "B":
            self._begin(event, where, ts)
        elif phase == "E":
            self._end(event, where, ts)
        elif phase == "X":
            self._complete(event, where, ts)
        elif phase in ("i", "I"):
            # (Its depth: under the calls around it in time, see _nest.)
            self.track(where)["instants"].append([ts, 0, self.name_index(str(event.get("name", "?")))])

    def _metadata(self, event: dict[str, Any], where: tuple[Any, Any]) -> None:
        label = str((event.get("args") or {}).get("name", ""))
        if event.get("name") == "process_name":
            self.processes[where[0]] = label
        elif event.get("name") == "thread_name":
            self.threads[where] = label

    def _begin(self, event: dict[str, Any], where: tuple[Any, Any], ts: float) -> None:
        # A B is paired with its E in the file's order (a thread's lines are), but its depth comes from the times
        # (see _nest): a call is written when it ends, after its callees.
        stack = self.stacks.setdefault(where, [])
        detail = json.dumps({"cat": event.get("cat"), **(event.get("args") or {})})[:_DETAIL_LIMIT]
        row = [ts, 0.0, -1, self.name_index(str(event.get("name", "?"))), len(self.details)]
        self.details.append(detail)
        stack.append(row)
        self.track(where)["slices"].append(row)

    def _end(self, event: dict[str, Any], where: tuple[Any, Any], ts: float) -> None:
        open_calls = self.stacks.get(where)
        if open_calls:
            row = open_calls.pop()
            row[1] = ts - row[0]
            ending = event.get("args") or {}
            if ending:
                index = int(row[4])
                self.details[index] = (self.details[index][:-1] + ", " + json.dumps(ending)[1:])[:_DETAIL_LIMIT]

    def _complete(self, event: dict[str, Any], where: tuple[Any, Any], ts: float) -> None:
        # A complete event (one per call, as viztracer writes them, often after its callees): nested below.
        duration = event.get("dur")
        duration = float(duration) if isinstance(duration, (int, float)) and duration > 0 else 0.0
        detail = json.dumps({"cat": event.get("cat"), **(event.get("args") or {})})[:_DETAIL_LIMIT]
        self.track(where)["slices"].append(
            [ts, duration, -1, self.name_index(str(event.get("name", "?"))), len(self.details)]
        )
        self.details.append(detail)
        self.last = max(self.last, ts + duration)

    def result(self, title: str) -> dict[str, Any]:
        """The page's data, once every event is in (calls left open end at the last event)."""
        first, last = self.first, self.last
        running: set[int] = set()
        for stack in self.stacks.values():
            for row in stack:
                row[1] = last - row[0]
                running.add(id(row))
        if first == float("inf"):
            raise NotATimeline("no trace events in it")
        totals: dict[int, list[float]] = {}
        for entry in self.tracks.values():
            _nest(entry, totals, running)
        return {
            "title": title,
            "span": max(last - first, 1e-3),
            "names": list(self.names),
            "details": self.details,
            "tracks": self._ordered_tracks(first),
            # Per function: [name, calls, total µs, self µs], the most time first (a recursive call's time counts
            # once).
            "functions": sorted(
                ([index, int(calls), total, own] for index, (calls, total, own) in totals.items()),
                key=lambda row: -row[2],
            )[:_TABLE_ROWS],
        }

    def _ordered_tracks(self, first: float) -> list[dict[str, Any]]:
        """The tracks by process and thread, labelled, their times from the first event."""
        ordered = []
        for where in sorted(self.tracks, key=lambda key: (str(key[0]), str(key[1]))):
            entry = self.tracks[where]
            process = self.processes.get(where[0], "")
            label = f"{process} (pid {where[0]}) / {self.threads.get(where, '?')} (tid {where[1]})".strip()
            for row in entry["slices"]:
                row[0] -= first
            for row in entry["instants"]:
                row[0] -= first
            ordered.append({"label": label, **entry})
        return ordered


def _nest(entry: dict[str, Any], totals: dict[int, list[float]], running: set[int]) -> None:
    """Give calls their depth (by time), and add each call's time to its function's totals (``running``: the ids of
    calls still open at the end, which hold the calls that began as the file ends)."""
    slices = entry["slices"]
    slices.sort(key=lambda row: (row[0], -row[1]))
    stack: list[list[Any]] = []  # the calls around the current one (still open at its start)
    inner: dict[int, float] = {}  # time spent in each call's callees, by its detail index
    for row in slices:
        start = row[0]
        while stack and stack[-1][0] + stack[-1][1] <= start and id(stack[-1]) not in running:
            stack.pop()
        if row[2] < 0:
            row[2] = len(stack)
            entry["depth"] = max(entry["depth"], len(stack) + 1)
        if stack:
            inner[stack[-1][4]] = inner.get(stack[-1][4], 0.0) + row[1]
        counts = totals.setdefault(row[3], [0, 0.0, 0.0])
        counts[0] += 1
        if all(outer[3] != row[3] for outer in stack):
            counts[1] += row[1]
        stack.append(row)
    for row in slices:
        totals[row[3]][2] += max(row[1] - inner.get(row[4], 0.0), 0.0)
    _place_instants(slices, entry["instants"])


def _place_instants(slices: list[list[Any]], instants: list[list[Any]]) -> None:
    """Give each instant its depth: below the calls running at its time (slices in order of their start)."""
    stack: list[list[Any]] = []
    taken = 0
    for instant in sorted(instants, key=lambda row: row[0]):
        while taken < len(slices) and slices[taken][0] <= instant[0]:
            row = slices[taken]
            taken += 1
            while stack and stack[-1][0] + stack[-1][1] < row[0]:
                stack.pop()
            stack.append(row)
        while stack and stack[-1][0] + stack[-1][1] < instant[0]:
            stack.pop()
        instant[1] = len(stack)


def render_html(path: str) -> str:
    """One HTML page (styles, script and data inline) that draws the timeline of ``path``."""
    model = build_model(path)
    # "</" can't end the script element early once escaped; the data is otherwise plain JSON.
    data = json.dumps(model, separators=(",", ":")).replace("</", "<\\/")
    return _PAGE.replace("__TITLE__", html.escape(model["title"])).replace("__DATA__", data)


def serve(page: str, port: int = 0, open_browser: bool = True) -> None:
    """Serve ``page`` on 127.0.0.1 (this machine only) until interrupted."""
    body = page.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)  # (OSError: the port is taken)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    sys.stderr.write(f"hunter: serving the timeline at {url} (Ctrl-C to stop)\n")
    sys.stderr.flush()
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: Sequence[str], prog: str = "hunter") -> int:
    """``hunter view FILE [-o PAGE.html] [--port N] [--no-browser]``."""
    parser = argparse.ArgumentParser(
        prog=f"{prog} view",
        description="Show a timeline (--format chrome or jsonl) or a recording (hunter record) as a flame chart in the "
        "browser, offline.",
    )
    parser.add_argument(
        "file", help="a timeline written by hunter (Chrome trace JSON or JSON Lines) or a trace file of hunter record"
    )
    parser.add_argument("-o", "--output", metavar="PAGE", help="write one self-contained .html file instead of serving")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 to serve on (default: any free one)")
    parser.add_argument("--no-browser", action="store_true", help="don't open a browser, just serve")
    options = parser.parse_args(list(argv))
    if not 0 <= options.port <= 65535:
        return _error(prog, f"--port must be between 0 and 65535, not {options.port}")
    try:
        page = render_html(options.file)
    except OSError as exc:
        return _error(prog, f"cannot read {options.file!r}: {exc.strerror or exc}")
    except NotATimeline as exc:
        return _error(prog, f"{options.file!r} is {exc}" if str(exc).startswith("a") else f"{options.file!r}: {exc}")
    if options.output:
        try:
            with open(options.output, "w", encoding="utf-8") as file:
                file.write(page)
        except OSError as exc:
            return _error(prog, f"cannot write {options.output!r}: {exc.strerror or exc}")
        sys.stderr.write(f"hunter: wrote {options.output}: open it in any browser (it needs no network)\n")
        return 0
    try:
        serve(page, options.port, not options.no_browser)
    except OSError as exc:
        return _error(prog, f"cannot serve on 127.0.0.1 port {options.port}: {exc.strerror or exc}")
    return 0


def _error(prog: str, message: str) -> int:
    sys.stderr.write(f"{prog} view: error: {message}\n")
    return 2


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__ - hunter view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
html,body{margin:0;height:100%;font:12px system-ui,sans-serif;background:#fff;color:#222}
#bar{height:28px;display:flex;align-items:center;gap:12px;padding:0 8px;border-bottom:1px solid #ccc;background:#f4f4f4}
#bar b{font-size:13px}#hint{color:#666}
#chart{position:absolute;top:29px;left:0;right:0;bottom:0;overflow-y:auto;overflow-x:hidden}
canvas{display:block}
#detail{position:fixed;right:8px;bottom:8px;max-width:50%;max-height:40%;overflow:auto;background:#fffbe6;
border:1px solid #c9b458;padding:6px;white-space:pre-wrap;font:11px monospace;display:none}
#table{position:absolute;top:29px;right:0;bottom:0;width:min(640px,100%);overflow:auto;background:#fff;
border-left:1px solid #ccc;display:none}
#table table{border-collapse:collapse;width:100%;font:11px monospace}
#table th{position:sticky;top:0;background:#f4f4f4;cursor:pointer;text-align:right;padding:2px 6px}
#table td{text-align:right;padding:1px 6px;border-top:1px solid #eee}
#table td:first-child,#table th:first-child{text-align:left;word-break:break-all}
</style></head>
<body><div id="bar"><b>__TITLE__</b><span id="stats"></span>
<input id="search" type="search" placeholder="search functions" size="24">
<button id="functions" type="button">functions</button>
<span id="hint">wheel: zoom &middot; drag: pan &middot; click: details &middot; 0: reset</span></div>
<div id="chart"><canvas id="canvas"></canvas></div><pre id="detail"></pre>
<div id="table"><table><thead><tr><th data-column="0">function</th><th data-column="1">calls</th>
<th data-column="2">total</th><th data-column="3">self</th></tr></thead><tbody></tbody></table></div>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const model = JSON.parse(document.getElementById("data").textContent);
const AXIS = 20, HEADER = 18, ROW = 16, GAP = 6;
const canvas = document.getElementById("canvas"), chart = document.getElementById("chart");
const ctx = canvas.getContext("2d");
const detail = document.getElementById("detail");
let view = {start: 0, end: model.span};
let query = "";
// A duration (µs) in the unit that suits it: 350 µs, 2.4 s, 12.5 ms.
function duration(micros, digits) {
  const size = Math.abs(micros);
  const [scale, unit] = size >= 1e6 ? [1e6, " s"] : size >= 1e3 ? [1e3, " ms"] : [1, " \u00b5s"];
  const value = micros / scale;
  return (digits === undefined ? +value.toPrecision(4) : value.toFixed(digits)) + unit;
}
// Axis labels: the unit of the largest time in view, with as many decimals as the tick step needs (2.4 s,
// not 2400.000 ms; zoomed in at 2.3 s, 2.30001 s).
function tickLabel(t, step) {
  const size = Math.max(Math.abs(view.start), Math.abs(view.end));
  const [scale, unit] = size >= 1e6 ? [1e6, " s"] : size >= 1e3 ? [1e3, " ms"] : [1, " \u00b5s"];
  const digits = Math.max(0, -Math.floor(Math.log10(step / scale) + 1e-9));
  return (t / scale).toFixed(digits) + unit;
}
function matches(index) { return !query || model.names[index].toLowerCase().includes(query); }
function color(index) {
  // A stable colour per function name: hue from a string hash, so the same function looks the same everywhere.
  const name = model.names[index];
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  return "hsl(" + (((hash % 360) + 360) % 360) + ",60%,62%)";
}
const layout = [];
let height = AXIS;
for (const track of model.tracks) {
  layout.push({track: track, top: height});
  height += HEADER + Math.max(track.depth, 1) * ROW + GAP;
}
function x(ts, width) { return (ts - view.start) / (view.end - view.start) * width; }
function draw() {
  const width = chart.clientWidth, ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.style.width = width + "px"; canvas.style.height = height + "px";
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui,sans-serif"; ctx.textBaseline = "middle";
  // Ticks 1, 2 or 5 times a power of ten apart, at least 90 pixels from each other.
  const span = view.end - view.start, least = span * 90 / width;
  let step = Math.pow(10, Math.floor(Math.log10(least)));
  step *= least <= step ? 1 : least <= 2 * step ? 2 : least <= 5 * step ? 5 : 10;
  ctx.fillStyle = "#666"; ctx.strokeStyle = "#ddd";
  for (let t = Math.ceil(view.start / step) * step; t <= view.end; t += step) {
    const px = Math.round(x(t, width)) + 0.5;
    ctx.beginPath(); ctx.moveTo(px, AXIS - 4); ctx.lineTo(px, height); ctx.stroke();
    ctx.fillText(tickLabel(t, step), px + 2, AXIS / 2);
  }
  let drawn = 0, found = 0;
  for (const {track, top} of layout) {
    ctx.fillStyle = "#eee"; ctx.fillRect(0, top, width, HEADER);
    ctx.fillStyle = "#333"; ctx.fillText(track.label, 4, top + HEADER / 2);
    for (const slice of track.slices) {
      const left = x(slice[0], width), right = x(slice[0] + slice[1], width);
      if (right < 0 || left > width) continue;
      const y = top + HEADER + slice[2] * ROW, w = Math.max(right - left, 1);
      const hit = matches(slice[3]);
      found += hit && query ? 1 : 0;
      ctx.globalAlpha = hit ? 1 : 0.2;
      ctx.fillStyle = color(slice[3]); ctx.fillRect(left, y, w, ROW - 1);
      drawn++;
      // The label starts where the bar becomes visible: a call that began off-screen keeps its name.
      const shown = Math.max(left, 0), room = Math.min(right, width) - shown;
      if (room > 30) {
        ctx.save(); ctx.beginPath(); ctx.rect(shown, y, room, ROW); ctx.clip();
        ctx.fillStyle = "#111"; ctx.fillText(model.names[slice[3]], shown + 3, y + ROW / 2); ctx.restore();
      }
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = "#d00";
    for (const instant of track.instants) {
      const px = x(instant[0], width), y = top + HEADER + instant[1] * ROW;
      if (px < -4 || px > width + 4) continue;
      ctx.beginPath(); ctx.moveTo(px, y); ctx.lineTo(px - 4, y + 7); ctx.lineTo(px + 4, y + 7); ctx.fill();
    }
  }
  document.getElementById("stats").textContent =
    model.tracks.length + (model.tracks.length === 1 ? " thread, " : " threads, ") + model.details.length +
    " calls, " + duration(model.span) + (query ? ", " + found + " drawn match" : "");
  document.body.dataset.drawn = drawn;
}
function sliceAt(px, py) {
  const width = chart.clientWidth;
  for (const {track, top} of layout) {
    const depth = Math.floor((py - top - HEADER) / ROW);
    if (depth < 0 || depth >= Math.max(track.depth, 1)) continue;
    for (const slice of track.slices) {
      if (slice[2] !== depth) continue;
      const left = x(slice[0], width), right = Math.max(x(slice[0] + slice[1], width), left + 1);
      if (px >= left && px <= right) return slice;
    }
  }
  return null;
}
canvas.addEventListener("wheel", (event) => {
  event.preventDefault();
  const width = chart.clientWidth, at = view.start + event.offsetX / width * (view.end - view.start);
  const factor = event.deltaY > 0 ? 1.25 : 0.8;
  view = {start: at - (at - view.start) * factor, end: at + (view.end - at) * factor};
  draw();
}, {passive: false});
let dragging = null;
canvas.addEventListener("mousedown", (event) => { dragging = {x: event.clientX, view: view, moved: false}; });
window.addEventListener("mousemove", (event) => {
  if (!dragging) return;
  const shift = (event.clientX - dragging.x) / chart.clientWidth * (dragging.view.end - dragging.view.start);
  if (Math.abs(event.clientX - dragging.x) > 2) dragging.moved = true;
  view = {start: dragging.view.start - shift, end: dragging.view.end - shift};
  draw();
});
window.addEventListener("mouseup", (event) => {
  if (dragging && !dragging.moved) {
    const rect = canvas.getBoundingClientRect();
    const slice = sliceAt(event.clientX - rect.left, event.clientY - rect.top);
    detail.style.display = slice ? "block" : "none";
    if (slice) {
      const name = model.names[slice[3]];
      detail.textContent = name + "  (" + duration(slice[1]) + ")\\n" + model.details[slice[4]];
    }
  }
  dragging = null;
});
window.addEventListener("keydown", (event) => {
  if (event.key === "0") { view = {start: 0, end: model.span}; draw(); }
});
window.addEventListener("resize", draw);
document.getElementById("search").addEventListener("input", (event) => {
  query = event.target.value.trim().toLowerCase(); draw(); fillTable();
});
// The functions table: calls, total and self time per function (click a heading to sort by it).
const table = document.getElementById("table");
let sortColumn = 2;
function fillTable() {
  const rows = model.functions.filter((row) => matches(row[0]));
  const byName = (a, b) => model.names[a[0]].localeCompare(model.names[b[0]]);
  rows.sort((a, b) => sortColumn === 0 ? byName(a, b) : b[sortColumn] - a[sortColumn]);
  const body = table.querySelector("tbody");
  body.textContent = "";
  for (const row of rows) {
    const line = body.insertRow();
    line.insertCell().textContent = model.names[row[0]];
    line.insertCell().textContent = row[1];
    line.insertCell().textContent = duration(row[2]);
    line.insertCell().textContent = duration(row[3]);
  }
}
table.querySelector("thead").addEventListener("click", (event) => {
  const column = event.target.dataset.column;
  if (column !== undefined) { sortColumn = +column; fillTable(); }
});
document.getElementById("functions").addEventListener("click", () => {
  table.style.display = table.style.display === "block" ? "none" : "block"; fillTable();
});
draw();
document.title = "hunter view: " + document.body.dataset.drawn + " calls drawn";
</script></body></html>
"""
