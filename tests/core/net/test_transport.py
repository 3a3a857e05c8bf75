"""The client against ExportDesk's receiver (and a few scripted hosts) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from app.core.errors import OptionError
from app.core.net.protocol import MAX_STORED_REPLY_BYTES, FieldTooLongError, ReplyKind
from app.core.net.receiver import Fault, FaultMode, Receiver, ReplyStyle
from app.core.net.transport import (
    Cancelled,
    ConnexionClient,
    Outcome,
    SendResult,
    TransportSettings,
    check_connection,
    send_records,
)
from tests.fixtures.network import (
    LOOPBACK,
    TEST_HOST,
    ReceiverFactory,
    TlsFiles,
    resolve_to_loopback,
    sample_records,
)

QUICK = 0.3  # seconds: long enough for loopback, short enough to keep the suite fast
RECORDS = sample_records(3)


def settings_for(receiver: Receiver | int, **options: object) -> TransportSettings:
    port = receiver if isinstance(receiver, int) else receiver.port
    values: dict[str, object] = {"host": LOOPBACK, "port": port, "timeout": 2.0, "retries": 0}
    values.update(options)
    return TransportSettings(**values)  # type: ignore[arg-type]


def send(
    settings: TransportSettings, records: Sequence[bytes] = RECORDS, **kw: object
) -> list[SendResult]:
    results = list(send_records(settings, records, **kw))  # type: ignore[arg-type]
    assert [r.index for r in results] == list(range(len(results)))
    return results


def outcomes(results: list[SendResult]) -> list[str]:
    return [r.outcome.value for r in results]


def saved(receiver: Receiver) -> list[bytes]:
    return [path.read_bytes() for path in receiver.record_files()]


# --- Settings --------------------------------------------------------------------------------


def test_repr_never_shows_the_password_or_logon_id() -> None:
    settings = TransportSettings(
        "h.example", 5500, send_logon_id=True, logon_id="01SECRET_INST", password="hunter2"
    )
    for text in (repr(settings), str(settings), settings.redacted()):
        assert "hunter2" not in text
        assert "01SECRET_INST" not in text
    assert "h.example" in settings.redacted()
    assert "port 5500" in settings.redacted()


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"timeout": 0}, "timeout"),
        ({"retries": -1}, "retries"),
        ({"delay": -0.5}, "delay"),
        ({"host": " "}, "host"),
    ],
)
def test_impossible_settings_name_the_option(options: dict[str, object], key: str) -> None:
    values: dict[str, object] = {"host": "h.example", "port": 5500, **options}
    with pytest.raises(OptionError) as raised:
        TransportSettings(**values)  # type: ignore[arg-type]
    assert raised.value.key == key


@pytest.mark.parametrize("field", ["logon_id", "password", "user_id"])
def test_a_value_over_191_bytes_is_refused_before_connecting(
    receiver: Receiver, field: str
) -> None:
    options: dict[str, object] = {"send_logon_id": True, "send_user_id": True, field: "ü" * 96}
    with pytest.raises(FieldTooLongError) as raised:
        settings_for(receiver, **options)
    assert raised.value.key == field
    assert "ü" not in raised.value.message
    assert receiver.connections == 0


def test_a_value_not_sent_may_be_long(receiver: Receiver) -> None:
    settings = settings_for(receiver, user_id="u" * 300)  # Send User ID is off
    assert outcomes(send(settings, RECORDS[:1])) == ["exported"]


# --- Each combination that changes the bytes or the connection pattern -------------------------


@pytest.mark.parametrize("style", list(ReplyStyle))
@pytest.mark.parametrize("permanent", [False, True], ids=["per-record", "permanent"])
@pytest.mark.parametrize("notify", [True, False], ids=["nul", "half-close"])
def test_every_record_arrives_once_in_each_combination(
    start_receiver: ReceiverFactory, style: ReplyStyle, permanent: bool, notify: bool
) -> None:
    # A long idle timeout: a request the client failed to end would time out, not pass.
    receiver = start_receiver(
        style=style, logon_id="01CARLI_NETWORK", password="pw", idle_timeout=30
    )
    settings = settings_for(
        receiver,
        permanent=permanent,
        notify=notify,
        send_logon_id=True,
        logon_id="01CARLI_NETWORK",
        password="pw",
        send_user_id=True,
        user_id="kohauser",
    )
    results = send(settings)
    assert outcomes(results) == ["exported"] * 3
    assert [r.attempts for r in results] == [1, 1, 1]  # quiet reconnects are not counted
    assert saved(receiver) == RECORDS
    reuses = permanent and notify and style is ReplyStyle.FOLIO
    assert receiver.connections == (1 if reuses else 3)
    requests = receiver.requests
    # U, A and P go with the first request of each connection only.
    assert [r.tags for r in requests] == (["UAP", "", ""] if reuses else ["UAP"] * 3)
    ended = {r.ended_by for r in requests}
    if not notify:
        assert ended == {"half-close" if style is ReplyStyle.KOHA else "complete record"}
    elif style is ReplyStyle.KOHA:
        assert ended == {"NUL"}
    if style is ReplyStyle.KOHA:
        assert results[0].reply is not None
        assert results[0].reply.local_id == "1"
        assert results[0].reply.local_url == receiver.record_files()[0].resolve().as_uri()


@pytest.mark.parametrize(
    ("send_logon_id", "send_user_id", "tags"),
    [(True, True, "UAP"), (True, False, "AP"), (False, True, "U"), (False, False, "")],
)
def test_fields_are_sent_as_the_options_say(
    receiver: Receiver, send_logon_id: bool, send_user_id: bool, tags: str
) -> None:
    settings = settings_for(
        receiver,
        send_logon_id=send_logon_id,
        logon_id="lib",
        password="pw",
        send_user_id=send_user_id,
        user_id="cataloger",
    )
    assert outcomes(send(settings, RECORDS[:1])) == ["exported"]
    assert receiver.requests[0].tags == tags


def test_a_logon_id_starting_with_digits_reaches_a_koha_like_host(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(style=ReplyStyle.KOHA, logon_id="01CARLI_NETWORK", password="s3")
    settings = settings_for(receiver, send_logon_id=True, logon_id="01CARLI_NETWORK", password="s3")
    results = send(settings)
    assert outcomes(results) == ["exported"] * 3
    assert results[0].reason.startswith("Success.")


def test_utf8_values_arrive_whole(start_receiver: ReceiverFactory) -> None:
    logon = "Bibliothèque-ü"
    password = "pässwörd✓"
    receiver = start_receiver(logon_id=logon, password=password)
    settings = settings_for(
        receiver,
        send_logon_id=True,
        logon_id=logon,
        password=password,
        send_user_id=True,
        user_id="bøf",
    )
    assert outcomes(send(settings, RECORDS[:1])) == ["exported"]
    assert receiver.requests[0].user_id == "bøf"


def test_a_191_byte_logon_id_and_password_are_sent(start_receiver: ReceiverFactory) -> None:
    logon = "ø" * 95 + "x"
    password = "p" * 191
    receiver = start_receiver(logon_id=logon, password=password)
    settings = settings_for(receiver, send_logon_id=True, logon_id=logon, password=password)
    assert outcomes(send(settings, RECORDS[:1])) == ["exported"]


@pytest.mark.parametrize(
    ("style", "text"),
    [(ReplyStyle.FOLIO, "Error: access denied"), (ReplyStyle.KOHA, "Unauthorized")],
)
def test_a_wrong_password_is_rejected_with_the_hosts_words(
    start_receiver: ReceiverFactory, style: ReplyStyle, text: str
) -> None:
    receiver = start_receiver(style=style, logon_id="lib", password="right")
    settings = settings_for(receiver, send_logon_id=True, logon_id="lib", password="wrong")
    results = send(settings, RECORDS[:1])
    assert outcomes(results) == ["rejected"]
    assert results[0].reason.startswith(text)
    assert results[0].reply is not None and results[0].reply.kind is ReplyKind.FAILURE
    assert saved(receiver) == []


# --- Fault modes: one outcome per record, nothing sent twice ----------------------------------


@pytest.mark.parametrize("permanent", [False, True], ids=["per-record", "permanent"])
@pytest.mark.parametrize(
    ("fault", "outcome", "files", "reason"),
    [
        (Fault(FaultMode.CLOSE_BEFORE_REPLY), "unconfirmed", 3, "closed the connection without"),
        (Fault(FaultMode.NO_REPLY), "unconfirmed", 3, f"within {QUICK:g} s"),
        (Fault(FaultMode.SLOW, seconds=0.5), "unconfirmed", 3, f"within {QUICK:g} s"),
        (Fault(FaultMode.ERROR, text="no 245 field"), "rejected", 0, "Error: no 245 field"),
        (Fault(FaultMode.GARBAGE), "unconfirmed", 3, "could not be understood"),
        (Fault(FaultMode.CLOSE_AFTER, after_bytes=10), "unconfirmed", 0, "connection"),
    ],
    ids=lambda v: v.mode.value if isinstance(v, Fault) else None,
)
def test_fault_modes(
    start_receiver: ReceiverFactory,
    fault: Fault,
    outcome: str,
    files: int,
    reason: str,
    permanent: bool,
) -> None:
    receiver = start_receiver(fault=fault)
    waits = fault.mode in (FaultMode.NO_REPLY, FaultMode.SLOW)
    results = send(settings_for(receiver, timeout=QUICK if waits else 2.0, permanent=permanent))
    assert outcomes(results) == [outcome] * 3
    assert all(reason in r.reason for r in results), results[0].reason
    assert all(r.attempts == 1 for r in results)
    # Each record went to the host exactly once: nothing was sent again.
    if fault.mode is not FaultMode.CLOSE_AFTER:  # that one closes before a request is whole
        assert receiver.wait_until(lambda r: len(r.requests) == 3)
        assert len(receiver.requests) == 3
    assert len(saved(receiver)) == files
    reuses = permanent and fault.mode is FaultMode.ERROR  # FOLIO keeps the socket after errors
    assert receiver.connections == (1 if reuses else 3)


def test_garbage_is_kept_raw_for_the_journal(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.GARBAGE))
    (result,) = send(settings_for(receiver), RECORDS[:1])
    assert result.reply is not None
    assert result.reply.kind is ReplyKind.UNKNOWN
    assert result.outcome is Outcome.UNCONFIRMED
    assert b"\xfe\xff" in result.reply.raw


def test_a_slow_reply_within_the_timeout_is_awaited(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.SLOW, seconds=0.1))
    assert outcomes(send(settings_for(receiver, timeout=2.0), RECORDS[:1])) == ["exported"]


def test_a_fault_on_the_first_connections_only(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.ERROR, first=2))
    assert outcomes(send(settings_for(receiver))) == ["rejected", "rejected", "exported"]


def test_refused_connections_stop_the_run(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.REFUSE))
    results = send(settings_for(receiver, retries=2), RECORDS)
    assert outcomes(results) == ["not_sent"] * 3
    assert [r.attempts for r in results] == [3, 0, 0]
    assert results[0].reason == (
        f"Connection refused by host {LOOPBACK} port {receiver.port}: "
        "nothing is listening there, or a firewall refuses it"
    )
    assert {r.reason for r in results} == {results[0].reason}


def test_retries_with_a_fractional_delay_until_the_host_listens(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.REFUSE))
    lookups = 0

    def resolver(host: str) -> Sequence[str]:
        nonlocal lookups
        lookups += 1  # once per connection attempt
        if lookups == 3:
            receiver.set_fault(None)
        return resolve_to_loopback(host)

    settings = settings_for(receiver, host=TEST_HOST, retries=3, delay=0.1)
    started = time.monotonic()
    results = send(settings, RECORDS[:2], resolver=resolver)
    assert time.monotonic() - started >= 0.2  # two waits of Delay
    assert outcomes(results) == ["exported", "exported"]
    assert [r.attempts for r in results] == [3, 1]


def test_retries_run_out(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.REFUSE))
    started = time.monotonic()
    results = send(settings_for(receiver, retries=2, delay=0.1), RECORDS[:1])
    assert time.monotonic() - started >= 0.2
    assert results[0].attempts == 3


def test_a_name_that_does_not_resolve(receiver: Receiver) -> None:
    settings = settings_for(receiver, host="nowhere.test", retries=1)
    results = send(settings, RECORDS[:2], resolver=resolve_to_loopback)
    assert outcomes(results) == ["not_sent", "not_sent"]
    assert results[0].reason == "Host name nowhere.test could not be found"
    assert [r.attempts for r in results] == [2, 0]
    assert receiver.connections == 0


def test_connecting_times_out(unanswered_port: int) -> None:
    started = time.monotonic()
    results = send(settings_for(unanswered_port, timeout=0.2, retries=1), RECORDS[:1])
    assert time.monotonic() - started >= 0.4
    assert results[0].outcome is Outcome.NOT_SENT
    assert (
        results[0].reason == f"No answer from host {LOOPBACK} port {unanswered_port} within 0.2 s"
    )
    assert results[0].attempts == 2


# --- Permanent connection and the stale-socket rule ---------------------------------------------


def test_the_permanent_connection_lasts_across_runs(receiver: Receiver) -> None:
    with ConnexionClient(settings_for(receiver, permanent=True)) as client:
        first = list(client.send_records(RECORDS[:2]))
        second = list(client.send_records(RECORDS[2:]))
        assert client.connected
    assert outcomes(first + second) == ["exported"] * 3
    assert second[0].index == 0
    assert receiver.connections == 1


def test_a_connection_the_host_closed_is_replaced_quietly(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(idle_timeout=0.1)  # FOLIO-like, closing idle connections
    settings = settings_for(
        receiver, permanent=True, retries=0, send_logon_id=True, logon_id="lib", password="pw"
    )
    with ConnexionClient(settings) as client:
        assert client.send(RECORDS[0]).outcome is Outcome.EXPORTED
        assert receiver.wait_until(lambda r: r.closed_connections == 1)
        result = client.send(RECORDS[1], 1)
    assert (result.outcome, result.attempts) == (Outcome.EXPORTED, 1)
    assert receiver.connections == 2
    assert saved(receiver) == RECORDS[:2]
    # Each connection starts with a logon.
    assert [r.tags for r in receiver.requests] == ["AP", "AP"]


class ScriptedHost:
    """A host playing one script per connection, in order, to make races happen on cue."""

    def __init__(
        self,
        *scripts: Callable[[socket.socket, list[bytes]], None],
        receive_buffer: int | None = None,
    ) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # set before listening, so the window is small too
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.server.bind((LOOPBACK, 0))
        self.server.listen()
        self.port: int = self.server.getsockname()[1]
        self.scripts = scripts
        self.received: list[list[bytes]] = []  # the requests read, per connection
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for script in self.scripts:
            conn, _ = self.server.accept()
            requests: list[bytes] = []
            self.received.append(requests)
            with conn:
                script(conn, requests)

    def close(self) -> None:
        self.thread.join(5)
        self.server.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\x00"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answer(
    *replies: bytes, then: Callable[[socket.socket, list[bytes]], None] | None = None
) -> Callable[[socket.socket, list[bytes]], None]:
    def script(conn: socket.socket, requests: list[bytes]) -> None:
        for reply in replies:
            requests.append(read_request(conn))
            conn.sendall(reply)
        if then is not None:
            then(conn, requests)

    return script


def read_then_close(conn: socket.socket, requests: list[bytes]) -> None:
    requests.append(read_request(conn))


def test_a_request_the_host_dropped_on_a_reused_connection_is_never_sent_again() -> None:
    # Connection 1 answers one request, then reads the second and closes without a reply. A
    # host that stored the record and dropped the line looks the same: no resend, ever.
    host = ScriptedHost(answer(b"Import ok\n\x00", then=read_then_close))
    try:
        settings = settings_for(
            host.port, permanent=True, send_logon_id=True, logon_id="lib", password="pw"
        )
        results = send(settings, RECORDS[:2])
    finally:
        host.close()
    assert outcomes(results) == ["exported", "unconfirmed"]
    assert results[1].reason == (
        "The host closed the connection without replying; the host may have the record"
    )
    (only,) = host.received
    assert only[1].endswith(RECORDS[1] + b"\x00") and not only[1].startswith(b"A")


def test_a_host_that_closes_after_its_replies_gets_a_new_connection_per_record() -> None:
    # Koha closes right after each reply. The client watches the first reply's connection
    # for that close, and then stops reusing for the run, so that it never writes into a
    # socket the host is closing.
    host = ScriptedHost(*[answer(b"Import ok\n\x00")] * 3)
    try:
        with ConnexionClient(settings_for(host.port, permanent=True)) as client:
            results = []
            for index, record in enumerate(RECORDS):
                results.append(client.send(record, index))
                assert not client.connected
    finally:
        host.close()
    assert outcomes(results) == ["exported"] * 3
    assert [len(requests) for requests in host.received] == [1, 1, 1]


def test_a_host_that_keeps_its_connections_gets_them_reused(receiver: Receiver) -> None:
    with ConnexionClient(settings_for(receiver, permanent=True)) as client:
        results = list(client.send_records(RECORDS))
        assert client.connected
    assert outcomes(results) == ["exported"] * 3
    assert receiver.connections == 1


def test_a_late_second_reply_is_noted_and_the_connection_dropped() -> None:
    kept = threading.Event()

    def twice(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(b"Import ok\n\x00")
        kept.wait(5)  # the client has kept the connection: now the late, second reply
        conn.sendall(b"Import ok\n\x00")
        with contextlib.suppress(OSError):
            conn.recv(1)  # hold the connection open until the client drops it

    host = ScriptedHost(twice, answer(b"Import ok\n\x00"))
    try:
        with ConnexionClient(settings_for(host.port, permanent=True)) as client:
            first = client.send(RECORDS[0], 0)
            assert client.connected
            kept.set()
            wait_for_bytes(client, 11)
            second = client.send(RECORDS[1], 1)
    finally:
        host.close()
    assert outcomes([first, second]) == ["exported", "exported"]
    assert second.attempts == 1 and second.note is None
    assert second.earlier_note == (
        "The host sent 11 bytes after its reply that no request asked for: 'Import ok'"
    )
    assert [len(requests) for requests in host.received] == [1, 1]


def wait_for_bytes(client: ConnexionClient, count: int) -> None:
    sock = client._sock
    assert sock is not None
    deadline = time.monotonic() + 5
    while len(sock.recv(64, socket.MSG_PEEK)) < count and time.monotonic() < deadline:
        select.select([sock], [], [], 0.05)


def test_bytes_after_the_end_marker_are_noted_and_the_connection_not_reused() -> None:
    host = ScriptedHost(
        answer(b"Import ok\n\x00Import ok\n\x00"),
        answer(b"Import ok\n\x00"),
    )
    try:
        results = send(settings_for(host.port, permanent=True), RECORDS[:2])
    finally:
        host.close()
    assert outcomes(results) == ["exported", "exported"]
    assert results[0].note is not None and "11 bytes after its reply" in results[0].note
    assert [len(requests) for requests in host.received] == [1, 1]


def test_an_endless_reply_is_cut_and_unconfirmed() -> None:
    def endless(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        with contextlib.suppress(OSError):
            for _ in range(200):  # 200 KiB without a NUL: far past the 64 KiB limit
                conn.sendall(b"Import ok " * 103)

    host = ScriptedHost(endless)
    try:
        (result,) = send(settings_for(host.port), RECORDS[:1])
    finally:
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reason.startswith("The host's reply passed 64 KiB without ending")
    assert result.reply is not None and len(result.reply.raw) == MAX_STORED_REPLY_BYTES


def test_a_reply_cut_by_the_timeout_is_unconfirmed_whatever_it_says() -> None:
    def half(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(b"Import ok")  # and never the NUL
        conn.recv(1)

    host = ScriptedHost(half)
    try:
        (result,) = send(settings_for(host.port, timeout=QUICK), RECORDS[:1])
    finally:
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reply is not None and result.reply.text == "Import ok"
    assert result.reason.startswith("No complete reply within 0.3 s")


def test_a_reset_after_a_success_text_is_unconfirmed() -> None:
    def reset(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(b"Import ok")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    host = ScriptedHost(reset)
    try:
        (result,) = send(settings_for(host.port), RECORDS[:1])
    finally:
        host.close()
    assert result.outcome is Outcome.UNCONFIRMED


def test_a_reply_echoing_the_password_is_masked() -> None:
    def echo(conn: socket.socket, requests: list[bytes]) -> None:
        request = read_request(conn)
        requests.append(request)
        conn.sendall(b"Error: bad logon " + request[:40] + b"\x00")

    host = ScriptedHost(echo)
    secret = "pw-Zq81!x"
    try:
        settings = settings_for(
            host.port, send_logon_id=True, logon_id="KEY-123", password=secret,
            logon_id_secret=True,
        )  # fmt: skip
        (result,) = send(settings, RECORDS[:1])
    finally:
        host.close()
    assert result.outcome is Outcome.REJECTED
    assert result.reply is not None
    for shown in (result.reason, result.reply.text, result.reply.raw.decode("latin-1")):
        assert secret not in shown and "KEY-123" not in shown
        assert "***" in shown


def test_a_pattern_of_the_administrators_decides_a_reply() -> None:
    host = ScriptedHost(answer(b"Thank you\x00"))
    try:
        settings = settings_for(host.port, reply_success_pattern=r"^thank you$")
        (result,) = send(settings, RECORDS[:1])
    finally:
        host.close()
    assert result.outcome is Outcome.EXPORTED


def test_an_invalid_pattern_is_refused_before_connecting() -> None:
    with pytest.raises(OptionError) as raised:
        settings_for(5500, reply_failure_pattern="[unclosed")
    assert raised.value.key == "reply_failure_pattern"


# --- Cancel during every wait ------------------------------------------------------------------


def test_cancel_while_waiting_for_a_reply_leaves_the_record_unconfirmed(
    start_receiver: ReceiverFactory,
) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.NO_REPLY))
    cancel = threading.Event()
    with ConnexionClient(settings_for(receiver, timeout=60)) as client:
        started = time.monotonic()
        result = client.send(RECORDS[0], cancel=cancel, while_waiting=cancel.set)
    assert time.monotonic() - started < 3
    assert result.outcome is Outcome.UNCONFIRMED
    assert result.reason.startswith("Cancelled while waiting for the host's reply")


def test_cancel_while_connecting(unanswered_port: int) -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    started = time.monotonic()
    try:
        with (
            pytest.raises(Cancelled),
            ConnexionClient(settings_for(unanswered_port, timeout=60)) as client,
        ):
            client.send(RECORDS[0], cancel=cancel)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 3


def test_cancel_while_a_name_lookup_hangs() -> None:
    cancel = threading.Event()
    release = threading.Event()

    def hanging(host: str) -> Sequence[str]:
        cancel.set()
        release.wait(30)
        return [LOOPBACK]

    started = time.monotonic()
    try:
        with (
            pytest.raises(Cancelled),
            ConnexionClient(settings_for(5500, host=TEST_HOST, timeout=60), hanging) as client,
        ):
            client.send(RECORDS[0], cancel=cancel)
    finally:
        release.set()
    assert time.monotonic() - started < 3


def test_a_name_lookup_that_hangs_times_out() -> None:
    release = threading.Event()

    def hanging(host: str) -> Sequence[str]:
        release.wait(30)
        return [LOOPBACK]

    try:
        results = send(
            settings_for(5500, host=TEST_HOST, timeout=QUICK), RECORDS[:1], resolver=hanging
        )
    finally:
        release.set()
    assert outcomes(results) == ["not_sent"]
    assert results[0].reason == f"No answer from host {TEST_HOST} port 5500 within 0.3 s"


def test_a_fresh_connection_closed_without_reply_is_not_sent_again() -> None:
    host = ScriptedHost(read_then_close, answer(b"Import ok\n\x00"))
    try:
        results = send(settings_for(host.port, permanent=True), RECORDS[:2])
    finally:
        host.close()
    assert outcomes(results) == ["unconfirmed", "exported"]
    assert [len(requests) for requests in host.received] == [1, 1]


def test_a_reused_connection_that_began_a_reply_is_not_sent_again() -> None:
    def start_reply_then_close(conn: socket.socket, requests: list[bytes]) -> None:
        requests.append(read_request(conn))
        conn.sendall(b"Imp")

    host = ScriptedHost(answer(b"Import ok\n\x00", then=start_reply_then_close))
    try:
        results = send(settings_for(host.port, permanent=True), RECORDS[:2])
    finally:
        host.close()
    assert outcomes(results) == ["exported", "unconfirmed"]
    assert results[1].reply is not None and results[1].reply.text == "Imp"
    assert len(host.received) == 1


# --- TLS -------------------------------------------------------------------------------------


def test_tls_with_the_tests_own_authority(
    start_receiver: ReceiverFactory, tls_files: TlsFiles
) -> None:
    receiver = start_receiver(tls=tls_files.server_context)
    settings = settings_for(
        receiver, host=TEST_HOST, use_tls=True, ca_file=str(tls_files.ca_file), permanent=True
    )
    results = send(settings, RECORDS, resolver=resolve_to_loopback)
    assert outcomes(results) == ["exported"] * 3
    assert receiver.connections == 1
    assert saved(receiver) == RECORDS


def test_tls_to_an_ip_address(start_receiver: ReceiverFactory, tls_files: TlsFiles) -> None:
    receiver = start_receiver(tls=tls_files.server_context, style=ReplyStyle.KOHA)
    settings = settings_for(receiver, use_tls=True, ca_file=str(tls_files.ca_file), notify=False)
    assert outcomes(send(settings, RECORDS[:2])) == ["exported", "exported"]


@pytest.mark.parametrize("trust", ["system", "other-ca"])
def test_an_untrusted_certificate_is_a_failure_to_connect(
    start_receiver: ReceiverFactory, tls_files: TlsFiles, trust: str
) -> None:
    receiver = start_receiver(tls=tls_files.server_context)
    ca_file = str(tls_files.other_ca_file) if trust == "other-ca" else None
    settings = settings_for(receiver, use_tls=True, ca_file=ca_file, retries=1)
    results = send(settings, RECORDS[:2])
    assert outcomes(results) == ["not_sent", "not_sent"]
    assert results[0].reason.startswith("TLS handshake failed: certificate not trusted")
    assert [r.attempts for r in results] == [2, 0]
    assert saved(receiver) == []


def test_a_certificate_for_another_name_is_refused(
    start_receiver: ReceiverFactory, tls_files: TlsFiles
) -> None:
    receiver = start_receiver(tls=tls_files.server_context)

    def other_name(host: str) -> Sequence[str]:
        return [LOOPBACK]

    settings = settings_for(
        receiver, host="other.test", use_tls=True, ca_file=str(tls_files.ca_file)
    )
    (result,) = send(settings, RECORDS[:1], resolver=other_name)
    assert result.outcome is Outcome.NOT_SENT
    assert "is not for other.test" in result.reason


def test_tls_to_a_host_without_tls(receiver: Receiver, tls_files: TlsFiles) -> None:
    settings = settings_for(receiver, use_tls=True, ca_file=str(tls_files.ca_file), timeout=QUICK)
    (result,) = send(settings, RECORDS[:1])
    assert result.outcome is Outcome.NOT_SENT
    assert result.reason.startswith("TLS handshake failed")
    assert saved(receiver) == []


def test_a_missing_ca_file_is_refused_before_connecting(
    receiver: Receiver, tmp_path: object
) -> None:
    settings = settings_for(receiver, use_tls=True, ca_file="/nonexistent/ca.pem")
    with pytest.raises(OptionError) as raised:
        send(settings, RECORDS[:1])
    assert raised.value.key == "ca_file"
    check = check_connection(settings)
    assert check == type(check)(
        False, "The certificate authority file /nonexistent/ca.pem is missing."
    )
    assert receiver.connections == 0


# --- Checking a connection ---------------------------------------------------------------------


def test_check_connection_ok_sends_nothing(receiver: Receiver) -> None:
    check = check_connection(settings_for(receiver))
    assert check.ok
    assert check.message == f"host {LOOPBACK} port {receiver.port} answered."
    assert receiver.wait_until(lambda r: r.closed_connections == 1)
    assert receiver.requests == []


def test_check_connection_with_tls(start_receiver: ReceiverFactory, tls_files: TlsFiles) -> None:
    receiver = start_receiver(tls=tls_files.server_context)
    settings = settings_for(receiver, host=TEST_HOST, use_tls=True, ca_file=str(tls_files.ca_file))
    check = check_connection(settings, resolver=resolve_to_loopback)
    assert check.ok and "certificate verified" in check.message


def test_check_connection_says_what_failed(
    start_receiver: ReceiverFactory, tls_files: TlsFiles, unanswered_port: int
) -> None:
    refusing = start_receiver(fault=Fault(FaultMode.REFUSE))
    check = check_connection(settings_for(refusing, retries=5))
    assert not check.ok
    assert check.message.startswith(f"Connection refused by host {LOOPBACK} port {refusing.port}")

    check = check_connection(settings_for(refusing, host="nowhere.test"), resolve_to_loopback)
    assert check == type(check)(False, "Host name nowhere.test could not be found")

    check = check_connection(settings_for(unanswered_port, timeout=0.2))
    assert check.message == f"No answer from host {LOOPBACK} port {unanswered_port} within 0.2 s"

    tls_host = start_receiver(tls=tls_files.server_context)
    check = check_connection(settings_for(tls_host, use_tls=True))
    assert not check.ok
    assert check.message.startswith(
        "TLS handshake failed: certificate not trusted by this computer"
    )


# --- Cancel ------------------------------------------------------------------------------------


def test_cancel_stops_before_the_next_record(receiver: Receiver) -> None:
    cancel = threading.Event()
    results = []
    for result in send_records(settings_for(receiver, permanent=True), RECORDS, cancel):
        results.append(result)
        cancel.set()
    assert outcomes(results) == ["exported"]
    assert len(saved(receiver)) == 1


def test_cancel_while_waiting_to_retry(start_receiver: ReceiverFactory) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.REFUSE))
    cancel = threading.Event()

    def resolver(host: str) -> Sequence[str]:
        cancel.set()  # while the first attempt is under way
        return resolve_to_loopback(host)

    settings = settings_for(receiver, host=TEST_HOST, retries=5, delay=30)
    started = time.monotonic()
    results = list(send_records(settings, RECORDS, cancel, resolver=resolver))
    assert results == []  # the record was never sent: the caller marks it cancelled
    assert time.monotonic() - started < 5


def test_cancel_before_the_first_record(receiver: Receiver) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(send_records(settings_for(receiver), RECORDS, cancel)) == []
    assert receiver.connections == 0


@pytest.mark.parametrize(
    ("ending", "outcome"),
    [("close_notify", "exported"), ("bare TCP close", "unconfirmed")],
)
def test_over_tls_only_a_clean_close_completes_a_reply_without_nul(
    tls_files: TlsFiles, ending: str, outcome: str
) -> None:
    """PROTOCOL.md: over TLS a reply ends with NUL or close_notify; a bare TCP close in the
    middle of TLS is a cut reply, whatever it says."""

    def reply_then_end(conn: socket.socket, requests: list[bytes]) -> None:
        with tls_files.server_context.wrap_socket(conn, server_side=True) as secure:
            requests.append(read_request(secure))
            secure.sendall(b"Import ok")
            if ending == "close_notify":
                with contextlib.suppress(OSError):  # the client need not answer it
                    secure.unwrap()
            else:
                socket.socket.shutdown(secure, socket.SHUT_RDWR)  # beneath TLS: no close_notify

    host = ScriptedHost(reply_then_end)
    try:
        settings = settings_for(host.port, use_tls=True, ca_file=str(tls_files.ca_file))
        (result,) = send(settings, RECORDS[:1])
    finally:
        host.close()
    assert result.outcome.value == outcome
