"""Sending records to a local system's receiver: sockets, timeouts, retries, TLS.

Every TCP/IP option of EXPORT-OPTIONS.md is honoured here, mapped onto the wire as
PROTOCOL.md decides. Each record gets exactly one outcome, and no record whose bytes may
have reached the host is ever sent again: a request without a complete reply is
``unconfirmed``, and the cataloger decides. Every wait (name lookup, connecting, the TLS
handshake, sending, the reply) watches the cancel event at least every CANCEL_POLL seconds.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app.core.errors import OptionError
from app.core.net.connection import (
    CANCEL_POLL,
    Cancelled,
    ConnectFailed,
    Resolver,
    TransportSettings,
    address_of,
    default_resolver,
    open_connection,
    seconds_text,
    tls_context,
)
from app.core.net.protocol import (
    END_MARKER,
    Reply,
    ReplyKind,
    build_request,
    classify_reply,
    mask_secrets,
)
from app.core.net.socket_waits import Line, Watch, error_text, look_at, set_waits

log = logging.getLogger(__name__)

__all__ = [
    "CANCEL_POLL",
    "CLOSE_GRACE",
    "MAX_REPLY_BYTES",
    "Cancelled",
    "ConnectionCheck",
    "ConnexionClient",
    "Outcome",
    "Resolver",
    "SendResult",
    "TransportSettings",
    "check_connection",
    "default_resolver",
    "send_records",
]


MAX_REPLY_BYTES = 65536  # a reply is a line or two of text; past this it is cut (unconfirmed)
# After the first reply on a kept connection, how long to watch for the host closing it
# (Koha closes within milliseconds); a host that leaves it open that long keeps connections.
CLOSE_GRACE = 0.2
_NOTE_CHARS = 200  # how much of unasked bytes a journal note quotes


class Outcome(enum.StrEnum):
    EXPORTED = "exported"  # the host confirmed
    REJECTED = "rejected"  # the host said no; its text is the reply
    NOT_SENT = "not_sent"  # could not connect; the run stops here
    UNCONFIRMED = "unconfirmed"  # sent, but no reply, an unclassifiable one, or a broken line


# Looked up once: a member looked up on its enum class costs as much as a small function
# call on Python 3.11, and this one is checked for every record sent.
_UNCONFIRMED = Outcome.UNCONFIRMED


@dataclass(frozen=True, init=False)
class SendResult:
    """One record's outcome.

    ``index`` is the record's position (from 0) in the records given. ``attempts`` counts the
    connection attempts the record needed (1 when it went over an open permanent connection,
    0 when the run had already stopped); quiet reconnects are not counted. ``reason`` says
    why in words a cataloger understands: the host's text for exported and rejected records,
    what failed for the others.
    """

    index: int
    outcome: Outcome
    reply: Reply | None
    attempts: int
    reason: str
    # Bytes the host sent that no request asked for, in words for the journal: ``note``
    # after this record's reply, ``earlier_note`` found on the connection before this record
    # was sent (they follow the previous record's reply). Neither changes an outcome.
    note: str | None = None
    earlier_note: str | None = None

    def __init__(
        self,
        index: int,
        outcome: Outcome,
        reply: Reply | None,
        attempts: int,
        reason: str,
        note: str | None = None,
        earlier_note: str | None = None,
    ) -> None:
        # One result is made for each record sent: the fields go straight into the instance's
        # dict, where a frozen dataclass's own __init__ makes an object.__setattr__ call for
        # each (a third of the cost). tests/core/net/test_send_result.py keeps the two alike.
        fields = self.__dict__
        fields["index"] = index
        fields["outcome"] = outcome
        fields["reply"] = reply
        fields["attempts"] = attempts
        fields["reason"] = reason
        fields["note"] = note
        fields["earlier_note"] = earlier_note


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


@dataclass(slots=True)
class _Exchange:
    """What came back for one request on one socket (never changed once made)."""

    raw: bytes | None = None  # the reply's bytes (NUL excluded), None when none arrived
    complete: bool = False  # ended by NUL, or by a clean close after some text
    extra: bytes = b""  # bytes after the NUL, which no request asked for
    problem: str = ""  # why there is no complete reply
    closed: bool = False  # the host closed the connection


@dataclass(frozen=True, slots=True)
class _Judged:
    """A complete reply's exchange and what it means for the record sent."""

    exchange: _Exchange
    reply: Reply
    outcome: Outcome
    reason: str
    # The reply and its NUL as one receive brings it when nothing came with it (the
    # connection left open, nothing after the NUL); None otherwise.
    whole: bytes | None


class ConnexionClient:
    """Sends records one request each, keeping a permanent connection open across records
    and runs (close it with :meth:`close`, or use the client as a context manager).

    Not thread-safe: one thread uses a client at a time.
    """

    def __init__(self, settings: TransportSettings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self._resolver: Resolver = resolver or default_resolver
        self._tls = tls_context(settings) if settings.use_tls else None
        self._patterns = settings.reply_patterns()
        self._secrets = settings.secrets()
        # The U, A and P fields of a connection's first request, and the end of every request.
        fields = settings.fields()
        self._logon = build_request(
            b"",
            user_id=fields.get("U"),
            logon_id=fields.get("A"),
            password=fields.get("P"),
            end_marker=False,
        )
        self._end = END_MARKER if settings.notify else b""
        self._half_close = not settings.notify  # Notify off: the end of a request is a FIN
        # A connection is kept only with Permanent and Notify both on.
        self._permanent = settings.permanent and settings.notify
        self._sock: socket.socket | None = None
        self._watch: Watch | None = None  # the socket's, for looks before each request
        self._requests_on_socket = 0
        # The last complete reply, judged. A host answers most records in the same words
        # ("Import ok"), and the same bytes mean the same (same patterns and secrets): the
        # same judgement, and a receive bringing the same whole reply again is not looked
        # into (the same exchange).
        self._last: _Judged | None = None
        self._halted: str | None = None  # why the run stopped (not_sent)
        # False once the host closed a connection after its reply: from then on, in this
        # run, a new connection per record, so a request never races the host's close.
        self._reuse = True
        # True once a connection outlived a reply by CLOSE_GRACE: the host keeps connections.
        self._host_keeps = False
        self.connections_opened = 0

    def __enter__(self) -> ConnexionClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
            self._watch = None
            self._requests_on_socket = 0

    @property
    def halted_reason(self) -> str | None:
        """Why this run stopped sending (the host could not be reached), or None."""
        return self._halted

    def start_run(self) -> None:
        """Begin a new run: a host that could not be reached in the last run is tried again
        (within a run, once a record is not sent the records after it are not tried), and a
        host that closed connections is given a kept connection again."""
        self._halted = None
        self._reuse = True

    def send_records(
        self, records: Iterable[bytes], cancel: threading.Event | None = None
    ) -> Iterator[SendResult]:
        """One result per record, in order. A set ``cancel`` ends the iterator before the
        next record (or during a wait between connection attempts); the caller marks the
        records left as cancelled."""
        self.start_run()
        for index, record in enumerate(records):
            if cancel is not None and cancel.is_set():
                return
            try:
                result = self.send(record, index, cancel=cancel)
            except Cancelled:
                return
            yield result

    def send(
        self,
        record: bytes,
        index: int = 0,
        *,
        cancel: threading.Event | None = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> SendResult:
        """Send one record and return its outcome. Raises :class:`Cancelled` when ``cancel``
        is set before any byte of the record was written (looking up the host, connecting,
        waiting to retry). Once the record is on its way, cancel ends the wait for the reply
        within CANCEL_POLL seconds and the record is ``unconfirmed``.

        ``while_waiting`` is called once the request is on its way, before the reply is read
        (the export run prepares the next record meanwhile); it must not raise, and its time
        does not count against Timeout."""
        if self._halted is not None:
            return SendResult(index, Outcome.NOT_SENT, None, 0, self._halted)
        earlier_note = None
        attempts = 1
        sock, watch = self._sock, self._watch
        if sock is not None and (not self._reuse or watch is None or watch.unread()):
            earlier_note = self._look_before_request()  # not the usual quiet kept connection
            sock = self._sock
        if sock is None:
            connected = self._connect(cancel)
            if isinstance(connected, _NotSent):
                return connected.at(index)
            attempts, sock = connected, self._sock
            assert sock is not None
        if cancel is not None and cancel.is_set():
            raise Cancelled()  # the last moment at which nothing of the record has gone
        if self._requests_on_socket:
            request = record + self._end
        else:
            request = self._logon + record + self._end
        self._requests_on_socket += 1
        problem = self._send_all(sock, request, cancel)
        if problem:
            return self._conclude(index, _Exchange(problem=problem), attempts, earlier_note)
        if while_waiting is not None:
            while_waiting()
        exchange = self._read_reply(sock, cancel)
        last = self._last
        if (
            last is None
            or exchange is not last.exchange
            or not (self._permanent and self._host_keeps and self._reuse)
        ):
            return self._conclude(index, exchange, attempts, earlier_note)
        # The usual record on a kept connection: the host's last reply again, whole and
        # alone (so nothing after it and the connection open), from a host known to keep
        # connections. _conclude would judge it the same and keep the connection.
        if last.outcome is _UNCONFIRMED:
            self.close()
        return SendResult(
            index, last.outcome, last.reply, attempts, last.reason, None, earlier_note
        )

    def _conclude(
        self, index: int, exchange: _Exchange, attempts: int, earlier_note: str | None
    ) -> SendResult:
        """The record's result from what came back for it, and whether the connection is
        kept for the next record."""
        if exchange.closed:
            self._reuse = False
        note = self._note(exchange.extra, "after its reply") if exchange.extra else None
        keep = (
            self._permanent
            and self._reuse
            and exchange.complete
            and not exchange.extra
            and not exchange.closed
        )
        if keep and not self._host_keeps and exchange.raw is not None:
            keep, late = self._outlives_reply()
            note = note or late
        result = self._judge(index, exchange, attempts, note, earlier_note)
        if not keep or result.outcome is _UNCONFIRMED:
            self.close()
        return result

    def _look_before_request(self) -> str | None:
        """A kept connection that is not quiet (or not to be reused) is closed before the
        next request goes; a note of any bytes the host sent unasked on it."""
        assert self._sock is not None
        earlier_note = None
        line, unasked = look_at(self._sock, self._watch)
        if line is Line.CLOSED:
            self._reuse = False
        elif line is Line.UNASKED:
            earlier_note = self._note(unasked, "after its reply")
        if line is not Line.QUIET or not self._reuse:
            self.close()
        return earlier_note

    def _outlives_reply(self) -> tuple[bool, str | None]:
        """Whether the host leaves the connection open after a reply, watched once, so that
        the next request never races a host closing right after replying; and a note of
        any bytes it sent unasked meanwhile."""
        assert self._sock is not None and self._watch is not None
        if not self._watch.readable(CLOSE_GRACE):
            self._host_keeps = True
            return True, None
        line, unasked = look_at(self._sock, self._watch)
        if line is Line.CLOSED:  # the host closes after its replies: none kept this run
            self._reuse = False
            return False, None
        if line is Line.UNASKED:
            return False, self._note(unasked, "after its reply")
        return True, None  # readable with nothing for us (a TLS session ticket)

    def _judge(
        self,
        index: int,
        exchange: _Exchange,
        attempts: int,
        note: str | None,
        earlier_note: str | None,
    ) -> SendResult:
        if exchange.raw is None:
            return SendResult(
                index, Outcome.UNCONFIRMED, None, attempts, exchange.problem, note, earlier_note
            )
        if not exchange.complete:
            reply = self._classify(exchange.raw, complete=False)
            return SendResult(
                index, Outcome.UNCONFIRMED, reply, attempts, exchange.problem, note, earlier_note
            )
        last = self._last
        if last is None or exchange is not last.exchange:  # not the last reply again
            last = self._judge_complete(exchange)
        return SendResult(
            index, last.outcome, last.reply, attempts, last.reason, note, earlier_note
        )

    def _judge_complete(self, exchange: _Exchange) -> _Judged:
        """A complete reply judged (as the last one when in the same words), and kept as the
        last; with its bytes as a receive would bring them again when it came alone."""
        assert exchange.raw is not None
        alone = not exchange.extra and not exchange.closed
        last = self._last
        if last is not None and exchange.raw == last.exchange.raw:
            if last.whole is not None or not alone:
                return last
            reply, outcome, reason = last.reply, last.outcome, last.reason
        else:
            reply = self._classify(exchange.raw, complete=True)
            if reply.kind is ReplyKind.SUCCESS:
                outcome, reason = Outcome.EXPORTED, reply.text
            elif reply.kind is ReplyKind.FAILURE:
                outcome, reason = Outcome.REJECTED, reply.text
            else:
                outcome, reason = Outcome.UNCONFIRMED, "The host's reply could not be understood"
        whole = exchange.raw + END_MARKER if alone else None
        self._last = _Judged(exchange, reply, outcome, reason, whole)
        return self._last

    def _classify(self, raw: bytes, *, complete: bool) -> Reply:
        return classify_reply(
            raw, complete=complete, patterns=self._patterns, secrets=self._secrets
        )

    def _note(self, data: bytes, when: str) -> str:
        shown = mask_secrets(data, self._secrets).decode("utf-8", errors="replace")
        shown = shown.replace("\x00", " ").strip()
        cut = "…" if len(shown) > _NOTE_CHARS else ""
        return (
            f"The host sent {len(data)} bytes {when} that no request asked for: "
            f"{shown[:_NOTE_CHARS]!r}{cut}"
        )

    # -- connecting ---------------------------------------------------------------------

    def _connect(self, cancel: threading.Event | None) -> int | _NotSent:
        """Connect with Retries and Delay: the attempts it took, or the failure that stops
        the run. A host that speaks before being asked, or closes at once, has not
        connected."""
        settings = self.settings
        attempts = 0
        while True:
            attempts += 1
            try:
                self._sock = self._open_quiet(cancel)
            except ConnectFailed as error:
                message = str(error)
                log.debug("connection attempt %d failed: %s", attempts, message)
                if attempts > settings.retries:
                    self._halted = message
                    return _NotSent(message, attempts)
                if cancel is None:
                    time.sleep(settings.delay)
                elif cancel.wait(settings.delay) or cancel.is_set():
                    raise Cancelled() from None
                continue
            # Each wait at most CANCEL_POLL, and no longer than Timeout itself: a reply later
            # than a short Timeout is not waited for until CANCEL_POLL is over.
            set_waits(self._sock, min(CANCEL_POLL, settings.timeout))
            self._watch = Watch(self._sock)
            self._requests_on_socket = 0
            self.connections_opened += 1
            return attempts

    def _open_quiet(self, cancel: threading.Event | None) -> socket.socket:
        sock = open_connection(self.settings, self._resolver, self._tls, cancel)
        line, unasked = look_at(sock)
        if line is Line.QUIET:
            return sock
        sock.close()
        where = address_of(self.settings)
        if line is Line.CLOSED:
            raise ConnectFailed(f"{where} closed the connection before any request")
        raise ConnectFailed(self._note(unasked, "before any request").replace("The host", where))

    # -- one request ----------------------------------------------------------------------

    def _send_all(
        self, sock: socket.socket, data: bytes, cancel: threading.Event | None
    ) -> str | None:
        """Write the request within Timeout; what went wrong, or None. From the first byte
        on, whatever happens, the host may have the record."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        view: bytes | memoryview = data
        try:
            while True:
                try:
                    sent = sock.send(view)
                except (TimeoutError, BlockingIOError):  # a wait of CANCEL_POLL went by
                    if cancel is not None and cancel.is_set():
                        return "Cancelled while sending the record; the host may have part of it"
                    if time.monotonic() >= deadline:
                        return (
                            f"The host took more than {seconds_text(timeout)} to take the record; "
                            "it may have received part of it"
                        )
                    continue
                if sent == len(view):  # usually at the first send
                    break
                view = memoryview(view)[sent:]
            if self._half_close:
                # The TCP half-close. SSLSocket.shutdown would also drop the TLS layer, so
                # the reply could not be read: with TLS, shut the socket under it.
                socket.socket.shutdown(sock, socket.SHUT_WR)
        except OSError as error:
            return f"The connection broke while sending the record ({error_text(error)})"
        return None

    def _read_reply(self, sock: socket.socket, cancel: threading.Event | None) -> _Exchange:
        """Read to the NUL ending the reply, within Timeout of the request being sent. Only
        a NUL, or a clean close after some text, completes a reply."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        received: bytearray | None = None  # made when a reply comes in pieces
        while True:
            try:
                chunk = sock.recv(4096)
            except (TimeoutError, BlockingIOError):  # a wait of CANCEL_POLL went by
                if cancel is not None and cancel.is_set():
                    return self._cut(received, "Cancelled while waiting for the host's reply")
                if time.monotonic() >= deadline:
                    return self._cut(
                        received, f"No complete reply within {seconds_text(timeout)} after sending"
                    )
                continue
            except OSError as error:
                return self._cut(
                    received,
                    f"The connection broke before the reply was complete ({error_text(error)})",
                    closed=True,
                )
            last = self._last
            if last is not None and chunk == last.whole and not received:
                return last.exchange  # the last reply again, whole and alone
            if not chunk:
                if received:
                    return _Exchange(bytes(received), complete=True, closed=True)
                return self._cut(
                    received, "The host closed the connection without replying", closed=True
                )
            end = chunk.find(END_MARKER)
            if end >= 0:
                if not received:  # the usual case: the whole reply in one read
                    return _Exchange(chunk[:end], True, chunk[end + 1 :])  # complete
                received += chunk[:end]
                return _Exchange(bytes(received), complete=True, extra=chunk[end + 1 :])
            if received is None:
                received = bytearray(chunk)
            else:
                received += chunk
            if time.monotonic() >= deadline:  # a host trickling bytes never lets recv time out
                return self._cut(
                    received, f"No complete reply within {seconds_text(timeout)} after sending"
                )
            if len(received) > MAX_REPLY_BYTES:
                return self._cut(
                    received,
                    f"The host's reply passed {MAX_REPLY_BYTES // 1024} KiB without ending",
                )

    @staticmethod
    def _cut(received: bytearray | None, problem: str, *, closed: bool = False) -> _Exchange:
        """A reply cut short is never classified: the record is unconfirmed."""
        problem += "; the host may have the record"
        return _Exchange(bytes(received) if received else None, problem=problem, closed=closed)


@dataclass(frozen=True)
class _NotSent:
    reason: str
    attempts: int

    def at(self, index: int) -> SendResult:
        return SendResult(index, Outcome.NOT_SENT, None, self.attempts, self.reason)


def send_records(
    settings: TransportSettings,
    records: Iterable[bytes],
    cancel: threading.Event | None = None,
    resolver: Resolver | None = None,
) -> Iterator[SendResult]:
    """Send each record in its own request; one :class:`SendResult` per record, in order.

    After a record that could not be sent, every later one is ``not_sent`` (0 attempts, the
    same reason). A set ``cancel`` ends the iterator before the next record. A permanent
    connection lasts for this run; keep a :class:`ConnexionClient` to keep it across runs.
    """
    with ConnexionClient(settings, resolver) as client:
        yield from client.send_records(records, cancel)


def check_connection(
    settings: TransportSettings, resolver: Resolver | None = None
) -> ConnectionCheck:
    """Connect once (and do the TLS handshake when on) without sending a record."""
    try:
        tls = tls_context(settings) if settings.use_tls else None
        sock = open_connection(settings, resolver or default_resolver, tls)
    except (ConnectFailed, Cancelled) as error:
        return ConnectionCheck(False, str(error))
    except OptionError as error:  # the CA file
        return ConnectionCheck(False, error.reason[:1].upper() + error.reason[1:] + ".")
    try:
        detail = ""
        if isinstance(sock, ssl.SSLSocket):
            detail = f" ({sock.version() or 'TLS'}, certificate verified)"
        return ConnectionCheck(True, f"{address_of(settings)} answered{detail}.")
    finally:
        sock.close()
