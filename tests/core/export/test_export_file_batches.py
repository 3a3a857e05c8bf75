"""A file export reads records and marks them in flight a batch at a time (issue 16), and the
run's part file becomes a new export file without being copied: what the save file and the
folder hold at each step is what they held when this was done a record at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import ExportDeskError
from app.core.export import run as export_run
from app.core.export.run import RecordOutcome, RecordStarted, plan_export, run_export
from app.core.marc.encode import document_footer, document_header
from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, add_records, data_field, valid_bib


def file_plan(tmp_path: Path, fmt: str = "marc", file_type: str = "individual"):  # type: ignore[no-untyped-def]
    settings = AccountSettings(ACCOUNT).saved_default()
    settings.set_value("file_name", str(tmp_path / f"out{'.xml' if fmt == 'marcxml' else '.mrc'}"))
    settings.set_value("file_type", file_type)
    return plan_export(settings, fmt=fmt)


def test_records_are_marked_writing_a_batch_ahead(save_file: SaveFile, flagged, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = flagged(5)
    events = run_export(save_file, file_plan(tmp_path), ids)
    for event in events:
        if isinstance(event, RecordStarted) and event.index == 2:
            break
    # Records 1 and 2 were written to the part file; the batch marked them and those after.
    marked = {record_id: stage for record_id, _, stage in save_file.in_flight()}
    assert marked == dict.fromkeys(ids, "writing")
    events.close()  # the consumer stops: the records never written lose their mark
    assert [record_id for record_id, _, _ in save_file.in_flight()] == ids[:2]
    assert not list(tmp_path.glob("out*.mrc"))  # nothing was published
    # The next run settles them as a killed run's: not exported, still flagged.
    recovered = {entry.record_id: entry.outcome for entry in save_file.recover_interrupted()}
    assert recovered == dict.fromkeys(ids[:2], "cancelled")
    assert sorted(save_file.flagged_ids()) == ids


def test_a_finished_file_export_leaves_nothing_in_flight(save_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    raws = [valid_bib(n) for n in range(1, 8)]
    # 245 twice: invalid at level full, and its mark goes too.
    raws[3] = valid_bib(4, data_field("245", "1", "0", "a", "Second title"))
    ids = add_records(save_file, raws)
    results = [
        e for e in run_export(save_file, file_plan(tmp_path), ids) if isinstance(e, RecordOutcome)
    ]
    assert [r.outcome for r in results].count("invalid") == 1
    assert [r.outcome for r in results].count("exported") == 6
    assert save_file.in_flight() == []


def test_records_are_read_a_chunk_at_a_time(save_file, flagged, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = flagged(7)
    monkeypatch.setattr(export_run, "READ_AHEAD", 3)
    chunks: list[list[int]] = []
    stored_records = SaveFile.stored_records

    def spy(self, record_ids, chunk_size=100):  # type: ignore[no-untyped-def]
        chunks.append(list(record_ids))
        return stored_records(self, record_ids, chunk_size)

    monkeypatch.setattr(SaveFile, "stored_records", spy)
    results = [
        e for e in run_export(save_file, file_plan(tmp_path), ids) if isinstance(e, RecordOutcome)
    ]
    assert [r.outcome for r in results] == ["exported"] * 7
    assert chunks == [ids[0:3], ids[3:6], ids[6:7]]
    assert [r.title for r in results] == [save_file.get(i).title for i in ids]


def test_a_chunk_that_cannot_be_read_is_read_record_by_record(
    save_file, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ids = add_records(save_file, [valid_bib(n) for n in range(1, 5)])
    save_file.delete([ids[1]])  # gone from the save file: invalid, with the reason

    def broken(self, record_ids, chunk_size=100):  # type: ignore[no-untyped-def]
        raise ExportDeskError("the save file could not be read")

    monkeypatch.setattr(SaveFile, "stored_records", broken)
    results = [
        e for e in run_export(save_file, file_plan(tmp_path), ids) if isinstance(e, RecordOutcome)
    ]
    by_id = {r.record_id: r for r in results}
    assert [by_id[i].outcome for i in ids] == ["exported", "invalid", "exported", "exported"]
    assert "no record with id" in (by_id[ids[1]].detail or "")


@pytest.mark.parametrize("fmt", ["marc", "marcxml"])
@pytest.mark.parametrize("file_type", ["individual", "cumulative"])
def test_a_new_export_file_is_the_part_file_itself(
    save_file, flagged, tmp_path, fmt, file_type
) -> None:  # type: ignore[no-untyped-def]
    ids = flagged(3)
    results = [
        e
        for e in run_export(save_file, file_plan(tmp_path, fmt, file_type), ids)
        if isinstance(e, RecordOutcome)
    ]
    assert [r.outcome for r in results] == ["exported"] * 3
    target = tmp_path / ("out.xml" if fmt == "marcxml" else "out.mrc")
    data = target.read_bytes()
    assert data.startswith(document_header(fmt))
    assert data.endswith(document_footer(fmt))
    assert data.count(b"<record " if fmt == "marcxml" else b"\x1d") == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    # Added to: the old file's records, then the new ones, one document.
    flagged_again = flagged(2)
    list(run_export(save_file, file_plan(tmp_path, fmt, file_type), flagged_again))
    if file_type == "cumulative":
        data = target.read_bytes()
        assert data.startswith(document_header(fmt))
        assert data.count(document_header(fmt)) == 1 or not document_header(fmt)
        assert data.count(b"<record " if fmt == "marcxml" else b"\x1d") == 5
    else:
        numbered = target.with_name(f"{target.stem}-1{target.suffix}")
        assert numbered.read_bytes().count(b"<record " if fmt == "marcxml" else b"\x1d") == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
