"""The sys.monitoring backend (PEP 669, Python 3.12+): events switched on only where the predicate can match.

The settrace backend's output is the reference. Since 3.12, ``sys.settrace`` is itself emulated on top of
sys.monitoring (CPython's Python/legacy_tracing.c), so this backend maps the same monitoring events to the
same hunter events:

=====================================  ==========================================================
monitoring event                       settrace event
=====================================  ==========================================================
PY_START, PY_RESUME, PY_THROW          ``call`` (a generator's every resumption is a call)
PY_RETURN, PY_YIELD                    ``return`` with the value
PY_UNWIND                              ``return`` with None (an exception leaves the frame)
RAISE, STOP_ITERATION                  ``exception`` with ``(type, value, traceback)``; RERAISE
                                       (a bare ``raise``, the end of ``finally``) shows nothing
LINE, JUMP (backward, same line)       ``line``
CALL / C_RETURN / C_RAISE (profile)    ``c_call`` / ``c_return`` / ``c_exception`` for C functions
=====================================  ==========================================================

What it adds is pruning: only PY_START/PY_RESUME/PY_THROW are interpreter-wide (they discover code objects);
the first time a code object runs, the predicate's static verdicts decide which events to switch on for it
(``set_local_events``), and its calls are never reported again (``DISABLE``) when they can't match.
Exceptions and unwinding can only be switched on interpreter-wide, and only are when the query allows them.

One module per concern: ``_backend`` (lifecycle and nesting), ``_tools`` (tool-id ownership), ``_codes``
(per-code records), ``_threads`` (new threads' start), ``_callbacks`` (the callbacks, per event family),
``_wiring`` (what they share), ``_raw`` (calls and returns recorded for a timeline without building events),
``_compiled`` (the compiled stand-ins of the raw call and return callbacks, from ``hunter._speedups``).
"""

from __future__ import annotations

from ..._engine._compat import HAS_MONITORING

if not HAS_MONITORING:  # choose() reports this as the reason the backend can't be used
    raise ImportError("sys.monitoring needs Python 3.12 or newer")

from ._backend import MonitoringBackend
from ._tools import TOOL_IDS

__all__ = ["TOOL_IDS", "MonitoringBackend"]
