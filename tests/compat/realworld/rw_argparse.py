"""argparse: a parser with subcommands, types and choices, parsing good and bad command lines."""

import argparse
import io
import sys

LIBRARY = "argparse"


def main():
    parser = argparse.ArgumentParser(prog="tool", description="does things")
    parser.add_argument("--count", type=int, default=1)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("target", choices=["a", "b"])
    run.add_argument("--fast", action="store_true")
    good = parser.parse_args(["--count", "3", "run", "a", "--fast"])
    saved = sys.stderr
    sys.stderr = io.StringIO()
    try:
        parser.parse_args(["run", "c"])
    except SystemExit:
        pass
    finally:
        sys.stderr = saved
    return vars(good), parser.format_help()
