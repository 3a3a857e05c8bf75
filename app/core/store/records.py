"""Records in and out of the save file by id: adding, replacing, reading (list columns,
bytes, both), finding duplicates, deleting.

A record's raw bytes sit in their own table (``record_data``) beside ``records``, which holds
only what the list shows: sorting and filtering 100,000 rows then reads a few megabytes
instead of every record's bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from app.core.errors import UsageError
from app.core.marc.readresults import SourceFormat
from app.core.marc.summary import RecordSummary
from app.core.store.connection import Connection, chunks, placeholders, translated
from app.core.store.rows import (
    RECORD_COLUMNS,
    RecordRow,
    StoredRecord,
    assignments,
    columns,
    insert_sql,
    named_rows,
    now,
    record_row,
    time_text,
)

# What validation found, cleared when the record's bytes change.
_VALIDATION_COLUMNS = ("validation_state", "validation_detail", "validation_level", "validated_at")


class RecordNotFound(UsageError):
    def __init__(self, record_ids: Sequence[int]) -> None:
        shown = ", ".join(str(i) for i in record_ids[:10])
        more = f" and {len(record_ids) - 10} more" if len(record_ids) > 10 else ""
        noun = "record" if len(record_ids) == 1 else "records"
        super().__init__(f"no {noun} with id {shown}{more} in the save file")
        self.record_ids = list(record_ids)


def _number_sort(summary: RecordSummary) -> str:
    """The number column's sort key: OCLC numbers sort as numbers (zero-padded), other
    control numbers as text after them."""
    if summary.oclc_number and summary.oclc_number.isdigit():
        return summary.oclc_number.zfill(15)
    return summary.control_number or ""


def _search_text(summary: RecordSummary) -> str:
    """What the list's search looks in: title, 001, 003 and OCLC number, case folded."""
    parts = (
        summary.title,
        summary.control_number,
        summary.control_number_identifier,
        summary.oclc_number,
    )
    return " ".join(part for part in parts if part).casefold()


def summary_columns(summary: RecordSummary) -> dict[str, Any]:
    """The ``records`` columns a record's summary fills, by column name."""
    return {
        "control_number": summary.control_number,
        "control_number_identifier": summary.control_number_identifier,
        "oclc_number": summary.oclc_number,
        "number_sort": _number_sort(summary),
        "title": summary.title,
        "title_sort": summary.title_sort,
        "record_type": summary.record_type,
        "encoding": summary.encoding,
        "search_text": _search_text(summary),
        "duplicate_key": summary.duplicate_key,
    }


class Records(Connection):
    """Records by id (a part of SaveFile)."""

    @translated
    def add(
        self,
        raw: bytes,
        source_format: SourceFormat,
        summary: RecordSummary,
        *,
        source_file: str | None = None,
    ) -> int:
        """Store a new record (unflagged, never exported) and return its id."""
        stamp = time_text(now())
        values = {
            "source_format": source_format,
            "source_file": source_file,
            "added_at": stamp,
            "updated_at": stamp,
            **summary_columns(summary),
        }
        with self.transaction():
            cursor = self.conn.execute(insert_sql("records", values), tuple(values.values()))
            record_id = cursor.lastrowid
            assert record_id is not None
            self.conn.execute("INSERT INTO record_data (id, raw) VALUES (?, ?)", (record_id, raw))
        return record_id

    @translated
    def replace(
        self,
        record_id: int,
        raw: bytes,
        source_format: SourceFormat,
        summary: RecordSummary,
        *,
        source_file: str | None = None,
    ) -> None:
        """Put new bytes in place of a record's. Its id, flag, export status and journal
        stay; its validation state is cleared, since it was about the old bytes."""
        values = {
            "source_format": source_format,
            "source_file": source_file,
            "updated_at": time_text(now()),
            **summary_columns(summary),
            **dict.fromkeys(_VALIDATION_COLUMNS),
        }
        with self.transaction():
            cursor = self.conn.execute(
                f"UPDATE records SET {assignments(values)} WHERE id = ?",
                (*values.values(), record_id),
            )
            if cursor.rowcount == 0:
                raise RecordNotFound([record_id])
            self.conn.execute("UPDATE record_data SET raw = ? WHERE id = ?", (raw, record_id))

    @translated
    def get_raw(self, record_id: int) -> bytes:
        row = self.conn.execute("SELECT raw FROM record_data WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise RecordNotFound([record_id])
        return bytes(row[0])

    @translated
    def get(self, record_id: int) -> RecordRow:
        row = named_rows(
            self.conn, f"SELECT {RECORD_COLUMNS} FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            raise RecordNotFound([record_id])
        return record_row(row)

    @translated
    def stored_records(
        self, record_ids: Iterable[int], chunk_size: int = 100
    ) -> Iterator[tuple[int, StoredRecord | None]]:
        """Each record with its bytes, in the order asked (None for one no longer in the
        save file), read ``chunk_size`` at a time: a run over 100,000 records holds a few
        hundred kilobytes, and no read is open while the caller works on a record."""
        ids = list(dict.fromkeys(record_ids))
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start : start + chunk_size]
            found = self._stored_chunk(chunk)
            for record_id in chunk:
                yield record_id, found.get(record_id)

    @translated
    def _stored_chunk(self, chunk: Sequence[int]) -> dict[int, StoredRecord]:
        rows = named_rows(
            self.conn,
            f"SELECT {columns(RecordRow, 'r')}, d.raw AS raw FROM records r "
            f"JOIN record_data d ON d.id = r.id WHERE r.id IN ({placeholders(len(chunk))})",
            list(chunk),
        ).fetchall()
        return {row["id"]: StoredRecord(record_row(row), bytes(row["raw"])) for row in rows}

    @translated
    def find_duplicates(self, duplicate_key: str | None) -> list[int]:
        """Ids of the records already stored under this key, oldest first."""
        if not duplicate_key:
            return []
        rows = self.conn.execute(
            "SELECT id FROM records WHERE duplicate_key = ? ORDER BY id", (duplicate_key,)
        )
        return [row[0] for row in rows]

    @translated
    def newest_duplicate(self, duplicate_key: str | None) -> int | None:
        """The id of the newest record stored under this key, or None. One step down the
        key's index however many records share it (find_duplicates reads them all)."""
        if not duplicate_key:
            return None
        row = self.conn.execute(
            "SELECT id FROM records WHERE duplicate_key = ? ORDER BY id DESC LIMIT 1",
            (duplicate_key,),
        ).fetchone()
        return None if row is None else int(row[0])

    @translated
    def missing(self, record_ids: Iterable[int]) -> list[int]:
        """Those of ``record_ids`` that are not in the save file."""
        wanted = list(dict.fromkeys(record_ids))
        found: set[int] = set()
        for chunk in chunks(wanted):
            rows = self.conn.execute(
                f"SELECT id FROM records WHERE id IN ({placeholders(len(chunk))})", chunk
            )
            found.update(row[0] for row in rows)
        return [record_id for record_id in wanted if record_id not in found]

    @translated
    def delete(self, record_ids: Iterable[int]) -> int:
        """Remove these records (their journal rows stay); returns how many were removed."""
        ids = list(dict.fromkeys(record_ids))
        removed = 0
        with self.transaction():
            for chunk in chunks(ids):
                marks = placeholders(len(chunk))
                self.conn.execute(f"DELETE FROM record_data WHERE id IN ({marks})", chunk)
                removed += self.conn.execute(
                    f"DELETE FROM records WHERE id IN ({marks})", chunk
                ).rowcount
        return removed

    @translated
    def delete_all(self) -> int:
        with self.transaction():
            self.conn.execute("DELETE FROM record_data")
            return self.conn.execute("DELETE FROM records").rowcount

    @translated
    def set_local_system_id(
        self, record_id: int, system_id: str | None, url: str | None = None
    ) -> None:
        """The record's number in the local system (Alma MMS ID, Koha biblionumber)."""
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE records SET local_system_id = ?, local_system_url = ? WHERE id = ?",
                (system_id, url, record_id),
            )
            if cursor.rowcount == 0:
                raise RecordNotFound([record_id])
