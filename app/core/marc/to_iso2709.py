"""Writing a pymarc Record as ISO 2709 (MARC 21 exchange format) bytes.

A record is a 24-character leader, a directory of 12-byte entries (tag, field length in four
digits, start in five), a field terminator, the fields, and a record terminator. The writer
computes the lengths and sets the leader positions that describe this structure (10-11 "22",
20-23 "4500") and the coding scheme (09); the other leader positions are the record's own.
The text encoder (UTF-8 here, MARC-8 in :mod:`app.core.marc.marc8`) is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymarc import Record

from app.core.marc.encoding_report import (
    RecordEncodingError,
    ReplacedCharacter,
    numeric_reference,
)

FIELD_TERMINATOR = b"\x1e"
RECORD_TERMINATOR = b"\x1d"
SUBFIELD_DELIMITER = b"\x1f"
MAX_RECORD_LENGTH = 99_999
MAX_FIELD_LENGTH = 9_999
LEADER_LENGTH = 24
CHARACTER_SETS_PRESENT = "066"

# (text, tag, subfield code or "") -> bytes; the encoder notes what it had to replace.
TextEncoder = Callable[[str, str, str], bytes]

_TAG = re.compile(r"[0-9A-Za-z]{3}")
# Indicators and subfield codes are one byte; the three delimiters would break the record.
_ONE_BYTE = re.compile(r"[\x00-\x1c\x20-\x7f]")
_LEADER = re.compile(r"[\x20-\x7e]{24}")
# In UTF-8 data only the delimiters (and lone surrogates, which UTF-8 can't hold) are unsafe.
_UNSAFE_IN_UTF8 = re.compile("[\x1d\x1e\x1f\ud800-\udfff]")


def encode_fields(record: Record, encode_text: TextEncoder) -> list[tuple[str, bytes]]:
    """Each field's tag and bytes (without terminator); 066, which only MARC-8 uses, is left out.

    Raises :class:`RecordEncodingError` naming the field that can't be written.
    """
    encoded: list[tuple[str, bytes]] = []
    for field in record.fields:
        tag = field.tag
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise RecordEncodingError(f"field tag {tag!r} is not three letters or digits")
        if tag == CHARACTER_SETS_PRESENT:
            continue
        if field.control_field:
            data = field.data
            if not isinstance(data, str):
                raise RecordEncodingError(f"field {tag} holds undecoded bytes, not text")
            encoded.append((tag, encode_text(data, tag, "")))
            continue
        indicators = field.indicators or ("", "")
        parts = [_one_byte(value, f"field {tag}: indicator") for value in indicators]
        for subfield in field.subfields:
            code, value = subfield.code, subfield.value
            if not isinstance(value, str):
                raise RecordEncodingError(f"field {tag} ${code} holds undecoded bytes, not text")
            parts.append(SUBFIELD_DELIMITER + _one_byte(code, f"field {tag}: subfield code"))
            parts.append(encode_text(value, tag, code))
        encoded.append((tag, b"".join(parts)))
    return encoded


def assemble(leader: str, fields: Sequence[tuple[str, bytes]], coding_scheme: str) -> bytes:
    """The record's bytes: leader with lengths filled in, directory, fields, terminator."""
    if not _LEADER.fullmatch(leader):
        raise RecordEncodingError(
            f"the leader {leader!r} is not 24 plain characters, so the record can't be written"
        )
    directory = bytearray()
    body = bytearray()
    for tag, data in fields:
        length = len(data) + 1
        if length > MAX_FIELD_LENGTH:
            raise RecordEncodingError(
                f"field {tag} is {length:,} bytes long; a MARC record's fields can hold at "
                f"most {MAX_FIELD_LENGTH:,} bytes"
            )
        directory += f"{tag}{length:04d}{len(body):05d}".encode("ascii")
        body += data
        body += FIELD_TERMINATOR
    directory += FIELD_TERMINATOR
    body += RECORD_TERMINATOR
    base_address = LEADER_LENGTH + len(directory)
    total = base_address + len(body)
    if total > MAX_RECORD_LENGTH:
        raise RecordEncodingError(
            f"the record is {total:,} bytes long; a MARC record can be at most "
            f"{MAX_RECORD_LENGTH:,} bytes (remove fields or export it as MARCXML)"
        )
    head = (
        f"{total:05d}{leader[5:9]}{coding_scheme}22{base_address:05d}{leader[17:20]}4500"
    ).encode("ascii")
    return bytes(head + directory + body)


def record_to_utf8(record: Record) -> tuple[bytes, list[ReplacedCharacter]]:
    """The record as MARC 21 in UTF-8 (leader/09 ``a``), and the characters replaced.

    Only the record's own delimiters (and lone surrogates) are replaced, by ``&#xXXXX;``.
    """
    replaced: list[ReplacedCharacter] = []

    def encode_text(text: str, tag: str, code: str) -> bytes:
        if _UNSAFE_IN_UTF8.search(text):
            for char in _UNSAFE_IN_UTF8.findall(text):
                replaced.append(ReplacedCharacter(tag, code, char))
            text = _UNSAFE_IN_UTF8.sub(lambda match: numeric_reference(match.group()), text)
        return text.encode("utf-8")

    fields = encode_fields(record, encode_text)
    return assemble(str(record.leader), fields, "a"), replaced


def _one_byte(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not _ONE_BYTE.fullmatch(value):
        raise RecordEncodingError(f"{what} {value!r} is not a single plain character")
    return value.encode("ascii")
