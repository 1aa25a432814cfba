"""Getting a few lines of Python to run in a process that did not prepare for hunter-trace: gdb and sys.remote_exec.

Both ways run the same small bootstrap (:func:`bootstrap_source`) at a safe point of the target: it
starts one thread and returns; that thread imports hunter and connects back to the CLI's socket.

gdb: we do not call into the interpreter from gdb while the process is stopped at an arbitrary
instruction (it may hold the GIL half-way through an update, or be inside malloc). Instead gdb only

1. maps one fresh page with ``mmap`` (a plain system call: takes no lock, unlike ``malloc``, which
   gdb would otherwise call to store a string literal and which deadlocks if the process was
   stopped inside malloc),
2. writes the bootstrap (as ``exec(bytes.fromhex(...))``: plain ASCII, nothing to escape) into it,
3. calls ``Py_AddPendingCall(PyRun_SimpleString, page)``, which CPython documents as callable from
   any thread without the GIL. The interpreter runs it on the main thread between two bytecodes,
   exactly where a Python signal handler would run. If the main thread is blocked in a system call
   or in C code, it runs when that returns (like ``sys.remote_exec``, PEP 768).

The page (one per attach) is never unmapped: the interpreter reads it after gdb has left.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

__all__ = ["InjectError", "bootstrap_source", "gdb_inject", "remote_exec_inject"]


class InjectError(Exception):
    """Injection failed; the message is one line for the user and the target was left as it was."""


def hunter_search_path() -> str:
    """The directory holding this hunter package (added to the target's sys.path while importing, if needed)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../hunter (this is hunter/remote)
    return os.path.dirname(package)


#: The message pattern (``% pid``) of the warning filter the bootstrap puts in place while its thread loads hunter
#: (see bootstrap_source).
LOADING_FORK_WARNING = r"This process \(pid=%d\) is multi-threaded"


def bootstrap_source(socket_path: str) -> str:
    """The Python code run in the target: start a thread that loads hunter and connects to ``socket_path``.

    On the target's main thread it only starts a thread (``_thread``, never ``threading``, whose locks
    the interrupted code may hold) and binds no name in ``__main__``. If hunter cannot be imported
    there (another environment, an old Python), the thread reports why over the socket.
    """
    return f"""\
import _thread
import os
import sys
# threading must first be imported by the main thread: imported first from another thread, it takes that
# thread for the main one (wrong main_thread(), and a confused threading._shutdown() at exit).
import threading
import warnings

# 3.12+ warns a process that forks while it has other threads. While our thread imports hunter, it is the
# only other thread of a program that had none: a fork then is the program's, safe, and the warning would be
# about us. Quiet until hunter's agent takes over (its fork hook then decides), or this thread ends.
fork_filter = None
try:
    alone = sys.version_info >= (3, 12) and len(os.listdir('/proc/self/task')) == 1
except OSError:
    alone = False
if alone:
    warnings.filterwarnings('ignore', {LOADING_FORK_WARNING!r} % os.getpid(), DeprecationWarning)
    fork_filter = warnings.filters[0]

def _hunter_remote_bootstrap(path={socket_path!r}, extra={hunter_search_path()!r}, fork_filter=fork_filter):
    try:
        try:
            import hunter.remote.agent as agent
        except ImportError:
            if extra in sys.path or 'hunter' in sys.modules:
                raise
            # The target's own environment lacks hunter: borrow the CLI's copy just for this import.
            sys.path.insert(0, extra)
            try:
                import hunter.remote.agent as agent
            finally:
                if extra in sys.path:
                    sys.path.remove(extra)
    except BaseException as exc:
        try:
            import socket
            import struct
            message = ('cannot load hunter in the target: %s: %s' % (type(exc).__name__, exc)).encode()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(struct.pack('>cI', b'E', len(message)) + message)
            sock.close()
        except BaseException:
            pass
        finally:
            # Last thing this thread does: only the moment it takes to end is left unquiet.
            if fork_filter is not None:
                try:
                    warnings.filters.remove(fork_filter)
                except ValueError:
                    pass
                mutated = getattr(warnings, '_filters_mutated', None)
                if mutated is not None:
                    mutated()
        return
    # hunter's fork hook takes over from here: the agent takes the filter out once this thread counts as hunter's.
    agent.bootstrap(path, fork_filter)

_thread.start_new_thread(_hunter_remote_bootstrap, ())
"""


def _one_statement(source: str) -> str:
    """``source`` as one ASCII statement that runs it in a fresh namespace (nothing lands in ``__main__``)."""
    return f"exec(bytes.fromhex('{source.encode().hex()}'),{{'__name__':'hunter_remote_bootstrap'}})"


def _yama_hint() -> str:
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as file:
            scope = file.read().strip()
    except OSError:
        return "the kernel or container does not allow ptrace here (CAP_SYS_PTRACE, seccomp)"
    if scope == "0":
        return "the kernel or container does not allow ptrace here (CAP_SYS_PTRACE, seccomp)"
    return (
        f"/proc/sys/kernel/yama/ptrace_scope is {scope}: run hunter-trace as root, or allow it with "
        "'sysctl kernel.yama.ptrace_scope=0', or prepare the target (hunter.remote.install())"
    )


def gdb_inject(pid: int, socket_path: str, timeout: float, gdb: str = "gdb") -> None:
    """Make process ``pid`` run the bootstrap through gdb; InjectError with a clear reason otherwise."""
    executable = shutil.which(gdb)
    if executable is None:
        raise InjectError(f"--gdb needs gdb, and {gdb!r} was not found on PATH (install gdb, or prepare the target)")
    if not hasattr(os, "memfd_create"):
        raise InjectError("--gdb works on Linux only")
    unable = gdb_cannot_call(executable)
    if unable is not None:
        raise InjectError(
            f"this machine's gdb can't call functions in a process ({unable}); process {pid} was left alone: "
            "prepare it with hunter.remote.install(), or on Python 3.14+ attach without --gdb"
        )
    statement = _one_statement(bootstrap_source(socket_path))
    size = len(statement) + 1
    page = (size // 4096 + 1) * 4096
    # Each step in one sourced command file: the first error stops the rest (separate -ex commands would go on).
    # 3 = PROT_READ|PROT_WRITE, 0x22 = MAP_PRIVATE|MAP_ANONYMOUS (Linux values; --gdb is Linux only).
    pending_call = "(int) Py_AddPendingCall((int (*)(void *)) PyRun_SimpleString, (void *) $hunter_page)"
    commands = f"""\
set $hunter_page = (long) mmap(0, {page}, 3, 0x22, -1, 0)
if $hunter_page == -1 || $hunter_page == 0
  echo hunter-error: mmap failed\\n
else
  set {{char[{size}]}} $hunter_page = "{statement}"
  printf "hunter-pending-call=%d\\n", {pending_call}
end
detach
"""
    # gdb reads the commands from a memory file passed down to it, never from a path: as root, it would
    # otherwise read a file that the target's user might replace (and run that user's commands as root).
    commands_fd = os.memfd_create("hunter-gdb-commands", 0)
    try:
        os.write(commands_fd, commands.encode())
        os.lseek(commands_fd, 0, os.SEEK_SET)
        argv = [
            executable,
            "-nx",  # no ~/.gdbinit: nothing of the user's setup runs inside the target
            "-batch",
            "-q",
            "-iex",
            "set auto-load off",  # no python-gdb.py or other scripts from the target's libraries
            "-iex",
            "set debuginfod enabled off",  # never fetch symbols over the network (older gdb: harmless error)
            "-iex",
            "set history save off",  # and GDBHISTFILE="" (below): no history file is read or written
            "-iex",
            "set unwindonsignal on",  # if the call is interrupted, gdb restores the thread as it was
            "-p",
            str(pid),
            "-ex",
            f"source /proc/self/fd/{commands_fd}",
        ]
        output = _run_gdb(argv, commands_fd, timeout)
    finally:
        os.close(commands_fd)
    _check_gdb_output(pid, output)


def gdb_cannot_call(executable: str) -> str | None:
    """Why gdb can't make a function call in a process here (None when it can), tried on a child of our own.

    Some gdb and CPU pairs attach fine but fail in the middle of a call (gdb 13 on CPUs with AMX tiles: "Couldn't
    write extended state status"), and the failed call leaves the process with a system call that returns an
    error it never expects (a sleeping program dies of OSError 514). The target must never pay for finding out.
    """
    quiet = subprocess.DEVNULL
    sleeper = subprocess.Popen(["sleep", "60"], stdin=quiet, stdout=quiet, stderr=quiet, cwd="/")
    try:
        probe = subprocess.run(
            [
                *(executable, "-nx", "-batch", "-q", "-iex", "set auto-load off", "-iex", "set debuginfod enabled off"),
                *("-p", str(sleeper.pid), "-ex", "print (long) getpid()", "-ex", "detach"),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=30,
            cwd="/",
            env={**os.environ, "GDBHISTFILE": ""},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "gdb did not finish a test call within 30s"
    finally:
        sleeper.kill()
        sleeper.wait()
    if f" = {sleeper.pid}" in probe.stdout:
        return None
    return gdb_call_failure(probe.stdout + probe.stderr)


def _run_gdb(argv: list[str], commands_fd: int, timeout: float) -> str:
    """Run gdb with the commands descriptor inherited; its output, or InjectError when it hangs."""
    # From /, with the history file off: gdb reads ./.gdb_history at start-up (GDBHISTFILE="" turns that off), and
    # the CLI's working directory may be anybody's (a FIFO there hung gdb after the code was injected).
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        pass_fds=(commands_fd,),
        cwd="/",
        env={**os.environ, "GDBHISTFILE": ""},
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGINT makes gdb interrupt the call and (unwindonsignal) put the thread back; it then detaches.
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        raise InjectError(f"gdb did not finish within {timeout:g}s (the target may be stuck in a lock)") from None
    return output


def _check_gdb_output(pid: int, output: str) -> None:
    match = re.search(r"hunter-pending-call=(-?\d+)", output)
    if match is not None:
        if match.group(1) != "0":
            raise InjectError(f"the interpreter of process {pid} refused the pending call (queue full?); try again")
        return
    if "ptrace: Operation not permitted" in output or "Could not attach to process" in output:
        raise InjectError(f"gdb is not allowed to attach to process {pid}: {_yama_hint()}")
    if "ptrace: No such process" in output:
        raise InjectError(f"there is no process {pid}")
    if re.search(r'No symbol "(Py_AddPendingCall|PyRun_SimpleString)"', output):
        raise InjectError(f"process {pid} is not a Python process (gdb found no Py_AddPendingCall in it)")
    if "hunter-error: mmap failed" in output:
        raise InjectError(f"could not map memory in process {pid}")
    detail = gdb_call_failure(output)
    if "extended state" in detail:
        # gdb 13 can't restore the registers of CPUs with AMX tiles after a call: it can't inject here.
        detail += " (this gdb can't call functions on this CPU: use a newer gdb, or hunter.remote.install())"
    raise InjectError(f"gdb could not inject into process {pid}: {detail}")


def gdb_call_failure(output: str) -> str:
    """gdb's reason for a failed call in the target, out of everything it printed (its last line otherwise)."""
    # gdb's last line is its "detached" notice; the reason is the error of the sourced command file.
    reason = re.search(r"Error in sourced command file:\n(.+)", output) or re.search(r"^(Couldn't .+)$", output, re.M)
    if reason is not None:
        return reason.group(1).strip()
    last = [line for line in output.strip().splitlines() if line.strip()]
    return last[-1] if last else "no output"


def remote_exec_inject(pid: int, script_path: str, socket_path: str, owner: tuple[int, int] | None = None) -> None:
    """Python 3.14+: write the bootstrap to ``script_path`` and have the target run it via sys.remote_exec.

    ``script_path`` is in a directory of ours; ``owner`` (uid, gid) is given when the target runs as another
    user, who must be able to read the file (changed through the descriptor, never by name).
    """
    remote_exec = getattr(sys, "remote_exec", None)
    if remote_exec is None:
        raise InjectError("sys.remote_exec needs Python 3.14+")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            fd = os.open(script_path, flags, 0o600)
        except FileExistsError:
            # Left by a hunter-trace that was killed. The directory is ours (private, or root's own), so the
            # name is nobody else's: remove it and create it afresh (O_EXCL: never written through a link).
            os.unlink(script_path)
            fd = os.open(script_path, flags, 0o600)
    except OSError as exc:
        raise InjectError(f"cannot write {script_path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        if owner is not None:
            os.fchown(fd, *owner)
        file.write(_one_statement(bootstrap_source(socket_path)) + "\n")
    try:
        remote_exec(pid, script_path)
    except Exception as exc:  # any refusal (version, permissions, disabled) is reported
        raise InjectError(f"sys.remote_exec could not reach process {pid}: {exc}") from None
