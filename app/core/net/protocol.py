"""The Connexion TCP/IP export protocol: requests and replies as bytes (see PROTOCOL.md).

Pure functions, no sockets. The client builds requests with one-byte lengths only; the
receiver side parses both length forms, because other clients still send the decimal one.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.errors import ExportDeskError, OptionError
from app.core.patterns import compile_pattern

MAX_VALUE_BYTES = 191  # a one-byte length is 0x40 + n, so 0xFF is the largest
END_MARKER = b"\x00"
RECORD_TERMINATOR = b"\x1d"
RECORD_LENGTH_DIGITS = 5  # ISO 2709: the leader starts with the record's length in bytes
MAX_LENGTH_DIGITS = 9  # a decimal field length of more digits is refused unread

# Tags on the wire, and the settings keys (EXPORT-OPTIONS.md) their values come from.
FIELD_KEYS = {"U": "user_id", "A": "logon_id", "P": "password"}
FIELD_LABELS = {"U": "User ID", "A": "Logon ID", "P": "Password"}
_TAG_BYTES = frozenset(b"UAP")
_DIGITS = frozenset(b"0123456789")
_SPACE = 0x20
_NUL = 0x00


class FieldTooLongError(OptionError):
    """A value can't be sent: its one-byte length would pass 0xFF. Never holds the value."""

    def __init__(self, key: str, label: str, size: int) -> None:
        super().__init__(
            key,
            f"the {label} is {size} bytes in UTF-8; the Connexion protocol can send at most "
            f"{MAX_VALUE_BYTES}",
        )
        self.size = size


def value_size_error(tag: str, value: str) -> FieldTooLongError | None:
    """The error refusing ``value`` for field ``tag`` (U, A or P), or None when it fits."""
    size = len(value.encode("utf-8"))
    if size <= MAX_VALUE_BYTES:
        return None
    return FieldTooLongError(FIELD_KEYS[tag], FIELD_LABELS[tag], size)


def encode_field(tag: str, value: str) -> bytes:
    """``TAG (0x40 + n) VALUE``: the OCLC desktop client's form, the one every receiver reads."""
    error = value_size_error(tag, value)
    if error is not None:
        raise error
    data = value.encode("utf-8")
    return tag.encode("ascii") + bytes([0x40 + len(data)]) + data


def build_request(
    record: bytes,
    *,
    user_id: str | None = None,
    logon_id: str | None = None,
    password: str | None = None,
    end_marker: bool = True,
) -> bytes:
    """One request: the fields given (order U, A, P), the record, and NUL unless told not to.

    A field is sent when its value is not None (an empty string is sent as an empty value).
    """
    parts = []
    for tag, value in (("U", user_id), ("A", logon_id), ("P", password)):
        if value is not None:
            parts.append(encode_field(tag, value))
    parts.append(record)
    if end_marker:
        parts.append(END_MARKER)
    return b"".join(parts)


# --- Receiver side -------------------------------------------------------------------------


class RequestError(ExportDeskError):
    """The bytes can't be a request (a receiver answers 'Bad request' or 'Error: ...')."""


class RequestTooLargeError(RequestError):
    """The request is over the receiver's size limit."""


class PendingTooLargeError(RequestTooLargeError):
    """More bytes arrived than the limit without making a whole request (not merely a length
    announcing too many)."""


@dataclass(frozen=True)
class Request:
    """What a receiver read from one request. The password never shows in a repr."""

    user_id: str | None = None
    logon_id: str | None = None
    password: str | None = field(default=None, repr=False)
    records: tuple[bytes, ...] = ()
    # True when the request ended with NUL; False when the bytes simply stopped after a record.
    end_marker: bool = field(default=False, compare=False)

    @property
    def tags(self) -> str:
        """The fields present, in wire order: 'UAP', 'AP', ''..."""
        present = (("U", self.user_id), ("A", self.logon_id), ("P", self.password))
        return "".join(tag for tag, value in present if value is not None)


@dataclass(frozen=True)
class Parsed:
    """A whole request, and the offset just past it (past the NUL when there was one)."""

    request: Request
    end: int


@dataclass(frozen=True)
class Incomplete:
    """More bytes are needed: ``partial`` is what was read so far, ``reason`` what is missing."""

    partial: Request
    reason: str


def parse_request(
    data: bytes, start: int = 0, *, max_bytes: int | None = None
) -> Parsed | Incomplete:
    """Read one request from ``data[start:]``, as a receiver must.

    A request ends at NUL, or where the bytes stop right after a record (a receiver that needs
    no NUL answers then). Several records in one request are all returned. Lengths may be one
    byte (0x40 + n) or decimal digits; ``0`` alone is an empty value; spaces around fields
    are skipped. Raises :class:`RequestError` for bytes no request can hold, and
    :class:`RequestTooLargeError` when a value or record announces more than ``max_bytes``.
    """
    values: dict[str, str] = {}
    records: list[bytes] = []
    pos = start
    size = len(data)

    def partial() -> Request:
        return _request(values, records, end_marker=False)

    while True:
        while pos < size and data[pos] == _SPACE:
            pos += 1
        if pos >= size:
            if records:
                return Parsed(partial(), pos)
            what = "the record" if values else "a request"
            return Incomplete(partial(), f"waiting for {what}")
        byte = data[pos]
        if byte == _NUL:
            if not records:
                raise RequestError(
                    "the request has no record" if values else "empty request (NUL alone)"
                )
            return Parsed(_request(values, records, end_marker=True), pos + 1)
        if byte in _TAG_BYTES:
            if records:
                # A field after a record starts the next request (a permanent connection).
                return Parsed(partial(), pos)
            tag = chr(byte)
            outcome = _read_field(data, pos, tag, max_bytes)
            if isinstance(outcome, str):
                return Incomplete(partial(), outcome)
            value, pos = outcome
            values[tag] = value
            continue
        if byte in _DIGITS:
            outcome_record = _read_record(data, pos, max_bytes)
            if isinstance(outcome_record, str):
                return Incomplete(partial(), outcome_record)
            record, pos = outcome_record
            records.append(record)
            continue
        raise RequestError(f"unexpected byte 0x{byte:02X} at offset {pos - start}")


def _request(values: dict[str, str], records: list[bytes], *, end_marker: bool) -> Request:
    return Request(
        user_id=values.get("U"),
        logon_id=values.get("A"),
        password=values.get("P"),
        records=tuple(records),
        end_marker=end_marker,
    )


def _read_field(data: bytes, pos: int, tag: str, max_bytes: int | None) -> tuple[str, int] | str:
    """(value, offset after it), or the reason more bytes are needed."""
    size = len(data)
    if pos + 1 >= size:
        return f"waiting for the length of the {tag} field"
    length_byte = data[pos + 1]
    if length_byte >= 0x40:
        length = length_byte - 0x40
        value_start = pos + 2
    elif length_byte == ord("0"):
        length = 0
        value_start = pos + 2
    elif length_byte in _DIGITS:
        # The browser client's decimal form: every digit belongs to the length. More digits
        # than any length allowed can have are refused unread (int() of thousands would fail).
        end = pos + 1
        while end < size and data[end] in _DIGITS and end - (pos + 1) <= MAX_LENGTH_DIGITS:
            end += 1
        if end - (pos + 1) > MAX_LENGTH_DIGITS:
            raise RequestTooLargeError(
                f"the {tag} field's length has more than {MAX_LENGTH_DIGITS} digits"
            )
        length = int(data[pos + 1 : end])
        if end >= size and (max_bytes is None or length <= max_bytes):
            # More digits may follow; they can only make the length larger.
            return f"waiting for the end of the {tag} field's length"
        value_start = end
    else:
        raise RequestError(f"the {tag} field has no length (byte 0x{length_byte:02X})")
    if max_bytes is not None and length > max_bytes:
        raise RequestTooLargeError(f"the {tag} field announces {length} bytes")
    value_end = value_start + length
    if value_end > size:
        return f"the {tag} field needs {value_end - size} more bytes"
    return data[value_start:value_end].decode("utf-8", errors="replace"), value_end


def _read_record(data: bytes, pos: int, max_bytes: int | None) -> tuple[bytes, int] | str:
    size = len(data)
    digits = data[pos : pos + RECORD_LENGTH_DIGITS]
    for offset, byte in enumerate(digits):
        if byte not in _DIGITS:
            raise RequestError(
                f"a record's length must be {RECORD_LENGTH_DIGITS} digits; "
                f"found 0x{byte:02X} at its byte {offset + 1}"
            )
    if len(digits) < RECORD_LENGTH_DIGITS:
        return "waiting for the record's length"
    length = int(digits)
    if length < RECORD_LENGTH_DIGITS:
        raise RequestError(f"a record's length can't be {length}")
    if max_bytes is not None and length > max_bytes:
        raise RequestTooLargeError(f"a record announces {length} bytes")
    end = pos + length
    if end > size:
        return f"the record needs {end - size} more bytes ({length} announced)"
    return data[pos:end], end


class RequestStream:
    """Bytes in as they arrive on one connection, complete requests out.

    A request the bytes ended right after (no NUL yet) is returned at once; a NUL arriving
    later is taken as its end marker rather than as an empty request. ``max_bytes`` bounds
    what may be held waiting for the rest of a request.
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self._buffer = b""
        self._open_end = False  # the last request may still get its NUL

    @property
    def pending(self) -> int:
        """Bytes held that are not yet a whole request."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Request]:
        self._buffer += data
        requests: list[Request] = []
        pos = 0
        while True:
            while pos < len(self._buffer) and self._buffer[pos] == _SPACE:
                pos += 1
            if pos >= len(self._buffer):
                break
            if self._open_end and self._buffer[pos] == _NUL:
                pos += 1
                self._open_end = False
                continue
            result = parse_request(self._buffer, pos, max_bytes=self.max_bytes)
            if isinstance(result, Incomplete):
                break
            requests.append(result.request)
            self._open_end = not result.request.end_marker
            pos = result.end
        self._buffer = self._buffer[pos:]
        if self.max_bytes is not None and len(self._buffer) > self.max_bytes:
            raise PendingTooLargeError(f"over {self.max_bytes} bytes without a whole request")
        return requests

    def incomplete(self) -> Incomplete | None:
        """What the bytes held so far lack, or None when nothing is held."""
        if not self._buffer:
            return None
        result = parse_request(self._buffer, max_bytes=self.max_bytes)
        return result if isinstance(result, Incomplete) else None


# --- Replies -------------------------------------------------------------------------------

MAX_STORED_REPLY_BYTES = 4096  # what is kept of any reply (PROTOCOL.md)
SECRET_MASK = "***"


class ReplyKind(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"  # a complete reply in words not known here, or a reply cut short


# The table of PROTOCOL.md, "Classifying a reply": how a complete reply's first non-empty
# line begins, case ignored. Never words found further on: Koha appends a URL that may
# hold any word, and a success may say "0 errors".
_SUCCESS_START = re.compile(
    r"success\b|import ok|the record has been processed successfully", re.IGNORECASE
)
_FAILURE_START = re.compile(
    r"error|bad request|unauthorized|unsuccessful|invalid response|import failed"
    r"|logon failed|failed to import",
    re.IGNORECASE,
)
_FAILURE_END = re.compile(r"please contact administrator\.$", re.IGNORECASE)
# Evergreen counts: a success only with at least one record imported and none failed.
_IMPORTED = re.compile(r"successfully imported\s+(\d+)", re.IGNORECASE)
_FAILED_COUNT = re.compile(r"failed to import\s+(\d+)", re.IGNORECASE)
_LINES = re.compile(r"\r\n|\r|\n")
_MMS_ID = re.compile(r"\bMMS\s*ID\b\W*(\d+)", re.IGNORECASE)
_BIBLIO_NUMBER = re.compile(r"\bbiblio(?:\s+record)?\s+number\s+(\d+)", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?|file)://\S+", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class ReplyPatterns:
    """An administrator's own wording for a local system (``reply_success_pattern`` and
    ``reply_failure_pattern``): regular expressions searched in the first line, case
    ignored, the failure pattern first, both before the built-in table."""

    success: re.Pattern[str] | None = None
    failure: re.Pattern[str] | None = None

    @classmethod
    def compile(cls, success: str = "", failure: str = "") -> ReplyPatterns:
        """Raises OptionError naming the setting for a pattern that is not a regular
        expression."""
        return cls(
            compile_pattern("reply_success_pattern", success),
            compile_pattern("reply_failure_pattern", failure),
        )


@dataclass(frozen=True)
class Reply:
    """A host's reply: its kind, its text as shown to the cataloger, and the raw bytes.

    ``text`` and ``raw`` are what is kept: secrets sent with the request masked, then cut to
    MAX_STORED_REPLY_BYTES. ``complete`` is False for a reply cut short (timeout, reset, size
    limit), which is never classified. ``local_id`` is the identifier the local system gave
    the record when the reply names one (Alma's MMS ID, Koha's biblio record number);
    ``local_url`` a link to it (Koha).
    """

    kind: ReplyKind
    text: str
    raw: bytes
    local_id: str | None = None
    local_url: str | None = None
    complete: bool = True


_SECRET_MASK_BYTES = SECRET_MASK.encode("ascii")


@functools.lru_cache(maxsize=16)
def _encoded_secrets(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    """The secrets as UTF-8, longest first (a secret inside another is masked after it)."""
    longest_first = sorted((s for s in secrets if s), key=len, reverse=True)
    return tuple(secret.encode("utf-8") for secret in longest_first)


def mask_secrets(raw: bytes, secrets: Sequence[str] = ()) -> bytes:
    """``raw`` with every secret sent (the password, a secret logon ID) replaced by ***."""
    if not secrets:
        return raw
    for secret in _encoded_secrets(tuple(secrets)):
        raw = raw.replace(secret, _SECRET_MASK_BYTES)
    return raw


def first_line(text: str) -> str:
    """The first non-empty line, white space and control characters trimmed."""
    for line in _LINES.split(text):
        # str.strip() takes white space; a control character left at either end (rare)
        # needs the slower trim.
        trimmed = line.strip()
        if trimmed and (_is_control(trimmed[0]) or _is_control(trimmed[-1])):
            trimmed = _trim(trimmed)
        if trimmed:
            return trimmed
    return ""


def _is_control(char: str) -> bool:
    """Unicode category Cc: the C0 controls, DEL and the C1 controls."""
    return char < "\x20" or "\x7f" <= char <= "\x9f"


def _trim(line: str) -> str:
    start, end = 0, len(line)
    while start < end and (line[start].isspace() or unicodedata.category(line[start]) == "Cc"):
        start += 1
    while end > start and (line[end - 1].isspace() or unicodedata.category(line[end - 1]) == "Cc"):
        end -= 1
    return line[start:end]


def judge_reply(text: str, patterns: ReplyPatterns | None = None) -> ReplyKind:
    """How a complete reply's text is classified (PROTOCOL.md): the administrator's failure
    pattern, then success pattern, then the built-in table; unknown wording is UNKNOWN."""
    line = first_line(text)
    if patterns is not None and (patterns.failure is not None or patterns.success is not None):
        cut = line
        if len(line) * 4 > MAX_STORED_REPLY_BYTES:  # may pass 4 KiB in UTF-8
            cut = line.encode("utf-8")[:MAX_STORED_REPLY_BYTES].decode("utf-8", errors="ignore")
        if patterns.failure is not None and patterns.failure.search(cut):
            return ReplyKind.FAILURE
        if patterns.success is not None and patterns.success.search(cut):
            return ReplyKind.SUCCESS
    if _FAILURE_START.match(line) or _FAILURE_END.search(line):
        return ReplyKind.FAILURE
    imported = _IMPORTED.match(line)
    if imported:
        failed = any(int(m.group(1)) >= 1 for m in _FAILED_COUNT.finditer(text))
        if failed:
            return ReplyKind.FAILURE
        return ReplyKind.SUCCESS if int(imported.group(1)) >= 1 else ReplyKind.UNKNOWN
    if _SUCCESS_START.match(line):
        return ReplyKind.SUCCESS
    return ReplyKind.UNKNOWN


def classify_reply(
    raw: bytes,
    *,
    complete: bool = True,
    patterns: ReplyPatterns | None = None,
    secrets: Sequence[str] = (),
) -> Reply:
    """The reply ``raw`` (its bytes up to the NUL) judged and made safe to keep.

    Secrets are masked before anything else, then the text is cut to 4 KiB. A reply that is
    not ``complete`` is UNKNOWN whatever it says.
    """
    end = raw.find(END_MARKER)
    body = mask_secrets(raw if end < 0 else raw[:end], secrets)
    decoded = body.decode("utf-8", errors="replace")
    if len(body) <= MAX_STORED_REPLY_BYTES:  # the usual case: kept whole, decoded once
        kept = body
        text = decoded.strip()
    else:
        kept = body[:MAX_STORED_REPLY_BYTES]
        text = kept.decode("utf-8", errors="replace").strip()
    kind = judge_reply(decoded, patterns) if complete else ReplyKind.UNKNOWN
    local_id = local_url = None
    if kind is ReplyKind.SUCCESS:  # only a confirmed record keeps the host's id for it
        # Both ids end in digits, and every URL has "://": most replies need no search.
        if _DIGIT.search(text):
            found_id = _MMS_ID.search(text) or _BIBLIO_NUMBER.search(text)
            local_id = found_id.group(1) if found_id else None
        if "://" in text:
            found_url = _URL.search(text)
            local_url = found_url.group(0) if found_url else None
    return Reply(kind, text, kept, local_id, local_url, complete)
