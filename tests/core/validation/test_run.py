"""Validating save-file records: states stored with level and messages, account levels per
record type, progress per record, cancel, records read in chunks, and the list's filter."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import app.core.validation.run as run_module
from app.core.errors import UsageError
from app.core.store.savefile import NOT_VALIDATED, RecordQuery, SaveFile, StoredValidation
from app.core.validation.run import AccountLevels, ValidationRun, validate_saved
from app.core.validation.stored import messages_from_detail
from tests.fixtures.validation import (
    authority_record,
    error_record,
    valid_record,
    warning_record,
)


def test_each_record_gets_its_state_level_and_messages(save_file: SaveFile, saved_records):
    ids = saved_records(valid_record("v1"), warning_record("w1"), error_record("e1"))
    run = ValidationRun(save_file, ids, level="full")
    outcomes = list(run.run())
    assert [o.state for o in outcomes] == ["valid", "warnings", "errors"]
    assert [(o.position, o.total) for o in outcomes] == [(1, 3), (2, 3), (3, 3)]
    assert outcomes[2].title == "Record with errors" and outcomes[2].number == "e1"
    rows = [save_file.get(i) for i in ids]
    assert [r.validation_state for r in rows] == ["valid", "warnings", "errors"]
    assert {r.validation_level for r in rows} == {"full"}
    assert all(r.validated_at is not None for r in rows)
    stored = messages_from_detail(rows[2].validation_detail)
    assert stored == list(outcomes[2].messages)
    assert [(m.tag, m.where, m.severity) for m in stored] == [
        ("245", "ind1", "error"),
        ("249", None, "error"),
    ]
    assert messages_from_detail(rows[0].validation_detail) == []
    assert run.summary.describe() == (
        "Validated 3 records at Full: 1 with errors, 1 with warnings only, 1 valid."
    )


def test_account_levels_apply_per_record_type(save_file: SaveFile, saved_records):
    bib, auth = saved_records(error_record("e1"), authority_record("a1"))
    save_file.set_validation(auth, "errors", "[]", level="full")
    levels = AccountLevels(bibliographic="structure", authority="none")
    outcomes = list(ValidationRun(save_file, [bib, auth], account_levels=levels).run())
    # At Structure the unknown tag and indicator are not looked at.
    assert (outcomes[0].level, outcomes[0].state) == ("structure", "valid")
    assert (outcomes[1].level, outcomes[1].state) == ("none", None)
    assert "validation level for authority records is None" in (outcomes[1].skipped or "")
    assert save_file.get(auth).validation_state == "errors"  # left as it was
    summary = validate_saved(save_file, [bib, auth], account_levels=AccountLevels("full", "basic"))
    assert (summary.errors, summary.skipped) == (2, 0)
    assert save_file.get(auth).validation_level == "basic"


def test_the_account_levels_come_from_the_settings() -> None:
    levels = AccountLevels.from_options({"validate_bib": "basic", "validate_auth": "full"})
    assert (levels.for_type("bib"), levels.for_type("auth"), levels.for_type("holdings")) == (
        "basic",
        "full",
        "basic",
    )
    assert AccountLevels().describe() == "Bibliographic: Full, Authority: None"


def test_a_chosen_level_overrides_the_account(save_file: SaveFile, saved_records):
    (auth,) = saved_records(authority_record("a1"))
    (outcome,) = ValidationRun(
        save_file, [auth], level="basic", account_levels=AccountLevels("none", "none")
    ).run()
    assert (outcome.level, outcome.state) == ("basic", "errors")
    with pytest.raises(UsageError, match="Unknown validation level 'strict'"):
        ValidationRun(save_file, [auth], level="strict")


def test_a_record_deleted_meanwhile_is_reported_not_failed(save_file: SaveFile, saved_records):
    first, second = saved_records(valid_record("v1"), valid_record("v2"))
    save_file.delete([second])
    run = ValidationRun(save_file, [first, second, 999], level="full")
    outcomes = list(run.run())
    assert [o.state for o in outcomes] == ["valid", None, None]
    assert outcomes[1].skipped == "This record is no longer in the save file."
    assert run.summary.missing == 2
    assert "2 no longer in the save file" in run.summary.describe()


def test_cancel_stops_after_the_current_record_and_keeps_what_was_done(
    save_file: SaveFile, saved_records, monkeypatch: pytest.MonkeyPatch
):
    ids = saved_records(*(valid_record(f"v{n}") for n in range(10)))
    cancel = threading.Event()
    real = run_module.validate_record
    calls = []

    def validate_then_cancel(raw: bytes, level: str):
        calls.append(level)
        if len(calls) == 3:  # the window's Cancel, pressed while the third record is checked
            cancel.set()
        return real(raw, level)

    monkeypatch.setattr(run_module, "validate_record", validate_then_cancel)
    run = ValidationRun(save_file, ids, level="full", cancel=cancel)
    seen = [outcome.record_id for outcome in run.run()]
    assert seen == ids[:3] and len(calls) == 3
    assert run.summary.cancelled
    states = [save_file.get(i).validation_state for i in ids]
    assert states == ["valid"] * 3 + [None] * 7
    assert run.summary.describe() == (
        "Validation cancelled after 3 of 10. Validated 3 records at Full: 3 valid."
    )


def test_progress_is_per_record_and_each_yielded_state_is_already_committed(
    save_file: SaveFile, saved_records, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(run_module, "FLUSH_RECORDS", 4)
    ids = saved_records(*(warning_record(f"w{n}") for n in range(10)))
    with save_file.reopen() as other:  # another connection sees only committed data
        for outcome in ValidationRun(save_file, ids, level="full").run():
            assert other.get(outcome.record_id).validation_state == "warnings"
            assert outcome.fraction == outcome.position / 10
    assert outcome.position == 10


def test_records_are_read_in_chunks_never_all_at_once(
    save_file: SaveFile, saved_records, monkeypatch: pytest.MonkeyPatch
):
    ids = saved_records(*(valid_record(f"v{n}") for n in range(250)))
    chunks: list[int] = []
    real = SaveFile._stored_chunk

    def spy(self: SaveFile, chunk):
        chunks.append(len(chunk))
        return real(self, chunk)

    monkeypatch.setattr(SaveFile, "_stored_chunk", spy)
    assert validate_saved(save_file, ids, level="structure").valid == 250
    assert chunks == [100, 100, 50]


def test_stopping_early_still_stores_what_was_validated(save_file: SaveFile, saved_records):
    ids = saved_records(*(error_record(f"e{n}") for n in range(5)))
    outcomes = ValidationRun(save_file, ids, level="full").run()
    next(outcomes)
    outcomes.close()
    assert save_file.get(ids[0]).validation_state == "errors"


def test_the_list_filters_and_sorts_by_state(save_file: SaveFile, saved_records):
    ids = saved_records(
        error_record("e1"), valid_record("v1"), warning_record("w1"), valid_record("n1")
    )
    validate_saved(save_file, ids[:3], level="full")
    assert save_file.ids(RecordQuery(validation="errors")) == [ids[0]]
    assert save_file.ids(RecordQuery(validation="valid")) == [ids[1]]
    assert save_file.ids(RecordQuery(validation=NOT_VALIDATED)) == [ids[3]]
    assert save_file.ids(RecordQuery(sort="validation")) == [ids[3], ids[1], ids[2], ids[0]]
    assert save_file.ids(RecordQuery(sort="validation", descending=True))[0] == ids[0]
    assert save_file.validation_counts() == {
        "valid": 1,
        "warnings": 1,
        "errors": 1,
        NOT_VALIDATED: 1,
    }
    plan = save_file.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM records WHERE "
        + save_file._where(RecordQuery(validation="errors"))[0].removeprefix(" WHERE "),
        [3],
    ).fetchall()
    assert "records_validation" in str(plan)


def test_a_new_copy_of_a_record_clears_its_state(save_file: SaveFile, saved_records):
    from app.core.marc import parse_record, summarize

    (record_id,) = saved_records(error_record("e1"))
    validate_saved(save_file, [record_id], level="full")
    fixed = valid_record("e1")
    save_file.replace(record_id, fixed, "iso2709", summarize(parse_record(fixed)))
    row = save_file.get(record_id)
    assert (row.validation_state, row.validation_level, row.validated_at) == (None, None, None)


def test_set_validations_checks_states_and_clears(save_file: SaveFile, saved_records):
    (record_id,) = saved_records(valid_record("v1"))
    with pytest.raises(ValueError, match="unknown validation state"):
        save_file.set_validations([StoredValidation(record_id, "bad")])  # type: ignore[arg-type]
    save_file.set_validation(record_id, "warnings", "[]", level="basic")
    save_file.set_validation(record_id, None, "ignored", level="basic")
    row = save_file.get(record_id)
    assert (row.validation_state, row.validation_detail, row.validation_level) == (None,) * 3


def test_a_schema_1_save_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    from app.core.store.savefile import MIGRATIONS

    MIGRATIONS[0](conn)
    conn.execute(
        "INSERT INTO records (source_format, added_at, updated_at, record_type, encoding, "
        "validation_state, validation_detail) VALUES ('iso2709', '2024-01-01T00:00:00+00:00', "
        "'2024-01-01T00:00:00+00:00', 'bib', 'UTF-8', 'errors', 'Field 245 is missing')"
    )
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with SaveFile(path) as save_file:
        row = save_file.get(1)
        assert (row.validation_state, row.validation_level) == ("errors", None)
        # Text from before the messages were JSON still shows, as one warning.
        (message,) = messages_from_detail(row.validation_detail)
        assert message.message == "Field 245 is missing"


def test_a_stored_detail_nested_without_end_is_one_warning() -> None:
    # A save file that lies: the messages' JSON nested deeper than Python's reader goes.
    detail = "[" * 100_000 + "]" * 100_000
    (message,) = messages_from_detail(detail)
    assert message.severity == "warning" and message.message == detail
