"""Servers on 127.0.0.1 that speak HTTP byte for byte as a test writes it: a connection's
requests are read up to their blank line, and the test's handler answers what it likes."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.fixtures.network import LOOPBACK

POLL = 0.05  # seconds: how often the server's waits look at its stop event

Handler = Callable[[socket.socket, threading.Event], None]


@contextmanager
def serving(handle: Handler) -> Iterator[int]:
    """Accepts connections on a free port of 127.0.0.1 (yielded), each handled by
    ``handle(connection, stop)`` in a thread of its own and closed after it."""
    listener = socket.create_server((LOOPBACK, 0))
    listener.settimeout(POLL)
    stop = threading.Event()

    def run(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # OSError: the client went away
            connection.settimeout(POLL)
            handle(connection, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=run, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def read_request(
    connection: socket.socket, received: bytes, stop: threading.Event
) -> tuple[bytes, bytes] | None:
    """The next request's head (without its blank line) and the bytes after it, from what
    was ``received`` and what comes; None when the client closes first (or on stop)."""
    while b"\r\n\r\n" not in received:
        if stop.is_set():
            return None
        try:
            data = connection.recv(65536)
        except TimeoutError:
            continue
        if not data:
            return None
        received += data
    head, _, rest = received.partition(b"\r\n\r\n")
    return head, rest


def wait_closed(connection: socket.socket, stop: threading.Event) -> bool:
    """Waits for the client to close the connection: True, or False on stop."""
    while not stop.is_set():
        try:
            if not connection.recv(65536):
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False
