"""Who may attach to whom: the kernel's own rule for ptrace (a debugger), applied by the CLI and by the target.

hunter-trace lets the attacher run code in the target (its query and actions), which is what a debugger can do;
so it admits exactly those a debugger would be admitted for, never more. Linux lets a process trace another
(``PTRACE_MODE_ATTACH``) when, without ``CAP_SYS_PTRACE``:

* the real, effective and saved user ids of the target all equal the tracer's, and so do the group ids (a
  daemon that dropped to a user but kept saved uid 0 can become root again: it is not that user's to trace);
* the target is dumpable (it did not change credentials through exec of a setuid program, setuid() and
  friends, or ask not to be traced with ``prctl(PR_SET_DUMPABLE, 0)``);
* the target has no capability (permitted set) that the tracer lacks.

root (uid 0) may attach to anyone. Where ``/proc`` can't tell (not Linux) the ids this process knows of itself
are used, and the capabilities and dumpable flag are not checked.
"""

from __future__ import annotations

import os
from typing import NamedTuple

__all__ = ["Credentials", "capabilities_of", "credentials_of", "refusal"]


class Credentials(NamedTuple):
    """A process's ids and privileges, as ptrace's check uses them."""

    uids: tuple[int, ...]  # real, effective, saved
    gids: tuple[int, ...]  # real, effective, saved
    capabilities: int  # the permitted set, as a bit mask
    dumpable: bool


def _status(pid: int) -> dict[str, str] | None:
    try:
        with open(f"/proc/{pid}/status") as file:
            return dict(line.rstrip("\n").split(":\t", 1) for line in file if ":\t" in line)
    except OSError:
        return None


def capabilities_of(pid: int | None) -> int:
    """The permitted capability set of process ``pid`` (0 when unknown: the narrowest assumption)."""
    status = _status(pid) if pid is not None else None
    try:
        return int(status["CapPrm"], 16) if status else 0
    except (KeyError, ValueError):
        return 0


def credentials_of(pid: int) -> Credentials | None:
    """The credentials of process ``pid`` from /proc (None when it is gone or /proc can't tell)."""
    status = _status(pid)
    if status is None:
        if pid == os.getpid() and hasattr(os, "getresuid"):
            return Credentials(os.getresuid(), os.getresgid(), 0, True)
        return None
    try:
        uids = tuple(int(part) for part in status["Uid"].split()[:3])
        gids = tuple(int(part) for part in status["Gid"].split()[:3])
        capabilities = int(status.get("CapPrm", "0"), 16)
        # A process that is not dumpable has its /proc files owned by root (the kernel's task_dump_owner),
        # otherwise by its effective uid: the one outside view of the flag. (The file, not the directory, whose
        # owner may stay as it was when first looked up.)
        dumpable = os.stat(f"/proc/{pid}/status").st_uid == uids[1]
    except (KeyError, ValueError, IndexError, OSError):
        return None
    return Credentials(uids, gids, capabilities, dumpable)


def refusal(target: Credentials, uid: int, gid: int | None, capabilities: int) -> str | None:
    """Why a process of ``uid``/``gid`` (with ``capabilities``) may not attach to ``target``; None when it may."""
    if uid == 0:
        return None
    if any(other != uid for other in target.uids):
        return f"its user ids (real, effective, saved) are {_ids(target.uids)}, not all {uid}"
    if gid is not None and any(other != gid for other in target.gids):
        return f"its group ids (real, effective, saved) are {_ids(target.gids)}, not all {gid}"
    if not target.dumpable:
        return "it is not dumpable (it changed its credentials, or asked not to be debugged)"
    extra = target.capabilities & ~capabilities
    if extra:
        return f"it has capabilities that you lack (mask {extra:#x})"
    return None


def _ids(ids: tuple[int, ...]) -> str:
    return "/".join(str(part) for part in ids)
