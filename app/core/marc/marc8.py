"""Unicode to MARC-8, the reverse of pymarc's decoder, built from pymarc's own tables.

MARC-8 (https://www.loc.gov/marc/specifications/speccharmarc8.html) starts every string with
Basic Latin (ASCII) as G0 and ANSEL (extended Latin) as G1, and switches to other character
sets with escape sequences: ``ESC ( F`` puts a 94-character set in G0, ``ESC $ 1`` the
three-byte East Asian set (EACC), ``ESC ) F`` a set in G1 (bytes 0xA1-0xFE), and the short
``ESC b`` / ``ESC p`` / ``ESC g`` select subscripts, superscripts and Greek symbols until
``ESC s``. Combining diacritics come *before* their base letter, where Unicode puts them after.

Every string this module writes ends back in the default sets, so each subfield stands on its
own (pymarc decodes subfields one by one). The ligature and the double tilde, one mark over
two letters in Unicode (U+0361, U+0360), are two halves in MARC-8, each before its letter
(EB x EC y, FA x FB y). Characters with no MARC-8 form are written in MARC 21's lossless
form ``&#xXXXX;`` and listed for the caller to report.

The choices below also keep the output readable by pymarc's decoder, which the tests use as
the reference: in EACC (three bytes per character) a space or a G1 character is written after
switching G0 back to ASCII, and nothing follows a short escape but a character.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymarc import Record

from app.core.marc.encoding_report import ReplacedCharacter
from app.core.marc.to_iso2709 import (
    CHARACTER_SETS_PRESENT,
    SUBFIELD_DELIMITER,
    assemble,
    encode_fields,
)

BASIC_LATIN = 0x42
ANSEL = 0x45
EACC = 0x31
# Sets selected with the short escape (ESC F ... ESC s); they replace G0.
_SHORT_ESCAPE_SETS = frozenset({0x62, 0x67, 0x70})
# When a character is in several sets and none is in use, the first of these wins: the
# default sets first (no escape at all), then the script sets, EACC last.
_PRIORITY = (0x42, 0x45, 0x53, 0x4E, 0x51, 0x32, 0x33, 0x34, 0x62, 0x70, 0x67, 0x31)

_RETURN_TO_ASCII = b"\x1b(B"
_END_SHORT_ESCAPE = b"\x1bs"
_G1_ANSEL = b"\x1b)E"

# One way to write a character: (character set's final byte, the bytes, combining?).
Code = tuple[int, bytes, bool]


def _is_g1(charset: int) -> bool:
    return charset in _G1_SETS


def _designation(charset: int) -> bytes:
    """The escape sequence that makes ``charset`` current (G0, or G1 for the G1 sets)."""
    if charset in _SHORT_ESCAPE_SETS:
        return b"\x1b" + bytes([charset])
    if charset == EACC:
        return b"\x1b$1"
    if _is_g1(charset):
        return b"\x1b)" + bytes([charset])
    return b"\x1b(" + bytes([charset])


def _build_tables() -> tuple[dict[str, tuple[Code, ...]], frozenset[int]]:
    """Character -> its MARC-8 codes, in order of preference; and which sets are G1 sets.

    pymarc keys each table by the byte value read, so a table whose codes are above 0x80
    holds a G1 set. Several EACC codes may decode to the same character (variant forms); the
    lowest code is kept. C0 control codes (ESC and the record delimiters are in pymarc's
    ASCII table) are left out: inside data they would break the record.
    """
    from pymarc import marc8_mapping

    g1_sets = frozenset(
        charset
        for charset, table in marc8_mapping.CODESETS.items()
        if min(table) > 0x80 and charset != EACC
    )
    found: dict[str, dict[int, Code]] = {}
    for charset, table in marc8_mapping.CODESETS.items():
        for code in sorted(table):
            uni, combining = table[code]
            if uni < 0x20 or code < 0x20:
                continue
            data = code.to_bytes(3, "big") if charset == EACC else bytes([code])
            found.setdefault(chr(uni), {}).setdefault(charset, (charset, data, bool(combining)))
    reverse = {
        char: tuple(by_set[cs] for cs in _PRIORITY if cs in by_set)
        for char, by_set in found.items()
    }
    # A few EACC codes decode to CJK compatibility ideographs, which normalization turns into
    # the unified ideograph; let the unified one use that code when it has none of its own.
    for char, codes in list(reverse.items()):
        composed = unicodedata.normalize("NFC", char)
        if len(composed) == 1 and composed not in reverse:
            reverse[composed] = codes
    return reverse, g1_sets


# Filled on first use (_ensure_tables), not when the module is imported: building them takes
# a noticeable fraction of the command line's start-up, and most commands never write MARC-8.
_REVERSE: dict[str, tuple[Code, ...]] = {}
_G1_SETS: set[int] = set()


def _ensure_tables() -> None:
    if not _REVERSE:
        reverse, g1_sets = _build_tables()
        _G1_SETS.update(g1_sets)
        _REVERSE.update(reverse)  # last: a filled _REVERSE means both are ready


# Text made only of printable ASCII is already MARC-8: the common case, kept cheap.
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")


def mappable_characters() -> frozenset[str]:
    """Every character that has a MARC-8 code of its own (before any decomposition)."""
    _ensure_tables()
    return frozenset(_REVERSE)


def is_combining(char: str) -> bool:
    """True for a character MARC-8 writes as a diacritic before its base letter."""
    _ensure_tables()
    codes = _REVERSE.get(char)
    return codes is not None and codes[0][2]


# A piece of text ready to place: the character and its codes (None: no MARC-8 form).
_Token = tuple[str, tuple[Code, ...] | None]


# Letters with more marks than this are not searched for a precomposed MARC-8 letter.
_MOST_MARKS_SEARCHED = 6


@functools.lru_cache(maxsize=1024)
def _starts_cluster(char: str) -> bool:
    """False for a combining character, which belongs to the character before it."""
    return unicodedata.combining(char) == 0 and unicodedata.category(char)[0] != "M"


def _clusters(text: str) -> list[str]:
    """The text cut before each character that is not a combining mark."""
    clusters: list[str] = []
    for char in text:
        if clusters and not _starts_cluster(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


@functools.lru_cache(maxsize=8192)
def _tokens_for(cluster: str) -> tuple[_Token, ...]:
    """A letter and its marks (or any one character) as MARC-8 characters, in Unicode order.

    The characters themselves when MARC-8 has them all; else, from the canonical
    decomposition, the MARC-8 letter that takes up as many of the marks as possible with
    the other marks as diacritics (Vietnamese o with horn and hook above is ANSEL's o-horn
    with a hook, since ANSEL has o-horn but no combining horn); else each character, or its
    decomposition, on its own (None for what MARC-8 lacks).
    """
    _ensure_tables()
    if all(char in _REVERSE for char in cluster):
        return tuple((char, _REVERSE[char]) for char in cluster)
    decomposed = unicodedata.normalize("NFD", cluster)
    base, marks = decomposed[0], decomposed[1:]
    if all(not _starts_cluster(mark) for mark in marks) and len(marks) <= _MOST_MARKS_SEARCHED:
        for size in range(len(marks), -1, -1):
            for chosen in itertools.combinations(range(len(marks)), size):
                letter = unicodedata.normalize("NFC", base + "".join(marks[i] for i in chosen))
                rest = "".join(marks[i] for i in range(len(marks)) if i not in chosen)
                if (
                    len(letter) == 1
                    and letter in _REVERSE
                    and all(mark in _REVERSE for mark in rest)
                    # Marks of the same class don't commute: the result must mean the same.
                    and unicodedata.normalize("NFD", letter + rest) == decomposed
                ):
                    return ((letter, _REVERSE[letter]), *((m, _REVERSE[m]) for m in rest))
    tokens: list[_Token] = []
    for char in cluster:
        if char in _REVERSE:
            tokens.append((char, _REVERSE[char]))
        else:
            tokens.extend((part, _REVERSE.get(part)) for part in unicodedata.normalize("NFD", char))
    return tuple(tokens)


def encode_marc8(text: str) -> tuple[bytes, list[str]]:
    """``text`` in MARC-8, and the characters written as ``&#xXXXX;`` (each once, in order).

    A combining mark with no base character to carry it (at the start of the text, or after
    a character that had to be written as ``&#xXXXX;``) is written in that form too.
    """
    data, unmappable, _ = encode_marc8_sets(text)
    return data, unmappable


def encode_marc8_sets(text: str) -> tuple[bytes, list[str], frozenset[bytes]]:
    """Like :func:`encode_marc8`, plus the escape sequences used (for field 066)."""
    if not _NOT_PLAIN_ASCII.search(text):
        return text.encode("ascii"), [], frozenset()
    _ensure_tables()
    tokens: list[_Token] = []
    for cluster in _split_double_marks(_clusters(unicodedata.normalize("NFC", text))):
        tokens.extend(_tokens_for(cluster))
    return _emit(_reorder(tokens))


# A mark spanning two letters, and MARC-8's halves of it (ANSEL EB/EC and FA/FB, which
# pymarc's tables give as Unicode's half marks): the ligature (double inverted breve) and
# the double tilde.
_DOUBLE_MARKS = {"\u0361": ("\ufe20", "\ufe21"), "\u0360": ("\ufe22", "\ufe23")}


def _split_double_marks(clusters: list[str]) -> list[str]:
    """Each ligature or double tilde as MARC-8 writes it: the first half on the letter it
    follows, the second half on the next letter (EB x EC y, as yaz and MARC::Charset write
    it; charset.join_double_diacritics reads it back). One with no letter after it to carry
    the second half stays as it is, and is written as ``&#x0361;``."""
    if not any(double in cluster for cluster in clusters for double in _DOUBLE_MARKS):
        return clusters
    for index in range(len(clusters) - 1):
        cluster = clusters[index]
        for double, (first, second) in _DOUBLE_MARKS.items():
            if (
                double in cluster[1:]
                and _has_marc8_base(cluster)
                and _has_marc8_base(clusters[index + 1])
            ):
                cluster = cluster.replace(double, first, 1)
                clusters[index + 1] += second
        clusters[index] = cluster
    return clusters


def _has_marc8_base(cluster: str) -> bool:
    """True when the cluster's first character (or its decomposition) has a MARC-8 form."""
    return all(codes is not None for _, codes in _tokens_for(cluster[0]))


def _reorder(tokens: list[_Token]) -> list[_Token]:
    """Move each base character's combining marks in front of it, as MARC-8 wants."""
    ordered: list[_Token] = []
    base: _Token | None = None
    marks: list[_Token] = []

    def flush() -> None:
        if base is not None and base[1] is not None:
            ordered.extend(marks)
            ordered.append(base)
        else:
            # No base that MARC-8 can carry the marks on: write them out as they are.
            if base is not None:
                ordered.append(base)
            ordered.extend((char, None) for char, _ in marks)

    for token in tokens:
        codes = token[1]
        if codes is not None and codes[0][2]:
            marks.append(token)
            continue
        flush()
        base, marks = token, []
    flush()
    return ordered


def _emit(tokens: Iterable[_Token]) -> tuple[bytes, list[str], frozenset[bytes]]:
    out = bytearray()
    unmappable: dict[str, None] = {}
    used: set[bytes] = set()
    g0, g1 = BASIC_LATIN, ANSEL
    for char, codes in tokens:
        if codes is None:
            unmappable.setdefault(char)
            if g0 != BASIC_LATIN:
                out += _END_SHORT_ESCAPE if g0 in _SHORT_ESCAPE_SETS else _RETURN_TO_ASCII
                g0 = BASIC_LATIN
            out += f"&#x{ord(char):04X};".encode("ascii")
            continue
        if char == " " and g0 != EACC:
            # 0x20 is the space in every one-byte G0 set.
            out += b" "
            continue
        code = _pick(codes, g0, g1)
        charset = code[0]
        if _is_g1(charset):
            if g0 == EACC:
                # In EACC every character is three bytes; G1 bytes need a one-byte G0.
                out += _RETURN_TO_ASCII
                g0 = BASIC_LATIN
            if charset != g1:
                designation = _designation(charset)
                out += designation
                used.add(designation)
                g1 = charset
        elif charset != g0:
            if charset == BASIC_LATIN and g0 in _SHORT_ESCAPE_SETS:
                designation = _END_SHORT_ESCAPE
            else:
                designation = _designation(charset)
            out += designation
            if charset != BASIC_LATIN:
                used.add(designation)
            g0 = charset
        out += code[1]
    # Back to the defaults, G1 first: after a short escape only ESC s may end the string.
    if g1 != ANSEL:
        out += _G1_ANSEL
    if g0 != BASIC_LATIN:
        out += _END_SHORT_ESCAPE if g0 in _SHORT_ESCAPE_SETS else _RETURN_TO_ASCII
    return bytes(out), list(unmappable), frozenset(used)


def _pick(codes: tuple[Code, ...], g0: int, g1: int) -> Code:
    """A code in a set already in use if there is one (no escape), else the preferred one."""
    for code in codes:
        charset = code[0]
        if charset == g0 or (charset == g1 and g0 != EACC):
            return code
    return codes[0]


def record_to_marc8(record: Record) -> tuple[bytes, list[ReplacedCharacter]]:
    """The record as MARC 21 in MARC-8 (leader/09 blank), and the characters it replaced.

    Field 066 (character sets present) is rewritten to name the escape sequences the record
    now uses, or left out when it uses only the default sets.
    """
    replaced: list[ReplacedCharacter] = []
    designations: set[bytes] = set()

    def encode_text(text: str, tag: str, code: str) -> bytes:
        data, unmappable, used = encode_marc8_sets(text)
        replaced.extend(ReplacedCharacter(tag, code, char) for char in unmappable)
        designations.update(used)
        return data

    fields = encode_fields(record, encode_text)
    if designations:
        field_066 = b"  " + b"".join(
            SUBFIELD_DELIMITER + b"c" + designation[1:] for designation in sorted(designations)
        )
        at = next((i for i, (tag, _) in enumerate(fields) if tag > CHARACTER_SETS_PRESENT), None)
        fields.insert(len(fields) if at is None else at, (CHARACTER_SETS_PRESENT, field_066))
    return assemble(str(record.leader), fields, " "), replaced
