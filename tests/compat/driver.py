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
    exec(code, module.__dict__)  # the compat program, as a user's run would load it
    return module


def split_arguments(*predicates, **options):
    return predicates, options


def traced(module, predicates, options):
    if getattr(module, "STARTS_TRACING", False):
        # The program starts tracing itself, in the middle of main(): main's frame is already running then.
        module.main(lambda: hunter.trace(*predicates, **options))
        return
    # One line on purpose: once trace() returns, this frame reaches no new line, so hunter 3.9 (which reports
    # events of frames that were already running) and we see the same events.
    with hunter.trace(*predicates, **options): module.main()  # fmt: skip  # noqa: E701


#: trace()'s own options: the rest of its arguments make the predicate.
TRACER_OPTIONS = ("clear_env_var", "profile", "threading_support", "threads_support", "thread_support")
TRACER_OPTIONS += ("threadingsupport", "threadssupport", "threadsupport", "threading", "threads", "thread")


def describe(predicates, options):
    """str() and repr() of the predicate trace() builds from these arguments."""
    options = {key: value for key, value in options.items() if key not in TRACER_OPTIONS}
    predicate = hunter._prepare_predicate(*predicates, **options)
    return f"str : {predicate}\nrepr: {predicate!r}\n"


def run_query(module, value, namespace):
    """The text the query printed (to hunter's default stream and to stderr), and its predicate's str and repr."""
    stream = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr, hunter._default_stream
    # A Debugger action's pdb reads its commands from stdin and talks on stdout: it is told to continue.
    sys.stdin = io.StringIO("c\n" * 100)
    sys.stdout = sys.stderr = hunter._default_stream = stream
    try:
        # hunter 3.9 keeps CallPrinter's call stacks on the class: start each query from a clean slate.
        hunter.CallPrinter.cleanup()
        predicates, options = eval("split_arguments(" + value + ")", namespace)
        text = describe(predicates, options)
        traced(module, predicates, options)
    except Exception as exc:  # a query that can't be built prints its error, in both versions
        stream.write(f"!!! {type(exc).__name__}: {exc}\n")
        text = f"!!! {type(exc).__name__}: {exc}\n"
    finally:
        sys.stdin, sys.stdout, sys.stderr, hunter._default_stream = saved
        if hunter._last_tracer is not None:
            hunter.stop()
    return stream.getvalue(), text


def main():
    program, queries_file, out_file = sys.argv[1:4]
    module = load(program)
    module.main()  # untraced first: lazy imports and caches are then the same for every query
    namespace = {name: getattr(hunter, name) for name in NAMES}
    namespace["split_arguments"] = split_arguments
    outputs = {}
    texts = {}
    with open(queries_file, encoding="utf-8") as file:
        for line in file:
            if not line.strip() or line.startswith("#"):
                continue
            name, value = line.rstrip("\n").split("\t")
            try:
                outputs[name], texts[name] = run_query(module, value.replace("$P", program), namespace)
            except BaseException:  # one broken query must not hide the others' outputs
                outputs[name] = texts[name] = "!!! driver failure\n" + traceback.format_exc()
    with open(out_file, "w", encoding="utf-8") as file:
        json.dump({"outputs": outputs, "texts": texts}, file, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
