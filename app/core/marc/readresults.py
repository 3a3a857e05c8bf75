"""What the readers yield: a record that was read, or the reason one could not be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from app.core.marc.record import ParsedRecord

SourceFormat = Literal["iso2709", "marcxml", "mnemonic"]
SOURCE_FORMAT_NAMES: dict[str, str] = {
    "iso2709": "MARC (ISO 2709)",
    "marcxml": "MARCXML",
    "mnemonic": "MARC mnemonic text (.mrk)",
}


@dataclass(frozen=True, slots=True)
class RecordRead:
    """A record read from a file.

    ``raw`` is ISO 2709: the bytes as they were in the file for ISO 2709 input, UTF-8
    ISO 2709 built from MARCXML and mnemonic input. ``number`` counts from 1 in its file,
    readable or not; ``offset`` is the byte where the record starts. ``notes`` are things a
    cataloger may want to know that did not stop the record (a mnemonic kept as text...).
    """

    raw: bytes
    parsed: ParsedRecord
    source_format: SourceFormat
    file: str
    number: int
    offset: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReadError:
    """A record (or a whole file, ``record`` 0) that could not be read, and why.

    ``line`` and ``column`` are given for text formats (MARCXML, mnemonic) when known.
    """

    file: str
    record: int
    offset: int
    reason: str
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "record": self.record,
            "offset": self.offset,
            "reason": self.reason,
        }

    def describe(self) -> str:
        where = f"record {self.record}, byte {self.offset}" if self.record else "the file"
        return f"{self.file}: {where}: {self.reason}"


ReadResult = RecordRead | ReadError
