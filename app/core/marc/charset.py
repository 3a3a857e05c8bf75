"""Turning a record's bytes into text for display: UTF-8 or MARC-8 as leader/09 declares.

The raw bytes are never changed; this is only how they are shown. MARC-8 is decoded with
pymarc's converter, one subfield at a time (as pymarc does), since escape sequences don't
carry across subfield delimiters in practice and the converter drops control characters.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from pymarc.marc8 import MARC8ToUnicode

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
    try:
        return str(MARC8ToUnicode(quiet=True).translate(data))  # type: ignore[no-untyped-call]
    except (IndexError, TypeError, KeyError, ValueError):
        # Broken escape sequences: show what can be shown rather than nothing.
        return data.decode("latin-1")
