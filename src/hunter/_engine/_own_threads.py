"""hunter's own threads (the hunter-trace session, any thread hunter starts): no backend reports what they run.

Their own frames are hunter's code, which never matches; but they call the standard library (json, socket,
threading...), which a broad query (``stdlib=True``, or none) would show as if the program did it.

* ``sys.settrace`` hooks only the thread that starts a tracer and threads started through ``threading``
  while it runs. A thread started with :func:`start` (``_thread``, not ``threading``) is never hooked, and
  :func:`run` drops whatever hook a thread had, so the settrace backend never sees them.
* ``sys.monitoring`` sees every thread. The monitoring backend already drops the events of threads it holds
  back (new threads until ``threading`` would hook them) with a set of thread idents that its callbacks look
  at only when it is not empty; it hands that set to :func:`hold_back`, which keeps hunter's threads in it.
  So while no thread of hunter's runs, tracing costs nothing more.
"""

from __future__ import annotations

import _thread
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["IDENTS", "claim", "hold_back", "only_ours_besides", "release", "run", "start"]

#: The idents of hunter's threads that are running.
IDENTS: set[int] = set()
#: The kernel thread ids of every thread hunter ran, kept after they finish: a finished thread still shows in
#: /proc/self/task for a moment, and a fork then must not count it as the program's (ids are pruned there).
NATIVE_IDS: set[int] = set()
#: The sets of thread idents whose events running backends drop, by id(): each gets every ident of IDENTS.
_gates: dict[int, set[int]] = {}


def start(function: Callable[..., Any], *args: Any) -> int:
    """Start a thread of hunter's that runs ``function(*args)``; safe in a signal handler (no lock, no import)."""
    return _thread.start_new_thread(run, (function, *args))


def claim() -> None:
    """Count the current thread as hunter's when deciding whose threads a fork sees (see only_ours_besides)."""
    NATIVE_IDS.add(_thread.get_native_id())


def only_ours_besides(current: int) -> bool:
    """Whether there are other threads than ``current`` (a kernel thread id), and all of them are hunter's; or none
    is left but one of hunter's ended since the last call.

    The second case: Python 3.14+ counts the threads for its fork warning before the fork hooks run, so a thread of
    hunter's that ends in between is still counted, and the warning would be about it. False when the kernel
    can't say. Forgets the ids of hunter's threads that are gone.
    """
    try:
        tasks = {int(name) for name in os.listdir("/proc/self/task")}
    except (OSError, ValueError):
        return False
    ended = not NATIVE_IDS.issubset(tasks)
    NATIVE_IDS.intersection_update(tasks)
    others = tasks - {current}
    if not others:
        return ended
    return others <= NATIVE_IDS


def run(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in the current thread as one of hunter's: no backend reports what it runs."""
    ident = _thread.get_ident()
    claim()
    # The order makes it lock-free: an ident goes into IDENTS before any gate, and a gate gets IDENTS only
    # after it is listed (hold_back), so whichever runs first, the gate ends up with the ident.
    IDENTS.add(ident)
    for gate in list(_gates.values()):
        gate.add(ident)
    sys.settrace(None)  # a thread started through threading while a settrace tracer ran was hooked: unhook it
    sys.setprofile(None)
    try:
        return function(*args)
    finally:
        IDENTS.discard(ident)
        for gate in list(_gates.values()):
            gate.discard(ident)


def hold_back(gate: set[int]) -> None:
    """Keep the idents of hunter's threads in ``gate`` (a backend's set of threads whose events it drops)."""
    _gates[id(gate)] = gate
    gate.update(IDENTS)


def release(gate: set[int]) -> None:
    """Stop keeping ``gate`` up to date (the backend stopped) and take hunter's threads out of it."""
    _gates.pop(id(gate), None)
    gate.difference_update(IDENTS)


def _after_fork_in_child() -> None:
    # Only the thread that forked goes on in the child; a new thread may get the ident of one that is gone.
    current = _thread.get_ident()
    gone = IDENTS - {current}
    IDENTS.intersection_update({current})
    for gate in _gates.values():
        gate.difference_update(gone)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
