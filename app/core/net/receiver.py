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

The parts: :mod:`~app.core.net.receiver_faults` (reply styles, fault modes),
:mod:`~app.core.net.receiver_session` (one connection's requests, replies and log lines),
:mod:`~app.core.net.receiver_storage` (the record files). Import them all from here.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import selectors
import signal
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from app.core.errors import UsageError
from app.core.net.receiver_faults import Fault, FaultMode, ReplyStyle
from app.core.net.receiver_session import ReceivedRequest, _Connection, _Drop, _Session
from app.core.net.receiver_storage import first_free_sequence, record_files, write_record

__all__ = [
    "DEFAULT_LOG_SIZE",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_REQUEST_BYTES",
    "LISTEN_BACKLOG",
    "Fault",
    "FaultMode",
    "ReceivedRequest",
    "Receiver",
    "ReplyStyle",
]

_log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 100_000  # FOLIO's limit on pending bytes
DEFAULT_MAX_CONNECTIONS = 32  # served at once; more wait in the listen queue
DEFAULT_LOG_SIZE = 1000  # requests kept in ``Receiver.requests``
LISTEN_BACKLOG = 64


class Receiver(_Session):
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
        self._next_sequence = first_free_sequence(self.out_dir)
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
        return record_files(self.out_dir)

    def wait_until(self, condition: Callable[[Receiver], bool], timeout: float = 5.0) -> bool:
        """Wait until ``condition(receiver)`` holds (checked at each connection, each request
        once its records are saved, and each request answered)."""
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

    # -- files ------------------------------------------------------------------------------

    def _save(self, record: bytes) -> Path:
        """Write one record to the next NNNNNN.mrc: a temporary name first, then a rename."""
        with self._lock:
            number = self._next_sequence
            self._next_sequence += 1
        return write_record(self.out_dir, number, record, self.durable)
