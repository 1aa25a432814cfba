"""Records one compat program, then replays the recording through every query; writes what each printed as JSON.

Usage: python replay_driver.py PROGRAM QUERIES.tsv OUT.json   (run from tests/compat/programs, with our hunter)

The program is recorded where driver.py traces it (the same frame, so the same depths), once with every event,
line events and values (and once more in profile mode, for the queries that ask for it); the live outputs to compare
with are driver.py's (tests/compat/harness.py). A query the replay refuses (it needs what no recording holds) is
listed with the refusal's line instead of an output.
"""

import io
import json
import os
import sys
import tempfile
import traceback

import driver

import hunter
from hunter import config
from hunter.record import read
from hunter.record.replay import Refused, replay


def record(module, folder, profile):
    """The recording of one traced run of the program (every event, lines and values)."""
    path = os.path.join(folder, f"{module.__name__}{'-profile' if profile else ''}.hunt")
    options = {"record": path, "record_lines": True, "record_values": True}
    if profile:
        options["profile"] = True
    hunter.CallPrinter.cleanup()
    driver.traced(module, (), options)
    hunter.stop()
    return read(path)


def replayed(trace, value):
    """What the replay of ``trace`` through the query prints, or the refusal's line."""
    stream = io.StringIO()
    saved = sys.stdout, sys.stderr, config.default_stream
    sys.stdout = sys.stderr = stream
    try:
        replay(trace, value, stream=stream)
    except Refused as exc:
        return None, str(exc)
    except Exception as exc:  # a query that can't be built prints its error, as run_query does
        stream.write(f"!!! {type(exc).__name__}: {exc}\n")
    finally:
        sys.stdout, sys.stderr, config.default_stream = saved
    return stream.getvalue(), None


def main():
    program, queries_file, out_file = sys.argv[1:4]
    module = driver.load(program)
    module.main()  # untraced first, as driver.py does
    namespace = {name: getattr(hunter, name) for name in driver.NAMES}
    namespace["split_arguments"] = driver.split_arguments
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        traces = {profile: record(module, folder, profile) for profile in (False, True)}
        with open(queries_file, encoding="utf-8") as file:
            for line in file:
                if not line.strip() or line.startswith("#"):
                    continue
                name, value = line.rstrip("\n").split("\t")
                value = value.replace("$P", program)
                try:
                    try:
                        _predicates, options = eval("split_arguments(" + value + ")", namespace)
                    except Exception:  # (a query that can't be built: the replay prints its error, as live)
                        options = {}
                    output, refused = replayed(traces[bool(options.get("profile"))], value)
                    results[name] = {"replay": output, "refused": refused}
                except BaseException:  # one broken query must not hide the others' outputs
                    results[name] = {"replay": "!!! driver failure\n" + traceback.format_exc(), "refused": None}
    with open(out_file, "w", encoding="utf-8") as file:
        json.dump(results, file, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
