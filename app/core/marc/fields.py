"""Fields to delete on export: the ``fields_to_delete`` setting's patterns, and applying them.

A pattern is a three-character tag in which ``X`` (or ``x``) stands for any digit: ``029``,
``9XX``, ``93X``. Entries are separated by spaces or commas. Deletion works on a copy of the
record: the saved record keeps every field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from itertools import compress
from operator import itemgetter, not_
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pymarc (and its MARC-8 tables) load when a record is first copied
    from pymarc import Field, Record

from app.core.errors import OptionError

SETTING = "fields_to_delete"

_SEPARATORS = re.compile(r"[\s,]+")
_PATTERN = re.compile(r"[0-9X]{3}")
_LEADER_NAMES = frozenset({"LDR", "000"})

CONTROL_NUMBER_WARNING = (
    "001 (the control number) will be removed from exported records; the local system may "
    "then be unable to match them with records it already holds."
)


def parse_field_patterns(text: str) -> tuple[str, ...]:
    """The patterns in ``text``, upper-cased, each once, in the order given.

    Raises :class:`OptionError` for ``fields_to_delete`` naming the first entry that is not a
    tag or pattern, or that names the leader.
    """
    patterns: dict[str, None] = {}
    for entry in _SEPARATORS.split(text.strip()):
        if not entry:
            continue
        pattern = entry.upper()
        if pattern in _LEADER_NAMES:
            raise OptionError(
                SETTING, f"'{entry}': the leader can't be deleted; remove it from the list"
            )
        if not _PATTERN.fullmatch(pattern):
            raise OptionError(
                SETTING,
                f"'{entry}' is not a tag or pattern: write three digits, with X for any "
                "digit (for example 029, 9XX, 938)",
            )
        patterns.setdefault(pattern)
    return tuple(patterns)


def pattern_matches(pattern: str, tag: str) -> bool:
    """True when ``tag`` fits ``pattern`` (an upper-case pattern from parse_field_patterns)."""
    if len(tag) != 3:
        return False
    return all(p == t or (p == "X" and t.isdigit()) for p, t in zip(pattern, tag, strict=True))


class DeletedTags(dict[str, bool]):
    """Which tags the patterns delete, each tag worked out once: ``deleted[tag]``."""

    def __init__(self, patterns: Iterable[str]) -> None:
        super().__init__()
        self.patterns = tuple(patterns)

    def __missing__(self, tag: str) -> bool:
        deleted = any(pattern_matches(pattern, tag) for pattern in self.patterns)
        self[tag] = deleted
        return deleted


@functools.lru_cache(maxsize=32)
def deleted_tags(patterns: tuple[str, ...]) -> DeletedTags:
    """A :class:`DeletedTags` for these patterns, shared (the same patterns, the same answers)."""
    return DeletedTags(patterns)


_T = TypeVar("_T", bound=tuple[str, bytes])
_TAG = itemgetter(0)


def kept_fields(fields: Sequence[_T], deleted: DeletedTags) -> list[_T]:
    """The (tag, data) fields ``deleted`` does not delete, in order: the same as
    ``[f for f in fields if not deleted[f.tag]]``, without a step of Python per field."""
    return list(compress(fields, map(not_, map(deleted.__getitem__, map(_TAG, fields)))))


def deletes_control_number(patterns: Iterable[str]) -> bool:
    """True when the patterns remove 001, so the caller can warn (CONTROL_NUMBER_WARNING)."""
    return any(pattern_matches(pattern, "001") for pattern in patterns)


def delete_fields(record: Record, patterns: Iterable[str]) -> Record:
    """A copy of ``record`` without the fields any pattern matches; ``record`` is untouched.

    The copy has its own leader and field objects (subfields and indicators are immutable
    tuples, shared), so changing it later does not change the saved record either.
    """
    from pymarc import Record

    chosen = tuple(patterns)
    copy = Record(leader=str(record.leader), to_unicode=record.to_unicode)
    copy.leader = type(record.leader)(str(record.leader))
    copy.force_utf8 = record.force_utf8
    for field in record.fields:
        if any(pattern_matches(pattern, field.tag) for pattern in chosen):
            continue
        copy.fields.append(_copy_field(field))
    return copy


def _copy_field(field: Field) -> Field:
    kind = type(field)
    if field.control_field:
        return kind(field.tag, data=field.data)
    return kind(field.tag, indicators=field.indicators, subfields=list(field.subfields))
