"""GET over one kept-alive HTTP/1.1 connection, for SRU targets: the little of HTTP that SRU
needs, on a socket of its own, so that a cancel is seen while waiting and a request costs
little besides the network.

Every wait (connecting, the TLS handshake, sending, the answer) lasts at most POLL seconds
before the cancel event is looked at again, so a cancel stops a request within POLL, whatever
the server does; ``timeout`` is how long the server may stay silent (no byte) before the
request fails, as http.client's and requests' timeouts mean it. The answer is read as HTTP/1.1
says: a Content-Length, chunks, or up to the end of the connection; informational answers
(1xx) are passed over. A kept connection the server closed meanwhile is opened again once,
at once (a GET may be sent again). Failures are OSError (a TimeoutError for silence) or
BadAnswer; a cancel raises retry.Cancelled.
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from app.core.digits import ascii_digits
from app.core.sources.retry import Cancelled

T = TypeVar("T")

POLL = 0.1  # seconds: the longest any wait goes without looking at the cancel event
_CHUNK = 65536  # bytes asked of the socket at a time (below malloc's mmap threshold)
_MAX_HEAD = 256 * 1024  # the status line and headers together
# An answer's body: a page of SRU records is a few megabytes at most. A server sending more
# (or without end) is stopped here rather than filling the memory.
MAX_BODY = 64 * 1024 * 1024
_NO_BODY = (204, 304)
_HEX = b"0123456789abcdefABCDEF"
_PATH_SAFE = "/%:@!$&'()*+,;=~-._?"


class BadAnswer(Exception):
    """The server's answer is not HTTP as this client reads it (the message says where)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    reason: str
    headers: dict[str, str]  # names as the server wrote them; the last of a repeated one
    body: bytes


class KeptAlive:
    """GET to one target's host over a connection kept open between requests."""

    def __init__(self, url: str, timeout: float, agent: str, ca_file: str | None = None) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file or None) if self.https else None
        shown = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != (443 if self.https else 80):
            shown = f"{shown}:{self.port}"
        self._head = f" HTTP/1.1\r\nHost: {shown}\r\nAccept-Encoding: identity\r\n"
        self._head += f"User-Agent: {agent}\r\n\r\n"
        self._sock: socket.socket | None = None

    def __enter__(self) -> KeptAlive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def path_of(url: str) -> str:
        """The path of ``url`` as a request line may carry it (spaces and the like quoted)."""
        return quote(urlsplit(url).path or "/", safe=_PATH_SAFE)

    def get(self, path: str, cancel: threading.Event | None = None) -> Answer:
        """The answer to ``GET path``; ``path`` (with its query) must need no quoting."""
        request = f"GET {path}{self._head}".encode("ascii")
        for again in (False, True):
            kept = self._sock is not None
            if self._sock is None:
                self._sock = self._open(cancel)
            sock = self._sock
            try:
                _send(sock, request, self.timeout, cancel)
                answer, keep = _read_answer(sock, self.timeout, cancel)
            except (_Closed, BrokenPipeError, ConnectionResetError):
                self.close()
                if not kept or again:
                    raise ConnectionResetError(
                        errno.ECONNRESET, "the server closed the connection"
                    ) from None
                continue  # a kept connection the server had closed: once more, on a new one
            except BaseException:
                self.close()
                raise
            if not keep:
                self.close()
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _open(self, cancel: threading.Event | None) -> socket.socket:
        deadline = time.monotonic() + self.timeout
        infos = _addresses(self.host, self.port, deadline, cancel)
        last: OSError = OSError(f"{self.host} has no address")
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                _connect(sock, address, deadline, cancel)
            except OSError as error:
                sock.close()
                last = error
                continue
            except BaseException:
                sock.close()
                raise
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self._handshake(sock, cancel)
            sock.settimeout(POLL)
            return sock
        raise last

    def _handshake(self, sock: socket.socket, cancel: threading.Event | None) -> ssl.SSLSocket:
        assert self.context is not None
        sock.settimeout(POLL)
        wrapped = self.context.wrap_socket(
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        try:
            _patiently(wrapped.do_handshake, self.timeout, cancel)
        except BaseException:
            wrapped.close()
            raise
        return wrapped


class _Closed(Exception):
    """The server closed the connection before the first byte of its answer."""


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


def _addresses(
    host: str, port: int, deadline: float, cancel: threading.Event | None
) -> list[tuple[Any, ...]]:
    """getaddrinfo's answer; for a host name, looked up in a thread of its own, left behind
    on cancel or at the deadline (getaddrinfo itself can't be interrupted)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[list[tuple[Any, ...]] | OSError] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            found.append(error)
        finally:
            done.set()

    threading.Thread(target=look_up, name="exportdesk-target-lookup", daemon=True).start()
    while not done.wait(max(0.0, min(POLL, deadline - time.monotonic()))):
        _check(cancel)
        if time.monotonic() >= deadline:
            raise TimeoutError(errno.ETIMEDOUT, f"{host} could not be looked up in time")
    result = found[0]
    if isinstance(result, OSError):
        raise result
    return result


def _connect(
    sock: socket.socket, address: Any, deadline: float, cancel: threading.Event | None
) -> None:
    sock.setblocking(False)
    code = sock.connect_ex(address)
    while code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
        _check(cancel)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(errno.ETIMEDOUT, "no connection within the timeout")
        _, writable, failed = select.select([], [sock], [sock], min(POLL, left))
        if writable or failed:
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OSError(code, os.strerror(code))


def _patiently(operation: Callable[[], T], timeout: float, cancel: threading.Event | None) -> T:
    """``operation()`` on a socket whose timeout is POLL, again after each POLL of silence,
    until it succeeds, ``timeout`` seconds of silence pass, or ``cancel`` is set."""
    _check(cancel)
    started = time.monotonic()
    while True:
        try:
            return operation()
        except TimeoutError:
            _check(cancel)
            if time.monotonic() - started >= timeout:
                raise


def _send(sock: socket.socket, data: bytes, timeout: float, cancel: threading.Event | None) -> None:
    view = memoryview(data)
    while view:
        sent = _patiently(functools.partial(sock.send, view), timeout, cancel)
        view = view[sent:]


class _Reader:
    """The bytes of one connection's answers, read as they are needed."""

    def __init__(self, sock: socket.socket, timeout: float, cancel: threading.Event | None) -> None:
        self.sock = sock
        self.timeout = timeout
        self.cancel = cancel
        self.data = b""
        self.received = False
        self._recv = functools.partial(sock.recv, _CHUNK)

    def receive(self) -> bytes:
        """What comes next from the connection (b"" at its end)."""
        chunk = _patiently(self._recv, self.timeout, self.cancel)
        self.received = self.received or bool(chunk)
        return chunk

    def more(self) -> bool:
        """Reads what comes next onto ``data``; False at the end of the connection."""
        chunk = self.receive()
        self.data += chunk
        return bool(chunk)

    def line_end(self, start: int) -> int:
        """Where the line from ``start`` ends (its \n), reading as needed."""
        while (end := self.data.find(b"\n", start)) < 0:
            if len(self.data) - start > _MAX_HEAD:
                raise BadAnswer("a line of its headers is too long")
            if not self.more():
                raise BadAnswer("the connection ended in the middle of the answer")
        return end

    def at_least(self, size: int) -> None:
        """Reads until ``data`` holds ``size`` bytes."""
        parts = [self.data]
        have = len(self.data)
        while have < size:
            chunk = self.receive()
            if not chunk:
                raise BadAnswer("the connection ended before the whole answer came")
            parts.append(chunk)
            have += len(chunk)
        self.data = b"".join(parts)

    def to_the_end(self) -> None:
        """Reads until the connection ends (at most MAX_BODY bytes)."""
        parts = [self.data]
        have = len(self.data)
        while chunk := self.receive():
            parts.append(chunk)
            have += len(chunk)
            if have > MAX_BODY:
                raise _too_large()
        self.data = b"".join(parts)


def _read_answer(
    sock: socket.socket, timeout: float, cancel: threading.Event | None
) -> tuple[Answer, bool]:
    """The next answer on the connection, and whether the connection may be used again."""
    reader = _Reader(sock, timeout, cancel)
    while True:
        while (end := _head_end(reader.data)) < 0:
            if len(reader.data) > _MAX_HEAD:
                raise BadAnswer("its headers are too long")
            if not reader.more():
                if not reader.received:
                    raise _Closed
                raise BadAnswer("the connection ended in the middle of the headers")
        version, status, reason, headers, known = _head(reader.data[:end])
        reader.data = reader.data[end:]
        if not (100 <= status < 200 and status != 101):
            break  # an informational answer (100 Continue, 103 Early Hints) comes first
    tokens = known.get("connection", "").lower()
    keep = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    keep = keep and status != 101  # switching to another protocol: not HTTP any more
    length = known.get("content-length")
    if status in _NO_BODY or 100 <= status < 200:
        body = b""
    elif "chunked" in known.get("transfer-encoding", "").lower():
        body = _chunked(reader)
    elif length is not None:
        if not ascii_digits(length):
            raise BadAnswer(f"its Content-Length is not a number ({length[:40]!r})")
        size = int(length)
        if size > MAX_BODY:
            raise _too_large()
        if len(reader.data) < size:
            reader.at_least(size)
        body, reader.data = reader.data[:size], reader.data[size:]
    else:  # up to the end of the connection
        reader.to_the_end()
        body, reader.data, keep = reader.data, b"", False
    if reader.data:
        keep = False  # bytes past the answer: not a server to keep talking to
    return Answer(status, reason, headers, body), keep


def _too_large() -> BadAnswer:
    return BadAnswer(
        f"its answer is larger than {MAX_BODY // (1024 * 1024)} MiB, far more than a page of "
        "records; it was not read further"
    )


def _head_end(data: bytes) -> int:
    """Where the blank line after the headers ends, -1 when it has not come yet (lines may
    end with CR LF or LF alone)."""
    mixed = data.find(b"\n\r\n")
    bare = data.find(b"\n\n", 0, mixed if mixed >= 0 else len(data))
    if bare >= 0:
        return bare + 2
    return mixed + 3 if mixed >= 0 else -1


def _head(head: bytes) -> tuple[str, int, str, dict[str, str], dict[str, str]]:
    """The version, status, reason, headers, and the headers this client reads (by their
    lower-case names) of an answer's head."""
    lines = head.decode("iso-8859-1").split("\n")
    version, _, rest = lines[0].rstrip("\r").partition(" ")
    code, _, reason = rest.partition(" ")
    if (
        not version.startswith("HTTP/1.")
        or len(code) != 3
        or not code.isascii()
        or not code.isdigit()
    ):
        raise BadAnswer(f"it does not begin as an HTTP answer does ({lines[0][:60]!r})")
    headers: dict[str, str] = {}
    known: dict[str, str] = {}
    name = ""
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t":  # a header folded onto more lines (obsolete, still allowed)
            if name:
                headers[name] = f"{headers[name]} {line.strip()}"
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not name:
            name = ""
            continue  # not a header: passed over, as http.client does
        headers[name] = value.strip()
        lower = name.lower()
        if lower in ("connection", "content-length", "transfer-encoding"):
            known[lower] = headers[name]
    return version, int(code), reason.strip(), headers, known


def _chunked(reader: _Reader) -> bytes:
    """A body sent in chunks (each its size in hexadecimal, then its bytes), and the trailer
    headers after them (read, not kept)."""
    parts: list[bytes] = []
    position = total = 0
    while True:
        end = reader.line_end(position)
        size_text = reader.data[position:end].split(b";", 1)[0].strip()
        if not size_text or len(size_text) > 16 or size_text.strip(_HEX):
            raise BadAnswer(f"a chunk's size is not a number ({size_text[:20]!r})")
        size = int(size_text, 16)
        position = end + 1
        if size == 0:
            break
        total += size
        if total > MAX_BODY:
            raise _too_large()
        if len(reader.data) < position + size + 2:
            reader.at_least(position + size + 2)
        parts.append(reader.data[position : position + size])
        position += size
        if reader.data[position : position + 2] == b"\r\n":
            position += 2
        elif reader.data[position : position + 1] == b"\n":
            position += 1
        else:
            raise BadAnswer("a chunk does not end where its size says")
        if position > _CHUNK:
            reader.data, position = reader.data[position:], 0
    while True:  # the trailer, up to a blank line
        end = reader.line_end(position)
        line = reader.data[position:end].strip()
        position = end + 1
        if not line:
            break
    reader.data = reader.data[position:]
    return b"".join(parts)
