"""What a search gives: hits (a brief description of a record), a page of them, and the query.

SearchQuery("9780262033848", index="isbn")        a search by ISBN
SearchQuery('dc.title = "perl"', raw=True)        the target's own syntax (CQL, WorldCat q)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.errors import UsageError
from app.core.marc.charset import declared_encoding, decode_text
from app.core.marc.iso2709 import subfields
from app.core.marc.readresults import RecordRead
from app.core.marc.record import ParsedRecord
from app.core.marc.summary import summarize
from app.core.settings.targets import SEARCH_INDEXES

DEFAULT_INDEX = "keyword"


@dataclass(frozen=True)
class SearchQuery:
    text: str
    index: str = DEFAULT_INDEX  # one of SEARCH_INDEXES; ignored when raw
    raw: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise UsageError("a search needs something to search for")
        if not self.raw and self.index not in SEARCH_INDEXES:
            raise UsageError(
                f"unknown index '{self.index}'; choose one of {', '.join(SEARCH_INDEXES)}"
            )

    def describe(self) -> str:
        return self.text if self.raw else f"{self.index}: {self.text}"


@dataclass(frozen=True)
class Hit:
    """One record found. ``id`` is what retrieve takes: the OCLC number for WorldCat, the
    record's 001 (or else its position) for SRU. ``record`` is the whole record when the
    search brought it (SRU), None when only a brief description came (WorldCat)."""

    target: str
    position: int  # from 1, in the whole result
    id: str
    title: str
    author: str = ""
    date: str = ""
    details: tuple[tuple[str, str], ...] = ()  # more for the brief view: (label, value)
    record: RecordRead | None = field(default=None, compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "position": self.position,
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "date": self.date,
        }


@dataclass(frozen=True)
class SearchPage:
    """Hits from ``start`` on, and how many the whole result holds."""

    total: int
    start: int
    hits: list[Hit]

    @property
    def next_start(self) -> int | None:
        following = self.start + len(self.hits)
        return following if self.hits and following <= self.total else None


def _text(record: ParsedRecord, tag: str, codes: str) -> str:
    encoding = declared_encoding(record.leader)
    found = record.first(tag)
    if found is None:
        return ""
    if found.is_control:
        return decode_text(found.data, encoding).strip()
    parts = [decode_text(v, encoding).strip() for c, v in subfields(found.data) if c in codes]
    return " ".join(p for p in parts if p).rstrip(" /:;,.=")


def brief(record: RecordRead, target: str, position: int) -> Hit:
    """A hit from a whole record: title (245), author (1XX), date (264/260 $c, else 008)."""
    parsed = record.parsed
    summary = summarize(parsed)
    author = next(
        (text for tag in ("100", "110", "111", "130") if (text := _text(parsed, tag, "abcdq"))),
        "",
    )
    date = _text(parsed, "264", "c") or _text(parsed, "260", "c")
    fixed = _text(parsed, "008", "")
    if not date and len(fixed) >= 11 and fixed[7:11].strip():
        date = fixed[7:11]
    details = [
        (label, value)
        for label, value in (
            ("Publisher", _text(parsed, "264", "ab") or _text(parsed, "260", "ab")),
            ("Edition", _text(parsed, "250", "a")),
            ("ISBN", _text(parsed, "020", "a")),
            ("ISSN", _text(parsed, "022", "a")),
            ("LCCN", _text(parsed, "010", "a")),
            ("OCLC number", summary.oclc_number or ""),
        )
        if value
    ]
    return Hit(
        target=target,
        position=position,
        id=summary.control_number or str(position),
        title=summary.title,
        author=author,
        date=date,
        details=tuple(details),
        record=record,
    )
