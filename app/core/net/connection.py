"""Opening a connection to a local system's receiver: the connection's settings, the name
lookup, the TCP connect and the TLS handshake, each within Timeout and each watching the
cancel event at least every CANCEL_POLL seconds. Sending over it is app.core.net.transport's."""

from __future__ import annotations

import errno
import functools
import ipaddress
import math
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import OptionError
from app.core.net.protocol import (
    ReplyPatterns,
    value_size_error,
)

# Replaces host-name resolution: a host name in, IP addresses (as text) out, in the order to
# try them. Raises OSError (socket.gaierror) when the name can't be found.
Resolver = Callable[[str], Sequence[str]]

CANCEL_POLL = 0.5  # seconds: how long any wait may go without looking at the cancel event


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
            f"timeout {seconds_text(self.timeout)}",
            f"retries {self.retries}",
            f"delay {seconds_text(self.delay)}",
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


class ConnectFailed(Exception):
    """One connection attempt failed; the message is for the cataloger."""


def seconds_text(value: float) -> str:
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


def tls_context(settings: TransportSettings) -> ssl.SSLContext:
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


def address_of(settings: TransportSettings) -> str:
    return f"host {settings.host} port {settings.port}"


def _tls_failure(settings: TransportSettings, error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or str(error)
        if error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH (also IP mismatch)
            return (
                f"TLS handshake failed: the certificate of {address_of(settings)} is not for "
                f"{settings.host} ({detail})"
            )
        trust = f"the CA file {settings.ca_file}" if settings.ca_file else "this computer"
        return f"TLS handshake failed: certificate not trusted by {trust} ({detail})"
    if isinstance(error, TimeoutError):
        return (
            f"TLS handshake failed: no answer from {address_of(settings)} "
            f"within {seconds_text(settings.timeout)}"
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
        return f"No answer from {address_of(settings)} within {seconds_text(settings.timeout)}"
    if isinstance(error, ConnectionRefusedError):
        return (
            f"Connection refused by {address_of(settings)}: nothing is listening there, "
            "or a firewall refuses it"
        )
    reason = error.strerror or str(error)
    return f"Could not connect to {address_of(settings)}: {reason}"


def poll_time(deadline: float) -> float:
    """How long the next wait may last: to the deadline, at most CANCEL_POLL."""
    return min(CANCEL_POLL, deadline - time.monotonic())


def check_cancel(cancel: threading.Event | None) -> None:
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
    while not done.wait(max(poll_time(deadline), 0)):
        check_cancel(cancel)
        if time.monotonic() >= deadline:
            raise ConnectFailed(_connect_failure(settings, TimeoutError()))
    if not found or not found[0]:
        raise ConnectFailed(f"Host name {settings.host} could not be found")
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
            wait = poll_time(deadline)
            if wait <= 0:
                raise TimeoutError()
            # Windows reports a failed connect among the exceptional descriptors.
            _, writable, failed = select.select([], [sock], [sock], wait)
            if writable or failed:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                break
            check_cancel(cancel)
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
            wait = poll_time(deadline)
            if wait <= 0:
                raise TimeoutError()
            select.select(*wanted, [], wait)
            check_cancel(cancel)
    except BaseException:
        wrapped.close()  # the wrapper owns the descriptor now
        raise


def open_connection(
    settings: TransportSettings,
    resolver: Resolver,
    tls: ssl.SSLContext | None,
    cancel: threading.Event | None = None,
) -> socket.socket:
    """One connection attempt within the timeout, the TLS handshake included. The socket
    comes back with a CANCEL_POLL timeout. Raises Cancelled, or ConnectFailed."""
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
        raise ConnectFailed(_connect_failure(settings, last))
    if tls is not None:
        try:
            sock = _handshake(sock, settings, tls, deadline, cancel)
        except (OSError, EOFError) as error:
            sock.close()
            raise ConnectFailed(_tls_failure(settings, error)) from None
        except BaseException:
            sock.close()
            raise
    sock.settimeout(CANCEL_POLL)
    return sock
