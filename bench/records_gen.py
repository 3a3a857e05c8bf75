"""Synthetic but realistic MARC records for the benchmarks: bibliographic, about 940 bytes each,
one in five in MARC-8 with diacritics, the rest UTF-8."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

from app.core.marc.iso2709 import build_record
from app.core.marc.record import Field

_TITLE_WORDS = (
    "history library catalog river mountain letters poems science garden music city journey "
    "winter summer theory practice children north south ocean island memory language art war "
    "peace stories essays modern ancient world life light"
)
_WORDS = tuple(_TITLE_WORDS.split())
_NAMES = ("Smith, Anne", "García, José", "Müller, Jürgen", "Nguyễn, Văn An", "Brontë, Emily")
_SUBJECTS = ("Libraries", "Cataloging", "Rivers", "Poetry", "Music", "Gardens", "Islands")


def _data(indicators: str, *subfields: tuple[str, str]) -> bytes:
    return indicators.encode() + b"".join(b"\x1f" + c.encode() + v.encode() for c, v in subfields)


# Combining marks in ANSEL (MARC-8's Latin set), which come before the letter they go on.
_ANSEL_MARKS = {
    "\u0300": 0xE1,
    "\u0301": 0xE2,
    "\u0302": 0xE3,
    "\u0303": 0xE4,
    "\u0306": 0xE6,
    "\u0308": 0xE8,
    "\u0327": 0xF0,
}


def to_marc8(text: str) -> bytes:
    """Latin text with accents, as MARC-8 bytes."""
    out = bytearray()
    marks = bytearray()
    for char in reversed(unicodedata.normalize("NFD", text)):
        if char in _ANSEL_MARKS:
            marks.insert(0, _ANSEL_MARKS[char])
        else:
            out[:0] = char.encode("ascii") if not marks else bytes(marks) + char.encode("ascii")
            marks.clear()
    return bytes(out)


def make_record(number: int, rng: random.Random) -> bytes:
    marc8 = number % 5 == 0
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
    name = rng.choice(_NAMES)
    oclc = 100000000 + number
    fields = [
        Field("001", f"ocn{oclc}".encode()),
        Field("003", b"OCoLC"),
        Field("005", b"20240101120000.0"),
        Field("008", b"240101s2024    nyu           000 0 eng d"),
        Field("020", _data("  ", ("a", f"978{rng.randint(1000000000, 9999999999)}"))),
        Field("035", _data("  ", ("a", f"(OCoLC){oclc}"))),
        Field("040", _data("  ", ("a", "DLC"), ("b", "eng"), ("e", "rda"), ("c", "DLC"))),
        Field("050", _data("00", ("a", f"Z{rng.randint(100, 999)}"), ("b", ".A1 2024"))),
        Field(
            "082", _data("04", ("a", f"{rng.randint(0, 999)}.{rng.randint(0, 99)}"), ("2", "23"))
        ),
        Field("100", _data("1 ", ("a", name + ","), ("e", "author."))),
        Field("245", _data("10", ("a", f"Café {title} /"), ("c", f"by {name}."))),
        Field("250", _data("  ", ("a", "First edition."))),
        Field("264", _data(" 1", ("a", "New York :"), ("b", "Example Press,"), ("c", "2024."))),
        Field(
            "300",
            _data("  ", ("a", f"{rng.randint(50, 900)} pages :"), ("b", "ill. ;"), ("c", "24 cm")),
        ),
        Field("336", _data("  ", ("a", "text"), ("b", "txt"), ("2", "rdacontent"))),
        Field("337", _data("  ", ("a", "unmediated"), ("b", "n"), ("2", "rdamedia"))),
        Field("338", _data("  ", ("a", "volume"), ("b", "nc"), ("2", "rdacarrier"))),
        Field("500", _data("  ", ("a", "Includes index. " * rng.randint(1, 4)))),
        Field("504", _data("  ", ("a", "Includes bibliographical references."))),
    ]
    for _ in range(rng.randint(2, 5)):
        fields.append(Field("650", _data(" 0", ("a", rng.choice(_SUBJECTS)), ("x", "History."))))
    fields.append(Field("700", _data("1 ", ("a", rng.choice(_NAMES) + ","), ("e", "editor."))))
    leader = f"00000nam {' ' if marc8 else 'a'}2200000 i 4500"
    if marc8:
        fields = [Field(f.tag, to_marc8(f.data.decode("utf-8"))) for f in fields]
    return build_record(leader, fields)


def write_records(path: Path, count: int, seed: int = 4) -> int:
    rng = random.Random(seed)
    size = 0
    with path.open("wb") as out:
        for number in range(count):
            raw = make_record(number, rng)
            size += len(raw)
            out.write(raw)
    return size
