"""A record's history (app/core/store/history.py): a revision after each kind of change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.marc import parse_record, summarize
from app.core.marc.mrk import record_text, text_to_record
from app.core.marc.reading import read_records
from app.core.marc.readresults import RecordRead
from app.core.store import savefile
from app.core.store.history import (
    RecordInExport,
    changed_since_export,
    revert,
    revision_raw,
    revisions,
    save_record,
)
from app.core.store.importer import ImportJob, import_files
from app.core.store.savefile import SaveFile
from app.core.store.templates import Template, apply_template
from tests.fixtures.exporting import add_records, valid_bib


def sources(save_file: SaveFile, record_id: int) -> list[tuple[int, str, bool]]:
    return [(r.revision, r.source, r.current) for r in revisions(save_file, record_id)]


def edited(raw: bytes, old: str, new: str) -> bytes:
    return text_to_record(record_text(raw).replace(old, new), raw).raw


def test_an_imported_record_has_one_revision_without_any_row(
    save_file: SaveFile, test_data: Path
) -> None:
    result = import_files(save_file, [test_data / "pymarc-test.dat"])
    record_id = result.record_ids[0]
    assert sources(save_file, record_id) == [(1, "import", True)]
    assert save_file.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0
    assert revision_raw(save_file, record_id, 1) == save_file.get_raw(record_id)


def test_each_kind_of_change_adds_a_revision_and_keeps_the_one_before(
    save_file: SaveFile, test_data: Path
) -> None:
    path = test_data / "pymarc-test.dat"
    first = import_files(save_file, [path]).record_ids[0]
    imported = save_file.get_raw(first)
    save_file.flag([first])
    # The editor.
    by_editor = edited(imported, "$aPerl", "$aPerl!")
    assert save_record(save_file, first, by_editor, "editor")
    # A template.
    template = Template.from_text("local", "=590  \\\\$aLocal copy.\n")
    assert apply_template(save_file, [first], template).changed == [first]
    by_template = save_file.get_raw(first)
    # An import replacing it.
    assert import_files(save_file, [path], on_duplicate="replace").replaced >= 1
    # A revert to the editor's version.
    assert revert(save_file, first, 2)
    assert sources(save_file, first) == [
        (1, "import", False),
        (2, "editor", False),
        (3, "template", False),
        (4, "import", False),
        (5, "revert", True),
    ]
    assert revision_raw(save_file, first, 1) == imported
    assert revision_raw(save_file, first, 2) == by_editor
    assert revision_raw(save_file, first, 3) == by_template
    assert revision_raw(save_file, first, 4) == imported
    assert save_file.get_raw(first) == by_editor == revision_raw(save_file, first, 5)
    row = save_file.get(first)
    assert row.flagged and row.validation_state is None  # the flag stays; the state went
    assert row.source_format == "iso2709"
    # Nothing changed: no revision.
    assert not save_record(save_file, first, by_editor, "editor")
    assert not revert(save_file, first, 5)
    assert len(revisions(save_file, first)) == 5


def test_a_retrieved_record_says_so_in_its_history(save_file: SaveFile, test_data: Path) -> None:
    item = next(i for i in read_records(test_data / "pymarc-utf8.dat") if isinstance(i, RecordRead))
    retrieved = RecordRead(item.raw, item.parsed, "iso2709", "target 'LoC' (SRU)", 1, 0)
    job = ImportJob(save_file, [], on_duplicate="replace")
    record_id = job.add_record(retrieved)
    assert record_id is not None
    assert sources(save_file, record_id) == [(1, "retrieve", True)]
    changed = text_to_record(record_text(item.raw) + "=590  \\\\$aAgain\n", item.raw).raw
    again = RecordRead(changed, parse_record(changed), "iso2709", "target 'LoC' (SRU)", 1, 0)
    assert job.add_record(again) == record_id
    assert sources(save_file, record_id) == [(1, "retrieve", False), (2, "retrieve", True)]


def test_a_save_waits_while_an_export_sends_the_record(save_file: SaveFile) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    new = edited(valid_bib(1), "Record number 1", "Record number one")
    save_file.mark_in_flight([record_id], "TCP/IP test", "sending")
    with pytest.raises(RecordInExport, match="being exported"):
        save_record(save_file, record_id, new, "editor", wait=0.1)
    assert save_file.get_raw(record_id) == valid_bib(1)
    save_file.record_outcome(record_id, "exported", "TCP/IP test")
    assert save_record(save_file, record_id, new, "editor", wait=0)


def test_a_record_exported_before_shows_that_it_changed_since(save_file: SaveFile) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    assert not changed_since_export(save_file, record_id)
    save_file.record_outcome(record_id, "exported", "file x")
    assert not changed_since_export(save_file, record_id)
    save_record(save_file, record_id, edited(valid_bib(1), "number 1", "number 2"), "editor")
    assert changed_since_export(save_file, record_id)
    save_file.record_outcome(record_id, "exported", "file x")
    assert not changed_since_export(save_file, record_id)


def test_deleting_a_record_deletes_its_history(save_file: SaveFile) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    save_record(save_file, record_id, edited(valid_bib(1), "number 1", "number 2"), "editor")
    save_file.delete([record_id])
    assert save_file.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0


def test_a_version_3_save_file_gains_history_and_templates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in savefile.MIGRATIONS[:3]:
        step(conn)
    conn.execute("PRAGMA user_version=3")
    conn.close()
    with SaveFile(path) as opened:
        assert opened.schema_version == savefile.SCHEMA_VERSION == 4
        record_id = opened.add(valid_bib(1), "iso2709", summarize(parse_record(valid_bib(1))))
        assert sources(opened, record_id) == [(1, "import", True)]
        assert opened.conn.execute("SELECT count(*) FROM templates").fetchone()[0] == 0


def test_an_unknown_revision_is_a_message(save_file: SaveFile) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    with pytest.raises(Exception, match="has no revision 3; it has revisions 1 to 1"):
        revision_raw(save_file, record_id, 3)
