"""Sending records to a local system's receiver: sockets, timeouts, retries, TLS.

Every TCP/IP option of EXPORT-OPTIONS.md is honoured here, mapped onto the wire as
PROTOCOL.md decides. Each record gets exactly one outcome, and no record whose bytes may
have reached the host is ever sent again, except under the stale-socket rule.
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
    Reply,
    ReplyKind,
    build_request,
    classify_reply,
    value_size_error,
)

log = logging.getLogger(__name__)

# Replaces host-name resolution: a host name in, IP addresses (as text) out, in the order to
# try them. Raises OSError (socket.gaierror) when the name can't be found.
Resolver = Callable[[str], Sequence[str]]

MAX_REPLY_BYTES = 65536  # a reply is a line or two of text; stop reading garbage past this
# A connection the host closed or reset: on a reused socket, the sign that it went stale.
_STALE_ERRORS = (
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


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
    """The cancel event was set before any byte of the current record was written."""


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


def _open(
    settings: TransportSettings,
    resolver: Resolver,
    tls: ssl.SSLContext | None,
) -> socket.socket:
    """One connection attempt within the timeout, the TLS handshake included."""
    deadline = time.monotonic() + settings.timeout
    if _is_ip_literal(settings.host):
        addresses: Sequence[str] = [settings.host]
    else:
        try:
            addresses = resolver(settings.host)
        except (OSError, UnicodeError):
            raise _ConnectFailed(f"Host name {settings.host} could not be found") from None
        if not addresses:
            raise _ConnectFailed(f"Host name {settings.host} could not be found")
    last: OSError | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            last = TimeoutError()
            break
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(remaining)
            sock.connect((address, settings.port))
        except OSError as error:
            sock.close()
            last = error
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is None:
            return sock
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            return tls.wrap_socket(sock, server_hostname=settings.host)
        except (OSError, EOFError) as error:
            sock.close()
            raise _ConnectFailed(_tls_failure(settings, error)) from None
    assert last is not None
    raise _ConnectFailed(_connect_failure(settings, last))


def _peer_has_closed(sock: socket.socket) -> bool:
    """Without blocking: has the host closed its end, or left bytes no request asked for?"""
    pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
    if not pending:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):  # a descriptor select can't watch: ask the socket itself
            readable = [sock]
        if not readable:
            return False  # the usual case, in one system call
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        if isinstance(sock, ssl.SSLSocket):
            # A TLS socket can be readable with no application data (session tickets).
            sock.recv(1)
        else:
            sock.recv(1, socket.MSG_PEEK)
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(timeout)
    return True  # end of stream, or stray bytes: either way the socket can't be trusted


class _Exchange:
    """What happened to one request on one socket."""

    def __init__(
        self,
        raw: bytes | None = None,
        *,
        problem: str = "",
        stale: bool = False,
        complete: bool = False,
    ) -> None:
        self.raw = raw  # the reply's bytes, None when no byte arrived
        self.problem = problem  # why there is no usable reply
        self.stale = stale  # ended before any reply byte: the host may never have read it
        self.complete = complete  # the reply ended with NUL and nothing followed


class ConnexionClient:
    """Sends records one request each, keeping a permanent connection open across records
    and runs (close it with :meth:`close`, or use the client as a context manager).

    Not thread-safe: one thread uses a client at a time.
    """

    def __init__(self, settings: TransportSettings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self._resolver: Resolver = resolver or default_resolver
        self._tls = _tls_context(settings) if settings.use_tls else None
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
        self._sock: socket.socket | None = None
        self._requests_on_socket = 0
        self._halted: str | None = None  # why the run stopped (not_sent)
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
        (within a run, once a record is not sent the records after it are not tried)."""
        self._halted = None

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
        is set while waiting to retry a connection (nothing of the record was sent).

        ``while_waiting`` is called once the request is on its way, before the reply is read
        (the export run prepares the next record meanwhile); it must not raise, and its time
        does not count against Timeout."""
        self._while_waiting = while_waiting
        if self._halted is not None:
            return SendResult(index, Outcome.NOT_SENT, None, 0, self._halted)
        reused = self._sock is not None and not _peer_has_closed(self._sock)
        attempts = 1
        if not reused:
            connected = self._reconnect(cancel)
            if isinstance(connected, _NotSent):
                return connected.at(index)
            attempts = connected
        exchange = self._exchange(record)
        if exchange.stale and reused:
            # The host closed the reused connection before reading the request: it never saw
            # the record, so it goes once more on a new connection (PROTOCOL.md). This quiet
            # reconnect is not a retry: it has the whole Retries allowance.
            log.debug("stale permanent connection to %s; sending again", self.settings.host)
            connected = self._reconnect(cancel)
            if isinstance(connected, _NotSent):
                return connected.at(index)
            attempts = connected
            exchange = self._exchange(record)
        keep = (
            self.settings.permanent
            and self.settings.notify
            and exchange.complete
            and exchange.raw is not None
        )
        if exchange.raw is None:
            self.close()
            return SendResult(index, Outcome.UNCONFIRMED, None, attempts, exchange.problem)
        reply = classify_reply(exchange.raw)
        if reply.kind is ReplyKind.UNKNOWN:
            keep = False
            reason = exchange.problem or "The host's reply could not be understood"
            outcome = Outcome.UNCONFIRMED
        elif reply.kind is ReplyKind.SUCCESS:
            outcome, reason = Outcome.EXPORTED, reply.text
        else:
            outcome, reason = Outcome.REJECTED, reply.text
        if not keep:
            self.close()
        return SendResult(index, outcome, reply, attempts, reason)

    # -- connecting ---------------------------------------------------------------------

    def _reconnect(self, cancel: threading.Event | None) -> int | _NotSent:
        self.close()
        return self._connect(cancel)

    def _connect(self, cancel: threading.Event | None) -> int | _NotSent:
        """Connect with Retries and Delay: the attempts it took, or the failure that stops
        the run."""
        settings = self.settings
        attempts = 0
        while True:
            attempts += 1
            try:
                self._sock = _open(settings, self._resolver, self._tls)
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

    # -- one request ----------------------------------------------------------------------

    def _exchange(self, record: bytes) -> _Exchange:
        sock = self._sock
        assert sock is not None
        settings = self.settings
        first = self._requests_on_socket == 0
        request = (self._logon if first else b"") + record + self._end
        self._requests_on_socket += 1
        try:
            if sock.gettimeout() != settings.timeout:  # a system call saved per record
                sock.settimeout(settings.timeout)
            sock.sendall(request)
            if not settings.notify:
                # The TCP half-close. SSLSocket.shutdown would also drop the TLS layer, so
                # the reply could not be read: with TLS, shut the socket under it.
                socket.socket.shutdown(sock, socket.SHUT_WR)
        except TimeoutError:
            return _Exchange(
                problem=f"The host took more than {_seconds(settings.timeout)} to take the "
                "record; it may have received part of it"
            )
        except _STALE_ERRORS as error:
            return _Exchange(
                problem=f"The connection broke while sending the record ({_error_text(error)})",
                stale=True,
            )
        except OSError as error:
            return _Exchange(
                problem=f"The connection broke while sending the record ({_error_text(error)})"
            )
        waiting, self._while_waiting = self._while_waiting, None
        if waiting is not None:
            waiting()
        return self._read_reply(sock)

    def _read_reply(self, sock: socket.socket) -> _Exchange:
        """Read to the NUL ending the reply, within Timeout of the request being sent (the
        socket's timeout is already Timeout)."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        received = bytearray()
        while True:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                return self._cut_short(
                    received, f"No complete reply within {_seconds(timeout)} after sending"
                )
            except OSError as error:
                return self._cut_short(
                    received,
                    f"The connection broke before the host replied ({_error_text(error)})",
                    stale=isinstance(error, _STALE_ERRORS),
                )
            if not chunk:
                if received:  # the host closed after a reply without NUL: take it as it is
                    return _Exchange(bytes(received))
                return _Exchange(
                    problem="The host closed the connection without replying", stale=True
                )
            end = chunk.find(END_MARKER)
            if end >= 0:
                if not received and end == len(chunk) - 1:
                    return _Exchange(chunk, complete=True)  # the usual case: one read
                received += chunk[: end + 1]
                # Bytes after the NUL were asked for by no request: don't reuse the socket.
                return _Exchange(bytes(received), complete=end == len(chunk) - 1)
            received += chunk
            if len(received) > MAX_REPLY_BYTES:
                return _Exchange(
                    bytes(received), problem="The host's reply is too long to be a reply"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._cut_short(
                    received, f"No complete reply within {_seconds(timeout)} after sending"
                )
            sock.settimeout(remaining)

    @staticmethod
    def _cut_short(received: bytearray, problem: str, *, stale: bool = False) -> _Exchange:
        if received:
            return _Exchange(bytes(received), problem=problem)
        return _Exchange(problem=problem, stale=stale)


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
    except _ConnectFailed as error:
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
