"""The private channel of hunter-trace: safe per-user socket directories, peer checks and message framing."""

from __future__ import annotations

import errno
import os
import socket
import stat
import struct
import sys
import time
from typing import NamedTuple

__all__ = [
    "ChannelError",
    "Frame",
    "FrameReader",
    "PeerCredentials",
    "candidate_dirs",
    "check_private_dir",
    "check_root_dir",
    "check_session_dir",
    "make_private_dir",
    "make_root_dir",
    "peer_credentials",
    "root_dirs",
    "send_frame",
    "session_dirs",
    "socket_name",
]

# Message kinds (one byte each). The CLI sends REQUEST, DUMP and QUIT; the target sends the rest.
HELLO = b"H"  # target -> CLI: JSON facts about the target, sent right after connecting
REQUEST = b"R"  # CLI -> target: JSON {"options": str, "colors": bool}
ACCEPTED = b"A"  # target -> CLI: JSON, tracing has started
ERROR = b"E"  # target -> CLI: one line of text, tracing did not start (or could not go on)
OUTPUT = b"O"  # target -> CLI: UTF-8 trace output
NOTE = b"N"  # target -> CLI: one line of text for the user (not trace output)
QUIT = b"Q"  # CLI -> target: stop tracing and close
BYE = b"B"  # target -> CLI: tracing stopped after QUIT; the channel closes next
EXITING = b"X"  # target -> CLI: the interpreter is shutting down
DUMP = b"D"  # CLI -> target (instead of REQUEST): write the flight recorders now; nothing is traced
DUMPED = b"W"  # target -> CLI: JSON {"files": [str], "problems": [str]}, what the dump wrote; the channel closes next

_HEADER = struct.Struct(">cI")
#: The agent sends trace output in pieces of at most OUTPUT_CHUNK characters (4 bytes each in UTF-8 at most);
#: a larger length means the stream is corrupt or hostile. It bounds what one message costs the CLI to keep
#: and to make harmless for the terminal (escaping may make it 4 times longer).
OUTPUT_CHUNK = 64 * 1024
MAX_FRAME = 4 * OUTPUT_CHUNK


class ChannelError(Exception):
    """The channel cannot be set up safely or the peer broke the protocol; the message is one line."""


class Frame(NamedTuple):
    """One message: its kind byte and payload."""

    kind: bytes
    payload: bytes


class PeerCredentials(NamedTuple):
    """Who is at the other end of a Unix socket (pid is None where the platform can't tell)."""

    pid: int | None
    uid: int
    gid: int | None


def socket_name(pid: int) -> str:
    """The socket file name for a session with the target process ``pid``."""
    return f"hunter-{pid}.sock"


#: The per-user directories, by uid: systemd-logind's runtime directory (hunter's sub-directory in it), and the
#: fallback in /tmp. Module constants so that the tests can point them at a scratch directory.
RUNTIME_DIR = "/run/user/{uid}"
TMP_DIR = "/tmp/hunter-{uid}"


def candidate_dirs(uid: int) -> list[str]:
    """The private directories of user ``uid`` where its own session sockets may live, preferred first.

    Only paths computed from the uid are used, never TMPDIR or XDG_RUNTIME_DIR: the target may run
    with a different environment than the CLI (a service, cron), and both sides must look in the
    same places. ``/run/user/<uid>`` is the per-user runtime directory of systemd-logind (tmpfs,
    private to the user); ``/tmp/hunter-<uid>`` is the fallback everywhere else.
    """
    dirs = []
    runtime = RUNTIME_DIR.format(uid=uid)
    if _is_private_dir(runtime, uid):
        dirs.append(os.path.join(runtime, "hunter"))
    dirs.append(TMP_DIR.format(uid=uid))
    return dirs


#: Where root puts the sockets of its sessions with other users' processes, preferred first (and of its own
#: processes when its per-user directories are unusable: another user may have made /tmp/hunter-0). root never
#: creates or changes anything in a directory another user owns (that user could swap in a symlink), so
#: these are root's own: mode 0711, any user can reach a socket inside by name but nobody can list or change
#: them. The socket itself belongs to the target's user with mode 0600: only that user (and root) can connect.
ROOT_DIRS: tuple[str, ...] = ("/run/hunter-trace", "/tmp/hunter-trace")
ROOT_DIR_MODE = 0o711


def root_dirs() -> list[str]:
    """The usable :data:`ROOT_DIRS` (``/run`` only where it is root's and closed to others)."""
    dirs = []
    for path in ROOT_DIRS:
        parent = os.path.dirname(path)
        try:
            info = os.lstat(parent)
        except OSError:
            continue
        # Others must not be able to rename root's directory away: the parent is closed to them, or sticky.
        closed = not info.st_mode & 0o022 or info.st_mode & stat.S_ISVTX
        if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and closed:
            dirs.append(path)
    return dirs


def session_dirs(uid: int) -> list[str]:
    """Where a process of user ``uid`` looks for a waiting hunter-trace: root's directories, then its own.

    root's first: a session socket there can only be root's, and must not lose to one that another process of
    the target's user put in that user's own directory (see the agent's ``_connect``).
    """
    return root_dirs() + candidate_dirs(uid)


def _is_private_dir(path: str, uid: int) -> bool:
    try:
        check_private_dir(path, uid)
    except ChannelError:
        return False
    return True


def _check_real_dir(path: str, uid: int) -> os.stat_result:
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise ChannelError(f"cannot use {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise ChannelError(f"refusing {path}: it is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise ChannelError(f"refusing {path}: it is not a directory")
    if info.st_uid != uid:
        raise ChannelError(f"refusing {path}: it belongs to uid {info.st_uid}, not {uid}")
    return info


def check_private_dir(path: str, uid: int) -> None:
    """Raise ChannelError unless ``path`` is a real directory (not a symlink) of ``uid`` closed to others."""
    info = _check_real_dir(path, uid)
    if info.st_mode & 0o077:
        raise ChannelError(f"refusing {path}: mode {stat.S_IMODE(info.st_mode):04o} lets other users in (need 0700)")


def check_root_dir(path: str) -> None:
    """Raise ChannelError unless ``path`` is a real directory of root with mode 0711 (reachable, not listable)."""
    info = _check_real_dir(path, 0)
    if stat.S_IMODE(info.st_mode) != ROOT_DIR_MODE:
        raise ChannelError(f"refusing {path}: mode {stat.S_IMODE(info.st_mode):04o} (need {ROOT_DIR_MODE:04o})")


def check_session_dir(path: str, uid: int) -> None:
    """Raise ChannelError unless a session socket for a process of ``uid`` can be trusted in directory ``path``."""
    if os.path.normpath(path) in ROOT_DIRS:
        check_root_dir(path)
    else:
        check_private_dir(path, uid)


def make_private_dir(path: str) -> None:
    """Create ``path`` as a 0700 directory of ours (or accept an existing safe one); ChannelError if unsafe."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass  # someone made it earlier (us, or an attacker): the check below decides
    except OSError as exc:
        raise ChannelError(f"cannot create {path}: {exc.strerror}") from None
    check_private_dir(path, os.geteuid())


def make_root_dir(path: str) -> None:
    """(root) Create ``path`` as one of :data:`ROOT_DIRS`, mode 0711 (or accept an existing safe one)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass  # the check below decides; nobody but root can have made it in /run, and /tmp is sticky
    except OSError as exc:
        raise ChannelError(f"cannot create {path}: {exc.strerror}") from None
    else:
        # Opened without following links and changed through the descriptor: a name another user swapped
        # in meanwhile is never what gets the new mode. (mkdir's mode is cut by the umask, hence the chmod.)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            if os.fstat(fd).st_uid == 0:
                os.fchmod(fd, ROOT_DIR_MODE)
        finally:
            os.close(fd)
    check_root_dir(path)


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    """The pid/uid/gid of the process at the other end of a connected Unix socket."""
    if hasattr(socket, "SO_PEERCRED"):
        # Linux: struct ucred {pid_t pid; uid_t uid; gid_t gid;}, filled in by the kernel at connect().
        fmt = "3i"
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize(fmt))
        pid, uid, gid = struct.unpack(fmt, raw)
        return PeerCredentials(pid, uid, gid)
    local_peercred = getattr(socket, "LOCAL_PEERCRED", None)
    if local_peercred is not None and sys.platform == "darwin":  # pragma: no cover - not testable on Linux
        # macOS/BSD: struct xucred {u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16];}
        raw = sock.getsockopt(0, local_peercred, 4 + 4 + 2 + 2 + 16 * 4)
        _version, uid = struct.unpack_from("=II", raw)
        return PeerCredentials(None, uid, None)
    raise ChannelError("cannot check the user at the other end of a socket on this platform")  # pragma: no cover


def send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    """Send one message; OSError when the peer is gone (or does not read within the send timeout)."""
    sock.sendall(_HEADER.pack(kind, len(payload)) + payload)


class FrameReader:
    """Reads whole messages from a stream socket, keeping partial data between calls."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def read(self, deadline: float | None = None) -> Frame | None:
        """The next message; None at end of stream; TimeoutError after ``deadline`` (time.monotonic())."""
        while True:
            frame = self._pop()
            if frame is not None:
                return frame
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("timed out waiting for a message")
                self._sock.settimeout(remaining)
            else:
                self._sock.settimeout(None)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise TimeoutError("timed out waiting for a message") from None
            except ConnectionResetError:
                return None
            if not chunk:
                if self._buffer:
                    raise ChannelError("the connection closed in the middle of a message")
                return None
            self._buffer += chunk

    def _pop(self) -> Frame | None:
        buffer = self._buffer
        if len(buffer) < _HEADER.size:
            return None
        kind, length = _HEADER.unpack_from(buffer)
        if length > MAX_FRAME:
            raise ChannelError(f"refusing a message of {length} bytes")
        end = _HEADER.size + length
        if len(buffer) < end:
            return None
        payload = bytes(buffer[_HEADER.size : end])
        del buffer[:end]
        return Frame(kind, payload)


def is_connection_refused(exc: OSError) -> bool:
    """Whether connecting failed because nothing listens on the socket file (a stale file)."""
    return exc.errno in (errno.ECONNREFUSED, errno.ENOENT)
