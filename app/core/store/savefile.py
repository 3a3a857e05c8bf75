"""The save file: one SQLite database per account holding its records, their flags and
statuses, and a journal of every export attempt.

It lives at ``<data dir>/savefiles/<account>.sqlite``. WAL mode lets an export worker write
through its own connection while the window reads through another, and a process killed at
any moment leaves the last committed state (``synchronous=NORMAL`` is enough for that; only
a power cut could lose the last few commits, never consistency). Where WAL can't be set (a
file system without shared memory, as some network shares), the rollback journal is used
and a notice left for :func:`take_notices`. A commit that fails is rolled back and reported
(:meth:`SaveFile.transaction`): no transaction is ever left open.

A record's raw bytes sit in their own table (``record_data``) beside ``records``, which holds
only what the list shows: sorting and filtering 100,000 rows then reads a few megabytes
instead of every record's bytes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar, get_args

from app.core import paths
from app.core.errors import ExportDeskError, UsageError
from app.core.marc.readresults import SourceFormat
from app.core.marc.summary import RecordSummary

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
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
# How a record the cataloger marked as exported (found in the local system) is journalled.
MANUAL_DESTINATION = "manual"
MANUAL_DETAIL = "Marked as exported by the cataloger, who found it in the local system"
NOTE_LIMIT = 4096  # characters of a note kept (see add_journal_note)
# Outcomes of an attempt that never reached a host: they leave an unconfirmed status as it is.
_KEEPS_UNCONFIRMED = frozenset({"not_sent", "cancelled", "invalid"})
InFlightStage = Literal["sending", "writing", "published"]
_RECOVERED: dict[str, tuple[Outcome, str]] = {
    "sending": (
        "unconfirmed",
        "ExportDesk stopped during the export before it knew this record's outcome: the host "
        "may have received it. Check the local system before sending it again.",
    ),
    "writing": (
        "cancelled",
        "ExportDesk stopped before the export file was written: this record was not exported.",
    ),
    "published": (
        "exported",
        "Written to the export file; ExportDesk stopped before it could note it.",
    ),
}
# A status filter meaning "never sent anywhere" (the status column is empty).
NOT_EXPORTED = "not_exported"
# What validation found in a record, worst last; NULL in the save file: never validated (or
# changed since).
ValidationState = Literal["valid", "warnings", "errors"]
VALIDATION_STATES: tuple[ValidationState, ...] = get_args(ValidationState)
VALIDATION_STATE_NAMES: dict[str, str] = {
    "valid": "Valid",
    "warnings": "Warnings",
    "errors": "Errors",
}
# A validation filter meaning "never validated" (the state is empty).
NOT_VALIDATED = "not_validated"
SortKey = Literal[
    "added", "flag", "number", "title", "type", "encoding", "status", "validation", "last_exported"
]
# Sorting by validation puts the worst last (ascending): not validated, valid, warnings, errors.
# The same expression is indexed (schema 2), so the sort reads the index.
_STATE_RANK: dict[str, int] = {state: rank for rank, state in enumerate(VALIDATION_STATES, 1)}
_VALIDATION_RANK = (
    "(CASE validation_state "
    + " ".join(f"WHEN '{state}' THEN {rank}" for state, rank in _STATE_RANK.items())
    + " ELSE 0 END)"
)
_SORT_COLUMNS: dict[str, str] = {
    "added": "id",
    "flag": "flagged",
    "number": "number_sort",
    "title": "title_sort",
    "type": "record_type",
    "encoding": "encoding",
    "status": "status",
    "validation": _VALIDATION_RANK,
    "last_exported": "last_exported",
}
_BUSY_TIMEOUT_SECONDS = 10.0
_IN_CHUNK = 500  # ids per "IN (...)": well under SQLite's limit on parameters

_LIST_COLUMNS = (
    "id, flagged, control_number, control_number_identifier, oclc_number, title, "
    "record_type, encoding, status, status_detail, last_exported, local_system_id, "
    "local_system_url, validation_state, validation_detail, source_format, source_file, "
    "added_at, duplicate_key, validation_level, validated_at"
)


class SaveFileError(ExportDeskError):
    """The save file could not be opened, read or written."""


class SaveFileDamaged(SaveFileError):
    """The save file failed its check (SQLite's quick check, or its schema): ExportDesk
    refuses to write to it; ``exportdesk records recover`` copies what can be read into a
    new one (app/core/store/recovery.py)."""

    def __init__(self, path: Path, account: str, problem: str) -> None:
        super().__init__(
            f"The save file {path} is damaged ({problem}). ExportDesk will not write to it, "
            "so that nothing more is lost. To do: run `exportdesk records recover --account "
            f"{account}`: it copies every readable record into a new save file and keeps the "
            "damaged one aside."
        )
        self.path = path
        self.account = account
        self.problem = problem


# The tables each schema version has (a file claiming a version must hold them).
_TABLES_BY_VERSION: dict[int, tuple[str, ...]] = {
    1: ("records", "record_data", "journal"),
    3: ("in_flight",),
    4: ("revisions", "templates"),
}
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt")
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


class RecordNotFound(UsageError):
    def __init__(self, record_ids: Sequence[int]) -> None:
        shown = ", ".join(str(i) for i in record_ids[:10])
        more = f" and {len(record_ids) - 10} more" if len(record_ids) > 10 else ""
        noun = "record" if len(record_ids) == 1 else "records"
        super().__init__(f"no {noun} with id {shown}{more} in the save file")
        self.record_ids = list(record_ids)


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One record as the list shows it (everything but the raw bytes)."""

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
class RecordQuery:
    """Which records, in which order: every filter and sort is done by SQLite."""

    text: str = ""  # in the title, 001, 003 or the OCLC number, ignoring case
    flagged_only: bool = False
    status: str | None = None  # None: any; NOT_EXPORTED; or one of OUTCOMES
    sort: SortKey = "added"
    descending: bool = False
    validation: str | None = None  # None: any; NOT_VALIDATED; or one of VALIDATION_STATES


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One export attempt of one record."""

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


P = ParamSpec("P")
T = TypeVar("T")


def _translated(method: Callable[P, T]) -> Callable[P, T]:
    """SQLite's exceptions become messages a cataloger can act on."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as error:
            save_file = args[0]
            assert isinstance(save_file, SaveFile)
            raise save_file.error_for(error) from error

    return wrapper


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _time_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _time_value(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _number_sort(summary: RecordSummary) -> str:
    # OCLC numbers sort as numbers (zero-padded), other control numbers as text after them.
    if summary.oclc_number and summary.oclc_number.isdigit():
        return summary.oclc_number.zfill(15)
    return summary.control_number or ""


def _search_text(summary: RecordSummary) -> str:
    parts = (
        summary.title,
        summary.control_number,
        summary.control_number_identifier,
        summary.oclc_number,
    )
    return " ".join(part for part in parts if part).casefold()


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


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
    conn.execute(f"CREATE INDEX records_validation ON records({_VALIDATION_RANK})")


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


# Messages about save files that could not be opened as usual, for the window and the
# command line to show once (see take_notices); one per file and process.
_notices: list[str] = []
_noticed: set[Path] = set()
_notices_lock = threading.Lock()


def _add_notice(path: Path, message: str) -> None:
    with _notices_lock:
        if path in _noticed:
            return
        _noticed.add(path)
        _notices.append(message)
    log.warning(message)


def take_notices() -> list[str]:
    """Messages about save files since the last call (each is shown once)."""
    with _notices_lock:
        taken = list(_notices)
        _notices.clear()
    return taken


class SaveFile:
    """One account's save file, through one SQLite connection.

    A connection belongs to the thread that opened it: a worker thread opens its own with
    :meth:`reopen` (or ``SaveFile(path)``) and closes it when done.
    """

    def __init__(self, path: Path | str, *, account: str | None = None) -> None:
        self.path = Path(path)
        # The account named in messages (the file's name when it was opened by path).
        self.account = account or self.path.stem
        # The check before the first write (see ensure_writable): None until it ran, then
        # what it found ("" when the file is fine).
        self._damage: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SaveFileError(
                f"The folder for the save file {self.path} could not be created ({error.strerror})."
            ) from error
        self._conn: sqlite3.Connection | None = None
        # "wal"; or "delete" where WAL could not be set (see take_notices)
        self.journal_mode = ""
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            version = self.schema_version
            if version != SCHEMA_VERSION:
                # A file to migrate (or not ExportDesk's): checked before anything writes to
                # it, setting the journal mode included.
                self._refuse_version(version)
                if self._has_tables():
                    self.ensure_writable()
            self.journal_mode = self._set_journal_mode()
            # NORMAL is safe with WAL; a rollback journal needs FULL to survive a power cut.
            synchronous = "NORMAL" if self.journal_mode == "wal" else "FULL"
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as error:
            problem = self.error_for(error)
            self.close()
            raise problem from error
        except SaveFileError:
            self.close()
            raise

    def _set_journal_mode(self) -> str:
        """WAL when the file system allows it; otherwise the rollback journal, with a notice.

        ``PRAGMA journal_mode=WAL`` answers with the mode actually in force: a file system
        without shared memory (some network shares) keeps the old one. The rollback journal
        is as safe, only readers and the writer wait for each other."""
        conn = self.conn
        mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        if mode == "wal":
            return mode
        mode = str(conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
        _add_notice(
            self.path,
            f"The save file {self.path} can't use write-ahead logging here (its folder may be "
            f"on a network share); it is used with a rollback journal ({mode}) instead. It "
            "stays safe, but the window may wait while an export writes to it.",
        )
        return mode

    @staticmethod
    def path_for(account: str) -> Path:
        return paths.data_dir() / "savefiles" / f"{paths.account_slug(account)}.sqlite"

    @classmethod
    def for_account(cls, account: str) -> SaveFile:
        """The account's save file, created empty the first time."""
        return cls(cls.path_for(account), account=account)

    def reopen(self) -> SaveFile:
        """Another connection to the same file, for another thread (the file's check, when
        it ran on this one, holds for it too)."""
        other = SaveFile(self.path, account=self.account)
        if other._damage is None:
            other._damage = self._damage
        return other

    # -- the check before writing ----------------------------------------------------------

    def check(self) -> list[str]:
        """SQLite's quick check and the schema's: what is wrong with the file (empty when
        nothing). It reads the whole file: a noticeable fraction of a second on a large one.
        The result also decides whether this connection may write (see ensure_writable)."""
        try:
            problems = schema_problems(self.conn) + quick_check(self.conn)
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        self.note_checked(problems)
        return problems

    def note_checked(self, problems: Sequence[str]) -> None:
        """Take the result of a check made on another connection to the same file (the
        window checks off the GUI thread)."""
        self._damage = "; ".join(problems) if problems else ""

    @property
    def checked(self) -> bool:
        return self._damage is not None

    @property
    def damaged(self) -> bool:
        """The file failed its check (or SQLite found it damaged while writing)."""
        return bool(self._damage)

    def damage_error(self) -> SaveFileDamaged:
        return SaveFileDamaged(self.path, self.account, self._damage or "it failed its check")

    def ensure_writable(self) -> None:
        """Before the first write of this connection, check the file once; a damaged file
        raises :class:`SaveFileDamaged` (and goes on raising it), and is never written to."""
        if self._damage is None:
            self.check()
        if self._damage:
            raise self.damage_error()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SaveFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise SaveFileError(f"The save file {self.path} is closed.")
        return self._conn

    def error_for(self, error: sqlite3.Error) -> SaveFileError:
        text = str(error)
        if "locked" in text or "busy" in text:
            return SaveFileError(
                f"The save file {self.path} is busy: another ExportDesk is writing to it. "
                "Try again in a moment."
            )
        if "disk is full" in text or "disk I/O" in text:
            return SaveFileError(f"The save file {self.path} could not be written: {text}.")
        if any(word in text for word in _DAMAGE_WORDS):
            # Found while reading or writing: no more writes through this connection.
            self._damage = text
            return self.damage_error()
        return SaveFileError(f"The save file {self.path} could not be used: {text}.")

    def _migrate(self) -> None:
        version = self.schema_version
        if version == SCHEMA_VERSION:
            return
        self._refuse_version(version)
        # Under the write lock, so two processes opening a new file don't both create it.
        # transaction() checks the file first: a damaged one is never migrated.
        with self.transaction():
            version = self.schema_version
            self._refuse_version(version)
            for step in MIGRATIONS[version:]:
                step(self.conn)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _has_tables(self) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None

    def _refuse_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise SaveFileError(
                f"The save file {self.path} was written by a newer ExportDesk "
                f"(format {version}; this one reads up to {SCHEMA_VERSION}). "
                "Update ExportDesk to open it."
            )
        if version < 0:
            raise SaveFileError(
                f"The save file {self.path} has the format number {version}, which no "
                "ExportDesk ever wrote: it is not an ExportDesk save file, or it is damaged. "
                "ExportDesk leaves it untouched; move it aside to start a new one, or run "
                f"`exportdesk records recover --account {self.account}`."
            )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit; nested uses join the outer one.

        Whatever fails, no transaction is left open: when the block raises, or COMMIT itself
        fails (a busy or full disk, a network share gone), everything since BEGIN is rolled
        back; a failed BEGIN or COMMIT raises :class:`SaveFileError` saying what to do.
        """
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        self.ensure_writable()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self.error_for(error) from error
        try:
            yield
        except BaseException:
            self._roll_back()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            raise self.commit_error(error) from error

    def _roll_back(self) -> None:
        conn = self.conn
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                conn.execute("ROLLBACK")

    def commit_error(self, error: sqlite3.Error) -> SaveFileError:
        """The message for a commit that failed (and was rolled back)."""
        text = str(error)
        if "locked" in text or "busy" in text:
            advice = (
                "another program (or another ExportDesk) held it too long; close it and try again"
            )
        elif "full" in text:
            advice = "free some space on its disk and try again"
        elif "I/O" in text or "readonly" in text or "read-only" in text:
            advice = (
                "check that its disk or network share is still there and writable, then try again"
            )
        else:
            advice = "try again; if it keeps failing, copy the file aside and report it"
        return SaveFileError(
            f"The save file {self.path} could not be written ({text}): the last change was "
            f"undone, nothing of it was kept. To do: {advice}."
        )

    # -- records -------------------------------------------------------------------------

    @_translated
    def add(
        self,
        raw: bytes,
        source_format: SourceFormat,
        summary: RecordSummary,
        *,
        source_file: str | None = None,
    ) -> int:
        """Store a new record (unflagged, never exported) and return its id."""
        stamp = _time_text(now())
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO records (source_format, source_file, added_at, updated_at, "
                "control_number, control_number_identifier, oclc_number, number_sort, title, "
                "title_sort, record_type, encoding, search_text, duplicate_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_format,
                    source_file,
                    stamp,
                    stamp,
                    *self._summary_values(summary),
                ),
            )
            record_id = cursor.lastrowid
            assert record_id is not None
            self.conn.execute("INSERT INTO record_data (id, raw) VALUES (?, ?)", (record_id, raw))
        return record_id

    @_translated
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
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE records SET source_format = ?, source_file = ?, updated_at = ?, "
                "control_number = ?, control_number_identifier = ?, oclc_number = ?, "
                "number_sort = ?, title = ?, title_sort = ?, record_type = ?, encoding = ?, "
                "search_text = ?, duplicate_key = ?, validation_state = NULL, "
                "validation_detail = NULL, validation_level = NULL, validated_at = NULL "
                "WHERE id = ?",
                (
                    source_format,
                    source_file,
                    _time_text(now()),
                    *self._summary_values(summary),
                    record_id,
                ),
            )
            if cursor.rowcount == 0:
                raise RecordNotFound([record_id])
            self.conn.execute("UPDATE record_data SET raw = ? WHERE id = ?", (raw, record_id))

    @staticmethod
    def _summary_values(summary: RecordSummary) -> tuple[Any, ...]:
        return (
            summary.control_number,
            summary.control_number_identifier,
            summary.oclc_number,
            _number_sort(summary),
            summary.title,
            summary.title_sort,
            summary.record_type,
            summary.encoding,
            _search_text(summary),
            summary.duplicate_key,
        )

    @_translated
    def get_raw(self, record_id: int) -> bytes:
        row = self.conn.execute("SELECT raw FROM record_data WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise RecordNotFound([record_id])
        return bytes(row[0])

    @_translated
    def get(self, record_id: int) -> RecordRow:
        row = self.conn.execute(
            f"SELECT {_LIST_COLUMNS} FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            raise RecordNotFound([record_id])
        return self._row(row)

    @_translated
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

    @_translated
    def _stored_chunk(self, chunk: Sequence[int]) -> dict[int, StoredRecord]:
        columns = ", ".join(f"r.{name.strip()}" for name in _LIST_COLUMNS.split(","))
        rows = self.conn.execute(
            f"SELECT {columns}, d.raw FROM records r JOIN record_data d ON d.id = r.id "
            f"WHERE r.id IN ({_placeholders(len(chunk))})",
            list(chunk),
        ).fetchall()
        return {row[0]: StoredRecord(self._row(row[:-1]), bytes(row[-1])) for row in rows}

    @_translated
    def find_duplicates(self, duplicate_key: str | None) -> list[int]:
        """Ids of the records already stored under this key, oldest first."""
        if not duplicate_key:
            return []
        rows = self.conn.execute(
            "SELECT id FROM records WHERE duplicate_key = ? ORDER BY id", (duplicate_key,)
        )
        return [row[0] for row in rows]

    @_translated
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

    @_translated
    def missing(self, record_ids: Iterable[int]) -> list[int]:
        """Those of ``record_ids`` that are not in the save file."""
        wanted = list(dict.fromkeys(record_ids))
        found: set[int] = set()
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                f"SELECT id FROM records WHERE id IN ({_placeholders(len(chunk))})", chunk
            )
            found.update(row[0] for row in rows)
        return [record_id for record_id in wanted if record_id not in found]

    # -- the list --------------------------------------------------------------------------

    @staticmethod
    def _where(query: RecordQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        text = query.text.strip().casefold()
        if text:
            clauses.append("instr(search_text, ?) > 0")
            params.append(text)
        if query.flagged_only:
            clauses.append("flagged = 1")
        if query.status == NOT_EXPORTED:
            clauses.append("status IS NULL")
        elif query.status is not None:
            clauses.append("status = ?")
            params.append(query.status)
        if query.validation == NOT_VALIDATED:
            clauses.append(f"{_VALIDATION_RANK} = 0")
        elif query.validation is not None:
            clauses.append(f"{_VALIDATION_RANK} = ?")
            params.append(_STATE_RANK[query.validation])
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    @staticmethod
    def _order(query: RecordQuery) -> str:
        column = _SORT_COLUMNS[query.sort]
        direction = "DESC" if query.descending else "ASC"
        if column == "id":
            return f" ORDER BY id {direction}"
        return f" ORDER BY {column} {direction}, id {direction}"

    @_translated
    def count(self, query: RecordQuery | None = None) -> int:
        where, params = self._where(query or RecordQuery())
        return int(self.conn.execute(f"SELECT count(*) FROM records{where}", params).fetchone()[0])

    @_translated
    def flagged_count(self) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM records WHERE flagged = 1").fetchone()[0]
        )

    @_translated
    def rows(
        self, query: RecordQuery | None = None, offset: int = 0, limit: int | None = None
    ) -> list[RecordRow]:
        """A page of the list: ``limit`` rows from position ``offset`` (all when None)."""
        query = query or RecordQuery()
        where, params = self._where(query)
        sql = f"SELECT {_LIST_COLUMNS} FROM records{where}{self._order(query)} LIMIT ? OFFSET ?"
        rows = self.conn.execute(sql, [*params, -1 if limit is None else limit, offset])
        return [self._row(row) for row in rows]

    @_translated
    def ids(
        self, query: RecordQuery | None = None, offset: int = 0, limit: int | None = None
    ) -> list[int]:
        """Like rows(), the ids only."""
        query = query or RecordQuery()
        where, params = self._where(query)
        sql = f"SELECT id FROM records{where}{self._order(query)} LIMIT ? OFFSET ?"
        rows = self.conn.execute(sql, [*params, -1 if limit is None else limit, offset])
        return [row[0] for row in rows]

    @_translated
    def positions(self, query: RecordQuery, record_ids: Iterable[int]) -> dict[int, int]:
        """Where each of these records sits in the list (0-based); absent ones are left out."""
        wanted = list(dict.fromkeys(record_ids))
        if not wanted:
            return {}
        where, params = self._where(query)
        order = self._order(query).removeprefix(" ORDER BY ")
        result: dict[int, int] = {}
        for chunk in _chunks(wanted):
            sql = (
                f"SELECT id, position FROM (SELECT id, row_number() OVER (ORDER BY {order}) - 1 "
                f"AS position FROM records{where}) WHERE id IN ({_placeholders(len(chunk))})"
            )
            result.update(self.conn.execute(sql, [*params, *chunk]).fetchall())
        return result

    @staticmethod
    def _row(row: Sequence[Any]) -> RecordRow:
        added = _time_value(row[17])
        assert added is not None
        return RecordRow(
            id=row[0],
            flagged=bool(row[1]),
            control_number=row[2],
            control_number_identifier=row[3],
            oclc_number=row[4],
            title=row[5],
            record_type=row[6],
            encoding=row[7],
            status=row[8],
            status_detail=row[9],
            last_exported=_time_value(row[10]),
            local_system_id=row[11],
            local_system_url=row[12],
            validation_state=row[13],
            validation_detail=row[14],
            source_format=row[15],
            source_file=row[16],
            added_at=added,
            duplicate_key=row[18],
            validation_level=row[19],
            validated_at=_time_value(row[20]),
        )

    # -- flags, statuses, deletion ---------------------------------------------------------

    @_translated
    def set_flagged(self, record_ids: Iterable[int], flagged: bool) -> int:
        """Flag or unflag these records; returns how many changed."""
        ids = list(dict.fromkeys(record_ids))
        changed = 0
        with self.transaction():
            for chunk in _chunks(ids):
                cursor = self.conn.execute(
                    f"UPDATE records SET flagged = ? WHERE flagged != ? "
                    f"AND id IN ({_placeholders(len(chunk))})",
                    [int(flagged), int(flagged), *chunk],
                )
                changed += cursor.rowcount
        return changed

    def flag(self, record_ids: Iterable[int]) -> int:
        return self.set_flagged(record_ids, True)

    def unflag(self, record_ids: Iterable[int]) -> int:
        return self.set_flagged(record_ids, False)

    def _range_ids(self, query: RecordQuery, offset: int, limit: int) -> tuple[str, list[Any]]:
        """SQL selecting the ids of rows ``offset`` to ``offset + limit - 1`` of a list."""
        where, params = self._where(query)
        sql = f"SELECT id FROM records{where}{self._order(query)} LIMIT ? OFFSET ?"
        return sql, [*params, limit, offset]

    @_translated
    def set_flagged_in_range(
        self, query: RecordQuery, offset: int, limit: int, flagged: bool
    ) -> int:
        """Flag or unflag the rows a list shows from ``offset`` on (a selection of thousands
        of rows is one statement, not thousands of ids); returns how many changed."""
        sql, params = self._range_ids(query, offset, limit)
        with self.transaction():
            return self.conn.execute(
                f"UPDATE records SET flagged = ? WHERE flagged != ? AND id IN ({sql})",
                [int(flagged), int(flagged), *params],
            ).rowcount

    @_translated
    def flagged_in_range(self, query: RecordQuery, offset: int, limit: int) -> int:
        """How many of those rows are flagged."""
        sql, params = self._range_ids(query, offset, limit)
        row = self.conn.execute(
            f"SELECT count(*) FROM records WHERE flagged = 1 AND id IN ({sql})", params
        ).fetchone()
        return int(row[0])

    @_translated
    def flagged_among(self, record_ids: Iterable[int]) -> list[int]:
        """Those of ``record_ids`` that are flagged."""
        ids = list(dict.fromkeys(record_ids))
        flagged: list[int] = []
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                f"SELECT id FROM records WHERE flagged = 1 AND id IN ({_placeholders(len(chunk))})",
                chunk,
            )
            flagged.extend(row[0] for row in rows)
        return flagged

    @_translated
    def flag_all(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE records SET flagged = 1 WHERE flagged = 0").rowcount

    @_translated
    def unflag_all(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE records SET flagged = 0 WHERE flagged = 1").rowcount

    @_translated
    def flagged_ids(self) -> list[int]:
        """The records an export would send, in the order they were added."""
        return [
            row[0]
            for row in self.conn.execute("SELECT id FROM records WHERE flagged = 1 ORDER BY id")
        ]

    @_translated
    def delete(self, record_ids: Iterable[int]) -> int:
        """Remove these records (their journal rows stay); returns how many were removed."""
        ids = list(dict.fromkeys(record_ids))
        removed = 0
        with self.transaction():
            for chunk in _chunks(ids):
                marks = _placeholders(len(chunk))
                self.conn.execute(f"DELETE FROM record_data WHERE id IN ({marks})", chunk)
                removed += self.conn.execute(
                    f"DELETE FROM records WHERE id IN ({marks})", chunk
                ).rowcount
        return removed

    @_translated
    def delete_all(self) -> int:
        with self.transaction():
            self.conn.execute("DELETE FROM record_data")
            return self.conn.execute("DELETE FROM records").rowcount

    @_translated
    def set_status(
        self,
        record_ids: Iterable[int],
        status: Outcome | None,
        detail: str | None = None,
        *,
        exported_at: datetime | None = None,
    ) -> int:
        """Set the status column (None clears it); ``exported_at`` sets the last-exported
        time too. Prefer :meth:`record_outcome`, which also writes the journal."""
        if status is not None and status not in OUTCOMES:
            raise ValueError(f"unknown status {status!r}")
        ids = list(dict.fromkeys(record_ids))
        changed = 0
        with self.transaction():
            for chunk in _chunks(ids):
                marks = _placeholders(len(chunk))
                if exported_at is None:
                    sql = f"UPDATE records SET status = ?, status_detail = ? WHERE id IN ({marks})"
                    params: list[Any] = [status, detail, *chunk]
                else:
                    sql = (
                        "UPDATE records SET status = ?, status_detail = ?, last_exported = ? "
                        f"WHERE id IN ({marks})"
                    )
                    params = [status, detail, _time_text(exported_at), *chunk]
                changed += self.conn.execute(sql, params).rowcount
        return changed

    @_translated
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

    @_translated
    def set_validation(
        self,
        record_id: int,
        state: ValidationState | None,
        detail: str | None = None,
        *,
        level: str | None = None,
        when: datetime | None = None,
    ) -> None:
        """What the validator found at ``level``: "valid", "warnings" or "errors", and the
        messages as ``detail`` (app.core.validation.stored); None clears the state."""
        with self.transaction():
            if self.set_validations([StoredValidation(record_id, state, detail, level, when)]):
                return
            raise RecordNotFound([record_id])

    @_translated
    def set_validations(self, validations: Iterable[StoredValidation]) -> int:
        """Store many validation states in one commit; records no longer in the save file
        are passed over. Returns how many records were updated."""
        stamp = _time_text(now())
        changed = 0
        with self.transaction():
            for item in validations:
                if item.state is not None and item.state not in VALIDATION_STATES:
                    raise ValueError(f"unknown validation state {item.state!r}")
                cleared = item.state is None
                changed += self.conn.execute(
                    "UPDATE records SET validation_state = ?, validation_detail = ?, "
                    "validation_level = ?, validated_at = ? WHERE id = ?",
                    (
                        item.state,
                        None if cleared else item.detail,
                        None if cleared else item.level,
                        None if cleared else (_time_text(item.when) if item.when else stamp),
                        item.record_id,
                    ),
                ).rowcount
        return changed

    @_translated
    def validation_counts(self, query: RecordQuery | None = None) -> dict[str, int]:
        """How many of the records a list shows are in each validation state (and
        NOT_VALIDATED), all keys present."""
        where, params = self._where(query or RecordQuery())
        counts = dict.fromkeys((*VALIDATION_STATES, NOT_VALIDATED), 0)
        rows = self.conn.execute(
            f"SELECT validation_state, count(*) FROM records{where} GROUP BY validation_state",
            params,
        )
        for state, count in rows:
            counts[state if state in counts else NOT_VALIDATED] += count
        return counts

    # -- the export journal ----------------------------------------------------------------

    @_translated
    def journal_append(self, entry: JournalEntry) -> int:
        """Add one attempt to the journal; returns its id. The control number, unless given,
        is the record's (in the same statement: this runs for every record exported)."""
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {entry.outcome!r}")
        if not self.conn.in_transaction:
            self.ensure_writable()
        cursor = self.conn.execute(
            "INSERT INTO journal (record_id, control_number, time, destination, outcome, "
            "host_reply, detail) SELECT ?, coalesce(?, (SELECT coalesce(oclc_number, "
            "control_number) FROM records WHERE id = ?)), ?, ?, ?, ?, ?",
            (
                entry.record_id,
                entry.control_number,
                entry.record_id,
                _time_text(entry.time or now()),
                entry.destination,
                entry.outcome,
                entry.host_reply,
                entry.detail,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @_translated
    def record_outcome(
        self,
        record_id: int,
        outcome: Outcome,
        destination: str,
        host_reply: str | None = None,
        detail: str | None = None,
        when: datetime | None = None,
    ) -> int:
        """One export attempt, in one commit: the journal row, the status (with the host's
        reply or the detail), and for "exported" the last-exported time and the flag cleared
        (every other outcome keeps the flag). Returns the journal row's id.

        An ``unconfirmed`` status stays when the attempt never reached a host (not_sent,
        cancelled, invalid): the host may still have the record from before, so an ordinary
        export must go on leaving it out. The journal has the attempt all the same."""
        moment = when or now()
        exported = outcome == "exported"
        stamp = _time_text(moment)
        keeps = outcome in _KEEPS_UNCONFIRMED
        # Three statements, one commit: this runs once per record of every export.
        with self.transaction():
            entry_id = self.journal_append(
                JournalEntry(record_id, outcome, destination, host_reply, detail, moment)
            )
            self.conn.execute(
                "UPDATE records SET "
                "status_detail = CASE WHEN ? AND status = 'unconfirmed' THEN status_detail "
                "ELSE ? END, "
                "status = CASE WHEN ? AND status = 'unconfirmed' THEN status ELSE ? END, "
                "last_exported = CASE WHEN ? THEN ? ELSE last_exported END, "
                "flagged = CASE WHEN ? THEN 0 ELSE flagged END WHERE id = ?",
                (
                    keeps,
                    detail or host_reply,
                    keeps,
                    outcome,
                    exported,
                    stamp,
                    exported,
                    record_id,
                ),
            )
            self.conn.execute("DELETE FROM in_flight WHERE record_id = ?", (record_id,))
        return entry_id

    @_translated
    def journal(self, record_id: int | None = None, limit: int | None = 100) -> list[JournalEntry]:
        """The newest attempts first, for one record or all."""
        where = " WHERE record_id = ?" if record_id is not None else ""
        params: list[Any] = [record_id] if record_id is not None else []
        rows = self.conn.execute(
            "SELECT id, record_id, control_number, time, destination, outcome, host_reply, "
            f"detail FROM journal{where} ORDER BY id DESC LIMIT ?",
            [*params, -1 if limit is None else limit],
        )
        return [
            JournalEntry(
                record_id=row[1],
                outcome=row[5],
                destination=row[4],
                host_reply=row[6],
                detail=row[7],
                time=_time_value(row[3]),
                control_number=row[2],
                id=row[0],
            )
            for row in rows
        ]

    @_translated
    def mark_exported(self, record_ids: Iterable[int], *, local_id: str | None = None) -> int:
        """The cataloger found these records in the local system: each flagged one gets a
        journal entry with the outcome ``exported`` and the destination ``manual``, its
        status and last-exported time set and its flag cleared, as a real export does.
        ``local_id`` also sets the record's number in the local system (its URL, about the
        old number, is dropped when the number changes).

        Records that are not flagged are left exactly as they are (nothing is waiting to go,
        so there is nothing to settle; flag one first to mark it). Raises
        :class:`RecordNotFound`, changing nothing, when an id is not in the save file.
        Returns how many records were marked."""
        ids = list(dict.fromkeys(record_ids))
        detail = MANUAL_DETAIL + (f" (local system id {local_id})" if local_id else "")
        with self.transaction():
            missing = self.missing(ids)
            if missing:
                raise RecordNotFound(missing)
            marked = self.flagged_among(ids)
            for record_id in marked:
                self.record_outcome(record_id, "exported", MANUAL_DESTINATION, None, detail)
                if local_id:
                    self.conn.execute(
                        "UPDATE records SET local_system_url = CASE WHEN local_system_id IS ? "
                        "THEN local_system_url END, local_system_id = ? WHERE id = ?",
                        (local_id, local_id, record_id),
                    )
        return len(marked)

    @_translated
    def add_journal_note(self, record_id: int, note: str) -> None:
        """Add a note to the newest journal entry of a record, keeping its outcome and what
        it already says (``detail; Note: ...``): for what a host sent unasked after the
        record's reply. At most NOTE_LIMIT characters of the note are kept. Raises
        :class:`RecordNotFound` when the record has no journal entry."""
        text = f"Note: {note[:NOTE_LIMIT]}"
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE journal SET detail = CASE WHEN detail IS NULL OR detail = '' THEN ? "
                "ELSE detail || '; ' || ? END "
                "WHERE id = (SELECT max(id) FROM journal WHERE record_id = ?)",
                (text, text, record_id),
            )
            if cursor.rowcount == 0:
                raise RecordNotFound([record_id])

    # -- records an export run is handling ---------------------------------------------

    @_translated
    def mark_in_flight(
        self, record_ids: Iterable[int], destination: str, stage: InFlightStage
    ) -> None:
        """Note that a run is sending (or writing, or has published) these records; the
        mark goes when :meth:`record_outcome` records how each ended."""
        started = _time_text(now())
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO in_flight (record_id, destination, stage, started) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (record_id) DO UPDATE SET stage = excluded.stage",
                [(record_id, destination, stage, started) for record_id in record_ids],
            )

    @_translated
    def clear_in_flight(self, record_ids: Iterable[int]) -> None:
        """Take the mark off records a run marked but then did not send after all."""
        ids = list(record_ids)
        with self.transaction():
            for chunk in _chunks(ids):
                self.conn.execute(
                    f"DELETE FROM in_flight WHERE record_id IN ({_placeholders(len(chunk))})", chunk
                )

    @_translated
    def in_flight(self) -> list[tuple[int, str, InFlightStage]]:
        rows = self.conn.execute(
            "SELECT record_id, destination, stage FROM in_flight ORDER BY record_id"
        )
        return [(row[0], row[1], row[2]) for row in rows]

    @_translated
    def recover_interrupted(self) -> list[JournalEntry]:
        """Give each record a run left unfinished (the process was killed) the outcome it can
        be sure of, with a journal entry saying so: a record that was being sent may have
        reached the host (unconfirmed, still flagged); one written to an export file that
        was never published was not exported (cancelled); one in a published file was.

        Call it only when no export run of this account is active (see app.core.export.run)."""
        entries: list[JournalEntry] = []
        if not self.in_flight():
            return entries  # nothing to write: no transaction (and no check before writing)
        with self.transaction():
            for record_id, destination, stage in self.in_flight():
                outcome, detail = _RECOVERED[stage]
                if not self.missing([record_id]):
                    self.record_outcome(record_id, outcome, destination, None, detail)
                else:
                    self.conn.execute("DELETE FROM in_flight WHERE record_id = ?", (record_id,))
                entries.append(JournalEntry(record_id, outcome, destination, None, detail))
        return entries

    # -- watching for changes ------------------------------------------------------------

    @_translated
    def data_version(self) -> int:
        """Changes when another connection (an export worker, another process) commits."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
