"""The save file's check before writing (SaveFile.check, ensure_writable) and recovery
(app.core.store.recovery) through the core API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.store.recovery import recover
from app.core.store.savefile import JournalEntry, SaveFile, SaveFileDamaged, SaveFileError
from app.core.store.schema import SCHEMA_VERSION
from tests.fixtures.damage import build_saved, damage_index, digest


def test_a_sound_file_passes_its_check_once_per_connection(account: str) -> None:
    saved = build_saved(account)
    with SaveFile(saved.path) as save_file:
        assert not save_file.checked
        save_file.flag([saved.plain])
        assert save_file.checked and not save_file.damaged
        assert save_file.check() == []
        with save_file.reopen() as other:  # another thread's connection: no second check
            assert other.checked


def test_a_damaged_file_is_found_and_refused_for_every_write(account: str) -> None:
    saved = build_saved(account)
    damage_index(saved.path)
    before = digest(saved.path)
    with SaveFile.for_account(account) as save_file:
        assert save_file.count() == len(saved.ids)  # reading goes on
        problems = save_file.check()
        assert problems and save_file.damaged
        writes = (
            lambda: save_file.flag([saved.plain]),
            lambda: save_file.set_local_system_id(saved.plain, "1"),
            lambda: save_file.journal_append(JournalEntry(saved.plain, "exported", "manual")),
            lambda: save_file.mark_in_flight([saved.plain], "TCP/IP", "sending"),
        )
        for write in writes:
            with pytest.raises(SaveFileDamaged) as refused:
                write()
            assert f"records recover --account {account}" in refused.value.message
            assert isinstance(refused.value, SaveFileError)
        with save_file.reopen() as other, pytest.raises(SaveFileDamaged):
            other.unflag_all()
    assert digest(saved.path) == before


def test_the_window_can_hand_over_a_check_made_elsewhere(account: str) -> None:
    saved = build_saved(account)
    with SaveFile(saved.path) as save_file:
        save_file.note_checked(["Page 9: btreeInitPage() returns error code 11"])
        with pytest.raises(SaveFileDamaged, match="Page 9"):
            save_file.flag_all()


def test_an_older_damaged_file_is_not_migrated(account: str, tmp_path: Path) -> None:
    saved = build_saved(account)
    damage_index(saved.path)
    conn = sqlite3.connect(saved.path)
    conn.execute("PRAGMA user_version=3")  # as an older ExportDesk left it (header only)
    conn.close()
    before = digest(saved.path)
    with pytest.raises(SaveFileDamaged):
        SaveFile(saved.path)
    assert digest(saved.path) == before


def test_a_file_claiming_a_version_without_its_tables_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "odd.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE records (id INTEGER PRIMARY KEY)")
    conn.execute("PRAGMA user_version=4")
    conn.close()
    with SaveFile(path) as save_file:
        assert any("missing" in problem for problem in save_file.check())
        with pytest.raises(SaveFileDamaged, match="missing"):
            save_file.flag_all()


def test_a_foreign_database_without_a_version_is_not_taken_for_a_save_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    before = digest(path)
    with pytest.raises(SaveFileDamaged, match="not an ExportDesk save file"):
        SaveFile(path)
    assert digest(path) == before


def test_recover_through_the_core_api(account: str) -> None:
    saved = build_saved(account)
    damage_index(saved.path)
    report = recover(saved.path, account=account)
    assert report.damaged and report.exit_status == 0
    assert report.records == len(saved.ids) and report.unconfirmed == [saved.in_flight]
    assert report.aside is not None and report.aside.exists()
    assert not Path(f"{saved.path}.recovering").exists()
    with SaveFile(saved.path) as recovered:
        assert recovered.get(saved.in_flight).status == "unconfirmed"
        assert recovered.get(saved.in_flight).flagged
    # A second run finds nothing to do.
    again = recover(saved.path, account=account)
    assert not again.damaged and again.aside is None


def test_recovering_a_damaged_file_of_a_newer_exportdesk_is_left_to_that_exportdesk(
    account: str,
) -> None:
    # Copying its rows into this version's tables could drop what the newer one keeps.
    saved = build_saved(account)
    damage_index(saved.path)
    conn = sqlite3.connect(saved.path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    before = digest(saved.path)
    with pytest.raises(SaveFileError, match="written by a newer ExportDesk") as raised:
        recover(saved.path, account=account)
    assert f"format {SCHEMA_VERSION + 1}" in str(raised.value)
    assert digest(saved.path) == before
    assert sorted(
        p.name for p in saved.path.parent.iterdir() if p.name.startswith(saved.path.name)
    ) == [saved.path.name]  # nothing set aside, nothing half recovered
