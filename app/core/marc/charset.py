"""Turning a record's bytes into text for display: UTF-8 or MARC-8 as leader/09 declares.

The raw bytes are never changed; this is only how they are shown. MARC-8 is decoded with
pymarc's converter, one subfield at a time (as pymarc does), since escape sequences don't
carry across subfield delimiters in practice and the converter drops control characters.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pymarc and its MARC-8 tables load with the first record that needs them
    from pymarc import Record

Encoding = Literal["MARC-8", "UTF-8"]


def declared_encoding(leader: str) -> Encoding:
    """Leader/09: 'a' is UCS/Unicode (UTF-8), anything else MARC-8."""
    return "UTF-8" if len(leader) > 9 and leader[9] == "a" else "MARC-8"


def decode_text(data: bytes, encoding: Encoding) -> str:
    """Text for display from one subfield's (or control field's) bytes."""
    if encoding == "UTF-8":
        if data.isascii():
            return data.decode("ascii")
        return unicodedata.normalize("NFC", data.decode("utf-8", "replace"))
    if b"\x1b" in data:  # an escape to another MARC-8 set (Cyrillic, CJK...), often in ASCII bytes
        return decode_marc8(data)
    if data.isascii():
        return data.decode("ascii")
    # A record that says MARC-8 but holds UTF-8 (a common mislabel) would be garbled by the
    # MARC-8 table; real MARC-8 text is practically never valid multibyte UTF-8.
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return decode_marc8(data)


def decode_marc8(data: bytes) -> str:
    from pymarc.marc8 import MARC8ToUnicode

    try:
        text = str(MARC8ToUnicode(quiet=True).translate(data))  # type: ignore[no-untyped-call]
    except (IndexError, TypeError, KeyError, ValueError):
        # Broken escape sequences: show what can be shown rather than nothing.
        return data.decode("latin-1")
    return join_double_diacritics(text)


# MARC-8 writes the ligature and the double tilde, which span two letters, as two halves, each
# before its letter: EB x EC y and FA x FB y. pymarc maps the halves to Unicode's half marks
# (U+FE20/U+FE21, U+FE22/U+FE23), the mapping of 1996; the Library of Congress's code table
# has preferred the single double mark since MARBI proposal 2004-08: U+0361 (combining double
# inverted breve) or U+0360 (combining double tilde) after the first letter, the second half
# dropped. The encoder (marc8.py) turns that back into the two halves.
_HALVES = {"\ufe20": ("\ufe21", "\u0361"), "\ufe22": ("\ufe23", "\u0360")}


def join_double_diacritics(text: str) -> str:
    """``text`` decoded from MARC-8 with each pair of halves as the one double mark.

    A first half pairs with a second half on the very next letter; halves that don't pair
    (a damaged record) are left as half marks, which the encoder writes back as they were.
    """
    if "\ufe20" not in text and "\ufe22" not in text:
        return text
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.category(char) in _MARK_CATEGORIES:
            clusters[-1] += char
        else:
            clusters.append(char)
    for index in range(len(clusters) - 1):
        for first, (second, double) in _HALVES.items():
            if first in clusters[index] and second in clusters[index + 1]:
                clusters[index] = clusters[index].replace(first, double, 1)
                clusters[index + 1] = clusters[index + 1].replace(second, "", 1)
    return unicodedata.normalize("NFC", "".join(clusters))


_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


def decode_record(raw: bytes) -> Record:
    """A pymarc Record of ISO 2709 bytes, its text decoded as leader/09 declares.

    UTF-8 must be valid (pymarc raises otherwise); MARC-8 is pymarc's decoding with each
    ligature and double tilde joined (join_double_diacritics), so a MARC-8 record reads the
    same here as through recode.py and display_text.
    """
    from pymarc import Record, Subfield

    record = Record(data=raw, to_unicode=True, force_utf8=False, utf8_handling="strict")
    if declared_encoding(raw[:24].decode("latin-1")) == "MARC-8":
        for field in record.fields:
            if field.control_field:
                field.data = join_double_diacritics(field.data or "")
            else:
                field.subfields = [
                    Subfield(code, join_double_diacritics(value)) for code, value in field.subfields
                ]
    return record
