"""The sending side of Timeout and cancel: a host that stops taking a record part way (its
window full) leaves it unconfirmed within Timeout, a cancel ends the wait within CANCEL_POLL,
and a host that is slow to take it but within Timeout gets it whole and answers.

The hosts here keep a small receive buffer and the records are larger than the client's
largest send buffer, so the client's send has to wait on the host (the transport sends any
bytes it is given)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

from app.core.net.transport import CANCEL_POLL, ConnexionClient, Outcome
from tests.core.net.test_transport import QUICK, ScriptedHost, settings_for

Script = Callable[[socket.socket, list[bytes]], None]

HUGE = b"x" * (16 * 1024 * 1024) + b"\x1d"  # four times Linux's largest send buffer
SMALL_BUFFER = 4096  # the hosts' receive buffer
SLACK = 1.0  # seconds a busy test machine may add to a wait


def holds_without_reading(done: threading.Event) -> Script:
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        done.wait(30)  # takes nothing, until the test is over

    return script


def test_a_host_that_stops_taking_the_record_leaves_it_unconfirmed_within_the_timeout() -> None:
    done = threading.Event()
    host = ScriptedHost(holds_without_reading(done), receive_buffer=SMALL_BUFFER)
    try:
        with ConnexionClient(settings_for(host.port, timeout=QUICK)) as client:
            began = time.monotonic()
            result = client.send(HUGE)
            waited = time.monotonic() - began
            assert not client.connected  # a request half written is never followed by another
    finally:
        done.set()
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reason.startswith("The host took more than 0.3 s to take the record")
    assert "may have received part of it" in result.reason
    assert QUICK <= waited < QUICK + CANCEL_POLL + SLACK


def test_cancel_while_the_host_is_not_taking_the_record() -> None:
    done = threading.Event()
    host = ScriptedHost(holds_without_reading(done), receive_buffer=SMALL_BUFFER)
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    try:
        with ConnexionClient(settings_for(host.port, timeout=60.0)) as client:
            began = time.monotonic()
            timer.start()
            result = client.send(HUGE, cancel=cancel)
            waited = time.monotonic() - began
    finally:
        timer.cancel()
        done.set()
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reason.startswith("Cancelled while sending the record")
    assert waited < 0.2 + CANCEL_POLL + SLACK  # not the 60 s of Timeout


def test_a_host_slow_to_take_the_record_within_the_timeout_gets_it_whole() -> None:
    # The host takes nothing for five waits of the client (CANCEL_POLL); the client's send
    # buffer grows for the first second or so, so later waits pass with nothing taken at
    # all. Then it reads the whole record and answers: waiting on a host is not a failure.
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        time.sleep(CANCEL_POLL * 5)
        received = bytearray()
        while not received.endswith(b"\x00"):
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            received += chunk
        requests.append(bytes(received))
        conn.sendall(b"Import ok\n\x00")

    host = ScriptedHost(script, receive_buffer=SMALL_BUFFER)
    try:
        with ConnexionClient(settings_for(host.port, timeout=10.0)) as client:
            result = client.send(HUGE)
    finally:
        host.close()
    assert result.outcome is Outcome.EXPORTED
    assert host.received == [[HUGE + b"\x00"]]


def test_a_host_that_resets_the_connection_part_way_leaves_the_record_unconfirmed() -> None:
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(conn.recv(65536))  # a part of the request, then a reset
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    host = ScriptedHost(script, receive_buffer=SMALL_BUFFER)
    try:
        with ConnexionClient(settings_for(host.port, timeout=10.0)) as client:
            result = client.send(HUGE)
            assert not client.connected
    finally:
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reason.startswith("The connection broke while sending the record (")
    assert host.received[0][0]  # some of it had arrived
