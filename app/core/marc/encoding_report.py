"""What encoding a record could not do as asked: the error that stops it, and the notes.

A record that can't be written at all (a field longer than ISO 2709 allows, a tag that is not
three letters or digits...) raises :class:`RecordEncodingError`, which the export run turns
into a failed record with the message. Characters written in MARC 21's lossless form
``&#xXXXX;`` instead of as themselves are listed as :class:`ReplacedCharacter` and summed up
in one warning per record.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.errors import ExportDeskError

# How many replaced characters a warning names before it says "and N more".
_NAMED_IN_WARNING = 8


class RecordEncodingError(ExportDeskError):
    """The record can't be written in the chosen format; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ReplacedCharacter:
    """A character written as ``&#xXXXX;``: where (tag, subfield code or "") and which."""

    tag: str
    code: str
    char: str

    @property
    def where(self) -> str:
        return f"{self.tag} ${self.code}" if self.code else self.tag

    @property
    def reference(self) -> str:
        """The lossless form written in its place, ``&#xXXXX;``."""
        return numeric_reference(self.char)

    def as_dict(self) -> dict[str, str | None]:
        """For JSON: ``{"field": "245", "subfield": "a", "character": "U+2019"}`` (the
        subfield None in a control field)."""
        return {
            "field": self.tag,
            "subfield": self.code or None,
            "character": f"U+{ord(self.char):04X}",
        }

    def __str__(self) -> str:
        name = unicodedata.name(self.char, "")
        label = f"U+{ord(self.char):04X} {name}".rstrip()
        return f"{label} in {self.where}"


def numeric_reference(char: str) -> str:
    """MARC 21's lossless form of a character: ``&#x`` + upper-case hex code point + ``;``."""
    return f"&#x{ord(char):04X};"


def replacement_warning(replaced: Sequence[ReplacedCharacter], why: str) -> str:
    """One sentence for a record's replaced characters; ``why`` e.g. "no MARC-8 form"."""
    named = ", ".join(str(item) for item in replaced[:_NAMED_IN_WARNING])
    more = len(replaced) - _NAMED_IN_WARNING
    if more > 0:
        named += f", and {more} more"
    count = "1 character" if len(replaced) == 1 else f"{len(replaced)} characters"
    return f"{count} written as &#xXXXX; ({why}): {named}"
