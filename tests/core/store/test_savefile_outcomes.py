"""Settling records by hand and noting what a host said: mark_exported, add_journal_note."""

from __future__ import annotations

import pytest

from app.core.marc import parse_record, summarize
from app.core.store.savefile import (
    MANUAL_DESTINATION,
    NOTE_LIMIT,
    RecordNotFound,
    SaveFile,
)
from tests.fixtures.records import bib_record


def add(save_file: SaveFile, number: int, *, flag: bool = True) -> int:
    raw = bib_record(f"ocm{number:08d}", f"Title {number}")
    record_id = save_file.add(raw, "iso2709", summarize(parse_record(raw)))
    if flag:
        save_file.flag([record_id])
    return record_id


def test_mark_exported_settles_flagged_records_as_exported_by_hand(save_file: SaveFile) -> None:
    first, second, untouched = (add(save_file, n) for n in (1, 2, 3))
    save_file.record_outcome(first, "unconfirmed", "TCP/IP Alma", None, "no reply")
    save_file.set_local_system_id(first, "991", "https://catalog.example.org/991")

    assert save_file.mark_exported([first, second, first]) == 2

    for record_id in (first, second):
        row = save_file.get(record_id)
        assert (row.flagged, row.status) == (False, "exported")
        assert row.last_exported is not None
        entry = save_file.journal(record_id)[0]
        assert (entry.outcome, entry.destination) == ("exported", MANUAL_DESTINATION)
        assert entry.detail is not None and "found it in the local system" in entry.detail
    # Without --local-id the number and URL the host gave stay.
    row = save_file.get(first)
    assert (row.local_system_id, row.local_system_url) == (
        "991",
        "https://catalog.example.org/991",
    )
    assert save_file.get(untouched).flagged
    assert save_file.journal(untouched) == []
    assert save_file.in_flight() == []


def test_mark_exported_with_a_local_id_sets_it(save_file: SaveFile) -> None:
    same, other = add(save_file, 1), add(save_file, 2)
    save_file.set_local_system_id(same, "991", "https://catalog.example.org/991")
    save_file.set_local_system_id(other, "992", "https://catalog.example.org/992")

    assert save_file.mark_exported([same], local_id="991") == 1
    assert save_file.mark_exported([other], local_id="12345") == 1

    assert save_file.get(same).local_system_url == "https://catalog.example.org/991"
    row = save_file.get(other)
    # The URL was about the old number: it goes.
    assert (row.local_system_id, row.local_system_url) == ("12345", None)
    assert "12345" in (save_file.journal(other)[0].detail or "")


def test_mark_exported_leaves_unflagged_records_alone(save_file: SaveFile) -> None:
    flagged, unflagged = add(save_file, 1), add(save_file, 2, flag=False)
    assert save_file.mark_exported([flagged, unflagged], local_id="7") == 1
    row = save_file.get(unflagged)
    assert (row.status, row.local_system_id, row.last_exported) == (None, None, None)
    assert save_file.journal(unflagged) == []


def test_mark_exported_with_an_unknown_id_changes_nothing(save_file: SaveFile) -> None:
    known = add(save_file, 1)
    with pytest.raises(RecordNotFound) as raised:
        save_file.mark_exported([known, 999])
    assert raised.value.record_ids == [999]
    assert save_file.get(known).flagged
    assert save_file.journal(known) == []


def test_a_note_is_added_to_the_newest_entry_keeping_its_outcome(save_file: SaveFile) -> None:
    record_id = add(save_file, 1)
    save_file.record_outcome(record_id, "rejected", "TCP/IP", "Error: bad", "older")
    save_file.record_outcome(record_id, "exported", "TCP/IP", "Import ok", "written")
    other = add(save_file, 2)
    save_file.record_outcome(other, "exported", "TCP/IP", "Import ok")

    save_file.add_journal_note(record_id, "the host sent 12 bytes unasked: 'Import ok'")
    save_file.add_journal_note(other, "first")
    save_file.add_journal_note(other, "second")

    newest, older = save_file.journal(record_id)[:2]
    assert newest.detail == "written; Note: the host sent 12 bytes unasked: 'Import ok'"
    assert (newest.outcome, newest.host_reply) == ("exported", "Import ok")
    assert older.detail == "older"
    assert save_file.journal(other)[0].detail == "Note: first; Note: second"
    row = save_file.get(record_id)
    assert (row.status, row.flagged) == ("exported", False)


def test_a_note_is_cut_and_needs_a_journal_entry(save_file: SaveFile) -> None:
    record_id = add(save_file, 1)
    with pytest.raises(RecordNotFound):
        save_file.add_journal_note(record_id, "nothing to note against")
    save_file.record_outcome(record_id, "exported", "TCP/IP", "Import ok")
    save_file.add_journal_note(record_id, "x" * (NOTE_LIMIT * 4))
    detail = save_file.journal(record_id)[0].detail
    assert detail is not None and len(detail) == len("Note: ") + NOTE_LIMIT


@pytest.mark.parametrize("attempt", ["not_sent", "cancelled", "invalid"])
def test_an_attempt_that_never_reached_a_host_keeps_a_record_unconfirmed(
    save_file: SaveFile, attempt: str
) -> None:
    record_id = add(save_file, 1)
    save_file.record_outcome(record_id, "unconfirmed", "TCP/IP", None, "no reply")
    save_file.record_outcome(record_id, attempt, "TCP/IP", None, "this time")  # type: ignore[arg-type]
    row = save_file.get(record_id)
    assert (row.status, row.status_detail, row.flagged) == ("unconfirmed", "no reply", True)
    assert [e.outcome for e in save_file.journal(record_id)] == [attempt, "unconfirmed"]
    # An answer from a host settles it, one way or the other.
    save_file.record_outcome(record_id, "rejected", "TCP/IP", "Error: duplicate")
    assert save_file.get(record_id).status == "rejected"
    save_file.record_outcome(record_id, attempt, "TCP/IP")  # type: ignore[arg-type]
    assert save_file.get(record_id).status == attempt


def test_several_outcomes_at_once_are_written_as_each_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """record_outcomes (a published export file's records) leaves the save file as the same
    outcomes written one by one would: journal rows in order, statuses, flags, marks."""
    attempts = [
        (0, "exported", None, "written to out.mrc"),
        (1, "invalid", None, "2 validation errors"),
        (2, "exported", "Import ok", None),
        (3, "cancelled", None, "Cancelled before it was sent."),
    ]
    states = []
    for together in (False, True):
        with SaveFile(tmp_path / f"{together}.sqlite") as save_file:
            ids = [add(save_file, n) for n in range(4)]
            save_file.record_outcome(ids[3], "unconfirmed", "TCP/IP Alma", None, "no reply")
            save_file.mark_in_flight(ids, "file out.mrc", "published")
            written = [(ids[n], outcome, reply, detail) for n, outcome, reply, detail in attempts]
            if together:
                save_file.record_outcomes(written, "file out.mrc")
            else:
                for record_id, outcome, reply, detail in written:
                    save_file.record_outcome(record_id, outcome, "file out.mrc", reply, detail)
            rows = [save_file.get(record_id) for record_id in ids]
            states.append(
                (
                    [(r.flagged, r.status, r.status_detail, r.last_exported is None) for r in rows],
                    [
                        (e.record_id, e.outcome, e.host_reply, e.detail, e.control_number)
                        for e in reversed(save_file.journal())
                    ],
                    save_file.in_flight(),
                )
            )
    assert states[0] == states[1]
    statuses = [row[1] for row in states[1][0]]
    # An unconfirmed record stays so when the attempt never reached a host.
    assert statuses == ["exported", "invalid", "exported", "unconfirmed"]
    assert states[1][2] == []


def test_an_unknown_outcome_among_several_writes_none(save_file: SaveFile) -> None:
    first, second = add(save_file, 1), add(save_file, 2)
    with pytest.raises(ValueError, match="unknown outcome"):
        save_file.record_outcomes(
            [(first, "exported", None, None), (second, "lost", None, None)],  # type: ignore[list-item]
            "file out.mrc",
        )
    assert save_file.journal() == []
    assert save_file.get(first).flagged
