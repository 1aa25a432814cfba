"""The compiled raw recording callbacks (``hunter._speedups.raw_callback``): chosen over the Python ones when a trace
file's recording takes the raw path.

They take the common case of a raw call, return or exception themselves and hand anything else to the Python
callback they stand in for, so the records are the same either way (tests/test_record_raw.py compares both). Not
built, or switched off (``hunter._engine._speedups``): the Python callbacks alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..._engine import _own_code, _speedups
from ..._engine._compat import (
    ARTIFICIAL_STOP_ITERATION_OPCODES,
    RESUME_AFTER_YIELD_OPCODES,
    RETURN_OPCODES,
    YIELD_OPCODES,
)
from ._codes import CodeInfo
from ._raw import RawSteps
from ._wiring import Wiring

__all__ = ["compiled_callbacks"]

_E = sys.monitoring.events


def compiled_callbacks(wiring: Wiring, raw: RawSteps, callbacks: dict[int, Callable[..., Any]]) -> None:
    """Put compiled stand-ins for the call, return and exception callbacks into ``callbacks`` (the backend's, by
    event), where they can be used: for hunter's own trace file recorder (the compiled code reads its per-thread
    state)."""
    from ...record.format import MAX_CALLERS
    from ...record.writer import Recorder, _Site, _ThreadState
    from ...util import MISSING

    compiled = _speedups.compiled
    recorder = raw.sink.recorder
    if compiled is None or not compiled.RAW_CALLBACKS or not isinstance(recorder, Recorder):
        return
    recorder_type: type[Any] = type(recorder)
    if recorder_type.arguments is not Recorder.arguments or recorder_type.returned is not Recorder.returned:
        return  # (a subclass that makes its texts otherwise)
    own_lines = recorder_type.raised_line is Recorder.raised_line  # (else its exceptions' lines are its own)
    shared: dict[str, Any] = {
        "infos": wiring.infos,
        "gate": wiring.gate,
        "context": wiring.context,
        "recorder": recorder,
        "due": raw.sink.due,
        "text": recorder.value_json,
        "missing": MISSING,
        # (where depths are counted, a frame leaving forgets its entry: see _callbacks._returns)
        "known": wiring.context.depths.known if wiring.count_depth else None,
        "batch": recorder.batch,
        "return_opcodes": RETURN_OPCODES,
        # (a return's ``normal`` field tells a suspension apart: _recording.how_left)
        "yield_opcodes": YIELD_OPCODES,
        "resume_opcodes": RESUME_AFTER_YIELD_OPCODES,
        "artificial_opcodes": ARTIFICIAL_STOP_ITERATION_OPCODES,
        "types": (CodeInfo, _ThreadState, _Site),
        # (value texts made in C where they can be, unless a subclass makes its own)
        "limit": recorder.repr_limit if recorder_type.value_json is Recorder.value_json else 0,
        # (a call from code the recording leaves out: its callers up to the innermost recorded call, see _callers)
        "own_code": _own_code,
        "max_callers": MAX_CALLERS,
        "address_only": recorder.address_only,
        # (a call with no recorded call on its chain: its frames counted as the tracer counts them, see _entered)
        "owner": wiring.context.owner,
        "depths": wiring.context.depths,
    }
    stand_ins = {}
    first: Any = None
    for events, which in (
        ((_E.PY_START, _E.PY_RESUME), compiled.CALL),
        ((_E.PY_RETURN, _E.PY_YIELD), compiled.RETURN),
        # (an exception of code whose exceptions are raw, see _raw; not in profile mode, which has no such callbacks)
        ((_E.RAISE,), compiled.RAISE),
        ((_E.STOP_ITERATION,), compiled.STOP),
    ):
        if events[0] not in callbacks or (which in (compiled.RAISE, compiled.STOP) and not own_lines):
            continue
        fallback = callbacks[events[0]]
        try:
            # (the settings are read once; the others are made from the first)
            if first is None:
                stand_in = first = compiled.raw_callback(event=which, fallback=fallback, **shared)
            else:
                stand_in = first.for_event(which, fallback)
        except TypeError:
            return  # (a subclass made an attribute the compiled code reads at its slot into something else)
        stand_ins.update(dict.fromkeys(events, stand_in))
    callbacks.update(stand_ins)
