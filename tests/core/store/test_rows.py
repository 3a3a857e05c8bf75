"""Rows are read by column name: a column added, or columns in another order, in a query or
in the file itself, can't shift a value into the wrong field."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.marc import parse_record, summarize
from app.core.store.history import revisions, save_record
from app.core.store.rows import (
    JOURNAL_COLUMNS,
    RECORD_COLUMNS,
    JournalEntry,
    RecordRow,
    journal_entry,
    named_rows,
    record_row,
)
from app.core.store.savefile import SCHEMA_VERSION, RecordQuery, SaveFile
from app.core.store.templates import Template, add_template, get_template
from tests.fixtures.records import bib_record

WHEN = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def add(save_file: SaveFile, number: int) -> int:
    raw = bib_record(f"ocm{number:08d}", f"Title {number}", identifier="OCoLC", oclc=str(number))
    return save_file.add(raw, "iso2709", summarize(parse_record(raw)), source_file="in.mrc")


def busy_record(save_file: SaveFile) -> int:
    """A record with a value in every column the list shows, each unlike the others."""
    record_id = add(save_file, 7)
    save_file.flag([record_id])
    save_file.record_outcome(record_id, "rejected", "Alma", "No thanks", when=WHEN)
    save_file.set_local_system_id(record_id, "991", "https://catalog.example.org/991")
    save_file.set_validation(record_id, "warnings", "008 odd", level="full", when=WHEN)
    return record_id


def reversed_select(names: str, extra: str) -> str:
    """The columns backwards, with another column in their midst."""
    backwards = [name.strip() for name in reversed(names.split(","))]
    return ", ".join([*backwards[:3], extra, *backwards[3:]])


def test_the_row_classes_are_read_by_name_whatever_the_order_of_the_columns(
    save_file: SaveFile,
) -> None:
    record_id = busy_record(save_file)
    row = named_rows(
        save_file.conn,
        f"SELECT {reversed_select(RECORD_COLUMNS, 'search_text')} FROM records WHERE id = ?",
        (record_id,),
    ).fetchone()
    read = record_row(row)
    assert read == save_file.get(record_id)
    assert (read.id, read.flagged, read.title, read.number) == (record_id, True, "Title 7", "7")
    assert (read.status, read.status_detail, read.last_exported) == ("rejected", "No thanks", None)
    assert (read.local_system_id, read.validation_state, read.validation_level) == (
        "991",
        "warnings",
        "full",
    )
    assert read.validated_at == WHEN and read.added_at.tzinfo is not None

    row = named_rows(
        save_file.conn, f"SELECT {reversed_select(JOURNAL_COLUMNS, 'NULL AS spare')} FROM journal"
    ).fetchone()
    entry = journal_entry(row)
    assert entry == save_file.journal(record_id)[0]
    assert (entry.record_id, entry.outcome, entry.destination, entry.host_reply) == (
        record_id,
        "rejected",
        "Alma",
        "No thanks",
    )
    assert (entry.control_number, entry.time) == ("7", WHEN)


def test_a_field_without_its_column_fails_instead_of_taking_anothers(
    save_file: SaveFile,
) -> None:
    record_id = busy_record(save_file)
    short = RECORD_COLUMNS.replace("title, ", "")
    row = named_rows(save_file.conn, f"SELECT {short} FROM records WHERE id = ?", (record_id,))
    with pytest.raises(IndexError):
        record_row(row.fetchone())


def test_the_select_lists_are_the_fields_of_the_row_classes() -> None:
    assert RECORD_COLUMNS.split(", ")[:3] == ["id", "flagged", "control_number"]
    assert len(RECORD_COLUMNS.split(", ")) == len(RecordRow.__dataclass_fields__)
    assert set(JOURNAL_COLUMNS.split(", ")) == set(JournalEntry.__dataclass_fields__)


def rebuild_backwards(conn: sqlite3.Connection, table: str) -> None:
    """The table made again with its columns in the opposite order and a column of a later
    migration in their midst, as a file another ExportDesk made or migrated might hold it
    (of the constraints, only the key, NOT NULL and defaults are kept)."""
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    keys = [row[1] for row in info if row[5]]
    (made,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    key = " PRIMARY KEY AUTOINCREMENT" if "AUTOINCREMENT" in made else " PRIMARY KEY"
    definitions = []
    for _, name, kind, notnull, default, _ in reversed(info):
        if keys == [name]:
            kind += key + (" COLLATE NOCASE" if "COLLATE NOCASE" in made else "")
        definitions.append(
            f"{name} {kind}"
            + (" NOT NULL" if notnull else "")
            + (f" DEFAULT {default}" if default is not None else "")
        )
    definitions.insert(len(definitions) // 2, "later TEXT DEFAULT 'later'")
    if len(keys) > 1:
        definitions.append(f"PRIMARY KEY ({', '.join(keys)})")
    names = ", ".join(row[1] for row in info)
    conn.execute(f"CREATE TABLE {table}_backwards ({', '.join(definitions)})")
    conn.execute(f"INSERT INTO {table}_backwards ({names}) SELECT {names} FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {table}_backwards RENAME TO {table}")


@pytest.fixture
def backwards(tmp_path: Path) -> Path:
    """A save file of this version whose tables hold their columns in the opposite order."""
    path = tmp_path / "backwards.sqlite"
    SaveFile(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("records", "record_data", "journal", "in_flight", "revisions", "templates"):
        rebuild_backwards(conn, table)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    first = conn.execute("PRAGMA table_info(records)").fetchone()
    assert first[1] == "validated_at"
    conn.close()
    return path


def test_a_save_file_with_its_columns_in_another_order_reads_and_writes_right(
    backwards: Path,
) -> None:
    with SaveFile(backwards) as save_file:
        assert save_file.check() == []
        record_id = busy_record(save_file)
        other = add(save_file, 8)
        row = save_file.get(record_id)
        assert (row.id, row.title, row.oclc_number, row.control_number) == (
            record_id,
            "Title 7",
            "7",
            "ocm00000007",
        )
        assert (row.flagged, row.status, row.source_file, row.duplicate_key) == (
            True,
            "rejected",
            "in.mrc",
            "ocolc:7",
        )
        assert (row.validation_state, row.validated_at) == ("warnings", WHEN)
        assert save_file.rows(RecordQuery(sort="number", descending=True)) == [
            save_file.get(other),
            row,
        ]
        assert save_file.ids(RecordQuery(text="title 8")) == [other]
        [(_, stored)] = save_file.stored_records([record_id])
        assert stored is not None and stored.row == row
        assert stored.raw == save_file.get_raw(record_id)
        [entry] = save_file.journal(record_id)
        assert (entry.outcome, entry.destination, entry.time) == ("rejected", "Alma", WHEN)

        save_file.mark_in_flight([other], "TCP/IP Alma", "sending")
        assert save_file.in_flight() == [(other, "TCP/IP Alma", "sending")]
        [recovered] = save_file.recover_interrupted()
        assert (recovered.record_id, recovered.outcome) == (other, "unconfirmed")
        assert save_file.get(other).status == "unconfirmed"

        edited = bib_record("ocm00000007", "Title 7, edited", identifier="OCoLC", oclc="7")
        assert save_record(save_file, record_id, edited, "editor")
        assert [(r.revision, r.source, r.current) for r in revisions(save_file, record_id)] == [
            (1, "import", False),
            (2, "editor", True),
        ]
        assert save_file.get(record_id).title == "Title 7, edited"
        add_template(save_file, Template.from_text("local", "=590  \\\\$aLocal note"))
        found = get_template(save_file, "local")
        assert found is not None and found.text == "=590  \\\\$aLocal note\n"
