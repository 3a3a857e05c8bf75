"""Cancelling a request made through requests (WorldCat's, by bookops-worldcat) while it waits.

requests blocks in its socket until the answer comes or the timeout passes, and offers no way
to stop it. So a cancellable request runs in a thread of its own (:func:`run_cancellable`)
while the caller waits, looking at the cancel event every POLL seconds; on cancel the caller
shuts the connections that thread is using, which ends its wait at once (the server's answer
can no longer arrive), and raises Cancelled. The connections are known because the sessions
that may be cancelled mount a :class:`WatchedAdapter`, whose connections report to the thread
that uses them.

A thread cancelled while its TCP connection is still being opened (a host that drops the
connection request) can't be reached there: the caller is not held, and the thread ends when
the connection opens or fails (at the timeout), sending nothing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from app.core.sources.kept_alive import POLL
from app.core.sources.retry import Cancelled

T = TypeVar("T")

_LINGER = 1.0  # seconds the caller waits for a cancelled thread to end before leaving it


@dataclass
class _Watch:
    """The connections one cancellable thread has used, and whether it was cancelled."""

    connections: list[HTTPConnection] = field(default_factory=list)
    cancelled: bool = False


_lock = threading.Lock()
_watches: dict[int, _Watch] = {}  # by thread


def _watch(connection: HTTPConnection) -> None:
    """Called by a connection about to be used in this thread: known if the thread is being
    watched; refused if the thread was cancelled already."""
    with _lock:
        watch = _watches.get(threading.get_ident())
        if watch is None:
            return
        if watch.cancelled:
            raise ConnectionAbortedError("the request was cancelled")
        if connection not in watch.connections:
            watch.connections.append(connection)


def _shut(thread: int) -> None:
    """Shut the sockets of the connections ``thread`` uses: its wait ends at once."""
    with _lock:
        watch = _watches.get(thread)
        if watch is None:
            return
        watch.cancelled = True
        connections = list(watch.connections)
    for connection in connections:
        sock = connection.sock
        if sock is None:
            continue
        # The plain socket's shutdown, also under TLS: the thread reading through the TLS
        # layer sees the end of the connection, and nothing is sent. (OSError: closed
        # already, or not connected yet.)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _watch(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """The same over TLS (the methods above, then HTTPSConnection's)."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections that a cancel can shut (see the module)."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def watched(session: requests.Session) -> requests.Session:
    """``session`` with a WatchedAdapter for http and https."""
    session.mount("https://", WatchedAdapter())
    session.mount("http://", WatchedAdapter())
    return session


def run_cancellable(work: Callable[[], T], cancel: threading.Event | None) -> T:
    """``work()``, whose requests go through WatchedAdapters, stopped by ``cancel``: it runs
    in a thread of its own, and a cancel shuts its connections and raises Cancelled within
    POLL seconds. Without a cancel event it runs in the caller's thread."""
    if cancel is None:
        return work()
    if cancel.is_set():
        raise Cancelled
    outcome: list[tuple[bool, Any]] = []
    watching = threading.Event()
    done = threading.Event()

    def run() -> None:
        watching.wait()
        try:
            outcome.append((True, work()))
        except BaseException as error:  # handed to the caller
            outcome.append((False, error))
        finally:
            with _lock:
                _watches.pop(threading.get_ident(), None)
            done.set()

    thread = threading.Thread(target=run, name="exportdesk-target-request", daemon=True)
    thread.start()
    assert thread.ident is not None
    with _lock:
        _watches[thread.ident] = _Watch()
    watching.set()
    try:
        while not done.wait(POLL):
            if cancel.is_set():
                raise Cancelled
    except BaseException:  # a cancel, or the command's interrupt
        _shut(thread.ident)
        done.wait(_LINGER)
        raise
    succeeded, value = outcome[0]
    if succeeded:
        result: T = value
        return result
    raise value
