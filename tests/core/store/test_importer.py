"""Importing files into a save file: counts, errors, duplicates, progress and cancel."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from app.core.marc import parse_record
from app.core.store.importer import (
    DuplicateDecision,
    DuplicateQuestion,
    ImportJob,
    import_files,
)
from app.core.store.savefile import RecordQuery, SaveFile
from tests.fixtures.records import bib_record


def test_every_format_imports(save_file: SaveFile, test_data: Path) -> None:
    files = [
        test_data / "pymarc-test.dat",
        test_data / "pymarc-batch.xml",
        test_data / "sample.mrk",
        test_data / "sample-no-namespace.xml",
    ]
    result = import_files(save_file, files)
    assert (result.imported, result.skipped) == (10 + 2 + 3 + 1, 0)
    assert [(e.file, e.record) for e in result.errors] == [(str(test_data / "sample.mrk"), 3)]
    assert [w.reason for w in result.warnings] == ["line 17: the mnemonic {copy} was kept as text"]
    assert save_file.count() == 16
    formats = {save_file.get(i).source_format for i in result.record_ids}
    assert formats == {"iso2709", "marcxml", "mnemonic"}
    kept = b"".join(save_file.get_raw(i) for i in result.record_ids[:10])
    assert kept == (test_data / "pymarc-test.dat").read_bytes()  # ISO 2709 bytes as they came


def test_broken_records_are_reported_and_do_not_stop_the_import(
    save_file: SaveFile, test_data: Path
) -> None:
    bad = test_data / "pymarc-bad-records.mrc"
    result = import_files(save_file, [bad, test_data / "pymarc-marc8.dat"])
    assert result.imported == 3  # two from the broken file, then the next file
    assert [(e.file, e.record) for e in result.errors] == [
        (str(bad), n) for n in (2, 3, 4, 5, 6, 7, 9)
    ]
    assert all(e.offset > 0 and e.reason for e in result.errors)
    assert save_file.count() == 3
    assert save_file.get(result.record_ids[-1]).encoding == "MARC-8"


def test_a_missing_file_is_an_error_and_the_others_import(
    save_file: SaveFile, test_data: Path, tmp_path: Path
) -> None:
    result = import_files(save_file, [tmp_path / "nowhere.mrc", test_data / "pymarc-utf8.dat"])
    assert result.imported == 1
    assert [(e.record, e.reason) for e in result.errors] == [(0, "the file does not exist")]


def two_versions(make_file) -> tuple[Path, Path]:
    first = make_file(
        "first.mrc",
        bib_record("ocm1", "Old one", identifier="OCoLC")
        + bib_record("loc-2", "Old two", identifier="DLC")
        + bib_record("loc-3", "Three", identifier="DLC")
        + bib_record("nokey", "No 001 match"),
    )
    second = make_file(
        "second.mrc",
        # the same OCLC number, in 035 this time, and the same 003 + 001
        bib_record("local-9", "New one", identifier="XyZ", oclc="ocm00000001")
        + bib_record("loc-2", "New two", identifier="DLC")
        # same 001 but another 003: not the same record
        + bib_record("loc-3", "Other three", identifier="CaOONL"),
    )
    return first, second


@pytest.mark.parametrize(
    ("policy", "imported", "skipped", "count", "titles"),
    [
        ("skip", 1, 2, 5, {"Old one", "Old two", "Three", "No 001 match", "Other three"}),
        ("keep", 3, 0, 7, {"Old one", "Old two", "New one", "New two", "Other three"}),
        ("replace", 3, 0, 5, {"New one", "New two", "Three", "No 001 match", "Other three"}),
    ],
)
def test_duplicates(
    save_file: SaveFile,
    make_file,
    policy: str,
    imported: int,
    skipped: int,
    count: int,
    titles: set[str],
) -> None:
    first, second = two_versions(make_file)
    import_files(save_file, [first])
    save_file.flag_all()
    result = import_files(save_file, [second], on_duplicate=policy)  # type: ignore[arg-type]
    assert (result.imported, result.skipped) == (imported, skipped)
    assert save_file.count() == count
    assert titles <= {row.title for row in save_file.rows()}
    if policy == "replace":
        assert result.replaced == 2
        assert save_file.flagged_count() == 4  # replaced records keep their flags


def test_the_window_is_asked_and_apply_to_all_is_remembered(save_file: SaveFile, make_file) -> None:
    first, second = two_versions(make_file)
    import_files(save_file, [first])
    questions: list[DuplicateQuestion] = []

    def ask(question: DuplicateQuestion) -> DuplicateDecision:
        questions.append(question)
        # Meanwhile the window's own connection can write: the import committed first.
        save_file.flag_all()
        return DuplicateDecision("replace", apply_to_all=True)

    with save_file.reopen() as worker_connection:
        result = import_files(worker_connection, [second], on_duplicate=ask)
    assert len(questions) == 1
    question = questions[0]
    assert (question.file, question.record) == (str(second), 1)
    assert question.new.title == "New one" and question.existing.title == "Old one"
    assert result.replaced == 2


def test_progress_and_batches_committed_as_it_goes(save_file: SaveFile, make_file) -> None:
    source = make_file("many.mrc", b"".join(bib_record(f"p{n}", f"T {n}") for n in range(250)))
    seen_by_window: list[int] = []
    with save_file.reopen() as worker_connection:
        job = ImportJob(worker_connection, [source], batch_size=100)
        progress = []
        for step in job.run():
            progress.append(step)
            seen_by_window.append(save_file.count())
    assert progress[-1].done and progress[-1].fraction == 1.0
    assert progress[-1].imported == 250
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)
    # Another connection sees each batch as it is committed: at most batch_size records at a
    # time (a slow moment commits sooner), so at least two counts between none and all.
    assert seen_by_window == sorted(seen_by_window)
    assert all(later - earlier <= 100 for earlier, later in itertools.pairwise(seen_by_window))
    assert len({count for count in seen_by_window if 0 < count < 250}) >= 2


def test_cancel_keeps_what_was_committed(save_file: SaveFile, make_file) -> None:
    source = make_file("many.mrc", b"".join(bib_record(f"c{n}", f"T {n}") for n in range(500)))
    cancel = threading.Event()
    job = ImportJob(save_file, [source, source], cancel=cancel, batch_size=100)
    for progress in job.run():
        if progress.imported >= 100:
            cancel.set()
    assert job.result.cancelled
    assert job.result.imported == save_file.count() < 1000
    for record_id in save_file.ids(RecordQuery()):
        parse_record(save_file.get_raw(record_id))


def test_corpus_imports_with_every_error_reported(save_file: SaveFile, corpus: Path) -> None:
    files = sorted(p for p in corpus.rglob("*") if p.suffix not in (".json", ".md") and p.is_file())
    result = import_files(save_file, files, on_duplicate="keep")
    assert result.imported == save_file.count() > 1400
    assert len(result.errors) > 20
    assert {Path(e.file).name for e in result.errors} >= {"bad_records.mrc", "garbage.mrc"}
