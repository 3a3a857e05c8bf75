"""The save file: records, the list's paging, sorting and filtering, flags, statuses, the
journal, two connections, and surviving restarts and a killed process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import paths
from app.core.marc import parse_record, summarize
from app.core.store.savefile import (
    NOT_EXPORTED,
    SCHEMA_VERSION,
    JournalEntry,
    RecordNotFound,
    RecordQuery,
    SaveFile,
    SaveFileError,
)
from tests.fixtures.records import bib_record

WORKTREE = Path(__file__).resolve().parents[3]


def add(save_file: SaveFile, control_number: str, title: str, **kwargs: object) -> int:
    raw = bib_record(control_number, title, **kwargs)  # type: ignore[arg-type]
    return save_file.add(raw, "iso2709", summarize(parse_record(raw)), source_file="t.mrc")


def test_one_file_per_account_in_the_data_folder_in_wal_mode(account: str) -> None:
    with SaveFile.for_account(account) as save_file:
        assert save_file.path == paths.data_dir() / "savefiles" / "100-123-456.sqlite"
        assert save_file.path.is_file()
        mode = save_file.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert save_file.schema_version == SCHEMA_VERSION


def test_a_record_keeps_its_bytes_and_list_columns(save_file: SaveFile) -> None:
    raw = bib_record("ocm123", "Brontë's title /", identifier="OCoLC", utf8=True)
    record_id = save_file.add(raw, "iso2709", summarize(parse_record(raw)), source_file="a.mrc")
    assert save_file.get_raw(record_id) == raw
    row = save_file.get(record_id)
    assert (row.control_number, row.oclc_number, row.number) == ("ocm123", "123", "123")
    assert (row.title, row.record_type, row.encoding) == ("Brontë's title", "bib", "UTF-8")
    assert (row.flagged, row.status, row.last_exported) == (False, None, None)
    assert (row.source_format, row.source_file) == ("iso2709", "a.mrc")
    assert row.duplicate_key == "ocolc:123"
    with pytest.raises(RecordNotFound, match="no record with id 999"):
        save_file.get_raw(999)


def test_replace_keeps_id_flag_and_history(save_file: SaveFile) -> None:
    record_id = add(save_file, "b1", "Old title")
    save_file.flag([record_id])
    save_file.record_outcome(record_id, "rejected", "Alma", host_reply="no")
    save_file.set_validation(record_id, "errors", "245 missing")
    new = bib_record("b1", "New title")
    save_file.replace(record_id, new, "iso2709", summarize(parse_record(new)))
    row = save_file.get(record_id)
    assert save_file.get_raw(record_id) == new
    assert (row.title, row.flagged, row.status) == ("New title", True, "rejected")
    assert row.validation_state is None
    assert len(save_file.journal(record_id)) == 1


def test_paging_sorting_and_filtering_happen_in_sql(save_file: SaveFile) -> None:
    ids = [
        add(save_file, "c1", "The zebra", oclc="30"),
        add(save_file, "c2", "Apple", oclc="4"),
        add(save_file, "c3", "mango ÉTÉ", oclc="200"),
        add(save_file, "c4", "Banana", kind="z"),
    ]
    assert save_file.count() == 4
    by_added = save_file.rows(RecordQuery(), 0, 2)
    assert [row.id for row in by_added] == ids[:2]
    titles = [row.title for row in save_file.rows(RecordQuery(sort="title"))]
    assert titles == ["Apple", "Banana", "mango ÉTÉ", "The zebra"]  # "The" files under Z
    numbers = [row.number for row in save_file.rows(RecordQuery(sort="number"))]
    assert numbers == ["4", "30", "200", "c4"]  # OCLC numbers in numeric order
    backwards = save_file.ids(RecordQuery(sort="number", descending=True), 1, 2)
    assert backwards == [ids[2], ids[0]]
    assert save_file.ids(RecordQuery(text="été")) == [ids[2]]
    assert save_file.ids(RecordQuery(text="C4")) == [ids[3]]
    assert save_file.count(RecordQuery(text="nothing")) == 0
    save_file.flag([ids[1], ids[3]])
    assert save_file.ids(RecordQuery(flagged_only=True)) == [ids[1], ids[3]]
    save_file.record_outcome(ids[3], "exported", "Koha")
    assert save_file.ids(RecordQuery(status="exported")) == [ids[3]]
    assert save_file.ids(RecordQuery(status=NOT_EXPORTED)) == ids[:3]
    query = RecordQuery(sort="title", descending=True)
    assert save_file.positions(query, [ids[1], ids[0], 999]) == {ids[0]: 0, ids[1]: 3}


def test_flags(save_file: SaveFile) -> None:
    ids = [add(save_file, f"f{n}", f"Title {n}") for n in range(5)]
    assert save_file.flag(ids[:3]) == 3
    assert save_file.flag(ids[:3]) == 0  # already flagged: nothing changed
    assert save_file.unflag([ids[0]]) == 1
    assert save_file.flagged_ids() == ids[1:3]
    assert save_file.flagged_count() == 2
    assert save_file.flag_all() == 3
    assert save_file.unflag_all() == 5
    assert save_file.flagged_ids() == []


def test_flags_by_list_position(save_file: SaveFile) -> None:
    ids = [add(save_file, f"p{n}", f"Title {9 - n}") for n in range(10)]
    by_title = RecordQuery(sort="title")  # the list upside down
    assert save_file.set_flagged_in_range(by_title, 2, 3, True) == 3
    assert save_file.flagged_ids() == ids[5:8]
    assert save_file.flagged_in_range(by_title, 0, 4) == 2
    assert save_file.flagged_in_range(by_title, 2, 3) == 3


def test_delete_keeps_the_journal_and_never_reuses_ids(save_file: SaveFile) -> None:
    first = add(save_file, "d1", "One")
    second = add(save_file, "d2", "Two")
    save_file.record_outcome(second, "exported", "Alma")
    assert save_file.delete([second, 12345]) == 1
    assert save_file.missing([first, second]) == [second]
    third = add(save_file, "d3", "Three")
    assert third > second
    [entry] = save_file.journal(second)
    assert (entry.control_number, entry.outcome) == ("d2", "exported")
    assert save_file.delete_all() == 2
    assert save_file.count() == 0


def test_export_outcomes_and_the_journal(save_file: SaveFile) -> None:
    record_id = add(save_file, "e1", "Exported later")
    save_file.flag([record_id])
    moment = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    save_file.record_outcome(
        record_id, "rejected", "Alma", host_reply="Record rejected", when=moment
    )
    row = save_file.get(record_id)
    assert (row.flagged, row.status, row.status_detail) == (True, "rejected", "Record rejected")
    assert row.last_exported is None
    later = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)
    save_file.record_outcome(record_id, "exported", "Alma", host_reply="OK", when=later)
    row = save_file.get(record_id)
    assert (row.flagged, row.status, row.last_exported) == (False, "exported", later)
    entries = save_file.journal(record_id)
    assert [e.outcome for e in entries] == ["exported", "rejected"]
    assert entries[1].time == moment and entries[1].host_reply == "Record rejected"
    assert entries[0].destination == "Alma"
    with pytest.raises(ValueError, match="unknown outcome"):
        save_file.journal_append(JournalEntry(record_id, "lost", "Alma"))  # type: ignore[arg-type]


def test_local_system_id(save_file: SaveFile) -> None:
    record_id = add(save_file, "l1", "Linked")
    save_file.set_local_system_id(record_id, "991234", "https://alma.example/991234")
    row = save_file.get(record_id)
    assert (row.local_system_id, row.local_system_url) == ("991234", "https://alma.example/991234")
    with pytest.raises(RecordNotFound):
        save_file.set_local_system_id(999, "1")


def test_flags_survive_a_restart(account: str) -> None:
    with SaveFile.for_account(account) as save_file:
        ids = [add(save_file, f"r{n}", f"Restart {n}") for n in range(3)]
        save_file.flag([ids[0], ids[2]])
    with SaveFile.for_account(account) as reopened:
        assert reopened.flagged_ids() == [ids[0], ids[2]]


def test_a_worker_connection_and_the_window_connection_work_together(save_file: SaveFile) -> None:
    add(save_file, "w0", "Before")
    version = save_file.data_version()
    errors: list[BaseException] = []
    flagged_during_import = threading.Event()

    def worker() -> None:
        try:
            with save_file.reopen() as own:
                for n in range(200):
                    add(own, f"w{n + 1}", f"Worker {n}")
                    if n == 100:
                        flagged_during_import.wait(5)
        except BaseException as error:  # reported below, on the test's thread
            errors.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    save_file.flag_all()  # the window writes while the worker writes
    flagged_during_import.set()
    thread.join()
    assert errors == []
    assert save_file.count() == 201
    assert save_file.data_version() != version


def test_a_save_file_from_a_newer_exportdesk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(SaveFileError, match="newer ExportDesk"):
        SaveFile(path)


def test_a_damaged_file_gives_a_message_and_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(SaveFileError, match="damaged") as caught:
        SaveFile(path)
    assert str(path) in caught.value.message
    assert path.read_bytes() == b"this is not a database at all" * 100


KILLED_IMPORT = """
import sys
from app.core.store.importer import ImportJob
from app.core.store.savefile import SaveFile
save_file = SaveFile(sys.argv[1])
ids = save_file.ids()
save_file.flag(ids[::2])
print("flagged", flush=True)
job = ImportJob(save_file, [sys.argv[2]], on_duplicate="keep", batch_size=50)
for progress in job.run():
    print("committed", save_file.count(), flush=True)
print("finished", flush=True)
"""


def test_a_process_killed_mid_import_leaves_a_sound_save_file(account: str, make_file) -> None:
    path = SaveFile.path_for(account)
    with SaveFile(path) as save_file:
        ids = [add(save_file, f"k{n}", f"Kept {n}") for n in range(10)]
    records = b"".join(bib_record(f"big{n}", f"Imported {n}") for n in range(20000))
    source = make_file("big.mrc", records)
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(path), str(source)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "flagged"
    committed = 0
    while committed < 1000:  # wait until a good part of the import is committed
        line = process.stdout.readline()
        assert line.startswith("committed"), line
        committed = int(line.split()[1])
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    with SaveFile(path) as reopened:
        assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert reopened.flagged_ids() == ids[::2]
        count = reopened.count()
        assert committed <= count < 20010  # every reported batch is there, not the whole file
        for record_id in reopened.ids(RecordQuery(), count - 5, 5):
            parse_record(reopened.get_raw(record_id))  # the last rows are whole records
