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
from collections.abc import Iterator, Sequence
from typing import Any

from .chrome import read_events

__all__ = ["build_model", "main", "render_html"]

#: Characters of a call's arguments kept for its detail panel (the page must stay loadable for big traces).
_DETAIL_LIMIT = 400


def _chrome_events(path: str) -> Iterator[dict[str, Any]]:
    yield from read_events(path)


def _jsonl_events(path: str) -> Iterator[dict[str, Any]]:
    """JSON Lines records as Chrome-style B/E/i events (times in µs since the first record)."""
    with open(path, encoding="utf-8", errors="replace") as file:
        records = []
        for line in file:
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
    with open(path, "rb") as file:
        head = file.read(16).lstrip()
    events = _jsonl_events(path) if head.startswith(b'{"time"') else _chrome_events(path)
    names: dict[str, int] = {}
    details: list[str] = []
    processes: dict[Any, str] = {}
    threads: dict[tuple[Any, Any], str] = {}
    tracks: dict[tuple[Any, Any], dict[str, Any]] = {}
    stacks: dict[tuple[Any, Any], list[list[Any]]] = {}
    first, last = float("inf"), float("-inf")

    def track(where: tuple[Any, Any]) -> dict[str, Any]:
        entry = tracks.get(where)
        if entry is None:
            entry = tracks[where] = {"slices": [], "instants": [], "depth": 0}
        return entry

    def name_index(name: str) -> int:
        return names.setdefault(name, len(names))

    for event in events:
        phase = event.get("ph")
        where = (event.get("pid"), event.get("tid"))
        if phase == "M":
            label = str((event.get("args") or {}).get("name", ""))
            if event.get("name") == "process_name":
                processes[where[0]] = label
            elif event.get("name") == "thread_name":
                threads[where] = label
            continue
        ts = event.get("ts")
        if not isinstance(ts, (int, float)):
            continue
        first, last = min(first, ts), max(last, ts)
        if phase == "B":
            stack = stacks.setdefault(where, [])
            detail = json.dumps({"cat": event.get("cat"), **(event.get("args") or {})})[:_DETAIL_LIMIT]
            row = [ts, 0.0, len(stack), name_index(str(event.get("name", "?"))), len(details)]
            details.append(detail)
            stack.append(row)
            entry = track(where)
            entry["slices"].append(row)
            entry["depth"] = max(entry["depth"], len(stack))
        elif phase == "E":
            open_calls = stacks.get(where)
            if open_calls:
                row = open_calls.pop()
                row[1] = ts - row[0]
                ending = event.get("args") or {}
                if ending:
                    index = int(row[4])
                    details[index] = (details[index][:-1] + ", " + json.dumps(ending)[1:])[:_DETAIL_LIMIT]
        elif phase in ("i", "I"):
            stack = stacks.get(where) or []
            track(where)["instants"].append([ts, len(stack), name_index(str(event.get("name", "?")))])
    for stack in stacks.values():
        for row in stack:
            row[1] = last - row[0]
    if first == float("inf"):
        first = last = 0.0
    ordered = []
    for where in sorted(tracks, key=lambda key: (str(key[0]), str(key[1]))):
        entry = tracks[where]
        process = processes.get(where[0], "")
        label = f"{process} (pid {where[0]}) / {threads.get(where, '?')} (tid {where[1]})".strip()
        for row in entry["slices"]:
            row[0] -= first
        for row in entry["instants"]:
            row[0] -= first
        ordered.append({"label": label, **entry})
    return {
        "title": os.path.basename(path),
        "span": max(last - first, 1e-3),
        "names": list(names),
        "details": details,
        "tracks": ordered,
    }


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

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
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
        description="Show a timeline (--format chrome or jsonl) as a flame chart in the browser, offline.",
    )
    parser.add_argument("file", help="a timeline written by hunter (Chrome trace JSON or JSON Lines)")
    parser.add_argument("-o", "--output", metavar="PAGE", help="write one self-contained .html file instead of serving")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 to serve on (default: any free one)")
    parser.add_argument("--no-browser", action="store_true", help="don't open a browser, just serve")
    options = parser.parse_args(list(argv))
    try:
        page = render_html(options.file)
    except OSError as exc:
        sys.stderr.write(f"{prog} view: error: cannot read {options.file!r}: {exc.strerror or exc}\n")
        return 2
    if options.output:
        with open(options.output, "w", encoding="utf-8") as file:
            file.write(page)
        sys.stderr.write(f"hunter: wrote {options.output}: open it in any browser (it needs no network)\n")
        return 0
    serve(page, options.port, not options.no_browser)
    return 0


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
</style></head>
<body><div id="bar"><b>__TITLE__</b><span id="stats"></span>
<span id="hint">wheel: zoom &middot; drag: pan &middot; click: details &middot; 0: reset</span></div>
<div id="chart"><canvas id="canvas"></canvas></div><pre id="detail"></pre>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const model = JSON.parse(document.getElementById("data").textContent);
const AXIS = 20, HEADER = 18, ROW = 16, GAP = 6;
const canvas = document.getElementById("canvas"), chart = document.getElementById("chart");
const ctx = canvas.getContext("2d");
const detail = document.getElementById("detail");
let view = {start: 0, end: model.span};
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
    ctx.fillText(t >= 1000 ? (t / 1000).toFixed(3) + " ms" : t.toFixed(1) + " \\u00b5s", px + 2, AXIS / 2);
  }
  let drawn = 0;
  for (const {track, top} of layout) {
    ctx.fillStyle = "#eee"; ctx.fillRect(0, top, width, HEADER);
    ctx.fillStyle = "#333"; ctx.fillText(track.label, 4, top + HEADER / 2);
    for (const slice of track.slices) {
      const left = x(slice[0], width), right = x(slice[0] + slice[1], width);
      if (right < 0 || left > width) continue;
      const y = top + HEADER + slice[2] * ROW, w = Math.max(right - left, 1);
      ctx.fillStyle = color(slice[3]); ctx.fillRect(left, y, w, ROW - 1);
      drawn++;
      if (w > 30) {
        ctx.save(); ctx.beginPath(); ctx.rect(left, y, w, ROW); ctx.clip();
        ctx.fillStyle = "#111"; ctx.fillText(model.names[slice[3]], left + 3, y + ROW / 2); ctx.restore();
      }
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
    " calls, " + (model.span / 1000).toFixed(3) + " ms";
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
      const name = model.names[slice[3]], micros = slice[1].toFixed(3);
      detail.textContent = name + "  (" + micros + " \\u00b5s)\\n" + model.details[slice[4]];
    }
  }
  dragging = null;
});
window.addEventListener("keydown", (event) => {
  if (event.key === "0") { view = {start: 0, end: model.span}; draw(); }
});
window.addEventListener("resize", draw);
draw();
document.title = "hunter view: " + document.body.dataset.drawn + " calls drawn";
</script></body></html>
"""
