"""A MARC-8 record re-encoded as UTF-8 straight from its bytes.

The export sends most records as UTF-8; re-encoding a MARC-8 record field by field is several
times faster than building a pymarc Record and writing it again, and gives the same bytes
(pymarc's converter decodes each subfield; the text is NFC, a ligature or double tilde the
one double mark, as charset.join_double_diacritics says).
"""

from __future__ import annotations

from pymarc.marc8 import MARC8ToUnicode

from app.core.marc.charset import join_double_diacritics
from app.core.marc.iso2709 import build_record
from app.core.marc.record import Field, ParsedRecord

_ESCAPE = b"\x1b"
_CHARACTER_SETS_PRESENT = "066"  # says which MARC-8 sets a record uses: meaningless in UTF-8


def marc8_record_to_utf8(record: ParsedRecord) -> bytes:
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
    return build_record(leader, fields)


def _utf8(text: bytes) -> bytes:
    if text.isascii() and _ESCAPE not in text:
        return text  # ASCII is the same in both
    # A new converter for each piece of text: an escape to another character set lasts to
    # the end of its subfield, as pymarc reads it.
    converted: str = MARC8ToUnicode(quiet=True).translate(text)  # type: ignore[no-untyped-call]
    return join_double_diacritics(converted).encode("utf-8")
