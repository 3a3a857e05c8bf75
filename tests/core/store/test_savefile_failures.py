"""A save file that can't be written as usual: a COMMIT that fails leaves no transaction
open and nothing half-kept; a file system where WAL can't be set gets the rollback journal
and a notice."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.marc import parse_record, summarize
from app.core.store.savefile import SaveFile, SaveFileError, take_notices
from tests.fixtures.records import bib_record


def add(save_file: SaveFile, number: int) -> int:
    raw = bib_record(f"ocm{number:08d}", f"Title {number}")
    record_id = save_file.add(raw, "iso2709", summarize(parse_record(raw)))
    save_file.flag([record_id])
    return record_id


def fail_commits_of(path: Path, record_id: int) -> None:
    """From now on, a transaction writing a journal entry for ``record_id`` fails at COMMIT:
    a deferred foreign key is broken inside it, which SQLite checks only when committing
    (as a full disk or a lost share shows only then). The statements themselves succeed."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS commit_trap (record_id INTEGER REFERENCES "
        "records(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    conn.execute(
        f"CREATE TRIGGER commit_trap_{record_id} AFTER INSERT ON journal "
        f"WHEN NEW.record_id = {record_id} BEGIN INSERT INTO commit_trap VALUES (-1); END"
    )
    conn.close()


def remove_traps(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'commit_trap_%'"
        )
    ]
    for name in names:
        conn.execute(f"DROP TRIGGER {name}")
    conn.close()


@pytest.fixture
def trapped(save_file: SaveFile) -> Iterator[tuple[SaveFile, int, int]]:
    good, bad = add(save_file, 1), add(save_file, 2)
    fail_commits_of(save_file.path, bad)
    yield save_file, good, bad


def test_a_failed_commit_is_rolled_back_and_reported(trapped) -> None:
    save_file, good, bad = trapped
    save_file.mark_in_flight([bad], "TCP/IP", "sending")

    with pytest.raises(SaveFileError) as raised:
        save_file.record_outcome(bad, "exported", "TCP/IP", "Import ok")

    message = raised.value.message
    assert str(save_file.path) in message
    assert "FOREIGN KEY constraint failed" in message
    assert "undone" in message and "try again" in message
    assert not save_file.conn.in_transaction
    # Nothing of it was kept: no journal entry, the status and flag as they were, and the
    # record is still in flight (the next run settles it as unconfirmed).
    assert save_file.journal(bad) == []
    row = save_file.get(bad)
    assert (row.status, row.flagged) == (None, True)
    assert save_file.in_flight() == [(bad, "TCP/IP", "sending")]
    # The file is not left locked: this connection and another one still write.
    save_file.record_outcome(good, "exported", "TCP/IP", "Import ok")
    with SaveFile(save_file.path) as other:
        other.flag([good])
        assert other.get(good).flagged


def test_a_failed_commit_undoes_the_whole_group(trapped) -> None:
    save_file, good, bad = trapped
    with pytest.raises(SaveFileError), save_file.transaction():
        save_file.record_outcome(good, "exported", "TCP/IP", "Import ok")
        save_file.record_outcome(bad, "rejected", "TCP/IP", "Error: no")
    assert not save_file.conn.in_transaction
    assert save_file.journal() == []
    assert [save_file.get(i).status for i in (good, bad)] == [None, None]

    remove_traps(save_file.path)
    save_file.record_outcome(bad, "rejected", "TCP/IP", "Error: no")
    assert save_file.get(bad).status == "rejected"


def test_a_failed_commit_of_a_note_keeps_the_entry(trapped) -> None:
    save_file, good, _ = trapped
    save_file.record_outcome(good, "exported", "TCP/IP", "Import ok", "sent")
    conn = sqlite3.connect(save_file.path, isolation_level=None)
    conn.execute(
        "CREATE TRIGGER commit_trap_note AFTER UPDATE OF detail ON journal "
        "BEGIN INSERT INTO commit_trap VALUES (-1); END"
    )
    conn.close()
    with pytest.raises(SaveFileError):
        save_file.add_journal_note(good, "late bytes")
    assert save_file.journal(good)[0].detail == "sent"
    assert not save_file.conn.in_transaction


def test_wal_is_checked_and_the_rollback_journal_used_where_it_cannot_be_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's ``unix-none`` file system has no shared memory, like some network shares:
    ``PRAGMA journal_mode=WAL`` leaves the mode as it was there."""
    take_notices()
    share = tmp_path / "share"
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(database).parent == share:
            return real_connect(f"file:{database}?vfs=unix-none", *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    path = share / "account.sqlite"
    with SaveFile(path) as on_share:
        assert on_share.journal_mode == "delete"
        assert on_share.conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert on_share.conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        record_id = add(on_share, 1)
        on_share.record_outcome(record_id, "exported", "TCP/IP", "Import ok")
    (notice,) = take_notices()
    assert str(path) in notice and "rollback journal" in notice
    with SaveFile(path) as again:  # said once per file
        assert again.get(record_id).status == "exported"
    assert take_notices() == []
    assert not path.with_name(path.name + "-wal").exists()

    with SaveFile(tmp_path / "local.sqlite") as local:
        assert local.journal_mode == "wal"
        assert local.conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert take_notices() == []
