"""A MARC-8 record re-encoded as UTF-8 straight from its bytes.

The export sends most records as UTF-8; re-encoding a MARC-8 record field by field is several
times faster than building a pymarc Record and writing it again, and gives the same bytes
(pymarc's converter decodes each subfield; the text is NFC, a ligature or double tilde the
one double mark, as charset.join_double_diacritics says).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pymarc.marc8 import MARC8ToUnicode

from app.core.marc.charset import join_double_diacritics
from app.core.marc.fields import deleted_tags
from app.core.marc.iso2709 import (
    MAX_FIELD_LENGTH,
    MAX_RECORD_LENGTH,
    build_parsed,
    build_record,
)
from app.core.marc.record import CONTROL_TAGS, Field, ParsedRecord

_ESCAPE = b"\x1b"
_CHARACTER_SETS_PRESENT = "066"  # says which MARC-8 sets a record uses: meaningless in UTF-8


def marc8_record_to_utf8(record: ParsedRecord) -> bytes:
    return build_record(*_utf8_leader_and_fields(record))


def marc8_record_to_utf8_parsed(record: ParsedRecord) -> tuple[bytes, ParsedRecord]:
    """Like marc8_record_to_utf8, with the parse of the bytes built (iso2709.build_parsed)."""
    return build_parsed(*_utf8_leader_and_fields(record))


def _utf8_leader_and_fields(record: ParsedRecord) -> tuple[str, list[Field]]:
    fields = []
    for field in record.fields:
        if field.tag == _CHARACTER_SETS_PRESENT:
            continue
        if field.is_control:
            fields.append(Field(field.tag, _utf8(field.data)))
            continue
        parts = field.data[2:].split(b"\x1f")
        data = field.data[:2] + parts[0]
        for part in parts[1:]:
            data += b"\x1f" + part[:1] + _utf8(part[1:])
        fields.append(Field(field.tag, data))
    leader = record.leader[:9] + "a" + record.leader[10:]
    return leader, fields


def _utf8(text: bytes) -> bytes:
    if text.isascii() and _ESCAPE not in text:
        return text  # ASCII is the same in both
    # A new converter for each piece of text: an escape to another character set lasts to
    # the end of its subfield, as pymarc reads it.
    converted: str = MARC8ToUnicode(quiet=True).translate(text)  # type: ignore[no-untyped-call]
    return join_double_diacritics(converted).encode("utf-8")


# --- the parsed record as UTF-8 fields, for the XML and Dublin Core writers ---------------------

# What the fast path takes: a leader of plain characters whose length is a number, tags of
# letters and digits, data fields of two plain indicators and subfields whose codes are
# letters or digits, no control character XML can't hold (tab, line feed and carriage
# return can be held), and none of U+FFFE, U+FFFF.
_PLAIN_LEADER = re.compile(rb"[0-9]{5}[\x20-\x7e]{19}")
_DATA_FIELD = re.compile(rb"[\x20-\x7e]{2}(?:\x1f[0-9A-Za-z][^\x1f]*)+")
_BAD_CODE = re.compile(rb"\x1f[^0-9A-Za-z]")
_DELIMITER = b"\x1f"
# A field terminator (or the directory's) not followed by a data field's start.
_NOT_DATA_FIELD_START = re.compile(rb"\x1e(?![\x20-\x7e]{2}\x1f)")
# Every byte but the control characters XML can't hold (tab, line feed and carriage return
# it can; terminators and delimiters are where they belong).
_XML_IN_RECORD = bytes(
    sorted(set(range(256)) - set(range(0x09)) - {0x0B, 0x0C} - set(range(0x0E, 0x1D)))
)
_NOT_XML_IN_DATA = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1e]|\xef\xbf[\xbe\xbf]")
_NOT_XML_IN_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
# pymarc's MARC-8 converter drops control characters (and turns DEL into a space) where the
# short way above keeps plain ASCII as it is: such text takes the general way.
_MARC8_CONTROL = re.compile(rb"[\x00-\x1a\x1c-\x1e\x7f]")


def utf8_fields(raw: bytes, record: ParsedRecord, patterns: Sequence[str]) -> list[Field] | None:
    """The fields an export in XML or Dublin Core writes, as UTF-8 bytes: ``record`` (the parse
    of ``raw``) without the fields ``patterns`` delete and without 066, each subfield decoded
    as pymarc decodes it (charset.decode_record) and encoded as UTF-8 again.

    None when the record is out of the ordinary (damaged structure, text that is not valid
    in its encoding or that XML can't hold, a control field in MARC-8 that is not ASCII...):
    the caller then takes the general way through pymarc, which says what is wrong, if
    anything. When this gives fields, that way would give the same text.
    """
    base, end = int(raw[12:17]), len(raw) - 1
    if (
        not record.well_formed
        or raw[end] != 0x1D
        or not _PLAIN_LEADER.fullmatch(raw, 0, 24)
        or int(raw[:5]) > len(raw)
        # Tags of letters and digits: the directory's other characters are digits.
        or not raw[24 : base - 1].isalnum()
        # pymarc decodes every field, those left out too: each must decode as it would.
        or _BAD_CODE.search(raw, base, end)
    ):
        return None
    patterns = tuple(patterns)
    if record.leader[9:10] != "a":
        return _marc8_fields(record, deleted_tags(patterns))
    if raw.translate(None, _XML_IN_RECORD):  # a control character XML can't hold
        return None
    data = raw[base:end]
    if not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "\ufffe" in text or "\uffff" in text:  # not characters: XML can't hold them
            return None
    # One pass: the control fields' data (no delimiter may be in it), and the fields kept.
    dropped = deleted_tags((*patterns, _CHARACTER_SETS_PRESENT))
    control = []
    kept = []
    for field in record.fields:
        tag = field[0]
        if tag in CONTROL_TAGS:
            control.append(field[1])
        if not dropped[tag]:
            kept.append(field)
    if _DELIMITER in b"".join(control):
        return None
    # Every data field starts with two plain indicators and a delimiter: each field that
    # does not (its terminator before it not followed so) must be a control field.
    if len(_NOT_DATA_FIELD_START.findall(raw, base - 1, end - 1)) != len(control):
        return None
    # Only what is written, and in UTF-8 already: no longer than the record read. A record
    # left with no fields at all takes the general way too.
    return kept or None


def _marc8_fields(record: ParsedRecord, deleted: dict[str, bool]) -> list[Field] | None:
    fields: list[Field] = []
    for field in record.fields:
        tag, data = field.tag, field.data
        written = not deleted[tag] and tag != _CHARACTER_SETS_PRESENT
        if tag[:2] == "00" and tag.isdigit():
            if not data.isascii() or _ESCAPE in data:
                return None  # pymarc reads a MARC-8 control field as Latin-1
            if written:
                if _NOT_XML_IN_CONTROL.search(data):
                    return None
                fields.append(field)
            continue
        if not _DATA_FIELD.fullmatch(data) or _MARC8_CONTROL.search(data):
            return None
        converted = _data_field_to_utf8(data)
        if converted is None:
            return None
        if written:
            if _NOT_XML_IN_DATA.search(converted):
                return None
            fields.append(Field(tag, converted))
    # MARC-8 may take more bytes in UTF-8: too long for ISO 2709, the general way says so,
    # as the validation of an XML export checks the record as MARC.
    size = 26 + sum(13 + len(field.data) for field in fields)
    if size > MAX_RECORD_LENGTH or any(len(f.data) >= MAX_FIELD_LENGTH for f in fields):
        return None
    return fields or None


def _data_field_to_utf8(data: bytes) -> bytes | None:
    if data.isascii() and _ESCAPE not in data:
        return data
    parts = data[2:].split(b"\x1f")
    out = data[:2]
    try:
        for part in parts[1:]:
            out += b"\x1f" + part[:1] + _utf8(part[1:])
    except Exception:  # pymarc's converter fails on damaged text: the general way says how
        return None
    return out
