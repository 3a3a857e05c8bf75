"""exportdesk export when the save file can't be written as usual: a failed commit stops the
run with a message and only true outcomes printed; a save file without WAL gets a warning."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.core.store import savefile
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, tcpip_settings


def test_a_failed_commit_stops_the_export_and_prints_only_what_was_kept(
    cli, save_file, flagged, receiver
) -> None:
    ids = flagged(8)
    conn = sqlite3.connect(save_file.path, isolation_level=None)
    conn.execute(
        "CREATE TABLE commit_trap (record_id INTEGER REFERENCES records(id) "
        "DEFERRABLE INITIALLY DEFERRED)"
    )
    conn.execute(
        "CREATE TRIGGER commit_trap_journal AFTER INSERT ON journal "
        f"WHEN NEW.record_id = {ids[4]} BEGIN INSERT INTO commit_trap VALUES (-1); END"
    )
    conn.close()
    tcpip_settings(receiver)

    run = cli("export", "--account", ACCOUNT, "--json")

    assert run.status == 2
    assert "could not be written" in run.err and "The export stopped" in run.err
    assert str(save_file.path) in run.err
    printed = [json.loads(line) for line in run.out.splitlines()]
    assert all("summary" not in line for line in printed)
    assert ids[4] not in [line["id"] for line in printed]
    for line in printed:
        assert save_file.get(line["id"]).status == line["outcome"] == "exported"
    assert ids[4] in [record_id for record_id, _, _ in save_file.in_flight()]


def test_a_save_file_where_wal_cannot_be_set_is_used_with_a_warning(
    cli, account, receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's unix-none file system has no shared memory, like some network shares."""
    real_connect = sqlite3.connect
    path = SaveFile.path_for(account)

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(database) == path:
            return real_connect(f"file:{database}?vfs=unix-none", *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    savefile.take_notices()
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--json")
    assert run.status == 0
    assert "exportdesk: warning: The save file" in run.err
    assert "rollback journal" in run.err
