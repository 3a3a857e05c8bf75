"""ExportDesk's own Connexion receiver: for tests, the demo, the self-test and administrators.

It accepts what real receivers accept (PROTOCOL.md), writes each accepted record to its own
file ``DIR/NNNNNN.mrc`` (atomically: nothing else in DIR ends in ``.mrc``), and answers in
FOLIO's style (socket kept open) or Koha's (closed after each reply). Fault modes imitate a
host that fails in each way a client must survive.

In a program: ``with Receiver(out_dir) as receiver: ... receiver.port ...`` serves on
127.0.0.1 in a background thread; ``serve_forever()`` serves in the calling thread.

Limits, so no client can exhaust it:

- Connections: at most ``max_connections`` are served at once, each by one of as many worker
  threads (started as needed, reused, never more). Further connections wait, unaccepted, in
  the system's listen queue until one ends; past that queue the system refuses them. (Koha
  serves one client at a time: ``max_connections=1`` imitates it.)
- A request's size: past ``max_request_bytes`` received without a whole request, FOLIO style
  closes the connection without a reply, as FOLIO does past 100,000 bytes pending; Koha style
  answers ``Bad request``. A length that is not a number within bounds (a field or record
  announcing more than the limit, a decimal length of more digits than any allowed) is a bad
  request in either style, answered at once.
- The log: ``requests`` keeps the last ``log_size`` requests; ``requests_total`` counts all.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import hmac
import logging
import os
import re
import selectors
import signal
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.atomicfile import fsync_directory
from app.core.errors import UsageError
from app.core.net.protocol import (
    END_MARKER,
    Incomplete,
    PendingTooLargeError,
    Request,
    RequestError,
    RequestStream,
    parse_request,
)

_log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 100_000  # FOLIO's limit on pending bytes
DEFAULT_MAX_CONNECTIONS = 32  # served at once; more wait in the listen queue
DEFAULT_LOG_SIZE = 1000  # requests kept in ``Receiver.requests``
LISTEN_BACKLOG = 64
_RECORD_FILE = re.compile(r"(\d+)\.mrc")
_GARBAGE = b"\x8f\xa0\x13~?#%\x02\x7f\xfe\xff 7\x00"  # matches no known reply


class ReplyStyle(enum.StrEnum):
    FOLIO = "folio"  # "Import ok" / "Error: ...", socket kept open, answers once the record is in
    KOHA = "koha"  # Koha's texts, one record per connection, closed after the reply

    @property
    def default_idle_timeout(self) -> float:
        return 5.0 if self is ReplyStyle.KOHA else 30.0


class FaultMode(enum.StrEnum):
    REFUSE = "refuse"  # connections are refused (bound, not listening)
    CLOSE_BEFORE_REPLY = "close-before-reply"  # the record is saved, then the socket closed
    NO_REPLY = "no-reply"  # the record is saved, no reply ever comes
    SLOW = "slow"  # the record is saved, the reply comes after SECONDS
    ERROR = "error"  # nothing saved, an error reply
    GARBAGE = "garbage"  # the record is saved, the reply is bytes no client can classify
    CLOSE_AFTER = "close-after"  # the socket is closed after N bytes of request, nothing saved


@dataclass(frozen=True)
class Fault:
    """A way to fail. ``first``: only the first N connections fail (None: every one)."""

    mode: FaultMode
    seconds: float = 2.0  # slow
    after_bytes: int = 0  # close-after
    text: str = ""  # error: the reason given
    first: int | None = None

    def __post_init__(self) -> None:
        if self.mode is FaultMode.REFUSE and self.first is not None:
            raise UsageError(
                "The 'refuse' fault can't be limited to the first connections: a refused "
                "connection never reaches the receiver to be counted."
            )
        if self.first is not None and self.first < 1:
            raise UsageError("The number of failing connections must be at least 1.")
        if self.seconds < 0 or self.after_bytes < 0:
            raise UsageError("A fault's seconds or bytes can't be negative.")

    @classmethod
    def parse(cls, text: str, first: int | None = None) -> Fault:
        """``MODE[:ARG]``: ``refuse``, ``close-before-reply``, ``no-reply``, ``slow:SECONDS``,
        ``error[:TEXT]``, ``garbage``, ``close-after:BYTES``."""
        name, _, arg = text.partition(":")
        try:
            mode = FaultMode(name.strip().lower())
        except ValueError:
            known = ", ".join(m.value for m in FaultMode)
            raise UsageError(f"Unknown fault mode '{name}': use one of {known}.") from None
        try:
            if mode is FaultMode.SLOW:
                return cls(mode, seconds=float(arg) if arg else 2.0, first=first)
            if mode is FaultMode.CLOSE_AFTER:
                if not arg:
                    raise UsageError("close-after needs a number of bytes: close-after:40")
                return cls(mode, after_bytes=int(arg), first=first)
        except ValueError:
            raise UsageError(f"'{arg}' is not a number for the fault mode {mode}.") from None
        if mode is FaultMode.ERROR:
            return cls(mode, text=arg, first=first)
        if arg:
            raise UsageError(f"The fault mode {mode} takes no value.")
        return cls(mode, first=first)

    def describe(self) -> str:
        detail = {
            FaultMode.SLOW: f" {self.seconds:g} s",
            FaultMode.CLOSE_AFTER: f" {self.after_bytes} bytes",
        }.get(self.mode, "")
        scope = f" (first {self.first} connections)" if self.first else ""
        return f"{self.mode}{detail}{scope}"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver handled it (what its log line says), for tests and tools."""

    connection: int  # the connection's number, from 1
    number: int  # the request's number on its connection, from 1
    ended_by: str  # "NUL", "half-close", "idle timeout", "complete record", "size limit", ...
    tags: str  # the fields present in this request, e.g. "UAP" or ""
    user_id: str | None
    records: int
    files: tuple[Path, ...]
    reply: bytes  # b"" when none was sent
    accepted: bool
    note: str = ""


class _Drop(Exception):
    """The connection is over (closed, reset, stopped, or a fault closes it)."""


class _Idle(Exception):
    """Nothing arrived for the idle timeout."""


class _Connection:
    def __init__(self, sock: socket.socket, number: int, peer: str, fault: Fault | None) -> None:
        self.sock = sock
        self.number = number
        self.peer = peer
        self.fault = fault
        self.bytes_read = 0
        self.requests = 0
        self.credentials = Request()  # the fields of the latest request that had any
        closing = fault is not None and fault.mode is FaultMode.CLOSE_AFTER
        self.close_after = fault.after_bytes if closing and fault is not None else None

    @property
    def label(self) -> str:
        return f"connection {self.number} from {self.peer}"


class Receiver:
    """The reference receiver. See the module's docstring."""

    def __init__(
        self,
        out_dir: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        style: ReplyStyle = ReplyStyle.FOLIO,
        logon_id: str | None = None,
        password: str | None = None,
        fault: Fault | None = None,
        idle_timeout: float | None = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        log_size: int = DEFAULT_LOG_SIZE,
        tls: ssl.SSLContext | None = None,
        durable: bool = True,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.host = host
        self.style = style
        self.logon_id = logon_id
        self._password = password
        self.idle_timeout = style.default_idle_timeout if idle_timeout is None else idle_timeout
        self.max_request_bytes = max_request_bytes
        self.max_connections = max_connections
        self.tls = tls
        if tls is not None:
            # A client that half-closes under TLS (Notify off) sends no close_notify; OpenSSL 3
            # would fail the connection before the reply could go back.
            tls.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
        self.durable = durable  # fsync each record (off only for benchmarks on slow disks)
        self._log = log or _log.info
        if self.idle_timeout <= 0:
            raise UsageError("The idle timeout must be more than 0 seconds.")
        if max_request_bytes < 1 or max_connections < 1 or log_size < 1:
            raise UsageError(
                "The receiver's size limit, connections and log size must be at least 1."
            )
        self._port = port
        self._fault = fault
        self._fault_base = 0  # connections accepted before the fault was set

        self._lock = threading.RLock()  # wait_until conditions read properties that lock
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._socket: socket.socket | None = None
        self._listening = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: threading.Thread | None = None
        self._loop_running = False
        # The worker pool: accepted connections wait in _queue for an idle worker; _serving
        # counts connections accepted and not yet closed, never more than max_connections.
        self._workers: set[threading.Thread] = set()
        self._work = threading.Condition(self._lock)
        self._queue: collections.deque[_Connection] = collections.deque()
        self._idle_workers = 0
        self._serving = 0
        self._open: set[socket.socket] = set()
        self._next_sequence = 1
        self._requests: collections.deque[ReceivedRequest] = collections.deque(maxlen=log_size)
        self.requests_total = 0  # every request handled, kept in the log or not
        self.connections = 0  # accepted so far
        self.closed_connections = 0

    def __repr__(self) -> str:
        return f"Receiver({self.host!r}, port={self.port}, style={self.style.value!r})"

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port bound (the one the system chose, for port 0), or the one asked for."""
        return self._port

    @property
    def fault(self) -> Fault | None:
        return self._fault

    def bind(self) -> None:
        """Take the port (the bound port is then ``port``), listening unless refusing."""
        if self._socket is not None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._next_sequence = self._first_free_sequence()
        self._socket = self._bound_socket(self._port)
        self._port = int(self._socket.getsockname()[1])
        self._apply_fault_to_socket()

    def start(self) -> Receiver:
        """Serve in a background thread; returns self (``with Receiver(...) as r`` does this)."""
        self.bind()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"receiver:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (from another thread or a signal handler)
        or an exception such as KeyboardInterrupt; then stop cleanly."""
        self.bind()
        previous_wakeup: int | None = None
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:  # so Ctrl-C wakes the loop at once, whichever thread the signal hits
            previous_wakeup = signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        try:
            self._accept_loop()
        finally:
            if in_main and previous_wakeup is not None:
                signal.set_wakeup_fd(previous_wakeup)
            self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection, wait for the threads. Safe to call twice."""
        self._stopping.set()
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._lock:
            if self._socket is not None:
                self._socket.close()
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._work.notify_all()  # idle workers end
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout)
        with self._lock:
            self._changed.notify_all()
        if not self._loop_running:
            self._wake_r.close()
            self._wake_w.close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_fault(self, fault: Fault | None) -> None:
        """Change how the receiver fails from the next connection on (None: it works)."""
        with self._lock:
            self._fault = fault
            self._fault_base = self.connections
            if self._socket is not None:
                self._apply_fault_to_socket()
        self._wake()

    # -- what happened, for tests and tools ---------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The latest requests (at most ``log_size``), oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def serving(self) -> int:
        """Connections accepted and not yet closed (at most ``max_connections``)."""
        with self._lock:
            return self._serving

    def record_files(self) -> list[Path]:
        return sorted(p for p in self.out_dir.iterdir() if _RECORD_FILE.fullmatch(p.name))

    def wait_until(self, condition: Callable[[Receiver], bool], timeout: float = 5.0) -> bool:
        """Wait until ``condition(receiver)`` holds (checked at each connection and request)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), timeout)

    # -- sockets ----------------------------------------------------------------------------

    def _bound_socket(self, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        if os.name == "posix":  # elsewhere SO_REUSEADDR would let two receivers share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError as error:
            sock.close()
            raise UsageError(
                f"Can't listen on {self.host} port {port}: {error.strerror or error}"
            ) from None
        return sock

    def _apply_fault_to_socket(self) -> None:
        """Listen, or stop listening so the system refuses connections (caller holds the lock
        or runs before serving)."""
        assert self._socket is not None
        refuse = self._fault is not None and self._fault.mode is FaultMode.REFUSE
        if refuse and self._listening:
            port = self.port
            self._socket.close()
            self._socket = self._bound_socket(port)
            self._listening = False
        elif not refuse and not self._listening:
            self._socket.listen(LISTEN_BACKLOG)
            self._socket.setblocking(False)
            self._listening = True

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _accept_loop(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ)
        registered: socket.socket | None = None
        self._loop_running = True
        try:
            while not self._stopping.is_set():
                with self._lock:  # a full pool stops accepting until a connection ends
                    room = self._serving < self.max_connections
                    current = self._socket if self._listening and room else None
                if current is not registered:
                    if registered is not None:
                        with contextlib.suppress(KeyError, ValueError):
                            selector.unregister(registered)
                    if current is not None:
                        selector.register(current, selectors.EVENT_READ)
                    registered = current
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(OSError):
                            while self._wake_r.recv(512):
                                pass
                    elif key.fileobj is current and current is not None:
                        self._accept(current)
        finally:
            selector.close()
            self._loop_running = False

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, address = listener.accept()
        except OSError:  # gone already, or the socket was swapped by set_fault
            return
        sock.setblocking(True)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.connections += 1
            number = self.connections
            fault = self._fault
            if (
                fault is not None
                and fault.first is not None
                and number > self._fault_base + fault.first
            ):
                fault = None
            peer = f"{address[0]}:{address[1]}"
            self._queue.append(_Connection(sock, number, peer, fault))
            self._serving += 1
            self._open.add(sock)
            worker = None
            if self._idle_workers == 0 and len(self._workers) < self.max_connections:
                worker = threading.Thread(
                    target=self._work_loop,
                    name=f"receiver:{self.port}/worker {len(self._workers) + 1}",
                    daemon=True,
                )
                self._workers.add(worker)
            else:
                self._work.notify()
            self._changed.notify_all()
        if worker is not None:
            worker.start()

    def _work_loop(self) -> None:
        """One worker of the pool: serve queued connections, one at a time, until stopped."""
        try:
            while True:
                with self._lock:
                    while not self._queue and not self._stopping.is_set():
                        self._idle_workers += 1
                        try:
                            self._work.wait()
                        finally:
                            self._idle_workers -= 1
                    if not self._queue:
                        return
                    conn = self._queue.popleft()
                self._serve_connection(conn)
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())
                self._changed.notify_all()

    def _serve_connection(self, conn: _Connection) -> None:
        try:
            if self.tls is not None:
                conn.sock.settimeout(self.idle_timeout)
                try:
                    wrapped = self.tls.wrap_socket(conn.sock, server_side=True)
                except (OSError, EOFError) as error:
                    self._log(f"{conn.label}: TLS handshake failed ({error})")
                    return
                with self._lock:
                    self._open.discard(conn.sock)
                    self._open.add(wrapped)
                conn.sock = wrapped
            if conn.close_after == 0:
                self._log(f"{conn.label}: closed at once (fault close-after)")
                return
            if self.style is ReplyStyle.KOHA:
                self._serve_koha(conn)
            else:
                self._serve_folio(conn)
        except _Drop:
            pass
        except Exception as error:  # a bug must cost one connection, never the receiver
            _log.debug("%s failed", conn.label, exc_info=True)
            self._log(f"{conn.label}: closed after an internal error ({type(error).__name__})")
        finally:
            with contextlib.suppress(OSError):
                conn.sock.close()
            with self._lock:
                self._open.discard(conn.sock)
                self._serving -= 1
                self.closed_connections += 1
                self._changed.notify_all()
            self._wake()  # the accept loop may take the next waiting connection

    def _recv(self, conn: _Connection) -> bytes:
        """The next bytes, b"" at end of stream; raises _Idle, or _Drop when it is over."""
        if self._stopping.is_set():
            raise _Drop()
        size = 65536
        if conn.close_after is not None:
            size = conn.close_after - conn.bytes_read
        try:
            conn.sock.settimeout(self.idle_timeout)
            chunk = conn.sock.recv(size)
        except TimeoutError:
            raise _Idle() from None
        except OSError:
            raise _Drop() from None
        if self._stopping.is_set():
            raise _Drop()
        conn.bytes_read += len(chunk)
        if conn.close_after is not None and conn.bytes_read >= conn.close_after:
            self._log(f"{conn.label}: closed after {conn.bytes_read} bytes (fault close-after)")
            raise _Drop()
        return chunk

    def _send(self, conn: _Connection, reply: bytes) -> None:
        try:
            conn.sock.sendall(reply)
        except OSError:
            raise _Drop() from None

    # -- Koha: read to NUL, half-close or silence; one record; close -----------------------

    def _serve_koha(self, conn: _Connection) -> None:
        buffer = bytearray()
        while True:
            try:
                chunk = self._recv(conn)
            except _Idle:
                ended_by = "idle timeout"
                break
            if not chunk:
                ended_by = "half-close" if buffer else "close"
                break
            searched = max(len(buffer) - len(END_MARKER) + 1, 0)
            buffer += chunk
            nul = buffer.find(END_MARKER, searched)
            size = nul + 1 if nul >= 0 else len(buffer)
            if size > self.max_request_bytes:
                self._refuse(conn, "size limit", f"over {self.max_request_bytes} bytes")
                return
            if nul >= 0:
                ended_by = "NUL"
                break
        if not buffer:
            self._log(f"{conn.label}: closed without a request ({ended_by})")
            return
        data = bytes(buffer[: buffer.find(END_MARKER) + 1]) if ended_by == "NUL" else bytes(buffer)
        try:
            result = parse_request(data, max_bytes=self.max_request_bytes)
        except RequestError as error:  # a length out of bounds too: it is not the bytes' size
            self._refuse(conn, ended_by, error.message)
            return
        if isinstance(result, Incomplete):
            self._refuse(conn, ended_by, f"incomplete request: {result.reason}")
            return
        self._respond(conn, result.request, ended_by)

    # -- FOLIO: answer each request once its record is in; keep the socket open -------------

    def _serve_folio(self, conn: _Connection) -> None:
        stream = RequestStream(self.max_request_bytes)
        while True:
            try:
                chunk = self._recv(conn)
            except _Idle:
                missing = stream.incomplete()
                if missing is not None:
                    self._refuse(conn, "idle timeout", f"incomplete request: {missing.reason}")
                return
            if not chunk:
                missing = stream.incomplete()
                if missing is not None:
                    self._refuse(conn, "half-close", f"incomplete request: {missing.reason}")
                return
            try:
                requests = stream.feed(chunk)
            except PendingTooLargeError as error:
                self._refuse(conn, "size limit", error.message)
                return
            except RequestError as error:  # a length out of bounds too: answered at once
                self._refuse(conn, "bad bytes", error.message)
                return
            for request in requests:
                ended_by = "NUL" if request.end_marker else "complete record"
                if not self._respond(conn, request, ended_by):
                    return

    # -- answering --------------------------------------------------------------------------

    def _refuse(self, conn: _Connection, ended_by: str, reason: str) -> None:
        """A request that can't be read: say so (FOLIO style past the size limit: don't) and
        close."""
        conn.requests += 1
        if self.style is ReplyStyle.KOHA:
            reply = b"Bad request" + END_MARKER
        elif ended_by == "size limit":  # FOLIO drops the connection, saying nothing
            self._note(conn, Request(), ended_by, (), b"", False, f"{reason}; closed")
            return
        else:
            reply = f"Error: bad request: {reason}\n".encode() + END_MARKER
        self._note(conn, Request(), ended_by, (), reply, accepted=False, note=reason)
        with contextlib.suppress(_Drop):
            self._send(conn, reply)

    def _respond(self, conn: _Connection, request: Request, ended_by: str) -> bool:
        """Handle one whole request; False when the connection is to be closed."""
        conn.requests += 1
        if request.tags:
            conn.credentials = request
        who = conn.credentials
        fault = conn.fault
        koha = self.style is ReplyStyle.KOHA
        records = request.records[:1] if koha else request.records
        note = ""
        if koha and len(request.records) > 1:
            note = f"{len(request.records) - 1} later records ignored"

        if fault is not None and fault.mode is FaultMode.ERROR:
            reason = fault.text or "the receiver was told to fail (fault mode error)"
            reply = b"Unsuccessful request" if koha else f"Error: {reason}\n".encode()
            return self._finish(conn, request, ended_by, (), reply, False, "fault error")

        refusal = self._check_logon(who)
        if refusal:
            reply = (
                b"Unauthorized request" if koha else f"Error: access denied: {refusal}\n".encode()
            )
            return self._finish(conn, request, ended_by, (), reply, False, refusal)

        try:
            files = tuple(self._save(record) for record in records)
        except OSError as error:
            reason = f"could not save the record: {error.strerror or error}"
            reply = b"Unsuccessful request" if koha else f"Error: {reason}\n".encode()
            return self._finish(conn, request, ended_by, (), reply, False, reason)

        if koha:
            number = int(files[0].stem)
            reply = (
                f"Success.  Batch number {number} - biblio record number {number} added to "
                f"Koha.\n\n{files[0].resolve().as_uri()}"
            ).encode()
        elif len(files) == 1:
            reply = b"Import ok\n"
        else:
            reply = f"Import ok: {len(files)} records\n".encode()
        return self._finish(conn, request, ended_by, files, reply, True, note)

    def _finish(
        self,
        conn: _Connection,
        request: Request,
        ended_by: str,
        files: tuple[Path, ...],
        reply: bytes,
        accepted: bool,
        note: str,
    ) -> bool:
        """Send the reply (or fail to, as the fault says) and log the request."""
        reply += END_MARKER
        fault = conn.fault
        mode = fault.mode if fault is not None else None
        keep = self.style is ReplyStyle.FOLIO
        if mode is FaultMode.CLOSE_BEFORE_REPLY:
            self._note(
                conn, request, ended_by, files, b"", accepted, "closed before replying (fault)"
            )
            return False
        if mode is FaultMode.NO_REPLY:
            self._note(conn, request, ended_by, files, b"", accepted, "no reply (fault)")
            self._hold(conn)
            return False
        if mode is FaultMode.SLOW and fault is not None and self._stopping.wait(fault.seconds):
            raise _Drop()
        if mode is FaultMode.GARBAGE:
            reply = _GARBAGE
        self._note(conn, request, ended_by, files, reply, accepted, note)
        self._send(conn, reply)
        return keep

    def _hold(self, conn: _Connection) -> None:
        """Keep the connection open, reading and ignoring, until the client or stop ends it."""
        while True:
            try:
                if not self._recv(conn):
                    return
            except _Idle:
                continue

    def _check_logon(self, who: Request) -> str:
        """Why the logon is refused, or "" when it is accepted."""
        if self.logon_id is None:
            return ""
        if who.logon_id is None:
            return "no logon ID was sent"
        if not hmac.compare_digest(who.logon_id.encode(), self.logon_id.encode()):
            return "the logon ID is not the one expected"
        if self._password is not None and not hmac.compare_digest(
            (who.password or "").encode(), self._password.encode()
        ):
            return "the password is wrong"
        return ""

    # -- files ------------------------------------------------------------------------------

    def _first_free_sequence(self) -> int:
        numbers = [
            int(match.group(1))
            for name in os.listdir(self.out_dir)
            if (match := _RECORD_FILE.fullmatch(name))
        ]
        return max(numbers, default=0) + 1

    def _save(self, record: bytes) -> Path:
        """Write one record to the next NNNNNN.mrc: a temporary name first, then a rename."""
        with self._lock:
            number = self._next_sequence
            self._next_sequence += 1
        final = self.out_dir / f"{number:06d}.mrc"
        temporary = self.out_dir / f".{number:06d}.part"
        try:
            with open(temporary, "wb") as handle:
                handle.write(record)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        if self.durable:
            fsync_directory(self.out_dir)
        return final

    # -- the log ----------------------------------------------------------------------------

    def _note(
        self,
        conn: _Connection,
        request: Request,
        ended_by: str,
        files: tuple[Path, ...],
        reply: bytes,
        accepted: bool,
        note: str,
    ) -> None:
        entry = ReceivedRequest(
            connection=conn.number,
            number=conn.requests,
            ended_by=ended_by,
            tags=request.tags,
            user_id=request.user_id,
            records=len(request.records),
            files=files,
            reply=reply,
            accepted=accepted,
            note=note,
        )
        with self._lock:
            self._requests.append(entry)
            self.requests_total += 1
            self._changed.notify_all()
        self._log(self._describe(conn, request, entry))

    def _describe(self, conn: _Connection, request: Request, entry: ReceivedRequest) -> str:
        """One log line. The password is never in it; the logon ID only as its size."""
        parts = [f"{conn.label}, request {entry.number}"]
        parts.append(f"ended by {entry.ended_by}")
        fields = []
        if request.user_id is not None:
            fields.append(f"user ID {request.user_id!r}")
        if request.logon_id is not None:
            fields.append(f"logon ID ({len(request.logon_id.encode())} bytes)")
        if request.password is not None:
            fields.append("password" if request.password else "empty password")
        parts.append(", ".join(fields) if fields else "no fields")
        sizes = ", ".join(str(len(r)) for r in request.records)
        parts.append(f"{entry.records} record(s)" + (f" of {sizes} bytes" if sizes else ""))
        if entry.files:
            parts.append("saved " + ", ".join(f.name for f in entry.files))
        text = entry.reply.rstrip(END_MARKER).decode("utf-8", errors="replace").strip()
        parts.append(f"replied {text.splitlines()[0]!r}" if text else "no reply")
        if entry.note:
            parts.append(entry.note)
        return "; ".join(parts)
