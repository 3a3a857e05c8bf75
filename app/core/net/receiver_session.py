"""The reference receiver's side of one connection: reading requests in Koha's or FOLIO's
manner, answering them (or failing to, as the fault says) and logging each one. The receiver
(:mod:`app.core.net.receiver`) accepts connections and hands each to these methods."""

from __future__ import annotations

import contextlib
import hmac
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.net.protocol import (
    END_MARKER,
    Incomplete,
    PendingTooLargeError,
    Request,
    RequestError,
    RequestStream,
    parse_request,
)
from app.core.net.receiver_faults import GARBAGE, Fault, FaultMode, ReplyStyle

if TYPE_CHECKING:
    import collections
    import threading
    from collections.abc import Callable


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


class _Session:
    """Per-connection handling, mixed into the receiver (which holds the state used here)."""

    if TYPE_CHECKING:
        style: ReplyStyle
        logon_id: str | None
        _password: str | None
        idle_timeout: float
        max_request_bytes: int
        requests_total: int
        _log: Callable[[str], None]
        _lock: threading.RLock
        _changed: threading.Condition
        _stopping: threading.Event
        _requests: collections.deque[ReceivedRequest]

        def _save(self, record: bytes) -> Path: ...

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
        with self._lock:  # the records are saved: a waiter sees them before the reply goes
            self._changed.notify_all()

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
            reply = GARBAGE
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
