"""What the save file's rows hold, and reading and writing them by column name.

Each dataclass here is a row as ExportDesk reads it, its fields named as the table's
columns. A query selects a dataclass's fields by name (:func:`columns`) through a cursor
whose rows are ``sqlite3.Row`` (:func:`named_rows`), and each value goes to the field of
its column's name (:func:`record_row`, :func:`journal_entry`): a column added by a migration,
a table whose columns stand in another order, or a field added here can't shift a value into
the wrong field; a field with no column of its name fails loudly instead. Writes of many
columns go the same way, as a dict of column names and values (:func:`insert_sql`,
:func:`assignments`), not a list of columns and a tuple that must line up with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Outcome = Literal["exported", "rejected", "invalid", "not_sent", "unconfirmed", "cancelled"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
OUTCOME_NAMES: dict[str, str] = {
    "exported": "Exported",
    "rejected": "Rejected",
    "invalid": "Invalid",
    "not_sent": "Not sent",
    "unconfirmed": "Unconfirmed",
    "cancelled": "Cancelled",
}
# What validation found in a record, worst last; NULL in the save file: never validated (or
# changed since).
ValidationState = Literal["valid", "warnings", "errors"]
VALIDATION_STATES: tuple[ValidationState, ...] = get_args(ValidationState)
VALIDATION_STATE_NAMES: dict[str, str] = {
    "valid": "Valid",
    "warnings": "Warnings",
    "errors": "Errors",
}


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One record as the list shows it (everything but the raw bytes); each field is the
    column of its name in ``records``."""

    id: int
    flagged: bool
    control_number: str | None
    control_number_identifier: str | None
    oclc_number: str | None
    title: str
    record_type: str
    encoding: str
    status: str | None
    status_detail: str | None
    last_exported: datetime | None
    local_system_id: str | None
    local_system_url: str | None
    validation_state: str | None  # one of VALIDATION_STATES, None when not validated
    validation_detail: str | None  # the messages, as app.core.validation.stored writes them
    source_format: str
    source_file: str | None
    added_at: datetime
    duplicate_key: str | None
    validation_level: str | None = None  # the level the state was found at
    validated_at: datetime | None = None

    @property
    def number(self) -> str:
        """The list's number column: the OCLC number, or else 001."""
        return self.oclc_number or self.control_number or ""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One export attempt of one record; each field is the column of its name in
    ``journal``."""

    record_id: int
    outcome: Outcome
    destination: str
    host_reply: str | None = None
    detail: str | None = None
    time: datetime | None = None  # now, when appending
    control_number: str | None = None  # filled in from the record when appending
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record's list columns and its bytes."""

    row: RecordRow
    raw: bytes


@dataclass(frozen=True, slots=True)
class StoredValidation:
    """One record's validation state to store (see SaveFile.set_validations)."""

    record_id: int
    state: ValidationState | None  # None clears it
    detail: str | None = None
    level: str | None = None
    when: datetime | None = None  # now, when None


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def time_text(moment: datetime) -> str:
    """How a time is stored: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def time_value(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _required_time(text: str | None) -> datetime:
    moment = time_value(text)
    assert moment is not None, "a NOT NULL time column held nothing"
    return moment


def named_rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> sqlite3.Cursor:
    """Run a query whose rows are read by column name (``row["title"]``); the connection's
    other cursors keep their plain tuples."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params)


def columns(row_class: type[DataclassInstance], table: str = "") -> str:
    """The SELECT list for a row dataclass: its fields' names (``table.name AS name`` when
    a table is given, as in a join)."""
    names = [field.name for field in fields(row_class)]
    if table:
        return ", ".join(f"{table}.{name} AS {name}" for name in names)
    return ", ".join(names)


def insert_sql(table: str, names: Iterable[str]) -> str:
    """``INSERT INTO table (names) VALUES (?, ...)``: values go with their columns' names
    (pass a dict of them and its ``values()``)."""
    names = list(names)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def assignments(names: Iterable[str]) -> str:
    """``name = ?, ...`` for an UPDATE, the same way."""
    return ", ".join(f"{name} = ?" for name in names)


# How a row dataclass is read: each field's name (its column's) and what turns the stored
# value into the field's (None: taken as it is), in the order of the class's constructor.
_Reading = tuple[tuple[str, Callable[[Any], object] | None], ...]


def _reading(
    row_class: type[DataclassInstance], convert: Mapping[str, Callable[[Any], object]]
) -> _Reading:
    return tuple((field.name, convert.get(field.name)) for field in fields(row_class))


def _arguments(row: sqlite3.Row, reading: _Reading) -> list[Any]:
    # row[name] raises IndexError when the query has no column of that name.
    return [row[name] if read is None else read(row[name]) for name, read in reading]


_RECORD_READING = _reading(
    RecordRow,
    {
        "flagged": bool,
        "last_exported": time_value,
        "added_at": _required_time,
        "validated_at": time_value,
    },
)
_JOURNAL_READING = _reading(JournalEntry, {"time": time_value})
RECORD_COLUMNS = columns(RecordRow)
JOURNAL_COLUMNS = columns(JournalEntry)


def record_row(row: sqlite3.Row) -> RecordRow:
    """A ``records`` row read by :func:`named_rows`, selecting (at least) RECORD_COLUMNS."""
    return RecordRow(*_arguments(row, _RECORD_READING))


def journal_entry(row: sqlite3.Row) -> JournalEntry:
    """A ``journal`` row read by :func:`named_rows`, selecting (at least) JOURNAL_COLUMNS."""
    return JournalEntry(*_arguments(row, _JOURNAL_READING))
