"""A damaged save file (issue 11, point 3): every command that writes refuses it with a
message saying what to do and leaves its bytes as they were; ``exportdesk records recover``
copies every readable record, with its flag, status, local system id and journal, into a new
save file, keeps the damaged one aside, and no recovered record is sent again by a plain
export."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pymarc import Record

from app.core.marc import parse_record, summarize
from app.core.store.savefile import SaveFile
from tests.fixtures.damage import (
    Saved,
    build_saved,
    damage_index,
    damage_records_page,
    digest,
)
from tests.fixtures.exporting import ACCOUNT, add_records, tcpip_settings, valid_bib

RECOVER = ("records", "recover", "--account", ACCOUNT)


@pytest.fixture
def saved(account: str) -> Saved:
    return build_saved(account)


@pytest.fixture
def index_damaged(saved: Saved) -> Saved:
    """quick_check fails; every record is still readable."""
    damage_index(saved.path)
    return saved


def asides(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".damaged-*"))


WRITES = [
    ("records", "flag", "--account", ACCOUNT, "--all"),
    ("records", "unflag", "--account", ACCOUNT, "1"),
    ("records", "delete", "--account", ACCOUNT, "1"),
    ("records", "mark-exported", "--account", ACCOUNT, "1"),
    ("records", "validate", "--account", ACCOUNT, "--all"),
]


@pytest.mark.parametrize("command", WRITES, ids=lambda c: " ".join(c[:2]))
def test_a_write_to_a_damaged_save_file_is_refused_and_changes_no_byte(
    cli, index_damaged: Saved, command: tuple[str, ...]
) -> None:
    before = digest(index_damaged.path)
    run = cli(*command)
    assert run.status == 2, run.err
    assert "is damaged" in run.err
    assert f"exportdesk records recover --account {ACCOUNT}" in run.err
    assert str(index_damaged.path) in run.err
    assert "Traceback" not in run.err
    assert digest(index_damaged.path) == before


def test_an_export_is_refused_before_anything_is_sent(cli, index_damaged: Saved, receiver) -> None:
    tcpip_settings(receiver)
    before = digest(index_damaged.path)
    run = cli("export", "--account", ACCOUNT, "--include-unconfirmed")
    assert run.status == 2, run.err
    assert f"exportdesk records recover --account {ACCOUNT}" in run.err
    assert "Traceback" not in run.err
    assert list(receiver.record_files()) == []
    assert digest(index_damaged.path) == before


def test_import_and_edit_are_refused_too(cli, index_damaged: Saved, tmp_path: Path) -> None:
    before = digest(index_damaged.path)
    marc_file = tmp_path / "new.mrc"
    marc_file.write_bytes(valid_bib(99))
    run = cli("import", "--account", ACCOUNT, str(marc_file))
    assert run.status == 2 and "records recover" in run.err, run.err
    mrk = tmp_path / "record.mrk"
    shown = cli("records", "show", "--account", ACCOUNT, "--format", "mrk", "1")
    assert shown.status == 0, shown.err
    mrk.write_text(shown.out.replace("Record number 1", "Record number one"), encoding="utf-8")
    run = cli("records", "edit", "--account", ACCOUNT, "1", "--from", str(mrk))
    assert run.status == 2 and "records recover" in run.err, run.err
    assert digest(index_damaged.path) == before


def test_reading_commands_still_read_what_they_can(cli, index_damaged: Saved) -> None:
    run = cli("records", "list", "--account", ACCOUNT, "--json")
    assert run.status == 0, run.err
    assert len(json.loads(run.out)) == len(index_damaged.ids)


def test_recover_brings_back_every_record_with_its_state(cli, index_damaged: Saved) -> None:
    saved = index_damaged
    with SaveFile(saved.path) as before_file:
        journal_before = [
            (e.id, e.record_id, e.outcome, e.destination) for e in before_file.journal(limit=None)
        ]
    damaged_bytes = saved.path.read_bytes()

    run = cli(*RECOVER, "--json")

    assert run.status == 0, run.err
    report = json.loads(run.out)
    assert report["damaged"] is True
    assert report["records"] == len(saved.ids) and report["records_lost"] == 0
    assert report["made_unconfirmed"] == [saved.in_flight]
    (aside,) = asides(saved.path)
    assert report["kept_aside"] == str(aside)
    assert aside.read_bytes() == damaged_bytes  # kept, never written

    with SaveFile(saved.path) as recovered:
        assert recovered.check() == []
        assert recovered.in_flight() == []
        rows = {row.id: row for row in recovered.rows()}
        assert sorted(rows) == saved.ids
        assert {i for i, row in rows.items() if row.flagged} == {
            saved.flagged,
            saved.unconfirmed,
            saved.in_flight,
        }
        assert rows[saved.unconfirmed].status == "unconfirmed"
        assert rows[saved.in_flight].status == "unconfirmed"
        assert "damaged" in (rows[saved.in_flight].status_detail or "")
        assert rows[saved.exported].status == "exported"
        assert rows[saved.exported].local_system_id == "991234"
        assert rows[saved.exported].local_system_url == "https://ils.example/991234"
        assert rows[saved.exported].last_exported is not None
        assert rows[saved.plain].status == "rejected"
        assert recovered.get_raw(saved.flagged) == valid_bib(1)
        journal = [
            (e.id, e.record_id, e.outcome, e.destination) for e in recovered.journal(limit=None)
        ]
        # The old journal, row by row, and one entry saying why the in-flight one is unconfirmed.
        assert journal[1:] == journal_before
        assert journal[0][1:] == (saved.in_flight, "unconfirmed", "TCP/IP")
        # Ids are never reused: a new record comes after every old one.
        raw = valid_bib(50)
        new_id = recovered.add(raw, "iso2709", summarize(parse_record(raw)))
        assert new_id > max(saved.ids)


def test_after_recovery_a_plain_export_never_sends_an_unconfirmed_record_again(
    cli, index_damaged: Saved, receiver
) -> None:
    saved = index_damaged
    assert cli(*RECOVER).status == 0
    tcpip_settings(receiver)

    run = cli("export", "--account", ACCOUNT, "--json")

    assert run.status == 1, run.err  # some were left out
    lines = [json.loads(line) for line in run.out.splitlines()]
    sent = [line["id"] for line in lines if "id" in line]
    assert sent == [saved.flagged]
    assert lines[-1]["summary"]["unconfirmed_left_out"] == 2
    at_host = [Record(data=p.read_bytes())["001"].data for p in receiver.record_files()]
    assert at_host == ["ed000001"]


def test_recover_with_a_records_page_lost_keeps_what_it_can(cli, saved: Saved) -> None:
    with SaveFile(saved.path) as save_file:
        raws = [valid_bib(n) for n in range(100, 400)]
        add_records(save_file, raws, flag=False)
        total = save_file.count()
    lost_rows = damage_records_page(saved.path)
    assert lost_rows and not set(lost_rows) & {saved.unconfirmed, saved.in_flight}
    before = digest(saved.path)
    assert cli("records", "flag", "--account", ACCOUNT, "--all").status == 2
    assert digest(saved.path) == before

    run = cli(*RECOVER, "--json")

    assert run.status == 1, run.err  # rows were lost
    report = json.loads(run.out)
    assert report["rows_lost"]["records"] >= 1
    # Their bytes were readable: rebuilt, as unconfirmed, so never sent without the choice.
    assert report["records"] == total and report["records_lost"] == 0
    with SaveFile(saved.path) as recovered:
        assert recovered.check() == []
        for record_id in lost_rows:
            row = recovered.get(record_id)
            assert row.status == "unconfirmed" and not row.flagged
            assert recovered.journal(record_id)[0].outcome == "unconfirmed"
        assert recovered.get(saved.unconfirmed).status == "unconfirmed"
        assert recovered.get(saved.exported).local_system_id == "991234"
    assert len(asides(saved.path)) == 1


def test_recover_says_so_when_the_file_is_not_damaged(cli, saved: Saved) -> None:
    before = digest(saved.path)
    run = cli(*RECOVER)
    assert run.status == 0
    assert "nothing to recover" in run.out
    assert digest(saved.path) == before and asides(saved.path) == []


def test_a_file_that_is_not_a_database_is_refused_and_recover_reads_nothing(
    cli, account: str
) -> None:
    path = SaveFile.path_for(account)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database, whatever it says " * 200)
    before = digest(path)

    flag = cli("records", "flag", "--account", ACCOUNT, "--all")
    assert flag.status == 2 and "records recover" in flag.err, flag.err

    run = cli(*RECOVER)
    assert run.status == 2
    assert "nothing could be read" in run.err and "Traceback" not in run.err
    assert digest(path) == before and asides(path) == []


def test_recover_for_an_unknown_account_or_no_save_file_is_a_usage_error(cli, account: str) -> None:
    run = cli("records", "recover", "--account", "999-999-999")
    assert run.status == 2
    run = cli(*RECOVER)  # known, but no save file yet
    assert run.status == 2 and "no save file" in run.err


def test_a_save_file_with_an_odd_version_gets_a_clear_message(cli, account: str) -> None:
    path = SaveFile.path_for(account)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=-3")
    conn.close()
    run = cli("records", "list", "--account", ACCOUNT)
    assert run.status == 2
    assert "format number -3" in run.err and "Traceback" not in run.err
