"""An export run: one outcome per record, in the journal, nothing lost or sent twice."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pymarc import Record

from app.core.errors import OptionError
from app.core.export.run import (
    ExportBusy,
    FormatNeeded,
    RecordOutcome,
    RecordStarted,
    plan_export,
    run_export,
    summarize,
)
from app.core.net.receiver import Fault, FaultMode, ReplyStyle
from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import (
    ACCOUNT,
    add_records,
    data_field,
    tcpip_plan,
    valid_auth,
    valid_bib,
)


def outcomes(events) -> list[RecordOutcome]:
    return [event for event in events if isinstance(event, RecordOutcome)]


def received(receiver) -> list[Record]:
    return [Record(data=path.read_bytes()) for path in receiver.record_files()]


def test_flagged_records_reach_the_host_and_lose_their_flag(save_file, flagged, receiver) -> None:
    ids = flagged(3)
    events = list(run_export(save_file, tcpip_plan(receiver), ids))
    started = [e.record_id for e in events if isinstance(e, RecordStarted)]
    assert started == ids
    for record_id in ids:  # each record is started before its outcome comes
        first = next(i for i, e in enumerate(events) if e.record_id == record_id)
        assert isinstance(events[first], RecordStarted)
    results = outcomes(events)
    assert [r.outcome for r in results] == ["exported"] * 3
    assert [r.reply for r in results] == ["Import ok"] * 3
    assert len(receiver.record_files()) == 3
    assert save_file.flagged_ids() == []
    for record_id in ids:
        row = save_file.get(record_id)
        assert row.status == "exported" and row.last_exported is not None
        (entry,) = save_file.journal(record_id)
        assert entry.outcome == "exported" and entry.host_reply == "Import ok"
        assert "TCP/IP Default (127.0.0.1:" in entry.destination


def test_the_local_system_number_in_the_reply_is_kept(save_file, flagged, start_receiver) -> None:
    koha = start_receiver(style=ReplyStyle.KOHA)
    (record_id,) = flagged(1)
    (result,) = outcomes(run_export(save_file, tcpip_plan(koha), [record_id]))
    assert result.outcome == "exported"
    assert result.local_id
    assert save_file.get(record_id).local_system_id == result.local_id


def test_fields_to_delete_leave_the_saved_record_whole(save_file, receiver) -> None:
    raw = valid_bib(
        1, data_field("938", " ", " ", "a", "Vendor"), data_field("029", "1", " ", "a", "NLGGC")
    )
    ids = add_records(save_file, [raw])
    plan = tcpip_plan(receiver, fields_to_delete=("9XX", "029"))
    assert outcomes(run_export(save_file, plan, ids))[0].outcome == "exported"
    (sent,) = received(receiver)
    assert not sent.get_fields("938", "029")
    assert sent["245"] is not None
    assert save_file.get_raw(ids[0]) == raw


def test_an_invalid_record_is_held_back_at_full_and_sent_at_structure(save_file, receiver) -> None:
    broken = valid_bib(2, data_field("245", "1", "7", "a", "Second title"))  # 245 twice, ind2 7
    ids = add_records(save_file, [valid_bib(1), broken])
    results = outcomes(run_export(save_file, tcpip_plan(receiver), ids))
    assert [r.outcome for r in results] == ["exported", "invalid"]
    assert "validation error" in results[1].detail and "245" in results[1].detail
    assert save_file.flagged_ids() == [ids[1]]
    assert len(receiver.record_files()) == 1

    results = outcomes(
        run_export(save_file, tcpip_plan(receiver, validate_bib="structure"), [ids[1]])
    )
    assert results[0].outcome == "exported"


def test_marc8_is_sent_when_the_account_says_so(save_file, receiver) -> None:
    ids = add_records(save_file, [valid_bib(1, data_field("500", " ", " ", "a", "Café société."))])
    plan = tcpip_plan(receiver, charset="marc8")
    assert outcomes(run_export(save_file, plan, ids))[0].outcome == "exported"
    data = receiver.record_files()[0].read_bytes()
    assert data[9:10] == b" "
    assert "Café société." in Record(data=data, to_unicode=True)["500"]["a"]


def test_a_host_that_is_down_stops_the_run(save_file, flagged, start_receiver) -> None:
    down = start_receiver(fault=Fault(FaultMode.REFUSE))
    ids = flagged(3)
    results = outcomes(run_export(save_file, tcpip_plan(down, retries=2), ids))
    assert [r.outcome for r in results] == ["not_sent"] * 3
    assert results[0].attempts == 3
    assert [r.attempts for r in results[1:]] == [0, 0]
    assert "refused" in results[0].detail
    assert results[1].detail == results[0].detail
    assert sorted(save_file.flagged_ids()) == ids


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(FaultMode.CLOSE_BEFORE_REPLY), "unconfirmed"),
        (Fault(FaultMode.NO_REPLY), "unconfirmed"),
        (Fault(FaultMode.SLOW, seconds=2.0), "unconfirmed"),
        (Fault(FaultMode.ERROR, text="record rejected"), "rejected"),
        (Fault(FaultMode.GARBAGE), "unconfirmed"),
        (Fault(FaultMode.CLOSE_AFTER, after_bytes=40), "unconfirmed"),
        (Fault(FaultMode.REFUSE), "not_sent"),
    ],
    ids=lambda item: str(getattr(item, "mode", item)),
)
def test_every_fault_gives_each_record_exactly_one_outcome_and_no_resend(
    save_file, flagged, start_receiver, fault, expected
) -> None:
    faulty = start_receiver(fault=fault)
    ids = flagged(6)
    for permanent in (False, True):
        plan = tcpip_plan(faulty, timeout=0.3, permanent_connection=permanent)
        results = outcomes(run_export(save_file, plan, ids))
        assert [r.record_id for r in results] == ids  # every record, once, in order
        assert {r.outcome for r in results} == {expected}
    journal = save_file.journal(limit=None)
    assert len(journal) == 2 * len(ids)
    assert sorted(save_file.flagged_ids()) == ids  # nothing confirmed, every flag kept
    # Nothing went twice: at most one request per record and run reached the receiver, and
    # no record was stored twice in one run.
    assert len(faulty.requests) <= 2 * len(ids)
    stored = [record["001"].data for record in received(faulty)]
    assert all(stored.count(number) <= 2 for number in stored)


def test_a_host_failing_only_at_first_recovers_on_retry(save_file, flagged, start_receiver) -> None:
    flaky = start_receiver(fault=Fault(FaultMode.ERROR, text="busy", first=2))
    ids = flagged(4)
    results = outcomes(run_export(save_file, tcpip_plan(flaky), ids))
    assert [r.outcome for r in results] == ["rejected", "rejected", "exported", "exported"]
    retry = [r.record_id for r in results if r.outcome == "rejected"]
    assert {r.outcome for r in outcomes(run_export(save_file, tcpip_plan(flaky), retry))} == {
        "exported"
    }
    assert save_file.flagged_ids() == []
    assert len(flaky.record_files()) == 4


def test_cancel_stops_before_the_next_record(save_file, flagged, receiver) -> None:
    ids = flagged(6)
    cancel = threading.Event()
    results = []
    for event in run_export(save_file, tcpip_plan(receiver), ids, cancel=cancel):
        if isinstance(event, RecordOutcome):
            results.append(event)
            if len(results) == 2:
                cancel.set()
    # The first records' outcomes are written one at a time, each before the next record
    # goes; Cancel came before any byte of the third was written: nothing after is sent.
    assert [r.outcome for r in results] == ["exported"] * 2 + ["cancelled"] * 4
    assert len(receiver.record_files()) == 2
    assert sorted(save_file.flagged_ids()) == ids[2:]
    assert summarize(results)["cancelled"] == 4
    assert {e.outcome for e in save_file.journal(ids[5])} == {"cancelled"}


def test_only_one_run_per_account_at_a_time(save_file, flagged, receiver) -> None:
    ids = flagged(2)
    first = run_export(save_file, tcpip_plan(receiver), ids)
    next(first)  # the first run holds the account's export lock
    with SaveFile.for_account(ACCOUNT) as other, pytest.raises(ExportBusy):
        next(run_export(other, tcpip_plan(receiver), ids))
    assert [r.outcome for r in outcomes(first)] == ["exported", "exported"]


def test_the_format_must_be_chosen_for_a_file_and_be_marc_over_tcpip(receiver) -> None:
    settings = AccountSettings(ACCOUNT).saved_default()
    with pytest.raises(FormatNeeded):
        plan_export(settings)
    assert plan_export(settings, fmt="marcxml").fmt == "marcxml"
    settings.set_value("destination", "tcpip")
    settings.set_value("host", "127.0.0.1")
    assert plan_export(settings).fmt == "marc"  # "none" means MARC over TCP/IP
    with pytest.raises(OptionError, match="only MARC 21"):
        plan_export(settings, fmt="dc-rdf")


# To a file.


def file_plan(tmp_path: Path, fmt: str = "marc", file_type: str = "individual"):
    settings = AccountSettings(ACCOUNT).saved_default()
    settings.set_value("file_name", str(tmp_path / f"out{'.xml' if fmt == 'marcxml' else '.mrc'}"))
    settings.set_value("file_type", file_type)
    return plan_export(settings, fmt=fmt)


def test_a_file_export_writes_every_record_then_reports(save_file, flagged, tmp_path) -> None:
    ids = flagged(3)
    results = outcomes(run_export(save_file, file_plan(tmp_path), ids))
    assert [r.outcome for r in results] == ["exported"] * 3
    assert str(tmp_path / "out.mrc") in results[0].detail
    data = (tmp_path / "out.mrc").read_bytes()
    assert data.count(b"\x1d") == 3
    results = outcomes(run_export(save_file, file_plan(tmp_path), ids[:1]))
    assert (tmp_path / "out-1.mrc").is_file()  # individual: the earlier file is kept


def test_authority_records_go_beside_an_xml_export(save_file, tmp_path) -> None:
    ids = add_records(save_file, [valid_bib(1), valid_auth(2)])
    results = outcomes(run_export(save_file, file_plan(tmp_path, "marcxml", "cumulative"), ids))
    assert [r.outcome for r in results] == ["exported", "exported"]
    assert b"<collection" in (tmp_path / "out.xml").read_bytes()
    assert (tmp_path / "out-authorities.mrc").read_bytes().count(b"\x1d") == 1


def test_cancel_during_a_file_export_keeps_what_was_written(save_file, flagged, tmp_path) -> None:
    ids = flagged(5)
    cancel = threading.Event()
    results = []
    for event in run_export(save_file, file_plan(tmp_path), ids, cancel=cancel):
        if isinstance(event, RecordStarted) and event.index == 2:
            cancel.set()
        if isinstance(event, RecordOutcome):
            results.append(event)
    assert summarize(results) | {} == {
        "exported": 3, "rejected": 0, "invalid": 0, "not_sent": 0, "unconfirmed": 0,
        "cancelled": 2,
    }  # fmt: skip
    assert (tmp_path / "out.mrc").read_bytes().count(b"\x1d") == 3


def test_a_file_that_cannot_be_written_sends_nothing(save_file, flagged, tmp_path) -> None:
    ids = flagged(2)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    settings = AccountSettings(ACCOUNT).saved_default()
    settings.set_value("file_name", str(blocked / "out.mrc"))
    results = outcomes(run_export(save_file, plan_export(settings, fmt="marc"), ids))
    assert {r.outcome for r in results} == {"not_sent"}
    assert sorted(save_file.flagged_ids()) == ids


def test_a_consumer_that_stops_early_leaves_nothing_in_flight(save_file, flagged, receiver):
    ids = flagged(6)
    events = run_export(save_file, tcpip_plan(receiver), ids)
    seen = [event for _, event in zip(range(4), events, strict=False)]
    events.close()  # as when the command line is interrupted
    assert save_file.in_flight() == []
    sent = len(receiver.record_files())
    assert sent >= 1
    # Whatever the host confirmed is written down, even what was not yet handed over.
    assert [save_file.get(i).status for i in ids[:sent]] == ["exported"] * sent
    assert all(save_file.get(i).status is None for i in ids[sent:])
    assert isinstance(seen[0], RecordStarted)
