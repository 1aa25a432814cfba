"""Runs one compat program under every query with whichever hunter is importable; writes the outputs as JSON.

Usage: python driver.py PROGRAM QUERIES.tsv OUT.json   (run from tests/compat/programs)

The same file runs under hunter 3.9 and under ours, so it uses only the API both share. Each query is what
one would write inside ``hunter.trace(...)``, with ``$P`` standing for the program's module name.
"""

import io
import json
import sys
import traceback

import hunter

# The public names a PYTHONHUNTER value can use, in both versions.
NAMES = (
    *("And", "Backlog", "CallPrinter", "CodePrinter", "Debugger", "ErrorSnooper", "From", "Manhole", "Not", "Or"),
    *("Q", "Query", "StackPrinter", "VarsPrinter", "VarsSnooper", "When", "Stop"),
)


def load(name):
    """Compile programs/NAME.py under the relative file name NAME.py (as a user's run would show it)."""
    filename = name + ".py"
    with open(filename, encoding="utf-8") as file:
        code = compile(file.read(), filename, "exec")
    module = type(sys)(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102 - the compat program, as a user's run would load it
    return module


def split_arguments(*predicates, **options):
    return predicates, options


def traced(main, predicates, options):
    # One line on purpose: once trace() returns, this frame reaches no new line, so hunter 3.9 (which reports
    # events of frames that were already running) and we see the same events.
    with hunter.trace(*predicates, **options): main()  # fmt: skip


def run_query(main, value, namespace):
    """The text the query printed (to hunter's default stream and to stderr)."""
    stream = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr, hunter._default_stream
    # A Debugger action's pdb reads its commands from stdin and talks on stdout: it is told to continue.
    sys.stdin = io.StringIO("c\n" * 100)
    sys.stdout = sys.stderr = hunter._default_stream = stream
    try:
        # hunter 3.9 keeps CallPrinter's call stacks on the class: start each query from a clean slate.
        hunter.CallPrinter.cleanup()
        predicates, options = eval("split_arguments(" + value + ")", namespace)
        traced(main, predicates, options)
    except Exception as exc:  # noqa: BLE001 - a query that can't be built prints its error, in both versions
        stream.write(f"!!! {type(exc).__name__}: {exc}\n")
    finally:
        sys.stdin, sys.stdout, sys.stderr, hunter._default_stream = saved
        if hunter._last_tracer is not None:
            hunter.stop()
    return stream.getvalue()


def main():
    program, queries_file, out_file = sys.argv[1:4]
    module = load(program)
    module.main()  # untraced first: lazy imports and caches are then the same for every query
    namespace = {name: getattr(hunter, name) for name in NAMES}
    namespace["split_arguments"] = split_arguments
    outputs = {}
    with open(queries_file, encoding="utf-8") as file:
        for line in file:
            if not line.strip() or line.startswith("#"):
                continue
            name, value = line.rstrip("\n").split("\t")
            try:
                outputs[name] = run_query(module.main, value.replace("$P", program), namespace)
            except BaseException:  # noqa: BLE001 - one broken query must not hide the others' outputs
                outputs[name] = "!!! driver failure\n" + traceback.format_exc()
    with open(out_file, "w", encoding="utf-8") as file:
        json.dump(outputs, file, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
