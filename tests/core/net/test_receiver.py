"""ExportDesk's receiver, driven by raw sockets on 127.0.0.1 as any client would."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest

from app.core.errors import UsageError
from app.core.net.protocol import build_request
from app.core.net.receiver import DEFAULT_LOG_SIZE, Fault, FaultMode, Receiver, ReplyStyle
from tests.fixtures.network import LOOPBACK, ReceiverFactory, TlsFiles, marc_record

RECORD = marc_record("Receiver test")


def connect(receiver: Receiver) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, receiver.port), timeout=5)
    return sock


def read_reply(sock: socket.socket) -> bytes:
    """Bytes up to and including NUL, or up to end of stream."""
    data = b""
    while not data.endswith(b"\x00"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def exchange(receiver: Receiver, request: bytes, *, half_close: bool = False) -> bytes:
    with connect(receiver) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_reply(sock)


def koha(start_receiver: ReceiverFactory, **options: object) -> Receiver:
    return start_receiver(style=ReplyStyle.KOHA, **options)


# --- Reading requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [b"A3libP2pw", b"AClibPBpw", b" AClib PBpw ", b"U4userA3libPBpw", b"U0AClibP2pw"],
    ids=["decimal", "one-byte", "spaces", "mixed", "empty-user"],
)
def test_both_length_forms_are_accepted(start_receiver: ReceiverFactory, fields: bytes) -> None:
    receiver = start_receiver(logon_id="lib", password="pw")
    assert exchange(receiver, fields + RECORD + b"\x00") == b"Import ok\n\x00"
    assert [p.read_bytes() for p in receiver.record_files()] == [RECORD]


def test_koha_answers_at_nul_and_closes(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, idle_timeout=30)
    with connect(receiver) as sock:
        sock.sendall(RECORD + b"\x00")
        reply = read_reply(sock)
        assert sock.recv(1) == b""  # closed after the reply
    assert reply.startswith(b"Success.  Batch number 1 - biblio record number 1 added to Koha.")
    assert reply.endswith(receiver.record_files()[0].resolve().as_uri().encode() + b"\x00")
    assert receiver.requests[0].ended_by == "NUL"


def test_koha_answers_at_half_close(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, idle_timeout=30)
    assert exchange(receiver, RECORD, half_close=True).startswith(b"Success.")
    assert receiver.requests[0].ended_by == "half-close"


def test_koha_answers_after_silence(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, idle_timeout=0.1)
    assert exchange(receiver, RECORD).startswith(b"Success.")
    assert receiver.requests[0].ended_by == "idle timeout"


def test_koha_takes_one_record_per_connection(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver)
    assert exchange(receiver, RECORD + RECORD + b"\x00").startswith(b"Success.")
    assert len(receiver.record_files()) == 1
    assert "1 later records ignored" in receiver.requests[0].note


def test_koha_observed_requests(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, logon_id="01XYZ_INST", password="pw")
    assert exchange(receiver, b"A1001XYZ_INSTP2pw" + RECORD + b"\x00") == b"Bad request\x00"
    assert exchange(receiver, b"AJ01XYZ_INSTPBpw" + RECORD + b"\x00").startswith(b"Success.")
    assert exchange(receiver, b"\x00") == b"Bad request\x00"
    assert len(receiver.record_files()) == 1


def test_folio_answers_once_the_record_is_in_and_keeps_the_socket(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(logon_id="lib", password="pw", idle_timeout=30)
    with connect(receiver) as sock:
        sock.sendall(b"AClibPBpw" + RECORD)  # no NUL: FOLIO needs none
        assert read_reply(sock) == b"Import ok\n\x00"
        sock.sendall(b"\x00" + RECORD + b"\x00")  # a late NUL, then a request without logon
        assert read_reply(sock) == b"Import ok\n\x00"
    assert len(receiver.record_files()) == 2
    assert [r.ended_by for r in receiver.requests] == ["complete record", "NUL"]
    assert [r.tags for r in receiver.requests] == ["AP", ""]


def test_folio_takes_several_records_in_one_request(receiver: Receiver) -> None:
    assert exchange(receiver, RECORD + RECORD + b"\x00") == b"Import ok: 2 records\n\x00"
    assert len(receiver.record_files()) == 2


def test_a_record_cut_short_is_refused_after_silence(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(idle_timeout=0.1)
    reply = exchange(receiver, RECORD[:20])
    assert reply.startswith(b"Error: bad request: incomplete request: the record needs")
    assert receiver.record_files() == []


def test_a_record_cut_short_by_half_close(receiver: Receiver) -> None:
    reply = exchange(receiver, RECORD[:20], half_close=True)
    assert reply.startswith(b"Error: bad request: incomplete request")
    assert receiver.requests[0].ended_by == "half-close"


@pytest.mark.parametrize(
    ("style", "reply"),
    [
        (ReplyStyle.FOLIO, b"Error: bad request: empty request (NUL alone)\n\x00"),
        (ReplyStyle.KOHA, b"Bad request\x00"),
    ],
)
def test_a_bare_nul_is_a_bad_request(
    start_receiver: ReceiverFactory, style: ReplyStyle, reply: bytes
) -> None:
    receiver = start_receiver(style=style)
    assert exchange(receiver, b"\x00") == reply


@pytest.mark.parametrize(
    ("style", "reply"),
    [
        (ReplyStyle.FOLIO, b"Error: bad request: a record announces 500 bytes\n\x00"),
        (ReplyStyle.KOHA, b"Bad request\x00"),
    ],
)
def test_a_length_announcing_more_than_the_limit_is_a_bad_request(
    start_receiver: ReceiverFactory, style: ReplyStyle, reply: bytes
) -> None:
    receiver = start_receiver(style=style, max_request_bytes=200)
    big = b"00500" + b"x" * 494 + b"\x1d"
    assert exchange(receiver, big + b"\x00") == reply
    assert receiver.record_files() == []


# --- Logon --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_fields", "why"),
    [
        (b"", "no logon ID was sent"),
        (b"ACxyzPBpw", "the logon ID is not the one expected"),
        (b"AClibPBpX", "the password is wrong"),
        (b"AClib", "the password is wrong"),
    ],
)
def test_the_logon_is_checked(
    start_receiver: ReceiverFactory, request_fields: bytes, why: str
) -> None:
    receiver = start_receiver(logon_id="lib", password="pw")
    reply = exchange(receiver, request_fields + RECORD + b"\x00")
    assert reply == f"Error: access denied: {why}\n".encode() + b"\x00"
    assert receiver.record_files() == []


def test_koha_style_refuses_with_kohas_words(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, logon_id="lib", password="pw")
    assert exchange(receiver, b"AClibPBno" + RECORD + b"\x00") == b"Unauthorized request\x00"


def test_a_logon_id_alone_is_checked_when_no_password_is_set(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(logon_id="lib")
    assert exchange(receiver, b"AClibPCany" + RECORD + b"\x00") == b"Import ok\n\x00"


def test_the_log_has_one_line_per_request_and_no_secrets(start_receiver: ReceiverFactory) -> None:
    lines: list[str] = []
    receiver = start_receiver(logon_id="01SECRET_LOGON", password="Sekr1t-pw", log=lines.append)
    exchange(receiver, build_request(RECORD, logon_id="01SECRET_LOGON", password="Sekr1t-pw"))
    exchange(receiver, build_request(RECORD, logon_id="01SECRET_LOGON", password="Wrong-pw!"))
    assert len(lines) == 2
    assert "saved 000001.mrc" in lines[0] and "replied 'Import ok'" in lines[0]
    assert "the password is wrong" in lines[1]
    for line in lines:
        assert "Sekr1t-pw" not in line and "Wrong-pw!" not in line
        assert "01SECRET_LOGON" not in line


# --- Files ----------------------------------------------------------------------------------------


def test_the_sequence_continues_after_existing_files(
    start_receiver: ReceiverFactory, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "000041.mrc").write_bytes(b"earlier")
    (out / "notes.txt").write_text("not a record")
    receiver = start_receiver(out_dir=out)
    exchange(receiver, RECORD + b"\x00")
    exchange(receiver, RECORD + b"\x00")
    assert sorted(p.name for p in out.iterdir()) == [
        "000041.mrc",
        "000042.mrc",
        "000043.mrc",
        "notes.txt",
    ]


def test_a_record_that_cant_be_saved_leaves_no_file(
    start_receiver: ReceiverFactory, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / ".000001.part").mkdir(parents=True)  # the temporary name is taken: writing fails
    receiver = start_receiver(out_dir=out)
    reply = exchange(receiver, RECORD + b"\x00")
    assert reply.startswith(b"Error: could not save the record")
    assert receiver.record_files() == []
    assert exchange(receiver, RECORD + b"\x00") == b"Import ok\n\x00"  # and it goes on
    assert [p.name for p in receiver.record_files()] == ["000002.mrc"]
    assert not any(p.name.endswith(".mrc") and p.is_dir() for p in out.iterdir())


def test_many_connections_at_once(receiver: Receiver) -> None:
    socks = [connect(receiver) for _ in range(4)]
    try:
        for sock in socks:
            sock.sendall(RECORD[:30])
        # Finishing the last first: a receiver serving one client at a time would hang here.
        for sock in reversed(socks):
            sock.sendall(RECORD[30:] + b"\x00")
            assert read_reply(sock) == b"Import ok\n\x00"
    finally:
        for sock in socks:
            sock.close()
    assert [p.read_bytes() for p in receiver.record_files()] == [RECORD] * 4


# --- Faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("refuse", Fault(FaultMode.REFUSE)),
        ("close-before-reply", Fault(FaultMode.CLOSE_BEFORE_REPLY)),
        ("no-reply", Fault(FaultMode.NO_REPLY)),
        ("slow", Fault(FaultMode.SLOW, seconds=2.0)),
        ("slow:0.5", Fault(FaultMode.SLOW, seconds=0.5)),
        ("error", Fault(FaultMode.ERROR)),
        ("error:Disk full", Fault(FaultMode.ERROR, text="Disk full")),
        ("garbage", Fault(FaultMode.GARBAGE)),
        ("close-after:40", Fault(FaultMode.CLOSE_AFTER, after_bytes=40)),
    ],
)
def test_fault_modes_are_read_from_text(text: str, fault: Fault) -> None:
    assert Fault.parse(text) == fault


@pytest.mark.parametrize("text", ["explode", "slow:soon", "close-after", "garbage:x"])
def test_unknown_fault_modes_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        Fault.parse(text)


def test_refusing_cannot_be_limited_to_the_first_connections() -> None:
    with pytest.raises(UsageError, match="refuse"):
        Fault.parse("refuse", first=2)


def test_refusing_can_be_switched_on_and_off(receiver: Receiver) -> None:
    receiver.set_fault(Fault(FaultMode.REFUSE))
    with pytest.raises(ConnectionRefusedError):
        connect(receiver)
    receiver.set_fault(None)
    assert exchange(receiver, RECORD + b"\x00") == b"Import ok\n\x00"


def test_close_after_zero_bytes_closes_at_once(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.CLOSE_AFTER, after_bytes=0))
    with connect(receiver) as sock:
        assert sock.recv(1) == b""


def test_no_reply_holds_the_connection_until_the_client_leaves(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.NO_REPLY))
    with connect(receiver) as sock:
        sock.sendall(RECORD + b"\x00")
        assert receiver.wait_until(lambda r: len(r.requests) == 1)
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    assert len(receiver.record_files()) == 1  # saved: only the reply is lost


# --- Life cycle -----------------------------------------------------------------------------------


def test_stop_closes_everything(tmp_path: Path) -> None:
    receiver = Receiver(tmp_path / "out", fault=Fault(FaultMode.NO_REPLY)).start()
    port = receiver.port
    held = connect(receiver)
    held.sendall(RECORD + b"\x00")
    assert receiver.wait_until(lambda r: len(r.requests) == 1)
    receiver.stop()
    assert held.recv(1) == b""  # the receiver closed the connection it was holding
    held.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=1).close()
    assert not [t for t in threading.enumerate() if t.name.startswith(f"receiver:{port}")]


def test_serve_forever_until_stopped_from_another_thread(tmp_path: Path) -> None:
    receiver = Receiver(tmp_path / "out")
    receiver.bind()
    server = threading.Thread(target=receiver.serve_forever)
    server.start()
    assert exchange(receiver, RECORD + b"\x00") == b"Import ok\n\x00"
    receiver.stop()
    server.join(5)
    assert not server.is_alive()


def test_a_plain_client_on_a_tls_port_is_logged_and_dropped(
    start_receiver: ReceiverFactory, tls_files: TlsFiles
) -> None:
    lines: list[str] = []
    receiver = start_receiver(tls=tls_files.server_context, log=lines.append)
    with connect(receiver) as sock:
        sock.sendall(RECORD + b"\x00")
        # Closed with our bytes unread, the system may reset the connection instead.
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(100) == b""
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    assert "TLS handshake failed" in lines[0]
    assert receiver.record_files() == []


# --- Hostile bytes and limits ---------------------------------------------------------------------


def record_of(length: int) -> bytes:
    """An ISO 2709-shaped record of exactly ``length`` bytes (its first five are the length)."""
    return f"{length:05d}".encode() + b"x" * (length - 6) + b"\x1d"


def user_field_of(size: int) -> bytes:
    """A U field in the decimal length form, ``size`` bytes on the wire in all."""
    for digits in range(1, 7):
        value = size - 1 - digits
        if len(str(value)) == digits:
            return b"U" + str(value).encode() + b"u" * value
    raise AssertionError(size)


def receiver_threads(receiver: Receiver) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"receiver:{receiver.port}/")]


def send_and_read_until_closed(receiver: Receiver, data: bytes) -> bytes:
    """Send ``data`` (the receiver may close before taking it all) and read what comes back
    until the connection ends."""
    with connect(receiver) as sock:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(data)
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(4096):
                reply += chunk
        return reply


HOSTILE_REQUESTS = {
    "5000-digit field length": b"A" + b"9" * 5000 + b"lib" + RECORD + b"\x00",
    "10-digit field length": b"P1000000000pw" + RECORD + b"\x00",
    "length digits then garbage": b"U" + b"1" * 4400 + b"\xff" * 10 + b"\x00",
    "field length not a number": b"A\x01lib" + RECORD + b"\x00",
    "record length not a number": b"0x500" + RECORD[5:] + b"\x00",
    "record length zero": b"00000" + RECORD[5:] + b"\x00",
    "record length too small": b"00003" + b"\x00",
    "an unknown byte first": b"Z" + RECORD + b"\x00",
    "a control byte after a field": b"AClib\x07" + RECORD + b"\x00",
}


@pytest.mark.parametrize("style", list(ReplyStyle))
@pytest.mark.parametrize("data", list(HOSTILE_REQUESTS.values()), ids=list(HOSTILE_REQUESTS))
def test_lengths_and_fields_that_are_not_numbers_in_bounds_are_bad_requests(
    start_receiver: ReceiverFactory, style: ReplyStyle, data: bytes
) -> None:
    lines: list[str] = []
    receiver = start_receiver(style=style, idle_timeout=30, log=lines.append)
    reply = exchange(receiver, data)
    if style is ReplyStyle.KOHA:
        assert reply == b"Bad request\x00"
    else:
        assert reply.startswith(b"Error: bad request: ") and reply.endswith(b"\n\x00")
    assert receiver.record_files() == []
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    assert not any("internal error" in line for line in lines), lines
    # The connection's thread survived to serve the next client.
    assert exchange(receiver, RECORD + b"\x00").startswith((b"Import ok", b"Success."))
    assert len(receiver.record_files()) == 1


def test_a_decimal_length_growing_past_nine_digits_is_refused_unread(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(idle_timeout=30)
    with connect(receiver) as sock:
        sock.sendall(b"A99999")  # a length still growing: the receiver waits for more
        sock.sendall(b"9" * 5000)
        with contextlib.suppress(ConnectionResetError):
            reply = read_reply(sock)
    assert reply == b"Error: bad request: the A field's length has more than 9 digits\n\x00"


def test_folio_style_closes_without_a_reply_past_100000_bytes(receiver: Receiver) -> None:
    assert receiver.max_request_bytes == 100_000  # FOLIO's own limit, the default
    # A whole field of 100,005 bytes and no record yet: too much held without a request.
    data = user_field_of(100_005) + b"00100" + b"x" * 50
    assert send_and_read_until_closed(receiver, data) == b""
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    (request,) = receiver.requests
    assert request.ended_by == "size limit" and request.reply == b"" and not request.accepted
    assert receiver.record_files() == []


def test_folio_style_holds_a_request_up_to_the_limit(receiver: Receiver) -> None:
    # 99,000 bytes of field, held while the record arrives: under the limit, it is accepted.
    assert exchange(receiver, user_field_of(99_000) + RECORD + b"\x00") == b"Import ok\n\x00"


def test_koha_style_answers_bad_request_past_the_limit(start_receiver: ReceiverFactory) -> None:
    receiver = koha(start_receiver, idle_timeout=30)
    record = record_of(99_000)
    exact = user_field_of(100_000 - len(record) - 1) + record + b"\x00"
    assert len(exact) == 100_000
    assert exchange(receiver, exact).startswith(b"Success.")
    over = user_field_of(100_001 - len(record) - 1) + record + b"\x00"
    assert len(over) == 100_001
    assert send_and_read_until_closed(receiver, over) == b"Bad request\x00"
    assert receiver.requests[-1].ended_by == "size limit"
    # Without NUL, half-close or silence: refused as soon as the bytes pass the limit.
    assert send_and_read_until_closed(receiver, b"x" * 150_000) == b"Bad request\x00"
    assert len(receiver.record_files()) == 1


def test_connections_beyond_the_limit_wait_and_threads_stay_bounded(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(max_connections=3, idle_timeout=30)
    socks = [connect(receiver) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(RECORD[:30])
        assert receiver.wait_until(lambda r: r.connections == 3)
        # The other 17 wait in the listen queue, not accepted, with no thread of their own.
        assert not receiver.wait_until(lambda r: r.connections > 3, timeout=0.3)
        assert receiver.serving == 3
        assert len(receiver_threads(receiver)) == 3
        most = 0
        for sock in socks:  # each in turn: the waiting ones are taken as places free up
            sock.sendall(RECORD[30:] + b"\x00")
            assert read_reply(sock) == b"Import ok\n\x00"
            sock.close()
            most = max(most, len(receiver_threads(receiver)), receiver.serving)
    finally:
        for sock in socks:
            sock.close()
    assert most <= 3
    assert receiver.wait_until(lambda r: r.closed_connections == 20)
    assert receiver.connections == 20
    assert len(receiver_threads(receiver)) <= 3  # the pool's workers, reused
    assert [p.read_bytes() for p in receiver.record_files()] == [RECORD] * 20


def test_a_flood_of_connections_that_send_nothing(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(max_connections=4, idle_timeout=0.2)
    socks = [connect(receiver) for _ in range(40)]
    for sock in socks:
        sock.close()
    assert receiver.wait_until(lambda r: r.closed_connections == 40, timeout=20)
    assert len(receiver_threads(receiver)) <= 4
    assert exchange(receiver, RECORD + b"\x00") == b"Import ok\n\x00"


def test_the_request_log_keeps_the_latest_requests(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(log_size=5, idle_timeout=30)
    with connect(receiver) as sock:
        for _ in range(12):
            sock.sendall(RECORD + b"\x00")
            assert read_reply(sock) == b"Import ok\n\x00"
    assert receiver.requests_total == 12
    assert [r.number for r in receiver.requests] == [8, 9, 10, 11, 12]


def test_the_request_log_is_bounded_by_default(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(durable=False, idle_timeout=30)
    with connect(receiver) as sock:
        sock.sendall((RECORD + b"\x00") * 1100)  # one write; FOLIO answers each in turn
        replies = b""
        while replies.count(b"\x00") < 1100:
            replies += sock.recv(65536)
    assert receiver.requests_total == 1100
    assert len(receiver.requests) == DEFAULT_LOG_SIZE < 1100


def test_a_failure_inside_a_connection_closes_only_that_connection(
    start_receiver: ReceiverFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    receiver = start_receiver(log=lines.append)

    def fail(*args: object) -> bool:
        raise ValueError("a bug")

    monkeypatch.setattr(receiver, "_respond", fail)
    assert exchange(receiver, RECORD + b"\x00") == b""
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    assert "closed after an internal error (ValueError)" in lines[-1]
    monkeypatch.undo()
    assert exchange(receiver, RECORD + b"\x00") == b"Import ok\n\x00"


@pytest.mark.parametrize(
    "options", [{"max_connections": 0}, {"log_size": 0}, {"max_request_bytes": 0}]
)
def test_limits_must_be_at_least_one(tmp_path: Path, options: dict[str, int]) -> None:
    with pytest.raises(UsageError, match="at least 1"):
        Receiver(tmp_path / "out", **options)
