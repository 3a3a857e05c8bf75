"""The MARC-8 repertoire as a cataloger picks from it (Enter Diacritics/Special Characters,
grouped as Connexion groups it: diacritics, special letters, symbols), and the characters of
a text that MARC-8 can't hold.

The palette is read from the same tables the MARC-8 encoder uses (ANSEL, and the Greek
symbols, subscripts and superscripts sets), so it offers exactly what a MARC-8 record can
keep. The ligature and the double tilde, which MARC-8 writes as two halves, are offered as
the one Unicode double mark placed after the first of the two letters.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from app.core.marc.marc8 import encode_marc8

ANSEL = 0x45
_EXTRA_SETS = (0x67, 0x62, 0x70)  # Greek symbols, subscripts, superscripts
DIACRITICS = "Diacritics"
SPECIAL_LETTERS = "Special letters"
SYMBOLS = "Symbols"
GROUPS = (DIACRITICS, SPECIAL_LETTERS, SYMBOLS)
# Halves MARC-8 writes for a mark over two letters: offered as the double mark instead.
_HALVES = {"\ufe20": "\u0361", "\ufe22": "\u0360", "\ufe21": None, "\ufe23": None}
# The names catalogers know (the MARC-8 code table's), where Unicode's differ.
_NAMES = {
    "\u0309": "Hook above (pseudo question mark)",
    "\u0300": "Grave",
    "\u0301": "Acute",
    "\u0302": "Circumflex",
    "\u0303": "Tilde",
    "\u0304": "Macron",
    "\u0306": "Breve",
    "\u0307": "Superior dot",
    "\u0308": "Umlaut (diaeresis)",
    "\u030c": "Hacek (caron)",
    "\u030a": "Circle above (angstrom)",
    "\u0361": "Ligature (over two letters)",
    "\u0315": "High comma, off center",
    "\u030b": "Double acute",
    "\u0310": "Candrabindu",
    "\u0327": "Cedilla",
    "\u0328": "Right hook (ogonek)",
    "\u0323": "Dot below",
    "\u0324": "Double dot below",
    "\u0325": "Circle below",
    "\u0333": "Double underscore",
    "\u0332": "Underscore",
    "\u0326": "Left hook (comma below)",
    "\u031c": "Right cedilla",
    "\u032e": "Upadhmaniya (half circle below)",
    "\u0360": "Double tilde (over two letters)",
    "\u0313": "High comma, centered",
    "\u02b9": "Soft sign (prime)",
    "\u02ba": "Hard sign (double prime)",
    "\u02bc": "Alif",
    "\u02bb": "Ayn",
    "\u00b7": "Middle dot",
    "\u0131": "Turkish i (dotless)",
    "\u2113": "Script small l",
    "\u2117": "Sound recording copyright",
}


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    char: str
    name: str
    combining: bool  # a diacritic: goes after the letter it belongs to


def _name(char: str) -> str:
    if char in _NAMES:
        return _NAMES[char]
    return unicodedata.name(char, f"U+{ord(char):04X}").capitalize()


@functools.cache
def palette() -> dict[str, tuple[PaletteEntry, ...]]:
    """The three groups, each in code table order."""
    from pymarc import marc8_mapping  # with the palette, not with the editor

    groups: dict[str, list[PaletteEntry]] = {group: [] for group in GROUPS}
    for charset in (ANSEL, *_EXTRA_SETS):
        for _code, (uni, combining) in sorted(marc8_mapping.CODESETS[charset].items()):
            char = chr(uni)
            if char in _HALVES:
                double = _HALVES[char]
                if double is None:
                    continue
                char = double
            if not char.isprintable() or (uni < 0x80 and not combining):
                continue  # controls, joiners, and ASCII itself
            if combining:
                group = DIACRITICS
            elif unicodedata.category(char).startswith("L"):
                group = SPECIAL_LETTERS
            else:
                group = SYMBOLS
            groups[group].append(PaletteEntry(char, _name(char), bool(combining)))
    return {group: tuple(entries) for group, entries in groups.items()}


def _clusters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each character with the combining marks after it."""
    spans: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        if spans and unicodedata.combining(char) and spans[-1][1] == index:
            spans[-1] = (spans[-1][0], index + 1)
        else:
            spans.append((index, index + 1))
    return spans


@functools.lru_cache(maxsize=4096)
def _has_marc8_form(cluster: str) -> bool:
    # A double mark (ligature, double tilde) needs the next letter to be written; it has a
    # MARC-8 form (two halves), so the letter is judged without it.
    cluster = cluster.replace("\u0361", "").replace("\u0360", "") or "a"
    return not encode_marc8(cluster)[1]


def unmappable_spans(text: str) -> list[tuple[int, int]]:
    """Where the text holds characters MARC-8 lacks (each a letter with its marks), as
    (start, end) offsets in code points: a MARC-8 record or export writes them as
    ``&#xXXXX;``."""
    if text.isascii():
        return []
    return [
        (start, end)
        for start, end in _clusters(text)
        if not text[start:end].isascii() and not _has_marc8_form(text[start:end])
    ]
