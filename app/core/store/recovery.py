"""``exportdesk records recover``: a damaged save file's readable rows in a new save file.

The damaged file is never written to: it is copied (with its write-ahead log) into a
scratch folder beside it and read from the copy, row by row, skipping what SQLite can't
read. A new save file is written beside it, the damaged one is kept aside as
``NAME.damaged-TIMESTAMP`` (with its ``-wal`` and ``-shm``), and the new one takes its
place in one rename.

What a record's state says is carried over: its flag, status (``unconfirmed`` above all),
last-exported time, local system id and URL, validation state, and the journal. A record
an export was handling when the file was damaged (an in-flight mark) becomes
``unconfirmed`` with a journal entry saying so, like a record whose row was lost while its
bytes were readable: an ordinary export leaves it out, so no recovered record is sent again
without the warned choice (``--include-unconfirmed``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.errors import UsageError
from app.core.marc.iso2709 import parse_record
from app.core.marc.summary import summarize
from app.core.store.connection import SaveFileError
from app.core.store.records import summary_columns
from app.core.store.rows import insert_sql, now, time_text
from app.core.store.savefile import SaveFile
from app.core.store.schema import SCHEMA_VERSION, expected_tables, quick_check, schema_problems

# Tables copied, in this order (a record before the rows that refer to it).
_TABLES = ("records", "record_data", "journal", "revisions", "templates")
_PROBE_WINDOW = 10_000  # rowids probed past the last one read when the end is unknown
IN_FLIGHT_DETAIL = (
    "The save file was damaged while ExportDesk was exporting this record ({stage}); it was "
    "recovered as unconfirmed: the host may have received it. Check the local system before "
    "sending it again."
)
ROW_LOST_DETAIL = (
    "The save file was damaged and this record's flag and status could not be read; it was "
    "recovered from its bytes as unconfirmed: it may have been exported already. Check the "
    "local system before sending it again."
)
RECOVERY_DESTINATION = "recovery"


@dataclass
class RecoveryReport:
    """What ``recover`` did: counts per table, what was lost, where the files are."""

    path: Path
    damaged: bool  # False: the file passed its check, and nothing was changed
    problems: list[str] = field(default_factory=list)
    aside: Path | None = None  # where the damaged file was kept
    recovered: dict[str, int] = field(default_factory=dict)  # rows per table
    lost: dict[str, int] = field(default_factory=dict)  # unreadable rows per table
    records: int = 0  # records in the new file
    records_lost: int = 0  # records known to exist whose row or bytes could not be read
    unconfirmed: list[int] = field(default_factory=list)  # made unconfirmed by recovery

    @property
    def rows_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def nothing_read(self) -> bool:
        return self.damaged and self.aside is None

    @property
    def exit_status(self) -> int:
        """0: everything recovered (or nothing to do); 1: some rows lost; 2: nothing read."""
        if self.nothing_read:
            return 2
        return 1 if self.rows_lost or self.records_lost else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "damaged": self.damaged,
            "problems": self.problems,
            "kept_aside": str(self.aside) if self.aside else None,
            "records": self.records,
            "records_lost": self.records_lost,
            "rows_recovered": self.recovered,
            "rows_lost": self.lost,
            "made_unconfirmed": self.unconfirmed,
        }


def recover(path: Path, *, account: str | None = None) -> RecoveryReport:
    """Recover the save file at ``path`` when its check finds it damaged (a file that
    passes is left as it is). Close every connection to it first. Raises
    :class:`UsageError` when there is no file there, :class:`SaveFileError` when the new
    file could not be written (the damaged one then stays in place)."""
    if not path.exists():
        raise UsageError(f"there is no save file at {path}")
    with tempfile.TemporaryDirectory(prefix=".recover-", dir=path.parent) as scratch:
        copy = Path(scratch) / "damaged.sqlite"
        try:
            shutil.copyfile(path, copy)
            wal = Path(f"{path}-wal")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{copy}-wal"))
        except OSError as error:
            raise SaveFileError(f"The save file {path} could not be read ({error}).") from error
        report = RecoveryReport(path, damaged=True)
        try:
            source = sqlite3.connect(copy, isolation_level=None)
        except sqlite3.Error as error:
            report.problems = [str(error)]
            return report
        with contextlib.closing(source):
            report.problems = _problems(source)
            if not report.problems:
                report.damaged = False
                return report
            version = _version(source)
            if version is not None and version > SCHEMA_VERSION:
                raise SaveFileError(
                    f"The save file {path} was written by a newer ExportDesk (format "
                    f"{version}); recover it with that ExportDesk."
                )
            fresh = path.with_name(path.name + ".recovering")
            _remove(fresh)
            try:
                copied = _copy(source, fresh, version, report, account)
            except BaseException:
                _remove(fresh)
                raise
        if not copied:
            _remove(fresh)
            return report
        report.aside = _swap(path, fresh)
    return report


def _problems(source: sqlite3.Connection) -> list[str]:
    try:
        return schema_problems(source) + quick_check(source)
    except sqlite3.DatabaseError as error:
        return [str(error)]


def _version(source: sqlite3.Connection) -> int | None:
    try:
        return int(source.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def _remove(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def _tables(source: sqlite3.Connection, version: int | None) -> list[str]:
    try:
        names = {
            row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError:
        # The schema itself is unreadable: try the tables of the version, or of this one.
        names = set(expected_tables(version or SCHEMA_VERSION))
    return [name for name in (*_TABLES, "in_flight") if name in names]


def _bound(source: sqlite3.Connection, table: str) -> int | None:
    """The largest rowid the table may have, when it can be known."""
    bounds: list[int] = []
    with contextlib.suppress(sqlite3.DatabaseError):
        row = source.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        if row and row[0] is not None:
            bounds.append(int(row[0]))
    with contextlib.suppress(sqlite3.DatabaseError):
        row = source.execute(f"SELECT max(rowid) FROM {table}").fetchone()
        if row and row[0] is not None:
            bounds.append(int(row[0]))
    return max(bounds) if bounds else None


@dataclass
class _Rows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0  # rowids that could not be read
    failed: bool = False  # nothing at all could be read


def _read(source: sqlite3.Connection, table: str, bound: int | None) -> _Rows:
    """Every readable row of a table, in rowid order: a scan, and where a damaged page
    stops it, one rowid at a time until the scan can go on past it."""
    read = _Rows()
    last = -(2**63)
    scan = f'SELECT rowid AS "_rowid_", * FROM {table} WHERE rowid > ? ORDER BY rowid'
    probe = f'SELECT rowid AS "_rowid_", * FROM {table} WHERE rowid = ?'
    while True:
        try:
            cursor = source.execute(scan, (last,))
            names = [column[0] for column in cursor.description]
            for values in cursor:
                row = dict(zip(names, values, strict=True))
                read.rows.append(row)
                last = int(row["_rowid_"])
            return read
        except sqlite3.DatabaseError:
            pass
        start = max(last + 1, 0)
        end = bound if bound is not None else start + _PROBE_WINDOW
        if bound is None and last < 0 and not read.rows:
            # Not even the first row: is the table there at all?
            try:
                source.execute(f"SELECT 1 FROM {table} LIMIT 0").fetchall()
            except sqlite3.DatabaseError:
                read.failed = True
                return read
        found = False
        for rowid in range(start, end + 1):
            try:
                cursor = source.execute(probe, (rowid,))
                values = cursor.fetchone()
            except sqlite3.DatabaseError:
                read.unreadable += 1
                continue
            if values is not None:
                names = [column[0] for column in cursor.description]
                read.rows.append(dict(zip(names, values, strict=True)))
                last = rowid
                found = True
                break
        if not found:
            return read


def _index_ids(source: sqlite3.Connection) -> set[int]:
    """Record ids the records table's indexes still list (evidence of records whose rows
    may be unreadable)."""
    ids: set[int] = set()
    try:
        indexes = [
            row[0]
            for row in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
            )
        ]
    except sqlite3.DatabaseError:
        return ids
    for index in indexes:
        with contextlib.suppress(sqlite3.DatabaseError):
            # Covering: reads the index only, never the table's pages.
            ids.update(
                row[0] for row in source.execute(f'SELECT id FROM records INDEXED BY "{index}"')
            )
    return ids


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], row: dict[str, Any]) -> bool:
    names = [name for name in columns if name in row]
    marks = ",".join("?" * len(names))
    quoted = ",".join(f'"{name}"' for name in names)
    try:
        conn.execute(
            f"INSERT INTO {table} ({quoted}) VALUES ({marks})", [row[name] for name in names]
        )
    except sqlite3.Error:  # a row read but not valid (a damaged value): lost
        return False
    return True


def _copy(
    source: sqlite3.Connection,
    fresh: Path,
    version: int | None,
    report: RecoveryReport,
    account: str | None,
) -> bool:
    """Read every table of the damaged copy into a new save file at ``fresh``; False when
    nothing at all could be read."""
    tables = _tables(source, version)
    read: dict[str, _Rows] = {}
    for table in tables:
        bound = _bound(source, table)
        if table in ("record_data", "in_flight"):
            records_bound = _bound(source, "records")
            if records_bound is not None:
                bound = max(bound or 0, records_bound)
        read[table] = _read(source, table, bound)
    if not any(rows.rows for rows in read.values()) and (
        not read or any(rows.failed or rows.unreadable for rows in read.values())
    ):
        return False  # nothing at all could be read
    known_ids = _index_ids(source)
    with SaveFile(fresh, account=account) as target:
        conn = target.conn
        with target.transaction():
            _copy_records(conn, read, report, known_ids)
            recovered_ids = {int(row[0]) for row in conn.execute("SELECT id FROM records")}
            for table in ("journal", "revisions", "templates"):
                rows = read.get(table)
                if rows is None:
                    continue
                columns = _columns(conn, table)
                kept = 0
                for row in rows.rows:
                    if table == "revisions" and row.get("record_id") not in recovered_ids:
                        continue  # a revision of a record that was lost
                    kept += _insert(conn, table, columns, row)
                report.recovered[table] = kept
                report.lost[table] = rows.unreadable + (
                    len(rows.rows) - kept if table != "revisions" else 0
                )
            _mark_unconfirmed(conn, read.get("in_flight"), recovered_ids, report)
            _keep_sequences(conn, source, read, known_ids)
        report.records = int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
    report.lost = {table: count for table, count in report.lost.items() if count}
    return True


def _copy_records(
    conn: sqlite3.Connection,
    read: dict[str, _Rows],
    report: RecoveryReport,
    known_ids: set[int],
) -> None:
    records = read.get("records", _Rows())
    data = read.get("record_data", _Rows())
    raw_by_id = {int(row["id"]): row["raw"] for row in data.rows if row.get("raw") is not None}
    record_columns = _columns(conn, "records")
    copied: set[int] = set()
    rows_bad = 0
    for row in records.rows:
        record_id = int(row["id"])
        raw = raw_by_id.get(record_id)
        if raw is None:
            continue  # its bytes are lost: counted below
        if _insert(conn, "records", record_columns, row):
            conn.execute("INSERT INTO record_data (id, raw) VALUES (?, ?)", (record_id, raw))
            copied.add(record_id)
        else:
            rows_bad += 1
    # Bytes whose list row was lost: rebuilt from the bytes, as unconfirmed.
    stamp = time_text(now())
    for record_id, raw in raw_by_id.items():
        if record_id in copied:
            continue
        try:
            summary = summarize(parse_record(bytes(raw)))
        except Exception:  # damaged bytes: a lost record, whatever the error
            continue
        values = {
            "id": record_id,
            "source_format": "iso2709",
            "added_at": stamp,
            "updated_at": stamp,
            **summary_columns(summary),
            "status": "unconfirmed",
            "status_detail": ROW_LOST_DETAIL,
        }
        conn.execute(insert_sql("records", values), tuple(values.values()))
        conn.execute("INSERT INTO record_data (id, raw) VALUES (?, ?)", (record_id, raw))
        _journal(conn, record_id, RECOVERY_DESTINATION, ROW_LOST_DETAIL)
        copied.add(record_id)
        report.unconfirmed.append(record_id)
    seen = {int(row["id"]) for row in records.rows} | set(raw_by_id) | known_ids
    report.records_lost = len(seen - copied)
    report.recovered["records"] = len(copied)
    report.lost["records"] = records.unreadable + rows_bad
    report.recovered["record_data"] = len(copied)
    report.lost["record_data"] = data.unreadable


def _journal(conn: sqlite3.Connection, record_id: int, destination: str, detail: str) -> None:
    conn.execute(
        "INSERT INTO journal (record_id, control_number, time, destination, outcome, detail) "
        "SELECT ?, (SELECT coalesce(oclc_number, control_number) FROM records WHERE id = ?), "
        "?, ?, 'unconfirmed', ?",
        (record_id, record_id, time_text(now()), destination, detail),
    )


def _mark_unconfirmed(
    conn: sqlite3.Connection,
    in_flight: _Rows | None,
    recovered_ids: set[int],
    report: RecoveryReport,
) -> None:
    """Records an export was handling become unconfirmed (kept flagged), with a journal
    entry; the marks themselves are not carried over."""
    if in_flight is None:
        return
    for row in in_flight.rows:
        record_id = int(row["record_id"])
        if record_id not in recovered_ids:
            continue
        detail = IN_FLIGHT_DETAIL.format(stage=row.get("stage") or "unknown stage")
        conn.execute(
            "UPDATE records SET status = 'unconfirmed', status_detail = ? WHERE id = ?",
            (detail, record_id),
        )
        _journal(conn, record_id, str(row.get("destination") or RECOVERY_DESTINATION), detail)
        if record_id not in report.unconfirmed:
            report.unconfirmed.append(record_id)
    if in_flight.unreadable:
        report.lost["in_flight"] = in_flight.unreadable


def _keep_sequences(
    conn: sqlite3.Connection,
    source: sqlite3.Connection,
    read: dict[str, _Rows],
    known_ids: set[int],
) -> None:
    """Ids are never reused (the journal refers to them): the new file's sequences start
    past every id the damaged file gave out, read or not."""
    highest: dict[str, int] = {}
    with contextlib.suppress(sqlite3.DatabaseError):
        for name, seq in source.execute("SELECT name, seq FROM sqlite_sequence"):
            highest[str(name)] = int(seq or 0)
    record_ids = [*known_ids]
    record_ids += [int(row["id"]) for row in read.get("records", _Rows()).rows]
    record_ids += [int(row["record_id"]) for row in read.get("journal", _Rows()).rows]
    record_ids += [int(row["id"]) for row in read.get("record_data", _Rows()).rows]
    journal_ids = [int(row["id"]) for row in read.get("journal", _Rows()).rows]
    for table, ids in (("records", record_ids), ("journal", journal_ids)):
        seq = max([highest.get(table, 0), *ids])
        if not seq:
            continue
        updated = conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, table)
        ).rowcount
        if not updated:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, seq))


def _swap(path: Path, fresh: Path) -> Path:
    """Keep the damaged file aside and put the new one in its place; returns where the
    damaged one is. The save file's name always holds one whole file, old or new."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    try:
        try:
            os.link(path, aside)
        except OSError:
            shutil.copy2(path, aside)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
        os.replace(fresh, path)
    except OSError as error:
        raise SaveFileError(
            f"The recovered save file could not take the place of {path} ({error}); the "
            f"damaged file is still there, and the recovered one is {fresh}."
        ) from error
    return aside
