"""Is a field's text decodable in the character set the leader declares?

UTF-8 is checked by Python's strict decoder. MARC-8 is checked here, against pymarc's copy of
LoC's MARC-8 code tables: every escape sequence must designate a MARC-8 character set and every
character must exist in the set in force. Nothing is converted; this only says where the first
undecodable byte is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from types import ModuleType

from app.core.validation.findings import Findings, field_name
from app.core.validation.structure import ParsedRecord
from app.core.validation.tables import quoted

ESC = 0x1B
SUBFIELD = 0x1F
ASCII = 0x42
ANSEL = 0x45
CJK = 0x31
# Final characters of the escape sequences MARC-8 defines (LoC "MARC 21 Specifications,
# Character sets", Part 2): technique 1 (ESC + final) and technique 2 (ESC + intermediate +
# final, "!E" for ANSEL).
TECHNIQUE1 = {0x67: 0x67, 0x62: 0x62, 0x70: 0x70, 0x73: ASCII}  # g, b, p, s
G0_INTERMEDIATES = {0x28, 0x2C}  # ( ,
G1_INTERMEDIATES = {0x29, 0x2D}  # ) -
# C1 controls MARC-8 uses: non-sorting begin/end, joiner, non-joiner.
C1_ALLOWED = {0x88, 0x89, 0x8D, 0x8E}
# Bytes other than printable ASCII: what the MARC-8 check has to look at.
_SPECIAL = re.compile(rb"[^\x20-\x7e]")
# Bytes that may not appear in field data: C0 controls other than the three delimiters.
NOT_CONTROL = bytes(range(0x20, 0x100)) + b"\x1d\x1e\x1f"


@cache
def _marc8_mapping() -> ModuleType:
    """pymarc's MARC-8 tables, imported when a MARC-8 record first needs them (with pymarc:
    validating UTF-8 records loads neither)."""
    from pymarc import marc8_mapping

    return marc8_mapping


@cache
def _single_byte_sets() -> dict[int, frozenset[int]]:
    """For each single-byte MARC-8 set, the byte values it defines, in both halves (a set
    designated as G0 uses 0x21-0x7E, as G1 0xA1-0xFE)."""
    sets: dict[int, frozenset[int]] = {}
    for final, table in _marc8_mapping().CODESETS.items():
        if final == CJK:
            continue
        values = set()
        for code in table:
            values.add(code)
            values.add(code ^ 0x80)
        sets[final] = frozenset(values)
    return sets


def _cjk() -> Mapping[int, object]:
    table: Mapping[int, object] = _marc8_mapping().CODESETS[CJK]
    return table


def marc8_problem(data: bytes) -> str | None:
    """None when ``data`` (one field, indicators and delimiters included) is valid MARC-8;
    else a short description of the first problem."""
    if data.isascii() and ESC not in data:
        # Plain ASCII: only control characters could be wrong.
        for byte in data:
            if byte < 0x20 and byte != SUBFIELD:
                return f"control character hex {byte:02X}"
        return None
    sets = _single_byte_sets()
    g0, g1 = ASCII, ANSEL
    g0_multibyte = False
    i, n = 0, len(data)
    while i < n:
        if g0 == ASCII:
            # Printable ASCII needs no look: jump to the next byte that does.
            found = _SPECIAL.search(data, i)
            if found is None:
                return None
            i = found.start()
        byte = data[i]
        if byte == SUBFIELD:
            i += 2  # the delimiter and the (ASCII) subfield code
            continue
        if byte == ESC:
            if i + 1 >= n:
                return "an escape sequence is cut off at the end of the field"
            second = data[i + 1]
            if second in TECHNIQUE1:
                g0, g0_multibyte = TECHNIQUE1[second], False
                i += 2
                continue
            multibyte = second == 0x24  # $
            j = i + 2 if multibyte else i + 1
            intermediate = data[j] if j < n else -1
            if multibyte and intermediate not in G0_INTERMEDIATES | G1_INTERMEDIATES:
                # "ESC $ 1": the intermediate ( may be left out for G0.
                intermediate, j = 0x28, j - 1
            if intermediate not in G0_INTERMEDIATES | G1_INTERMEDIATES or j + 1 >= n:
                return f"invalid escape sequence at byte {i}"
            final = data[j + 1]
            length = j + 2 - i
            if final == 0x21 and j + 2 < n and data[j + 2] == ANSEL:  # "!E"
                final, length = ANSEL, length + 1
            if multibyte:
                if final != CJK:
                    return f"escape sequence at byte {i} designates an unknown character set"
            elif final not in sets:
                return f"escape sequence at byte {i} designates an unknown character set"
            if intermediate in G0_INTERMEDIATES:
                g0, g0_multibyte = final, multibyte
            else:
                g1 = final  # a multibyte G1 set is not used in MARC 21 records
            i += length
            continue
        if byte < 0x20:
            return f"control character hex {byte:02X} at byte {i}"
        if byte == 0x20:
            i += 1
            continue
        if byte < 0x80:
            if g0_multibyte:
                if i + 3 > n:
                    return f"an East Asian (EACC) character is cut off at byte {i}"
                code = (byte << 16) | (data[i + 1] << 8) | data[i + 2]
                if code not in _cjk() and code not in _marc8_mapping().ODD_MAP:
                    return f"bytes {data[i : i + 3].hex(' ').upper()} are not an EACC character"
                i += 3
                continue
            if byte != 0x7F and (g0 == ASCII or byte in sets.get(g0, ())):
                i += 1
                continue
            return f"byte hex {byte:02X} at {i} is not in the character set in use"
        if byte < 0xA0:
            if byte in C1_ALLOWED:
                i += 1
                continue
            return f"control character hex {byte:02X} at byte {i}"
        if byte in sets.get(g1, ()):
            i += 1
            continue
        return f"byte hex {byte:02X} at {i} is not a MARC-8 character"
    return None


def check_encoding(data: bytes, parsed: ParsedRecord, findings: Findings) -> None:
    """UTF-8 when leader/09 is a, MARC-8 when it is blank; control characters in either.
    ``data``: bytes holding every field (the record's, or its fields' only); when they are
    all UTF-8 without a control character, no field needs a look of its own."""
    scheme = parsed.leader[9]
    if scheme == "a":
        control = data.translate(None, NOT_CONTROL)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not control:
                return
        for field in parsed.fields:
            try:
                field.data.decode("utf-8")
            except UnicodeDecodeError as error:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{field_name(field.tag, field.occurrence)} is not valid UTF-8 (byte"
                    f" {error.start} cannot be decoded), but leader position 09 says the"
                    " record is in UTF-8. Re-encode the record or correct the leader.",
                )
                continue
            bad = field.data.translate(None, NOT_CONTROL)
            if bad:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{field_name(field.tag, field.occurrence)} contains the control character"
                    f" hex {bad[0]:02X}, which MARC records may not hold.",
                )
    elif scheme == " ":
        for field in parsed.fields:
            problem = marc8_problem(field.data)
            if problem:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{field_name(field.tag, field.occurrence)} cannot be read as MARC-8"
                    f" ({problem}), which leader position 09 (blank) declares.",
                )
    else:
        findings.error(
            "LDR",
            None,
            "position 09",
            f"Leader position 09 (character coding scheme) is {quoted(scheme)}; it must be"
            " blank (MARC-8) or a (UTF-8). The record's text was not checked.",
        )
