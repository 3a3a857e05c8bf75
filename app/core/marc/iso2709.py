"""ISO 2709 (MARC 21 exchange format): record structure, and a streaming file reader.

A record is a 24-byte leader, a directory of 12-byte entries (tag, field length, field
position) ending with a field terminator, the fields themselves, and a record terminator.
The parser here checks only what is needed to find every field; what the fields hold is
the validator's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add, itemgetter, mul
from typing import BinaryIO

from app.core.digits import ascii_digits
from app.core.marc.readresults import ReadError, ReadResult, RecordRead
from app.core.marc.record import Field, ParsedRecord, StructureError

LEADER_LENGTH = 24
ENTRY_LENGTH = 12
FIELD_TERMINATOR = 0x1E
RECORD_TERMINATOR = 0x1D
SUBFIELD_DELIMITER = 0x1F
MAX_RECORD_LENGTH = 99_999
MAX_FIELD_LENGTH = 9_999

# Bytes some systems put between records (NUL, Ctrl-Z, line ends, blanks): not records.
_FILLER = b"\x00\x1a\r\n\t \x1d\x1e"
# Never look further than this for a record's end; a file without terminators is garbage.
_MAX_SEARCH = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
# What the start of a leader looks like: a length, status and type letters, a base address of
# data and the entry map's first digit; used to tell where a record that lost its
# terminator ends.
_PLAUSIBLE_LEADER = re.compile(rb"\d{5}[a-z ][a-z][a-z ].{4}\d{5}...\d", re.DOTALL)


# Directory entries: any three-character tag, four digits of length, five of position.
_DIRECTORY = re.compile(r"(?:.{3}[0-9]{9})+", re.DOTALL)
# One entry: its tag, and its length and position as one nine-digit number.
_ENTRY = re.compile(r"(.{3})([0-9]{9})", re.DOTALL)
_POSITION_DIGITS = 100_000  # an entry's number is length * 100,000 + position
_new_tuple = tuple.__new__
_TAG = itemgetter(0)  # a field's tag
_DATA = itemgetter(1)  # a field's data


def subfields(data: bytes) -> list[tuple[str, bytes]]:
    """A data field's subfields as (code, value); text before the first delimiter is dropped."""
    parts = data[2:].split(b"\x1f")
    result = []
    for part in parts[1:]:
        if part:
            result.append((part[:1].decode("latin-1"), part[1:]))
    return result


def parse_record(raw: bytes) -> ParsedRecord:
    """Split a record into its leader and fields, or raise StructureError saying what is wrong."""
    return _parse_well_formed(raw) or _parse_carefully(raw)


def _parse_well_formed(raw: bytes) -> ParsedRecord | None:
    """The usual record in a few C-level operations over the whole record: a record
    terminator at the end, the fields end to end in directory order, each ending with its
    terminator and none inside. None for anything else: _parse_carefully reads it then
    (and says what is wrong), giving the same fields for the records taken here."""
    size = len(raw)
    base_text = raw[12:17]
    if not LEADER_LENGTH + 2 <= size <= MAX_RECORD_LENGTH or not base_text.isdigit():
        return None
    base, end = int(base_text), size - 1
    if raw[end] != RECORD_TERMINATOR or not LEADER_LENGTH < base <= end:
        return None
    if raw[base - 1] != FIELD_TERMINATOR:
        return None
    directory = raw[LEADER_LENGTH : base - 1].decode("latin-1")
    entries = _ENTRY.findall(directory)
    # Twelve characters each, none skipped: the entries cover the directory exactly.
    if not entries or len(entries) * ENTRY_LENGTH != len(directory):
        return None
    pieces = raw[base:end].split(b"\x1e")
    if pieces.pop() or len(pieces) != len(entries):
        return None  # not every field ends with its terminator, or one holds another
    tags, numbers = zip(*entries, strict=True)
    lengths = [len(piece) + 1 for piece in pieces]
    positions = accumulate(lengths, initial=0)
    expected = map(add, map(mul, lengths, repeat(_POSITION_DIGITS)), positions)
    if list(expected) != list(map(int, numbers)) or raw.find(b"\x1d", base, end) >= 0:
        return None
    fields = tuple(map(_new_tuple, repeat(Field), zip(tags, pieces, strict=True)))
    return ParsedRecord(raw[:LEADER_LENGTH].decode("latin-1"), fields, True)


def _parse_carefully(raw: bytes) -> ParsedRecord:
    if len(raw) < LEADER_LENGTH:
        raise StructureError(f"the record is only {len(raw)} bytes long, too short for a leader")
    if len(raw) < LEADER_LENGTH + 2:
        raise StructureError("the record ends right after its leader: it has no fields")
    if len(raw) > MAX_RECORD_LENGTH:
        # Its directory can't address all its data: the five-digit positions wrap around.
        raise StructureError(
            f"the record is {len(raw):,} bytes long; a MARC record can be at most "
            f"{MAX_RECORD_LENGTH:,}"
        )
    leader = raw[:LEADER_LENGTH].decode("latin-1")
    base_text = raw[12:17]
    if not base_text.isdigit():
        raise StructureError(
            f"the base address of data in the leader ('{base_text.decode('latin-1')}') "
            "is not a number"
        )
    base = int(base_text)
    end = len(raw) - 1 if raw[-1] == RECORD_TERMINATOR else len(raw)
    if base <= LEADER_LENGTH or base > end:
        raise StructureError(
            f"the base address of data ({base}) does not fall inside the record ({len(raw)} bytes)"
        )
    if raw[base - 1] != FIELD_TERMINATOR:
        raise StructureError(
            f"the directory does not end where the base address of data ({base}) says"
        )
    directory = raw[LEADER_LENGTH : base - 1].decode("latin-1")
    if len(directory) % ENTRY_LENGTH:
        raise StructureError(
            f"the directory is {len(directory)} bytes long, not a multiple of {ENTRY_LENGTH}"
        )
    if not directory:
        raise StructureError("the record has no fields")
    if not _DIRECTORY.fullmatch(directory):
        _explain_directory(directory)
    fields = []
    expected = base  # where the next field starts when they are stored end to end
    in_order = True
    for start in range(0, len(directory), ENTRY_LENGTH):
        field_start = base + int(directory[start + 7 : start + 12])
        field_end = field_start + int(directory[start + 3 : start + 7])
        if field_end > end:
            number = start // ENTRY_LENGTH + 1
            tag = directory[start : start + 3]
            raise StructureError(f"field {tag} (directory entry {number}) runs past the record")
        data = raw[field_start:field_end]
        if data[-1:] == b"\x1e":
            data = data[:-1]
        else:
            in_order = False
        if field_start != expected:
            in_order = False
        expected = field_end
        fields.append(Field(directory[start : start + 3], data))
    well_formed = (
        in_order
        and expected == end
        and raw.count(b"\x1e", base, end) == len(fields)
        and raw.find(b"\x1d", base, end) < 0
    )
    return ParsedRecord(leader, tuple(fields), well_formed)


def _explain_directory(directory: str) -> None:
    """Raise the StructureError naming the first directory entry that is not well formed."""
    for number, start in enumerate(range(0, len(directory), ENTRY_LENGTH), start=1):
        entry = directory[start : start + ENTRY_LENGTH]
        if not ascii_digits(entry[3:]):
            raise StructureError(
                f"directory entry {number} (tag '{entry[:3]}') has a length or position "
                f"that is not a number ('{entry[3:]}')"
            )


def build_record(leader: str, fields: Sequence[Field]) -> bytes:
    """Assemble an ISO 2709 record: length, base address and directory are computed here.

    ``leader`` positions 00-04, 10-16 and 20-23 are overwritten with what the structure
    needs; the others are kept as given.
    """
    tags = list(map(_TAG, fields))
    data = list(map(_DATA, fields))
    lengths = [len(field_data) + 1 for field_data in data]
    if not fields or set(map(len, tags)) != {3} or max(lengths) > MAX_FIELD_LENGTH:
        return _build_record_checked(leader, fields)  # says what is wrong
    positions = list(accumulate(lengths, initial=0))
    base = LEADER_LENGTH + ENTRY_LENGTH * len(fields) + 1
    total = base + positions[-1] + 1
    if total > MAX_RECORD_LENGTH:
        return _build_record_checked(leader, fields)
    head = _built_leader(leader, base, total)
    # Positions has one more item (the end): zip stops at the last field. printf-style
    # formatting of a tuple is the fastest way to write an entry.
    entries = zip(tags, lengths, positions, strict=False)
    directory = "".join(["%s%04d%05d" % entry for entry in entries])  # noqa: UP031
    # Leader and directory in one text, one byte a character (a tag that is not Latin-1
    # becomes "?"); then the fields, each with its terminator, and the record's.
    return (
        (head + directory).encode("latin-1", "replace") + b"\x1e" + b"\x1e".join(data) + b"\x1e\x1d"
    )


def _build_record_checked(leader: str, fields: Sequence[Field]) -> bytes:
    """:func:`build_record` a field at a time, raising StructureError for what can't be
    built."""
    if not fields:
        raise StructureError("the record has no fields")
    entries = []
    position = 0
    for tag, data in fields:
        if len(tag) != 3:
            raise StructureError(f"the tag '{tag}' is not three characters long")
        length = len(data) + 1
        if length > MAX_FIELD_LENGTH:
            raise StructureError(
                f"field {tag} is {length} bytes long; ISO 2709 allows {MAX_FIELD_LENGTH}"
            )
        entries.append(f"{tag}{length:04d}{position:05d}")
        position += length
    base = LEADER_LENGTH + ENTRY_LENGTH * len(fields) + 1
    total = base + position + 1
    if total > MAX_RECORD_LENGTH:
        raise StructureError(
            f"the record would be {total} bytes long; ISO 2709 allows {MAX_RECORD_LENGTH}"
        )
    head = _built_leader(leader, base, total)
    # Leader and directory in one text, one byte a character (a tag that is not Latin-1
    # becomes "?"); then the fields, each with its terminator, and the record's.
    return (
        (head + "".join(entries)).encode("latin-1", "replace")
        + b"\x1e"
        + b"\x1e".join([field.data for field in fields])
        + b"\x1e\x1d"
    )


def _built_leader(leader: str, base: int, total: int) -> str:
    """The leader a built record gets: its length, base address and the fixed positions."""
    head = leader.ljust(LEADER_LENGTH)[:LEADER_LENGTH]
    return f"{total:05d}{head[5:10]}22{base:05d}{head[17:20]}4500"


def build_parsed(leader: str, fields: Sequence[Field]) -> tuple[bytes, ParsedRecord]:
    """:func:`build_record`, and what :func:`parse_record` would give for the bytes built,
    without reading them again."""
    raw = build_record(leader, fields)
    base, end = int(raw[12:17]), len(raw) - 1
    well_formed = raw.count(b"\x1e", base, end) == len(fields) and raw.find(b"\x1d", base, end) < 0
    return raw, ParsedRecord(raw[:LEADER_LENGTH].decode("latin-1"), tuple(fields), well_formed)


def as_built(leader: str, fields: Sequence[Field]) -> ParsedRecord:
    """What :func:`build_parsed` gives for these fields, without writing the record's bytes:
    the leader as it would be built (length, base address), the fields as given. Raises
    StructureError as :func:`build_record` does for what can't be built. For a copy that is
    only to be validated (validator.validate_built), not written."""
    lengths = list(map(len, map(_DATA, fields)))
    if not fields or set(map(len, map(_TAG, fields))) != {3} or max(lengths) >= MAX_FIELD_LENGTH:
        build_record(leader, fields)  # raises, saying what is wrong
    base = LEADER_LENGTH + ENTRY_LENGTH * len(fields) + 1
    total = base + sum(lengths) + len(fields) + 1
    if total > MAX_RECORD_LENGTH:
        build_record(leader, fields)
    data = b"\x1e".join(map(_DATA, fields))
    well_formed = data.count(b"\x1e") == len(fields) - 1 and b"\x1d" not in data
    # One byte a character, as the built bytes have it (read back as Latin-1).
    head = _built_leader(leader, base, total).encode("latin-1", "replace").decode("latin-1")
    return ParsedRecord(head, tuple(fields), well_formed)


class _Window:
    """A sliding window over a binary stream: only the bytes around the current record."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buffer = b""
        self._start = 0  # file offset of _buffer[0]
        self.eof = False
        # File offsets [from, to) known to hold no record terminator: a record that lost its
        # terminator is followed by others that may have too, and searching the same
        # stretch again for each of them made such a file quadratic.
        self._clear_from = 0
        self._clear_to = 0

    def _read_more(self) -> bool:
        if self.eof:
            return False
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self._buffer += chunk
        return True

    def drop_before(self, offset: int) -> None:
        """Forget the bytes before ``offset`` (in chunks: copying on every record is slow)."""
        cut = offset - self._start
        if cut >= _CHUNK or cut >= len(self._buffer):
            self._buffer = self._buffer[cut:]
            self._start = offset

    def skip_filler(self, offset: int) -> int | None:
        """The offset of the first byte at or after ``offset`` that is not filler, or None."""
        while True:
            index = offset - self._start
            while index < len(self._buffer) and self._buffer[index] in _FILLER:
                index += 1
            offset = self._start + index
            if index < len(self._buffer):
                return offset
            self.drop_before(offset)
            if not self._read_more():
                return None

    def get(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end of the file)."""
        while self._start + len(self._buffer) < offset + length and self._read_more():
            pass
        index = offset - self._start
        return self._buffer[index : index + length]

    def find_terminator(self, offset: int) -> int | None:
        """The offset of the next record terminator at or after ``offset`` within reach."""
        searched = self._clear_to if self._clear_from <= offset < self._clear_to else offset
        while True:
            found = self._buffer.find(b"\x1d", searched - self._start)
            if found >= 0:
                self._clear_from, self._clear_to = offset, self._start + found
                return self._start + found
            searched = self._start + len(self._buffer)
            self._clear_from, self._clear_to = offset, searched
            if searched - offset > _MAX_SEARCH or not self._read_more():
                return None

    def skip_to_terminator(self, offset: int) -> int | None:
        """Like find_terminator, without a limit and without keeping what it passes."""
        while True:
            found = self._buffer.find(b"\x1d", max(0, offset - self._start))
            if found >= 0:
                return self._start + found
            offset = self._start + len(self._buffer)
            self.drop_before(offset)
            if not self._read_more():
                return None


@dataclass(frozen=True, slots=True)
class _Span:
    """Where a record ends, and a note when its leader's length was wrong."""

    end: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Lost:
    """A stretch that is no record: why, and where to pick up again (None: nowhere)."""

    reason: str
    resume: int | None


def _find_end(window: _Window, start: int) -> _Span | _Lost:
    """Where the record starting at ``start`` ends.

    The leader's record length is trusted when a record terminator sits where it says;
    otherwise the record runs to the next terminator (a wrong length), unless a leader
    starts where the length says (a lost terminator).
    """
    head = window.get(start, 5)
    length = int(head) if head.isdigit() else 0
    plausible = length >= LEADER_LENGTH + 2
    if plausible and window.get(start + length - 1, 1) == b"\x1d":
        return _Span(start + length)
    terminator = window.find_terminator(start)
    if (
        plausible
        and (terminator is None or terminator + 1 > start + length)
        and _PLAUSIBLE_LEADER.match(window.get(start + length, LEADER_LENGTH))
    ):
        return _Lost(
            "the record terminator (0x1D) is missing at the end of the record "
            f"(the leader gives a length of {length} bytes)",
            start + length,
        )
    if terminator is not None:
        end = terminator + 1
        if length and end - start != length:
            return _Span(
                end,
                f"the leader gives a record length of {length} bytes, "
                f"but the record is {end - start} bytes long",
            )
        return _Span(end)
    if not window.eof:
        mb = _MAX_SEARCH // (1024 * 1024)
        skipped = window.skip_to_terminator(start)
        return _Lost(
            f"no record terminator (0x1D) within {mb} MB",
            None if skipped is None else skipped + 1,
        )
    rest = len(window.get(start, LEADER_LENGTH))
    if not head.isdigit():
        return _Lost("this is not MARC data (it does not start with a record length)", None)
    if rest < LEADER_LENGTH:
        plural = "s" if rest > 1 else ""
        return _Lost(f"the file ends with {rest} byte{plural} that are not a record", None)
    return _Lost("the file ends inside this record: no record terminator (0x1D) follows", None)


def read_iso2709(stream: BinaryIO, file: str) -> Iterator[ReadResult]:
    """Each record of an ISO 2709 stream, or a ReadError for each one that can't be read.

    The reader picks up again after a bad record, so one broken record costs only itself.
    """
    window = _Window(stream)
    offset = 0
    number = 0
    while (start := window.skip_filler(offset)) is not None:
        window.drop_before(start)
        number += 1
        found = _find_end(window, start)
        if isinstance(found, _Lost):
            yield ReadError(file, number, start, found.reason)
            if found.resume is None:
                return
            offset = found.resume
            continue
        offset = found.end
        raw = window.get(start, found.end - start)
        if not raw[:5].isdigit():
            yield ReadError(
                file,
                number,
                start,
                f"this is not a MARC record: it does not start with a record length ({raw[:5]!r})",
            )
            continue
        try:
            parsed = parse_record(raw)
        except StructureError as error:
            yield ReadError(file, number, start, str(error))
            continue
        notes = (found.note,) if found.note else ()
        yield RecordRead(raw, parsed, "iso2709", file, number, start, notes)
