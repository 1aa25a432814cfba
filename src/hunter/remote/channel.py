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
    "make_private_dir",
    "peer_credentials",
    "send_frame",
    "socket_name",
]

# Message kinds (one byte each). The CLI sends REQUEST and QUIT; the target sends the rest.
HELLO = b"H"  # target -> CLI: JSON facts about the target, sent right after connecting
REQUEST = b"R"  # CLI -> target: JSON {"options": str, "colors": bool}
ACCEPTED = b"A"  # target -> CLI: JSON, tracing has started
ERROR = b"E"  # target -> CLI: one line of text, tracing did not start (or could not go on)
OUTPUT = b"O"  # target -> CLI: UTF-8 trace output
NOTE = b"N"  # target -> CLI: one line of text for the user (not trace output)
QUIT = b"Q"  # CLI -> target: stop tracing and close
BYE = b"B"  # target -> CLI: tracing stopped after QUIT; the channel closes next
EXITING = b"X"  # target -> CLI: the interpreter is shutting down

_HEADER = struct.Struct(">cI")
#: Nothing legitimate comes close; a larger length means the stream is corrupt or hostile.
MAX_FRAME = 16 * 1024 * 1024


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


def candidate_dirs(uid: int) -> list[str]:
    """Directories where a session socket for a process of user ``uid`` may live, preferred first.

    Only paths computed from the uid are used, never TMPDIR or XDG_RUNTIME_DIR: the target may run
    with a different environment than the CLI (a service, cron), and both sides must look in the
    same places. ``/run/user/<uid>`` is the per-user runtime directory of systemd-logind (tmpfs,
    private to the user); ``/tmp/hunter-<uid>`` is the fallback everywhere else.
    """
    dirs = []
    runtime = f"/run/user/{uid}"
    if _is_private_dir(runtime, uid):
        dirs.append(os.path.join(runtime, "hunter"))
    dirs.append(f"/tmp/hunter-{uid}")
    return dirs


def _is_private_dir(path: str, uid: int) -> bool:
    try:
        check_private_dir(path, uid)
    except ChannelError:
        return False
    return True


def check_private_dir(path: str, uid: int) -> None:
    """Raise ChannelError unless ``path`` is a real directory (not a symlink) of ``uid`` closed to others."""
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
    if info.st_mode & 0o077:
        raise ChannelError(f"refusing {path}: mode {stat.S_IMODE(info.st_mode):04o} lets other users in (need 0700)")


def make_private_dir(path: str, uid: int, gid: int) -> None:
    """Create ``path`` as a 0700 directory of ``uid`` (or accept an existing safe one); ChannelError if unsafe."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass  # someone made it earlier (us, or an attacker): the checks below decide
    except OSError as exc:
        raise ChannelError(f"cannot create {path}: {exc.strerror}") from None
    else:
        if os.geteuid() != uid:
            # root attaching to another user's process: the target must be able to enter the directory.
            # lchown cannot follow a symlink planted meanwhile; the check below re-verifies the result.
            os.lchown(path, uid, gid)
    check_private_dir(path, uid)


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
