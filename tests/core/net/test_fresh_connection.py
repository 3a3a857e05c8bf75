"""A new connection on which the host speaks first, or closes, before any request has not
connected (PROTOCOL.md, "Reusing a connection safely"): nothing of the record is sent on it,
Retries and Delay apply, and the run stops with the host's bytes quoted in the reason.

On loopback the client looks at a new connection within microseconds of connecting, before a
host's greeting could arrive; here the connection is handed over once the host's bytes (or
its close) are there, as they would be over a slower network."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

import app.core.net.transport as transport
from app.core.net.transport import ConnexionClient, Outcome
from tests.core.net.test_transport import RECORDS, ScriptedHost, settings_for


@pytest.fixture(autouse=True)
def hosts_bytes_arrive_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    connect = transport.open_connection

    def connected_once_the_host_spoke(*args: object, **kwargs: object) -> socket.socket:
        sock = connect(*args, **kwargs)  # type: ignore[arg-type]
        select.select([sock], [], [], 5)
        return sock

    monkeypatch.setattr(transport, "open_connection", connected_once_the_host_spoke)
    yield


Script = Callable[[socket.socket, list[bytes]], None]


def greets_then_listens(heard: list[bytes], done: threading.Event) -> Script:
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        conn.sendall(b"Welcome to the catalogue\n\x00")
        conn.settimeout(5)
        while chunk := conn.recv(65536):  # until the client closes: all it ever sent
            heard.append(chunk)
        done.set()

    return script


def test_a_host_that_speaks_first_has_not_connected_and_gets_nothing() -> None:
    heard: list[bytes] = []
    closed = [threading.Event(), threading.Event()]
    host = ScriptedHost(*(greets_then_listens(heard, done) for done in closed))
    try:
        settings = settings_for(host.port, retries=1, delay=0.0, permanent=True)
        with ConnexionClient(settings) as client:
            results = list(client.send_records(RECORDS[:2]))
        assert all(done.wait(5) for done in closed)
    finally:
        host.close()
    assert [r.outcome for r in results] == [Outcome.NOT_SENT, Outcome.NOT_SENT]
    first = results[0]
    assert first.attempts == 2  # Retries apply
    assert first.reason.startswith(f"host 127.0.0.1 port {host.port} sent 26 bytes before any")
    assert "Welcome to the catalogue" in first.reason
    assert results[1].attempts == 0 and results[1].reason == first.reason
    assert heard == []  # not one byte of a record, nor of the logon


def test_a_host_that_closes_at_once_has_not_connected() -> None:
    def closes(conn: socket.socket, requests: list[bytes]) -> None:
        pass  # the connection is closed as the script ends

    host = ScriptedHost(closes)
    try:
        with ConnexionClient(settings_for(host.port)) as client:
            result = client.send(RECORDS[0])
    finally:
        host.close()
    assert result.outcome is Outcome.NOT_SENT
    assert result.reason == (
        f"host 127.0.0.1 port {host.port} closed the connection before any request"
    )
