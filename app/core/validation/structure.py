"""Reading one ISO 2709 record for validation: leader, directory and fields, once.

The reader trusts nothing: every offset and length is checked, and each problem becomes a
message rather than an exception. Fields that can be located are returned even when others
cannot, so that the control number can still be shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from app.core.digits import ascii_digits
from app.core.marc.record import ParsedRecord as ReadRecord
from app.core.validation.messages import ValidationMessage
from app.core.validation.tables import quoted

FIELD_END = 0x1E
RECORD_END = 0x1D
MAX_RECORD = 99_999
MAX_FIELD = 9_999
MAX_DIRECTORY_MESSAGES = 20
# A well-formed directory: entries of a 3-character tag, 4-digit length, 5-digit start.
_DIRECTORY = re.compile(rb"(?:[0-9A-Za-z]{3}[0-9]{9})*")
_ENTRY_TEXT = re.compile(r"([0-9A-Za-z]{3})([0-9]{4})([0-9]{5})")


@dataclass(slots=True)
class RawField:
    tag: str
    data: bytes  # without the field terminator
    occurrence: int  # 1-based among the fields with this tag


@dataclass(slots=True)
class ParsedRecord:
    leader: str
    fields: list[RawField]
    sound: bool  # leader and directory fully consistent: content checks are meaningful


def _error(messages: list[ValidationMessage], tag: str, where: str | None, text: str) -> None:
    messages.append(ValidationMessage(tag, None, where, "error", text))


def _check_leader(raw: bytes, leader: str, messages: list[ValidationMessage]) -> int | None:
    """Structural leader positions; returns the base address of data when it is usable."""
    size = len(raw)
    length = leader[0:5]
    if not ascii_digits(length):
        _error(
            messages,
            "LDR",
            "position 00-04",
            f"Leader positions 00-04 (record length) hold {quoted(length)}; they must be five"
            f" digits giving the record's length ({size} bytes).",
        )
    elif int(length) != size:
        _error(
            messages,
            "LDR",
            "position 00-04",
            f"Leader positions 00-04 give the record length as {int(length)}, but the record is"
            f" {size} bytes long.",
        )
    if size > MAX_RECORD:
        _error(
            messages,
            "LDR",
            "position 00-04",
            f"The record is {size:,} bytes long; MARC 21 allows at most 99,999 bytes per record."
            " Split or shorten it.",
        )
    if leader[10] != "2":
        _error(
            messages,
            "LDR",
            "position 10",
            f"Leader position 10 (indicator count) is {quoted(leader[10])}; it must be 2.",
        )
    if leader[11] != "2":
        _error(
            messages,
            "LDR",
            "position 11",
            f"Leader position 11 (subfield code count) is {quoted(leader[11])}; it must be 2.",
        )
    if leader[20:24] != "4500":
        _error(
            messages,
            "LDR",
            "position 20-23",
            f"Leader positions 20-23 (entry map) are {quoted(leader[20:24])}; they must be 4500.",
        )
    base_text = leader[12:17]
    if not ascii_digits(base_text):
        _error(
            messages,
            "LDR",
            "position 12-16",
            f"Leader positions 12-16 (base address of data) hold {quoted(base_text)}; they must be"
            " five digits.",
        )
        return None
    base = int(base_text)
    if base < 25 or base > size or raw[base - 1] != FIELD_END:
        _error(
            messages,
            "LDR",
            "position 12-16",
            f"Leader positions 12-16 give the base address of data as {base}, which is not just"
            " after the directory's field terminator.",
        )
        return None
    return base


def parse_record(raw: bytes, messages: list[ValidationMessage]) -> ParsedRecord | None:
    """Leader, directory and fields of ``raw``; structural problems go to ``messages``.

    Returns None when not even the leader can be read."""
    size = len(raw)
    if size < 25:
        _error(
            messages,
            "LDR",
            None,
            f"The record is only {size} bytes long; a MARC record starts with a 24-character"
            " leader and ends with a record terminator.",
        )
        return None
    leader = raw[:24].decode("latin-1")
    sound = True
    first_messages = len(messages)
    if raw[-1] != RECORD_END:
        _error(
            messages,
            "LDR",
            None,
            "The record does not end with a record terminator (hex 1D); it may be cut short.",
        )
    base = _check_leader(raw, leader, messages)
    if base is None:
        # Find the directory's end by its terminator, to still locate the fields.
        end = raw.find(b"\x1e", 24)
        if end < 0:
            return ParsedRecord(leader, [], False)
        base = end + 1
        sound = False
    directory = raw[24 : base - 1]
    if len(directory) % 12:
        _error(
            messages,
            "DIR",
            None,
            f"The directory is {len(directory)} bytes long, not a multiple of 12: an entry is"
            " damaged or cut short.",
        )
        sound = False

    data_end = size - 1 if raw[-1] == RECORD_END else size
    if sound and _DIRECTORY.fullmatch(directory):
        fast = _read_fields_fast(raw, base, directory, data_end)
        if fast is not None:
            return ParsedRecord(leader, fast, True)
    if size > MAX_RECORD:
        # Its leader cannot describe it, so its directory cannot be trusted either: the size
        # error (reported with the leader) is what matters; only the 001 is looked for.
        return ParsedRecord(leader, _control_field_001(raw, base, directory), False)

    fields: list[RawField] = []
    counts: dict[str, int] = {}
    spans: list[tuple[int, int, str]] = []
    # Directory problems are collected apart, so that a record with thousands of broken
    # entries gets a readable report rather than thousands of lines.
    all_messages, messages = messages, []
    for index in range(len(directory) // 12):
        entry = directory[index * 12 : index * 12 + 12]
        tag_bytes, length_bytes, start_bytes = entry[:3], entry[3:7], entry[7:12]
        tag = tag_bytes.decode("latin-1")
        number = index + 1
        if not (tag_bytes.isascii() and tag_bytes.isalnum()):
            _error(
                messages,
                "DIR",
                f"entry {number}",
                f"Directory entry {number} has the tag {quoted(tag)}, which is not three letters or"
                " digits.",
            )
            sound = False
            continue
        if not (length_bytes.isdigit() and start_bytes.isdigit()):
            _error(
                messages,
                tag,
                None,
                f"The directory entry of field {tag} (entry {number}) has a length"
                f" '{length_bytes.decode('latin-1')}' or a starting position"
                f" '{start_bytes.decode('latin-1')}' that is not all digits.",
            )
            sound = False
            continue
        length, start = int(length_bytes), int(start_bytes)
        first, last = base + start, base + start + length
        if length < 1 or last > data_end:
            _error(
                messages,
                tag,
                None,
                f"The directory says field {tag} (entry {number}) is {length} bytes from"
                f" position {start}, which runs past the end of the record.",
            )
            sound = False
            continue
        occurrence = counts.get(tag, 0) + 1
        counts[tag] = occurrence
        body = raw[first:last]
        if body[-1] != FIELD_END:
            messages.append(
                ValidationMessage(
                    tag,
                    occurrence,
                    None,
                    "error",
                    f"Field {tag} does not end with a field terminator (hex 1E) where the"
                    " directory says it ends: its length or starting position is wrong.",
                )
            )
            sound = False
        else:
            body = body[:-1]
        if FIELD_END in body or RECORD_END in body:
            messages.append(
                ValidationMessage(
                    tag,
                    occurrence,
                    None,
                    "error",
                    f"Field {tag} contains a field or record terminator (hex 1E or 1D) inside"
                    " its data.",
                )
            )
            sound = False
        spans.append((first, last, tag))
        fields.append(RawField(tag, body, occurrence))

    spans.sort()
    for (_, end_a, tag_a), (start_b, _, tag_b) in pairwise(spans):
        if start_b < end_a:
            _error(
                messages,
                "DIR",
                None,
                f"The directory places fields {tag_a} and {tag_b} so that they overlap.",
            )
            sound = False
    all_messages.extend(messages[:MAX_DIRECTORY_MESSAGES])
    if len(messages) > MAX_DIRECTORY_MESSAGES:
        _error(
            all_messages,
            "DIR",
            None,
            f"... and {len(messages) - MAX_DIRECTORY_MESSAGES:,} more problems with the"
            " directory of this record, not listed one by one.",
        )
    if not sound and len(all_messages) > first_messages:
        _report_oversized_fields(raw, base, all_messages)
    return ParsedRecord(leader, fields, sound)


def parse_read_record(
    raw: bytes, read: ReadRecord, messages: list[ValidationMessage]
) -> ParsedRecord | None:
    """Like :func:`parse_record`, taking the fields from the reader's parse of ``raw``
    (``read``) instead of reading the directory again, when that parse found them well
    formed: then the careful reader would have found the same fields, in one pass. The
    leader's own checks are made either way; anything else reads ``raw`` afresh."""
    size = len(raw)
    if not read.well_formed or size < 25 or read.leader != raw[:24].decode("latin-1"):
        return parse_record(raw, messages)
    base_text = raw[12:17]
    if not _DIRECTORY.fullmatch(raw, 24, int(base_text) - 1 if base_text.isdigit() else 24):
        return parse_record(raw, messages)
    leader = read.leader
    if raw[-1] != RECORD_END:
        _error(
            messages,
            "LDR",
            None,
            "The record does not end with a record terminator (hex 1D); it may be cut short.",
        )
    if _check_leader(raw, leader, messages) is None:  # cannot happen for a well-formed parse
        raise AssertionError("a well-formed record has a usable base address")
    return ParsedRecord(leader, counted_fields(read.fields), True)


def counted_fields(fields: Iterable[tuple[str, bytes]]) -> list[RawField]:
    """The (tag, data) fields with each one's occurrence among those of its tag."""
    counted: list[RawField] = []
    counts: dict[str, int] = {}
    for tag, data in fields:
        occurrence = counts.get(tag, 0) + 1
        counts[tag] = occurrence
        counted.append(RawField(tag, data, occurrence))
    return counted


def _read_fields_fast(
    raw: bytes, base: int, directory: bytes, data_end: int
) -> list[RawField] | None:
    """The common case in one pass: fields stored in directory order, end to end, each ending
    with a terminator and no terminator inside. None when anything differs, and the careful
    reader then says what."""
    fields: list[RawField] = []
    counts: dict[str, int] = {}
    expected = base
    for tag, length_text, start_text in _ENTRY_TEXT.findall(directory.decode("ascii")):
        first = base + int(start_text)
        last = first + int(length_text)
        if first != expected or last > data_end or raw[last - 1] != FIELD_END:
            return None
        expected = last
        occurrence = counts.get(tag, 0) + 1
        counts[tag] = occurrence
        fields.append(RawField(tag, raw[first : last - 1], occurrence))
    if expected != data_end or raw.count(b"\x1e", base, data_end) != len(fields):
        return None
    if raw.find(b"\x1d", base, data_end) >= 0:
        return None
    return fields


def _control_field_001(raw: bytes, base: int, directory: bytes) -> list[RawField]:
    if directory[:3] == b"001" and directory[3:12].isdigit():
        start, length = int(directory[7:12]), int(directory[3:7])
        return [RawField("001", raw[base + start : base + start + length - 1], 1)]
    return []


def _report_oversized_fields(raw: bytes, base: int, messages: list[ValidationMessage]) -> None:
    """A directory entry cannot hold a length over 9,999: a longer field breaks the
    directory. Look at the data itself to say so plainly."""
    for piece in raw[base:].split(b"\x1e"):
        if len(piece) + 1 > MAX_FIELD:
            messages.append(
                ValidationMessage(
                    "DIR",
                    None,
                    None,
                    "error",
                    f"A field of {len(piece) + 1:,} bytes was found; MARC 21 allows at most 9,999"
                    " bytes per field, so its directory entry cannot be right. Shorten or split"
                    " it.",
                )
            )
