"""A cancel stops a request while it waits on a slow server: SRU and WorldCat, against servers
on 127.0.0.1 that take the request and never answer (or answer a byte at a time), with a
timeout of 30 s. The cancel raises TargetCancelled within a fraction of a second, and no
thread is left waiting on the server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.settings.targets import Target, make_target
from app.core.sources import kept_alive
from app.core.sources.abandon import run_cancellable
from app.core.sources.faults import TargetCancelled
from app.core.sources.hits import SearchQuery
from app.core.sources.sru import SruClient
from app.core.sources.worldcat import WorldCatClient
from tests.core.sources.raw_http import read_request, serving, wait_closed
from tests.fixtures.network import LOOPBACK, TlsFiles
from tests.fixtures.worldcat import SECRET, WorldCatDouble, worldcat_target

BOUND = 1.5  # seconds: what "promptly" must mean on a busy test machine (the design: 0.1 s)

# What a server does with a request: "silent" takes it and answers nothing; "trickle" sends
# the headers, then one byte of the body every 20 ms.
Behaviour = Callable[[socket.socket, threading.Event], None]


def silent(connection: socket.socket, stop: threading.Event) -> None:
    pass


def trickle(connection: socket.socket, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.02):
        connection.sendall(b" ")


@dataclass
class SlowServer:
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)  # a request came
    closed: threading.Event = field(default_factory=threading.Event)  # the client left

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/sru"


@contextmanager
def slow_server(behaviour: Behaviour) -> Iterator[SlowServer]:
    server = SlowServer()

    def handle(connection: socket.socket, stop: threading.Event) -> None:
        if read_request(connection, b"", stop) is None:
            return
        server.arrived.set()
        try:
            behaviour(connection, stop)
        except OSError:
            server.closed.set()  # the client went away: what a cancel does
            return
        if wait_closed(connection, stop):
            server.closed.set()

    with serving(handle) as server.port:
        yield server


def cancelled_while_waiting(
    work: Callable[[threading.Event], object], arrived: threading.Event
) -> float:
    """Runs ``work(cancel)`` in a thread, sets the cancel once ``arrived`` is set (the server
    has the request, or the connection is being opened), and returns how long the work took
    to give up; it must raise TargetCancelled."""
    cancel = threading.Event()
    outcome: list[BaseException | None] = []
    done = threading.Event()

    def run() -> None:
        try:
            work(cancel)
            outcome.append(None)
        except BaseException as error:  # the test looks at it
            outcome.append(error)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert arrived.wait(10), "the request never reached the server"
    assert not done.is_set()
    started = time.monotonic()
    cancel.set()
    assert done.wait(10), "the cancel did not stop the request"
    took = time.monotonic() - started
    assert len(outcome) == 1 and isinstance(outcome[0], TargetCancelled), outcome
    return took


def no_request_thread_left() -> bool:
    """Whether every thread a cancellable WorldCat request ran in has ended (within 2 s)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        names = [t.name for t in threading.enumerate() if t.is_alive()]
        if "exportdesk-target-request" not in names:
            return True
        time.sleep(0.01)
    return False


def sru_target(url: str) -> Target:
    return make_target({"name": "Slow", "kind": "sru", "url": url, "timeout": 30})


@pytest.mark.parametrize("behaviour", [silent, trickle], ids=["silent", "trickle"])
def test_cancel_stops_an_sru_search_waiting_on_the_server(behaviour: Behaviour) -> None:
    with slow_server(behaviour) as server, SruClient(sru_target(server.url)) as client:
        took = cancelled_while_waiting(
            lambda cancel: client.search(SearchQuery("perl"), cancel=cancel), server.arrived
        )
        assert took < BOUND
        assert server.closed.wait(BOUND)  # the connection waiting on the server is closed


def test_cancel_stops_an_sru_retrieve_waiting_on_the_server() -> None:
    with slow_server(silent) as server, SruClient(sru_target(server.url)) as client:
        took = cancelled_while_waiting(
            lambda cancel: client.retrieve("fol05843555", cancel=cancel), server.arrived
        )
    assert took < BOUND


def test_cancel_stops_an_sru_connection_that_does_not_open(
    unanswered_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    connecting = threading.Event()
    connect = kept_alive._connect

    def watched_connect(*args: Any) -> None:
        connecting.set()
        connect(*args)

    monkeypatch.setattr(kept_alive, "_connect", watched_connect)
    target = sru_target(f"http://{LOOPBACK}:{unanswered_port}/sru")
    with SruClient(target) as client:
        took = cancelled_while_waiting(
            lambda cancel: client.search(SearchQuery("x"), cancel=cancel), connecting
        )
    assert took < BOUND


def test_cancel_stops_an_sru_host_name_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    looking, release = threading.Event(), threading.Event()

    def slow_lookup(*args: Any, **kwargs: Any) -> Any:
        looking.set()
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "no answer from the name server")

    monkeypatch.setattr(kept_alive.socket, "getaddrinfo", slow_lookup)
    try:
        with SruClient(sru_target("http://catalogue.test/sru")) as client:
            took = cancelled_while_waiting(
                lambda cancel: client.search(SearchQuery("x"), cancel=cancel), looking
            )
    finally:
        release.set()
    assert took < BOUND


@pytest.mark.parametrize("path", ["/worldcat/search", "/oauth/token"])
def test_cancel_stops_a_worldcat_search_waiting_on_the_server(
    worldcat: WorldCatDouble, tls_files: TlsFiles, path: str
) -> None:
    arrived = threading.Event()
    worldcat.hang_next(path, arrived=arrived)
    with WorldCatClient(worldcat_target(worldcat, tls_files, timeout=30), SECRET) as client:
        took = cancelled_while_waiting(
            lambda cancel: client.search(SearchQuery("perl"), cancel=cancel), arrived
        )
        assert took < BOUND
        assert no_request_thread_left()
        # The client goes on: a new session (and token), the hung one given up.
        assert client.search(SearchQuery("perl")).total > 0


@pytest.mark.parametrize("action", ["retrieve", "set", "unset"])
def test_cancel_stops_worldcat_retrieve_and_holdings(
    worldcat: WorldCatDouble, tls_files: TlsFiles, action: str
) -> None:
    arrived = threading.Event()
    with WorldCatClient(worldcat_target(worldcat, tls_files, timeout=30), SECRET) as client:
        client.search(SearchQuery("perl"))  # the token first: the API's request hangs
        worldcat.hang_next("/worldcat/", arrived=arrived)

        def work(cancel: threading.Event) -> object:
            if action == "retrieve":
                return client.retrieve("22", cancel=cancel)
            return client.holdings("set" if action == "set" else "unset", "22", cancel)

        took = cancelled_while_waiting(work, arrived)
    assert took < BOUND
    assert no_request_thread_left()


def test_without_a_cancel_event_the_work_runs_in_the_callers_thread() -> None:
    assert run_cancellable(threading.current_thread, None) is threading.current_thread()
    other = run_cancellable(threading.current_thread, threading.Event())
    assert other is not threading.current_thread()
    assert other.name == "exportdesk-target-request"
    with pytest.raises(ZeroDivisionError):
        run_cancellable(lambda: 1 / 0, threading.Event())
