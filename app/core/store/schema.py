"""The save file's tables, version by version, and the checks that a file is what its
version says.

``PRAGMA user_version`` holds the schema version; ``MIGRATIONS[n]`` takes a file from
version n to n + 1 (app/core/store/connection.py runs them, under the write lock, after the
file passed its check). :func:`schema_problems` and :func:`quick_check` are the check before
the first write, and what ``records recover`` (app/core/store/recovery.py) asks first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from app.core.store.rows import OUTCOMES, VALIDATION_STATES

SCHEMA_VERSION = 4
# Sorting by validation puts the worst last (ascending): not validated, valid, warnings, errors.
# The same expression is indexed (schema 2), so the list's sort and filter read the index.
STATE_RANK: dict[str, int] = {state: rank for rank, state in enumerate(VALIDATION_STATES, 1)}
VALIDATION_RANK = (
    "(CASE validation_state "
    + " ".join(f"WHEN '{state}' THEN {rank}" for state, rank in STATE_RANK.items())
    + " ELSE 0 END)"
)


def _schema_1(conn: sqlite3.Connection) -> None:
    outcomes = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)
    # One statement at a time: executescript() would commit the migration's transaction.
    script = f"""
        CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the journal refers to it
            source_format TEXT NOT NULL,
            source_file TEXT,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            control_number TEXT,
            control_number_identifier TEXT,
            oclc_number TEXT,
            number_sort TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            title_sort TEXT NOT NULL DEFAULT '',
            record_type TEXT NOT NULL,
            encoding TEXT NOT NULL,
            search_text TEXT NOT NULL DEFAULT '',
            flagged INTEGER NOT NULL DEFAULT 0,
            status TEXT,
            status_detail TEXT,
            last_exported TEXT,
            local_system_id TEXT,
            local_system_url TEXT,
            validation_state TEXT,
            validation_detail TEXT,
            duplicate_key TEXT
        );
        CREATE TABLE record_data (
            id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
            raw BLOB NOT NULL
        );
        CREATE INDEX records_duplicate_key ON records(duplicate_key);
        CREATE INDEX records_flagged ON records(flagged);
        CREATE INDEX records_number ON records(number_sort);
        CREATE INDEX records_title ON records(title_sort);
        CREATE INDEX records_type ON records(record_type);
        CREATE INDEX records_encoding ON records(encoding);
        CREATE INDEX records_status ON records(status);
        CREATE INDEX records_last_exported ON records(last_exported);
        CREATE TABLE journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id INTEGER NOT NULL,  -- kept when the record is deleted: it is history
            control_number TEXT,
            time TEXT NOT NULL,
            destination TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ({outcomes})),
            host_reply TEXT,
            detail TEXT
        );
        CREATE INDEX journal_record ON journal(record_id, id);
        """
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _schema_2(conn: sqlite3.Connection) -> None:
    # The level a validation state was found at and when, so that a state is never taken
    # for one at another level; the rank index serves sorting and filtering by state.
    conn.execute("ALTER TABLE records ADD COLUMN validation_level TEXT")
    conn.execute("ALTER TABLE records ADD COLUMN validated_at TEXT")
    conn.execute(f"CREATE INDEX records_validation ON records({VALIDATION_RANK})")


def _schema_3(conn: sqlite3.Connection) -> None:
    # Records an export run is handling right now, so a run that dies (killed, power cut)
    # leaves a trace: the next run turns each into a journal entry (see recover_interrupted).
    conn.execute(
        """CREATE TABLE in_flight (
            record_id INTEGER PRIMARY KEY,
            destination TEXT NOT NULL,
            stage TEXT NOT NULL CHECK (stage IN ('sending', 'writing', 'published')),
            started TEXT NOT NULL
        )"""
    )


def _schema_4(conn: sqlite3.Connection) -> None:
    # Earlier versions of edited records (store/history.py) and the account's constant data
    # templates (store/templates.py). A record never changed has no revision rows.
    conn.execute(
        """CREATE TABLE revisions (
            record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            time TEXT NOT NULL,
            source TEXT NOT NULL,
            after_journal INTEGER,  -- the journal's last id when saved: changed since export?
            raw BLOB,  -- NULL for the record's current version, which is in record_data
            PRIMARY KEY (record_id, revision)
        )"""
    )
    conn.execute(
        """CREATE TABLE templates (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            fields TEXT NOT NULL,
            added_at TEXT NOT NULL
        )"""
    )


# MIGRATIONS[n] takes a save file from schema version n to n + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _schema_1,
    _schema_2,
    _schema_3,
    _schema_4,
)
assert len(MIGRATIONS) == SCHEMA_VERSION

# The tables each schema version has (a file claiming a version must hold them).
_TABLES_BY_VERSION: dict[int, tuple[str, ...]] = {
    1: ("records", "record_data", "journal"),
    3: ("in_flight",),
    4: ("revisions", "templates"),
}
_QUICK_CHECK_LINES = 5  # problems quick_check reports at most, of the many it may find


def expected_tables(version: int) -> list[str]:
    """The tables a save file of this schema version holds."""
    return [
        table
        for since, tables in _TABLES_BY_VERSION.items()
        if since <= version
        for table in tables
    ]


def schema_problems(conn: sqlite3.Connection, *, version: int | None = None) -> list[str]:
    """What is wrong with a save file's schema: its version unknown to this ExportDesk, or
    a table its version should have missing. Empty when it is fine."""
    if version is None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        return [
            f"it was written by a newer ExportDesk (format {version}; this one reads up to "
            f"{SCHEMA_VERSION})"
        ]
    if version < 0:
        return [f"its format number {version} is not one ExportDesk ever wrote"]
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0:
        other = sorted(name for name in names if not name.startswith("sqlite_"))
        if other:
            return [
                "it has no ExportDesk format number but holds tables "
                f"({', '.join(other[:5])}): it is not an ExportDesk save file"
            ]
        return []
    missing = [table for table in expected_tables(version) if table not in names]
    if missing:
        return [f"format {version} but the table(s) {', '.join(missing)} are missing"]
    return []


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's quick check of the whole file: empty when it is fine."""
    try:
        rows = conn.execute(f"PRAGMA quick_check({_QUICK_CHECK_LINES})").fetchall()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    lines = [line.strip() for row in rows for line in str(row[0]).splitlines()]
    if lines == ["ok"]:
        return []
    return [line for line in lines if line and not line.startswith("***")] or ["quick check"]
