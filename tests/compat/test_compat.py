"""hunter 3.9 side by side: every compat program under every query prints what hunter 3.9.0 prints; and replayed
from a recording of the program, every query prints what it prints live (replays.py).

hunter 3.9.0 (the compiled wheel from PyPI) runs in a virtualenv of its own; see harness.py. A case listed in
expectations.py is a known difference: a hunter 3.9 bug we fix (README, "Where hunter differs from hunter 3.9")
or a fix that another piece of work brings; it is an expected failure, strictly: once it passes, the entry must go.
"""

from __future__ import annotations

import harness
import pytest
import replays
from expectations import expected_difference, not_compared


def marks(program: str, query: str) -> list[pytest.MarkDecorator]:
    """A known difference is a strict expected failure; a case whose output changes from run to run is skipped."""
    if reason := not_compared(program, query):
        return [pytest.mark.skip(reason=f"not comparable: {reason}")]
    if reason := expected_difference(program, query, harness.hunter39_build()):
        return [pytest.mark.xfail(strict=True, reason=reason)]
    return []


CASES = [
    pytest.param(program, query, id=f"{program}-{query.name}", marks=marks(program, query.name))
    for program in harness.programs()
    for query in harness.queries()
]


@pytest.mark.parametrize(("program", "query"), CASES)
def test_same_output_as_hunter39(program: str, query: harness.Query) -> None:
    """The program traced with the query prints the same as under hunter 3.9 (addresses and pids aside)."""
    expected = harness.normalise(harness.hunter39(program).outputs[query.name])
    actual = harness.adjusted(harness.normalise(harness.ours(program).outputs[query.name]), program, query)
    harness.record(program, query, expected == actual)
    if expected != actual:
        pytest.fail(
            f"{program}.py traced with {query.value.replace('$P', program)!r} prints differently from hunter 3.9:\n"
            + harness.difference(expected, actual, f"{program} / {query.name}"),
            pytrace=False,
        )


@pytest.mark.parametrize(
    "query",
    [pytest.param(query, id=query.name, marks=marks("*texts*", query.name)) for query in harness.queries()],
)
def test_same_predicate_text_as_hunter39(query: harness.Query) -> None:
    """str() and repr() of the predicate trace() builds from the query are hunter 3.9's (addresses aside)."""
    expected = harness.normalise_text(harness.hunter39("basics").texts[query.name])
    actual = harness.normalise_text(harness.ours("basics").texts[query.name])
    if expected != actual:
        pytest.fail(
            f"the predicate built from {query.value.replace('$P', 'basics')!r} reads differently from hunter 3.9's:\n"
            + harness.difference(expected, actual, query.name),
            pytrace=False,
        )


def replay_marks(program: str, query: str) -> list[pytest.MarkDecorator]:
    """As marks(), for the replay of a recording against the live output (replays.py lists its differences)."""
    if reason := not_compared(program, query) or replays.replay_not_compared(program, query):
        return [pytest.mark.skip(reason=f"not comparable: {reason}")]
    if reason := replays.replay_difference(program, query):
        return [pytest.mark.xfail(strict=True, reason=reason)]
    return []


REPLAY_CASES = [
    pytest.param(program, query, id=f"{program}-{query.name}", marks=replay_marks(program, query.name))
    for program in harness.programs()
    for query in harness.queries()
]


@pytest.mark.parametrize(("program", "query"), REPLAY_CASES)
def test_a_replay_prints_what_the_live_trace_prints(program: str, query: harness.Query) -> None:
    """Replayed from a recording of the program, the query prints what it prints live (our own live output: this
    file's other tests compute it, in this same process)."""
    case = replays.replayed(program)[query.name]
    if case["refused"]:
        # The query needs what no recording holds: the replay refused it in one line (tests/test_record.py).
        pytest.skip(f"not answerable from a recording: {case['refused']}")
    live = replays.without_collector_callbacks(harness.normalise(harness.ours(program).outputs[query.name]))
    replayed = replays.without_collector_callbacks(harness.normalise(case["replay"] or ""))
    if "StackPrinter" in query.value:
        # (the callers above the program's run are the drivers' frames: driver.py's live, replay_driver.py's here)
        live, replayed = replays.without_driver_callers(live), replays.without_driver_callers(replayed)
    if live != replayed:
        pytest.fail(
            f"{program}.py traced live with {query.value.replace('$P', program)!r} and the replay of its recording "
            "print differently:\n" + harness.difference(live, replayed, f"{program} / {query.name}"),
            pytrace=False,
        )
