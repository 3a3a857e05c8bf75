"""A connected socket's waits and looks, for the transport: each send and receive waiting at
most a given time (by the system's own timeouts where it has them), whether the socket has
something to read, and the look PROTOCOL.md requires before a kept connection carries
another request ("Reusing a connection safely")."""

from __future__ import annotations

import contextlib
import enum
import errno
import functools
import select
import socket
import ssl
import struct
import sys
from collections.abc import Callable

from app.core.net.protocol import MAX_STORED_REPLY_BYTES


class Line(enum.Enum):
    """What a connection shows, without waiting, before a request is written on it."""

    QUIET = "quiet"  # nothing to read: fit to carry a request
    CLOSED = "closed"  # the host closed or reset its end
    UNASKED = "unasked"  # the host sent bytes no request asked for


# Where the system can wake a blocked send or receive itself after a time (SO_SNDTIMEO,
# SO_RCVTIMEO, a struct timeval on Linux and macOS), a plain socket waits that way: each send
# and receive is then one system call, where the socket's own timeout first polls the socket
# (two more system calls a record). Every wait still ends within CANCEL_POLL to look at the
# cancel event and Timeout; elsewhere, and with TLS, the socket's timeout does the same.
WAITS_IN_THE_KERNEL = sys.platform in ("linux", "darwin")


def set_waits(sock: socket.socket, wait: float) -> bool:
    """Make each send and receive on ``sock`` wait at most ``wait`` seconds: by the system's
    own timeouts on a plain socket where the platform has them (a wait that ends raises
    BlockingIOError), by the socket's timeout otherwise (TimeoutError). Whether the system's
    are used."""
    if WAITS_IN_THE_KERNEL and not isinstance(sock, ssl.SSLSocket):
        seconds = int(wait)
        value = struct.pack("@ll", seconds, max(1, round((wait - seconds) * 1_000_000)))
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
            sock.settimeout(None)  # blocking: no poll before each call
            return True
        except OSError:
            pass
    sock.settimeout(wait)
    return False


class Watch:
    """Whether a socket has something to read (bytes, or the host's close or reset) within a
    wait: with poll where the platform has it (one system call, nothing to build for each
    look), with select elsewhere."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._tls = sock if isinstance(sock, ssl.SSLSocket) else None
        self._poll: select.poll | None = None
        if hasattr(select, "poll"):
            try:
                self._poll = select.poll()
                self._poll.register(sock, select.POLLIN)
            except (OSError, ValueError):
                self._poll = None
        # unread(): truthy when something waits to be read, without waiting. It is the look
        # before every request on a kept connection, so on a plain socket it is the poll
        # itself (a partial is called without a Python frame of its own).
        self.unread: Callable[[], object] = self._unread
        if self._poll is not None and self._tls is None:
            self.unread = functools.partial(self._poll.poll, 0)

    def readable(self, seconds: float) -> bool:
        if self._poll is not None:
            return bool(self._poll.poll(seconds * 1000))  # any event: look at the socket
        try:
            readable, _, _ = select.select([self._sock], [], [], seconds)
        except (OSError, ValueError):  # a descriptor select can't watch: ask the socket itself
            return True
        return bool(readable)

    def _unread(self) -> bool:
        if self._tls is not None and self._tls.pending() > 0:  # TLS bytes read off the socket
            return True
        return self.readable(0)

    def quiet(self) -> bool:
        """Nothing to read and no close or reset, without waiting: the usual state of a
        kept connection before a request, told by one system call."""
        return not self.unread()


def look_at(sock: socket.socket, watch: Watch | None = None) -> tuple[Line, bytes]:
    """Without blocking: has the host closed the connection, or sent something unasked?
    Bytes found are read (the connection is not used again either way)."""
    if (watch or Watch(sock)).quiet():
        return Line.QUIET, b""
    received = bytearray()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        while len(received) <= MAX_STORED_REPLY_BYTES:
            chunk = sock.recv(4096)
            if not chunk:
                return (Line.UNASKED if received else Line.CLOSED), bytes(received)
            received += chunk
    except (ssl.SSLWantReadError, BlockingIOError):
        # A TLS socket can be readable with no application data (session tickets).
        pass
    except OSError:
        return (Line.UNASKED if received else Line.CLOSED), bytes(received)
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(timeout)
    return (Line.UNASKED if received else Line.QUIET), bytes(received)


def error_text(error: OSError) -> str:
    if error.errno is not None and error.errno in errno.errorcode:
        return error.strerror or errno.errorcode[error.errno]
    return str(error) or type(error).__name__
