"""What a search gives: hits (a brief description of a record), a page of them, and the query.

SearchQuery("9780262033848", index="isbn")        a search by ISBN
SearchQuery('dc.title = "perl"', raw=True)        the target's own syntax (CQL, WorldCat q)
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Brief:
    """What a hit shows: title, author, date, and more for the brief view (label, value)."""

    title: str
    author: str = ""
    date: str = ""
    details: tuple[tuple[str, str], ...] = ()


class Hit:
    """One record found. ``id`` is what retrieve takes: the OCLC number for WorldCat, the
    record's 001 (or else its position) for SRU. ``record`` is the whole record when the
    search brought it (SRU), None when only a brief description came (WorldCat).

    A hit made from its record (:meth:`of_record`) is described (title, author, date,
    details) from the record when first asked: a page of hits costs the reading of its
    records, and only the hits shown are described."""

    __slots__ = ("_brief", "id", "position", "record", "target")

    def __init__(
        self,
        target: str,
        position: int,  # from 1, in the whole result
        id: str,
        title: str = "",
        author: str = "",
        date: str = "",
        details: tuple[tuple[str, str], ...] = (),
        record: RecordRead | None = None,
    ) -> None:
        self.target = target
        self.position = position
        self.id = id
        self.record = record
        self._brief: Brief | None = Brief(title, author, date, details)

    @classmethod
    def of_record(cls, record: RecordRead, target: str, position: int) -> Hit:
        """A hit for a whole record: its id the 001, else its position."""
        hit = cls(target, position, _text(record.parsed, "001", "") or str(position))
        hit.record = record
        hit._brief = None
        return hit

    @property
    def brief(self) -> Brief:
        if self._brief is None:
            assert self.record is not None
            self._brief = describe(self.record)
        return self._brief

    @property
    def title(self) -> str:
        return self.brief.title

    @property
    def author(self) -> str:
        return self.brief.author

    @property
    def date(self) -> str:
        return self.brief.date

    @property
    def details(self) -> tuple[tuple[str, str], ...]:
        return self.brief.details

    def __repr__(self) -> str:
        return f"Hit({self.target!r}, {self.position}, {self.id!r}, {self.title!r})"

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


def describe(record: RecordRead) -> Brief:
    """A whole record's brief description: title (245), author (1XX), date (264/260 $c, else
    008), and publisher, edition, ISBN, ISSN, LCCN and OCLC number."""
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
    return Brief(summary.title, author, date, tuple(details))
