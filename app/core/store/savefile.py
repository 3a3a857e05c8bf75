"""The save file: one SQLite database per account holding its records, their flags and
statuses, and a journal of every export attempt.

It lives at ``<data dir>/savefiles/<account>.sqlite``. :class:`SaveFile` is one connection
to it, made of parts, each in its own module of app/core/store:

    connection.py   opening (WAL), the check before the first write, transactions, errors
    schema.py       the tables version by version (migrations), the file's checks
    rows.py         what rows hold (RecordRow, JournalEntry...), read by column name
    records.py      records by id: add, replace, get, bytes, duplicates, delete
    listing.py      the list: RecordQuery, filters, sorting, pages, positions
    flags.py        flags, export statuses, validation states
    journal.py      the export journal and the in-flight marks of a run

Everything else imports the save file from here; the names above are re-exported.
"""

from __future__ import annotations

from app.core.store.connection import SaveFileDamaged, SaveFileError, take_notices
from app.core.store.journal import (
    MANUAL_DESTINATION,
    MANUAL_DETAIL,
    NOTE_LIMIT,
    InFlightStage,
    Journal,
)
from app.core.store.listing import NOT_EXPORTED, NOT_VALIDATED, Listing, RecordQuery, SortKey
from app.core.store.records import RecordNotFound
from app.core.store.rows import (
    OUTCOME_NAMES,
    OUTCOMES,
    VALIDATION_STATE_NAMES,
    VALIDATION_STATES,
    JournalEntry,
    Outcome,
    RecordRow,
    StoredRecord,
    StoredValidation,
    ValidationState,
    now,
)
from app.core.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    expected_tables,
    quick_check,
    schema_problems,
)

__all__ = [
    "MANUAL_DESTINATION",
    "MANUAL_DETAIL",
    "MIGRATIONS",
    "NOTE_LIMIT",
    "NOT_EXPORTED",
    "NOT_VALIDATED",
    "OUTCOMES",
    "OUTCOME_NAMES",
    "SCHEMA_VERSION",
    "VALIDATION_STATES",
    "VALIDATION_STATE_NAMES",
    "InFlightStage",
    "JournalEntry",
    "Outcome",
    "RecordNotFound",
    "RecordQuery",
    "RecordRow",
    "SaveFile",
    "SaveFileDamaged",
    "SaveFileError",
    "SortKey",
    "StoredRecord",
    "StoredValidation",
    "ValidationState",
    "expected_tables",
    "now",
    "quick_check",
    "schema_problems",
    "take_notices",
]


class SaveFile(Journal, Listing):
    """One account's save file, through one SQLite connection.

    A connection belongs to the thread that opened it: a worker thread opens its own with
    :meth:`reopen` (or ``SaveFile(path)``) and closes it when done.
    """
