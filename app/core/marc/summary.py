"""The few things the record list shows about a record, and its key for finding duplicates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.core.marc.charset import Encoding, declared_encoding, decode_text
from app.core.marc.iso2709 import subfields
from app.core.marc.record import ParsedRecord

RecordType = Literal["bib", "auth", "holdings"]
RECORD_TYPE_NAMES: dict[str, str] = {
    "bib": "Bibliographic",
    "auth": "Authority",
    "holdings": "Holdings",
}

# 245 subfields that make up the title proper and its parts (not $c, the statement of
# responsibility, nor $h, the medium).
_TITLE_CODES = frozenset("abfgknps")
_HEADING_TAGS = (
    "100",
    "110",
    "111",
    "130",
    "147",
    "148",
    "150",
    "151",
    "155",
    "162",
    "180",
    "181",
    "182",
    "185",
)
# OCLC numbers come written as ocm01234567, ocn123456789, on1234567890 or bare digits
# (ASCII digits: \d would take other scripts' digits too).
_OCLC_NUMBER = re.compile(r"(?:ocm|ocn|on)?0*([0-9]+)")
_OCLC_PREFIX = "(OCoLC)"


@dataclass(frozen=True, slots=True)
class RecordSummary:
    control_number: str | None  # 001
    control_number_identifier: str | None  # 003
    oclc_number: str | None
    title: str  # 245 (bibliographic) or the 1XX heading (authority), decoded
    title_sort: str  # the title without its nonfiling characters, case-folded
    record_type: RecordType
    encoding: Encoding

    @property
    def duplicate_key(self) -> str | None:
        """Two records are the same when they share an OCLC number, or else 003 and 001."""
        if self.oclc_number:
            return f"ocolc:{self.oclc_number}"
        if self.control_number:
            return f"cn:{self.control_number_identifier or ''}:{self.control_number}"
        return None

    @property
    def number(self) -> str:
        """What the list shows in its number column: the OCLC number, or else 001."""
        return self.oclc_number or self.control_number or ""


def record_type(leader: str) -> RecordType:
    code = leader[6] if len(leader) > 6 else " "
    if code == "z":
        return "auth"
    if code in ("u", "v", "x", "y"):
        return "holdings"
    return "bib"


def oclc_number(text: str) -> str | None:
    match = _OCLC_NUMBER.fullmatch(text.strip())
    return match.group(1) if match else None


def summarize(record: ParsedRecord) -> RecordSummary:
    encoding = declared_encoding(record.leader)
    control_number = _control_text(record, "001", encoding)
    identifier = _control_text(record, "003", encoding)
    number = None
    if control_number and (
        identifier == "OCoLC" or (identifier is None and control_number[:2] in ("oc", "on"))
    ):
        number = oclc_number(control_number)
    if number is None:
        number = _oclc_from_035(record)
    kind = record_type(record.leader)
    title, nonfiling = _title(record, kind, encoding)
    return RecordSummary(
        control_number=control_number,
        control_number_identifier=identifier,
        oclc_number=number,
        title=title,
        title_sort=title[nonfiling:].casefold(),
        record_type=kind,
        encoding=encoding,
    )


def _control_text(record: ParsedRecord, tag: str, encoding: Encoding) -> str | None:
    field = record.first(tag)
    if field is None:
        return None
    text = decode_text(field.data, encoding).strip()
    return text or None


def _oclc_from_035(record: ParsedRecord) -> str | None:
    for field in record.all("035"):
        for code, value in subfields(field.data):
            if code != "a":
                continue
            text = value.decode("latin-1").strip()
            if text.startswith(_OCLC_PREFIX):
                number = oclc_number(text[len(_OCLC_PREFIX) :])
                if number:
                    return number
    return None


def _title(record: ParsedRecord, kind: RecordType, encoding: Encoding) -> tuple[str, int]:
    """The title (or heading) to show, and how many leading characters don't file."""
    field = record.first("245")
    if field is not None and len(field.data) >= 2:
        parts = [
            decode_text(value, encoding).strip()
            for code, value in subfields(field.data)
            if code in _TITLE_CODES
        ]
        indicator = field.data[1:2]
        nonfiling = int(indicator) if indicator.isdigit() else 0
        return _without_final_punctuation(" ".join(part for part in parts if part)), nonfiling
    if kind == "auth":
        for tag in _HEADING_TAGS:
            heading = record.first(tag)
            if heading is not None:
                parts = [
                    decode_text(value, encoding).strip() for _, value in subfields(heading.data)
                ]
                return _without_final_punctuation(" ".join(part for part in parts if part)), 0
    return "", 0


def _without_final_punctuation(title: str) -> str:
    """Drop the ISBD punctuation that leads into the next, unshown, subfield (' /', ' :')."""
    trimmed = title.rstrip()
    while trimmed and trimmed[-1] in "/:;=,":
        trimmed = trimmed[:-1].rstrip()
    return trimmed
