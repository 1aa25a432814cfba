"""Each replayed event's chain of recorded calls, from which a Backlog makes up its callers' calls as live frames do."""

from __future__ import annotations

from .._engine._compat import YIELD_OPCODES
from .events import RecordedEvent

__all__ = ["CallChains"]


class _Open:
    """A recorded call: its call event, the line it is at now (what its frame's f_lineno says), whether an exception
    is passing through it, and whether its caller can still be walked up to: a live frame keeps its ``f_back`` when it
    returns, but a generator or coroutine that yielded (a return that is no return, without an exception) has none."""

    __slots__ = ("call", "lineno", "raised", "walkable")

    def __init__(self, call: RecordedEvent) -> None:
        self.call = call
        self.lineno = call.lineno
        self.raised = False
        self.walkable = True


class MadeUpCalls:
    """``Backlog``'s made-up calls for a replayed event: the calls around it as a live Backlog finds them when it
    replays, walking up from the event's frame (for a call: its caller) while each frame still runs."""

    __slots__ = ("chain", "is_call")

    def __init__(self, chain: tuple[_Open, ...], is_call: bool) -> None:
        self.chain = chain  # (the event's own frame's call first, then its callers)
        self.is_call = is_call

    def __call__(
        self, missing: int, first: RecordedEvent, now: RecordedEvent, keep_values: bool
    ) -> list[RecordedEvent]:
        """Up to ``missing`` calls above ``first``, outermost first, each one level above the one below it, as they
        are when ``now`` (the event the Backlog replays on) happens."""
        chain = self.chain
        if chain and not chain[0].walkable:
            chain = _resumed(chain, now) or chain
        if self.is_call:
            if not chain or not chain[0].walkable:
                return []  # (the called frame has ended: no caller to walk up to)
            chain = chain[1:]
        made_up: list[RecordedEvent] = []
        for entry in chain:
            if len(made_up) >= missing:
                break
            call = entry.call.clone()
            call.__dict__.update(lineno=entry.lineno, depth=first.depth - len(made_up) - 1, arg=None)
            if not keep_values:
                # (as a live Backlog without vars: no variables, arguments shown as ?, and no module name)
                call.__dict__.update(locals={}, globals={}, module="")
            made_up.append(call)
            if not entry.walkable:
                break
        made_up.reverse()
        return made_up


def _resumed(chain: tuple[_Open, ...], now: RecordedEvent) -> tuple[_Open, ...] | None:
    """A generator that yielded may run again by ``now``: a live frame is the same object across resumptions, so its
    callers are those of that resumption. A recording doesn't say which generator a call resumes: a later call on
    ``now``'s chain of the same code with the same arguments' texts is taken for it."""
    later = now.__dict__.get("made_up_calls")
    if not isinstance(later, MadeUpCalls):
        return None
    call = chain[0].call
    for index, entry in enumerate(later.chain):
        if entry.call.code is call.code and entry.call.locals == call.locals:
            return later.chain[index:]
    return None


class CallChains:
    """Follows each recorded thread's running calls through the replay and gives each event its MadeUpCalls."""

    def __init__(self) -> None:
        self._stacks: dict[int | None, list[_Open]] = {}

    def follow(self, event: RecordedEvent) -> None:
        """Note the event in its thread's chain, and give it the chain of calls around it (``made_up_calls``)."""
        if event.builtin:
            return
        stack = self._stacks.setdefault(event.threadid, [])
        kind = event.kind
        if kind == "call":
            # (calls at this depth or deeper whose returns were not recorded have ended)
            while stack and stack[-1].call.depth >= event.depth:
                stack.pop()
            stack.append(_Open(event))
        elif stack:
            top = stack[-1]
            top.lineno = event.lineno
            top.raised = top.raised or kind == "exception"
        event.__dict__["made_up_calls"] = MadeUpCalls(tuple(reversed(stack)), kind == "call")
        if kind == "return" and stack:
            top = stack.pop()
            # (a suspension: a yield's instruction; files of hunter before it said what an exception's end says)
            instruction = event.instruction
            suspended = instruction is not None and (
                instruction in YIELD_OPCODES or (instruction < 0 and not top.raised)
            )
            top.walkable = not suspended
