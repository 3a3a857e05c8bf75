"""A MARC record taken apart: its leader and fields, as every reader and writer shares them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import NamedTuple


class StructureError(Exception):
    """A record's bytes can't be taken apart into fields; the message says why."""


class Field(NamedTuple):
    """One field: control fields hold their data, data fields indicators then subfields.

    A named tuple rather than a dataclass: a big import makes millions of them.
    """

    tag: str
    data: bytes

    @property
    def is_control(self) -> bool:
        return is_control_tag(self.tag)


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A record's leader and fields. ``well_formed`` says the parser found the fields end to
    end in directory order, each ending with its terminator and none inside: the validator
    then takes the fields as they are instead of reading the record a second time."""

    leader: str
    fields: tuple[Field, ...]
    well_formed: bool = dataclass_field(default=False, compare=False)

    def first(self, tag: str) -> Field | None:
        for field in self.fields:
            if field.tag == tag:
                return field
        return None

    def all(self, tag: str) -> Iterator[Field]:
        return (field for field in self.fields if field.tag == tag)


# The control fields' tags, 001 to 009 (ASCII digits: what a directory or writer may hold).
CONTROL_TAGS = frozenset(f"00{digit}" for digit in range(10))


def is_control_tag(tag: str) -> bool:
    return tag in CONTROL_TAGS
