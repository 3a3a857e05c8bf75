"""Issue 16, the kept connection's steady state: a SendResult made without the frozen
dataclass's own __init__, and a reply repeated byte for byte taken as the one before, without
changing what any record's outcome is."""

from __future__ import annotations

import dataclasses
import inspect
import socket
import time

import pytest

from app.core.net.protocol import Reply, ReplyKind
from app.core.net.transport import ConnexionClient, Outcome, SendResult
from tests.core.net.test_transport import (
    QUICK,
    RECORDS,
    ScriptedHost,
    outcomes,
    read_request,
    settings_for,
)

OK = b"Import ok\n\x00"


def test_the_init_takes_the_fields_in_order_with_their_defaults() -> None:
    parameters = list(inspect.signature(SendResult.__init__).parameters.values())[1:]
    fields = dataclasses.fields(SendResult)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        expected = (
            inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        )
        assert parameter.default == expected, field.name


def test_a_result_is_still_a_frozen_value() -> None:
    reply = Reply(ReplyKind.SUCCESS, "Import ok", b"Import ok")
    result = SendResult(2, Outcome.EXPORTED, reply, 1, "Import ok")
    same = SendResult(2, Outcome.EXPORTED, reply, 1, "Import ok", None, None)
    assert result == same and hash(result) == hash(same)
    assert (result.note, result.earlier_note) == (None, None)
    assert repr(result).startswith("SendResult(index=2, outcome=<Outcome.EXPORTED")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.index = 3  # type: ignore[misc]
    assert dataclasses.replace(result, index=3).index == 3
    assert dataclasses.asdict(result)["reason"] == "Import ok"


def test_replies_repeated_on_a_kept_connection_are_judged_as_each_says() -> None:
    replies = [
        OK,
        OK,  # the same bytes again: the same judgement, the same Reply
        b"Error: no 245 field\n\x00",
        OK,
        OK + b"Import ok\n\x00",  # the same words, then bytes no request asked for
    ]

    def script(conn: socket.socket, requests: list[bytes]) -> None:
        for reply in replies:
            requests.append(read_request(conn))
            conn.sendall(reply)
        conn.recv(1)  # holds the connection until the client drops it

    host = ScriptedHost(script)
    try:
        with ConnexionClient(settings_for(host.port, permanent=True)) as client:
            results = list(client.send_records(RECORDS * 2))[: len(replies)]
            assert not client.connected  # dropped after the unasked bytes
    finally:
        host.close()
    assert outcomes(results) == ["exported", "exported", "rejected", "exported", "exported"]
    assert results[1].reply is results[0].reply
    assert results[2].reason == "Error: no 245 field"
    assert results[3].reply is not None and results[3].reply.kind is ReplyKind.SUCCESS
    assert results[3].note is None
    assert results[4].note is not None and "11 bytes after its reply" in results[4].note
    assert [len(requests) for requests in host.received] == [len(replies)]


def test_the_same_words_in_pieces_or_cut_short_are_judged_as_such() -> None:
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(OK)
        requests.append(read_request(conn))
        conn.sendall(OK[:4])  # the same reply in two pieces: complete
        time.sleep(0.05)
        conn.sendall(OK[4:])
        requests.append(read_request(conn))
        conn.sendall(OK[:-1])  # the same words without their NUL: cut by the Timeout
        conn.recv(1)

    host = ScriptedHost(script)
    try:
        settings = settings_for(host.port, permanent=True, timeout=QUICK)
        with ConnexionClient(settings) as client:
            results = list(client.send_records(RECORDS))
    finally:
        host.close()
    assert outcomes(results) == ["exported", "exported", "unconfirmed"]
    assert results[1].reply is results[0].reply
    cut = results[2].reply
    assert cut is not None and cut.kind is ReplyKind.UNKNOWN and not cut.complete
    assert results[2].reason.startswith("No complete reply within 0.3 s")


def test_a_reply_not_understood_again_is_unconfirmed_each_time_and_drops_the_connection() -> None:
    # The same words again from a host that keeps connections take the short way; a reply
    # that could not be understood still ends the connection it came on, each time.
    puzzling = b"Something happened\n\x00"

    def script(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(puzzling)
        conn.recv(1)  # until the client drops it

    host = ScriptedHost(script, script, script)
    try:
        with ConnexionClient(settings_for(host.port, permanent=True)) as client:
            results = list(client.send_records(RECORDS))
            assert not client.connected
    finally:
        host.close()
    assert outcomes(results) == ["unconfirmed"] * 3
    assert {r.reason for r in results} == {"The host's reply could not be understood"}
    assert results[2].reply is results[1].reply  # the same judgement, reused
    assert [len(requests) for requests in host.received] == [1, 1, 1]  # one per connection
