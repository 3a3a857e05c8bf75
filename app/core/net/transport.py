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
import errno
import functools
import ipaddress
import logging
import math
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import OptionError
from app.core.net.protocol import (
    END_MARKER,
    MAX_STORED_REPLY_BYTES,
    Reply,
    ReplyKind,
    ReplyPatterns,
    build_request,
    classify_reply,
    mask_secrets,
    value_size_error,
)

log = logging.getLogger(__name__)

# Replaces host-name resolution: a host name in, IP addresses (as text) out, in the order to
# try them. Raises OSError (socket.gaierror) when the name can't be found.
Resolver = Callable[[str], Sequence[str]]

MAX_REPLY_BYTES = 65536  # a reply is a line or two of text; past this it is cut (unconfirmed)
CANCEL_POLL = 0.5  # seconds: how long any wait may go without looking at the cancel event
# After the first reply on a kept connection, how long to watch for the host closing it
# (Koha closes within milliseconds); a host that leaves it open that long keeps connections.
CLOSE_GRACE = 0.2
_NOTE_CHARS = 200  # how much of unasked bytes a journal note quotes


class Outcome(enum.StrEnum):
    EXPORTED = "exported"  # the host confirmed
    REJECTED = "rejected"  # the host said no; its text is the reply
    NOT_SENT = "not_sent"  # could not connect; the run stops here
    UNCONFIRMED = "unconfirmed"  # sent, but no reply, an unclassifiable one, or a broken line


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


@dataclass(frozen=True)
class TransportSettings:
    """A connection's TCP/IP settings. Neither the password nor the logon ID is in the repr.

    Times are seconds and may be fractional. Only the fields turned on are sent; each value
    sent must fit in 191 bytes of UTF-8 (checked here, before any connection).
    """

    host: str
    port: int
    timeout: float = 90.0
    retries: int = 3
    delay: float = 0.0
    permanent: bool = False
    notify: bool = True
    use_tls: bool = False
    ca_file: str | None = None
    send_logon_id: bool = False
    logon_id: str = field(default="", repr=False)
    password: str | None = field(default=None, repr=False)
    send_user_id: bool = False
    user_id: str = ""
    logon_id_secret: bool = False  # the logon ID is a secret too: masked in replies
    reply_success_pattern: str = ""
    reply_failure_pattern: str = ""

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise OptionError("host", "no host name given")
        if not 1 <= self.port <= 65535:
            raise OptionError("port", "must be between 1 and 65535")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise OptionError("timeout", "must be more than 0 seconds")
        if self.retries < 0:
            raise OptionError("retries", "can't be negative")
        if not (math.isfinite(self.delay) and self.delay >= 0):
            raise OptionError("delay", "can't be negative")
        for tag, value in self.fields().items():
            error = value_size_error(tag, value)
            if error is not None:
                raise error
        self.reply_patterns()  # an invalid pattern is refused here, before any connection

    def reply_patterns(self) -> ReplyPatterns:
        return ReplyPatterns.compile(self.reply_success_pattern, self.reply_failure_pattern)

    def secrets(self) -> tuple[str, ...]:
        """What a reply must never show: the password sent, and a secret logon ID."""
        if not self.send_logon_id:
            return ()
        return tuple(
            value
            for value in (self.password, self.logon_id if self.logon_id_secret else None)
            if value
        )

    @classmethod
    def from_options(cls, values: Mapping[str, Any], password: str | None) -> TransportSettings:
        """The settings of a connection as the Export Options keep them (whole seconds)."""
        return cls(
            host=str(values["host"]).strip(),
            port=int(values["port"]),
            timeout=float(values["timeout"]),
            retries=int(values["retries"]),
            delay=float(values["delay"]),
            permanent=bool(values["permanent_connection"]),
            notify=bool(values["notify_before_disconnect"]),
            use_tls=bool(values["use_tls"]),
            ca_file=(str(values["ca_file"]) or None) if values["use_tls"] else None,
            send_logon_id=bool(values["send_logon_id"]),
            logon_id=str(values["logon_id"]),
            password=password,
            send_user_id=bool(values["send_user_id"]),
            user_id=str(values["user_id"]),
            logon_id_secret=bool(values.get("logon_id_secret", False)),
            reply_success_pattern=str(values.get("reply_success_pattern", "")),
            reply_failure_pattern=str(values.get("reply_failure_pattern", "")),
        )

    def fields(self) -> dict[str, str]:
        """The values sent with the first request of a connection, by tag."""
        sent: dict[str, str] = {}
        if self.send_user_id:
            sent["U"] = self.user_id
        if self.send_logon_id:
            sent["A"] = self.logon_id
            sent["P"] = self.password or ""
        return sent

    def redacted(self) -> str:
        """The settings for a log line: what is sent, never the logon ID or password."""
        sent = []
        if self.send_user_id:
            sent.append(f"user ID {self.user_id!r}")
        if self.send_logon_id:
            sent.append("logon ID (hidden)")
            sent.append("password (hidden)" if self.password else "empty password")
        parts = [
            f"host {self.host} port {self.port}",
            f"timeout {_seconds(self.timeout)}",
            f"retries {self.retries}",
            f"delay {_seconds(self.delay)}",
            f"permanent {'on' if self.permanent else 'off'}",
            f"notify {'on' if self.notify else 'off'}",
            "TLS " + (f"on (CA file {self.ca_file})" if self.ca_file else "on")
            if self.use_tls
            else "TLS off",
            "sends " + (", ".join(sent) if sent else "no user information"),
        ]
        return ", ".join(parts)


class Cancelled(Exception):
    """The cancel event was set before any byte of the current record was written (while
    looking up the host, connecting, or waiting to retry)."""


class _ConnectFailed(Exception):
    """One connection attempt failed; the message is for the cataloger."""


def _seconds(value: float) -> str:
    return f"{value:g} s"


def default_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@functools.lru_cache(maxsize=64)
def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _tls_context(settings: TransportSettings) -> ssl.SSLContext:
    if settings.ca_file is not None and not os.path.isfile(settings.ca_file):
        raise OptionError(
            "ca_file", f"the certificate authority file {settings.ca_file} is missing"
        )
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (ssl.SSLError, OSError) as error:
        raise OptionError(
            "ca_file",
            f"the certificate authority file {settings.ca_file} can't be used "
            f"({getattr(error, 'reason', None) or error.strerror or error})",
        ) from None


def _where(settings: TransportSettings) -> str:
    return f"host {settings.host} port {settings.port}"


def _tls_failure(settings: TransportSettings, error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or str(error)
        if error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH (also IP mismatch)
            return (
                f"TLS handshake failed: the certificate of {_where(settings)} is not for "
                f"{settings.host} ({detail})"
            )
        trust = f"the CA file {settings.ca_file}" if settings.ca_file else "this computer"
        return f"TLS handshake failed: certificate not trusted by {trust} ({detail})"
    if isinstance(error, TimeoutError):
        return (
            f"TLS handshake failed: no answer from {_where(settings)} "
            f"within {_seconds(settings.timeout)}"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            reason = "the host closed the connection (does it use TLS on this port?)"
        return f"TLS handshake failed: {reason}"
    if isinstance(error, ConnectionError | EOFError):
        return (
            "TLS handshake failed: the host closed the connection (does it use TLS on this port?)"
        )
    return f"TLS handshake failed: {error}"


def _connect_failure(settings: TransportSettings, error: OSError) -> str:
    if isinstance(error, TimeoutError):
        return f"No answer from {_where(settings)} within {_seconds(settings.timeout)}"
    if isinstance(error, ConnectionRefusedError):
        return (
            f"Connection refused by {_where(settings)}: nothing is listening there, "
            "or a firewall refuses it"
        )
    reason = error.strerror or str(error)
    return f"Could not connect to {_where(settings)}: {reason}"


def _poll(deadline: float) -> float:
    """How long the next wait may last: to the deadline, at most CANCEL_POLL."""
    return min(CANCEL_POLL, deadline - time.monotonic())


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def _resolve(
    settings: TransportSettings,
    resolver: Resolver,
    deadline: float,
    cancel: threading.Event | None,
) -> Sequence[str]:
    """The host's addresses; a name lookup that hangs is left behind at the deadline or on
    cancel (getaddrinfo itself can't be interrupted)."""
    if _is_ip_literal(settings.host):
        return [settings.host]
    found: list[Sequence[str]] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(resolver(settings.host))
        except (OSError, UnicodeError):
            pass
        finally:
            done.set()

    threading.Thread(target=look_up, name="exportdesk-resolve", daemon=True).start()
    while not done.wait(max(_poll(deadline), 0)):
        _check_cancel(cancel)
        if time.monotonic() >= deadline:
            raise _ConnectFailed(_connect_failure(settings, TimeoutError()))
    if not found or not found[0]:
        raise _ConnectFailed(f"Host name {settings.host} could not be found")
    return found[0]


def _connect_socket(
    address: str, port: int, deadline: float, cancel: threading.Event | None
) -> socket.socket:
    """A TCP connection to ``address``, non-blocking underneath so that cancel is seen."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        code = sock.connect_ex((address, port))
        while code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            wait = _poll(deadline)
            if wait <= 0:
                raise TimeoutError()
            # Windows reports a failed connect among the exceptional descriptors.
            _, writable, failed = select.select([], [sock], [sock], wait)
            if writable or failed:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                break
            _check_cancel(cancel)
        if code != 0:
            raise OSError(code, os.strerror(code))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    except BaseException:
        sock.close()
        raise


def _handshake(
    sock: socket.socket,
    settings: TransportSettings,
    tls: ssl.SSLContext,
    deadline: float,
    cancel: threading.Event | None,
) -> ssl.SSLSocket:
    # A bare TCP close in the middle of TLS must show as an error, not as the end of a
    # reply (PROTOCOL.md): no ragged EOFs suppressed.
    wrapped = tls.wrap_socket(
        sock,
        server_hostname=settings.host,
        do_handshake_on_connect=False,
        suppress_ragged_eofs=False,
    )
    try:
        while True:
            try:
                wrapped.do_handshake()
                return wrapped
            except ssl.SSLWantReadError:
                wanted: tuple[list[socket.socket], list[socket.socket]] = ([wrapped], [])
            except ssl.SSLWantWriteError:
                wanted = ([], [wrapped])
            wait = _poll(deadline)
            if wait <= 0:
                raise TimeoutError()
            select.select(*wanted, [], wait)
            _check_cancel(cancel)
    except BaseException:
        wrapped.close()  # the wrapper owns the descriptor now
        raise


def _open(
    settings: TransportSettings,
    resolver: Resolver,
    tls: ssl.SSLContext | None,
    cancel: threading.Event | None = None,
) -> socket.socket:
    """One connection attempt within the timeout, the TLS handshake included. The socket
    comes back with a CANCEL_POLL timeout. Raises Cancelled, or _ConnectFailed."""
    deadline = time.monotonic() + settings.timeout
    addresses = _resolve(settings, resolver, deadline, cancel)
    last: OSError | None = None
    sock: socket.socket | None = None
    for address in addresses:
        if time.monotonic() >= deadline:
            last = TimeoutError()
            break
        try:
            sock = _connect_socket(address, settings.port, deadline, cancel)
            break
        except OSError as error:
            last = error
    if sock is None:
        assert last is not None
        raise _ConnectFailed(_connect_failure(settings, last))
    if tls is not None:
        try:
            sock = _handshake(sock, settings, tls, deadline, cancel)
        except (OSError, EOFError) as error:
            sock.close()
            raise _ConnectFailed(_tls_failure(settings, error)) from None
        except BaseException:
            sock.close()
            raise
    sock.settimeout(CANCEL_POLL)
    return sock


class _Line(enum.Enum):
    """What a connection shows, without waiting, before a request is written on it."""

    QUIET = "quiet"  # nothing to read: fit to carry a request
    CLOSED = "closed"  # the host closed or reset its end
    UNASKED = "unasked"  # the host sent bytes no request asked for


def _look_at(sock: socket.socket) -> tuple[_Line, bytes]:
    """Without blocking: has the host closed the connection, or sent something unasked?
    Bytes found are read (the connection is not used again either way)."""
    pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
    if not pending:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):  # a descriptor select can't watch: ask the socket itself
            readable = [sock]
        if not readable:
            return _Line.QUIET, b""  # the usual case, in one system call
    received = bytearray()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        while len(received) <= MAX_STORED_REPLY_BYTES:
            chunk = sock.recv(4096)
            if not chunk:
                return (_Line.UNASKED if received else _Line.CLOSED), bytes(received)
            received += chunk
    except (ssl.SSLWantReadError, BlockingIOError):
        # A TLS socket can be readable with no application data (session tickets).
        pass
    except OSError:
        return (_Line.UNASKED if received else _Line.CLOSED), bytes(received)
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(timeout)
    return (_Line.UNASKED if received else _Line.QUIET), bytes(received)


@dataclass(slots=True)
class _Exchange:
    """What came back for one request on one socket."""

    raw: bytes | None = None  # the reply's bytes (NUL excluded), None when none arrived
    complete: bool = False  # ended by NUL, or by a clean close after some text
    problem: str = ""  # why there is no complete reply
    extra: bytes = b""  # bytes after the NUL, which no request asked for
    closed: bool = False  # the host closed the connection


class ConnexionClient:
    """Sends records one request each, keeping a permanent connection open across records
    and runs (close it with :meth:`close`, or use the client as a context manager).

    Not thread-safe: one thread uses a client at a time.
    """

    def __init__(self, settings: TransportSettings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self._resolver: Resolver = resolver or default_resolver
        self._tls = _tls_context(settings) if settings.use_tls else None
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
        # A connection is kept only with Permanent and Notify both on.
        self._permanent = settings.permanent and settings.notify
        self._sock: socket.socket | None = None
        self._requests_on_socket = 0
        self._halted: str | None = None  # why the run stopped (not_sent)
        # False once the host closed a connection after its reply: from then on, in this
        # run, a new connection per record, so a request never races the host's close.
        self._reuse = True
        # True once a connection outlived a reply by CLOSE_GRACE: the host keeps connections.
        self._host_keeps = False
        self._while_waiting: Callable[[], None] | None = None
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
        self._while_waiting = while_waiting
        if self._halted is not None:
            return SendResult(index, Outcome.NOT_SENT, None, 0, self._halted)
        earlier_note = None
        attempts = 1
        if self._sock is not None:
            line, unasked = _look_at(self._sock)
            if line is _Line.CLOSED:
                self._reuse = False
            elif line is _Line.UNASKED:
                earlier_note = self._note(unasked, "after its reply")
            if line is not _Line.QUIET or not self._reuse:
                self.close()
        if self._sock is None:
            connected = self._connect(cancel)
            if isinstance(connected, _NotSent):
                return connected.at(index)
            attempts = connected
        exchange = self._exchange(record, cancel)
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
        if not keep or result.outcome is Outcome.UNCONFIRMED:
            self.close()
        return result

    def _outlives_reply(self) -> tuple[bool, str | None]:
        """Whether the host leaves the connection open after a reply, watched once, so that
        the next request never races a host closing right after replying; and a note of
        any bytes it sent unasked meanwhile."""
        assert self._sock is not None
        try:
            readable, _, _ = select.select([self._sock], [], [], CLOSE_GRACE)
        except (OSError, ValueError):
            readable = [self._sock]
        if not readable:
            self._host_keeps = True
            return True, None
        line, unasked = _look_at(self._sock)
        if line is _Line.CLOSED:  # the host closes after its replies: none kept this run
            self._reuse = False
            return False, None
        if line is _Line.UNASKED:
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
        reply = classify_reply(
            exchange.raw,
            complete=exchange.complete,
            patterns=self._patterns,
            secrets=self._secrets,
        )
        if not exchange.complete:
            outcome, reason = Outcome.UNCONFIRMED, exchange.problem
        elif reply.kind is ReplyKind.SUCCESS:
            outcome, reason = Outcome.EXPORTED, reply.text
        elif reply.kind is ReplyKind.FAILURE:
            outcome, reason = Outcome.REJECTED, reply.text
        else:
            outcome, reason = Outcome.UNCONFIRMED, "The host's reply could not be understood"
        return SendResult(index, outcome, reply, attempts, reason, note, earlier_note)

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
            except _ConnectFailed as error:
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
            self._requests_on_socket = 0
            self.connections_opened += 1
            return attempts

    def _open_quiet(self, cancel: threading.Event | None) -> socket.socket:
        sock = _open(self.settings, self._resolver, self._tls, cancel)
        line, unasked = _look_at(sock)
        if line is _Line.QUIET:
            return sock
        sock.close()
        where = _where(self.settings)
        if line is _Line.CLOSED:
            raise _ConnectFailed(f"{where} closed the connection before any request")
        raise _ConnectFailed(self._note(unasked, "before any request").replace("The host", where))

    # -- one request ----------------------------------------------------------------------

    def _exchange(self, record: bytes, cancel: threading.Event | None) -> _Exchange:
        sock = self._sock
        assert sock is not None
        if cancel is not None and cancel.is_set():
            # The last moment at which nothing of the record has gone.
            raise Cancelled()
        if self._requests_on_socket == 0:
            request = self._logon + record + self._end
        else:
            request = record + self._end
        self._requests_on_socket += 1
        problem = self._send_all(sock, request, cancel)
        if problem:
            return _Exchange(problem=problem)
        waiting, self._while_waiting = self._while_waiting, None
        if waiting is not None:
            waiting()
        return self._read_reply(sock, cancel)

    def _send_all(
        self, sock: socket.socket, data: bytes, cancel: threading.Event | None
    ) -> str | None:
        """Write the request within Timeout; what went wrong, or None. From the first byte
        on, whatever happens, the host may have the record."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[sock.send(view) :]
                except TimeoutError:
                    if cancel is not None and cancel.is_set():
                        return "Cancelled while sending the record; the host may have part of it"
                    if time.monotonic() >= deadline:
                        return (
                            f"The host took more than {_seconds(timeout)} to take the record; "
                            "it may have received part of it"
                        )
            if not self.settings.notify:
                # The TCP half-close. SSLSocket.shutdown would also drop the TLS layer, so
                # the reply could not be read: with TLS, shut the socket under it.
                socket.socket.shutdown(sock, socket.SHUT_WR)
        except OSError as error:
            return f"The connection broke while sending the record ({_error_text(error)})"
        return None

    def _read_reply(self, sock: socket.socket, cancel: threading.Event | None) -> _Exchange:
        """Read to the NUL ending the reply, within Timeout of the request being sent. Only
        a NUL, or a clean close after some text, completes a reply."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        received = bytearray()
        while True:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                if cancel is not None and cancel.is_set():
                    return self._cut(received, "Cancelled while waiting for the host's reply")
                if time.monotonic() >= deadline:
                    return self._cut(
                        received, f"No complete reply within {_seconds(timeout)} after sending"
                    )
                continue
            except OSError as error:
                return self._cut(
                    received,
                    f"The connection broke before the reply was complete ({_error_text(error)})",
                    closed=True,
                )
            if not chunk:
                if received:
                    return _Exchange(bytes(received), complete=True, closed=True)
                return self._cut(
                    received, "The host closed the connection without replying", closed=True
                )
            end = chunk.find(END_MARKER)
            if end >= 0:
                if not received:  # the usual case: the whole reply in one read
                    return _Exchange(chunk[:end], complete=True, extra=chunk[end + 1 :])
                received += chunk[:end]
                return _Exchange(bytes(received), complete=True, extra=chunk[end + 1 :])
            received += chunk
            if time.monotonic() >= deadline:  # a host trickling bytes never lets recv time out
                return self._cut(
                    received, f"No complete reply within {_seconds(timeout)} after sending"
                )
            if len(received) > MAX_REPLY_BYTES:
                return self._cut(
                    received,
                    f"The host's reply passed {MAX_REPLY_BYTES // 1024} KiB without ending",
                )

    @staticmethod
    def _cut(received: bytearray, problem: str, *, closed: bool = False) -> _Exchange:
        """A reply cut short is never classified: the record is unconfirmed."""
        problem += "; the host may have the record"
        return _Exchange(bytes(received) if received else None, problem=problem, closed=closed)


@dataclass(frozen=True)
class _NotSent:
    reason: str
    attempts: int

    def at(self, index: int) -> SendResult:
        return SendResult(index, Outcome.NOT_SENT, None, self.attempts, self.reason)


def _error_text(error: OSError) -> str:
    if error.errno is not None and error.errno in errno.errorcode:
        return error.strerror or errno.errorcode[error.errno]
    return str(error) or type(error).__name__


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
        tls = _tls_context(settings) if settings.use_tls else None
        sock = _open(settings, resolver or default_resolver, tls)
    except (_ConnectFailed, Cancelled) as error:
        return ConnectionCheck(False, str(error))
    except OptionError as error:  # the CA file
        return ConnectionCheck(False, error.reason[:1].upper() + error.reason[1:] + ".")
    try:
        detail = ""
        if isinstance(sock, ssl.SSLSocket):
            detail = f" ({sock.version() or 'TLS'}, certificate verified)"
        return ConnectionCheck(True, f"{_where(settings)} answered{detail}.")
    finally:
        sock.close()
