"""One SQLite connection to a save file: opening it, the check before its first write,
transactions, and SQLite's errors in words a cataloger can act on.

WAL mode lets an export worker write through its own connection while the window reads
through another, and a process killed at any moment leaves the last committed state
(``synchronous=NORMAL`` is enough for that; only a power cut could lose the last few
commits, never consistency). Where WAL can't be set (a file system without shared memory,
as some network shares), the rollback journal is used and a notice left for
:func:`take_notices`. A commit that fails is rolled back and reported
(:meth:`Connection.transaction`): no transaction is ever left open.

:class:`Connection` is the base of app.core.store.savefile.SaveFile; the parts of the save
file (records.py, listing.py, flags.py, journal.py) add their methods to it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ParamSpec, Self, TypeVar

from app.core import paths
from app.core.errors import ExportDeskError
from app.core.store.schema import MIGRATIONS, SCHEMA_VERSION, quick_check, schema_problems

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_SECONDS = 10.0
_IN_CHUNK = 500  # ids per "IN (...)": well under SQLite's limit on parameters
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt")


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


P = ParamSpec("P")
T = TypeVar("T")


def translated(method: Callable[P, T]) -> Callable[P, T]:
    """SQLite's exceptions become messages a cataloger can act on."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as error:
            save_file = args[0]
            assert isinstance(save_file, Connection)
            raise save_file.error_for(error) from error

    return wrapper


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def placeholders(count: int) -> str:
    return ",".join("?" * count)


class Connection:
    """One SQLite connection to a save file, opened, checked and migrated; the base of
    app.core.store.savefile.SaveFile. It belongs to the thread that opened it."""

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
    def for_account(cls, account: str) -> Self:
        """The account's save file, created empty the first time."""
        return cls(cls.path_for(account), account=account)

    def reopen(self) -> Self:
        """Another connection to the same file, for another thread (the file's check, when
        it ran on this one, holds for it too)."""
        other = type(self)(self.path, account=self.account)
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

    def __enter__(self) -> Self:
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

    # -- watching for changes ------------------------------------------------------------

    @translated
    def data_version(self) -> int:
        """Changes when another connection (an export worker, another process) commits."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
