"""exportdesk export leaves unconfirmed records out unless asked, says so, and the cataloger
settles one found in the local system with exportdesk records mark-exported."""

from __future__ import annotations

import json

from pymarc import Record

from app.core.net.receiver import Fault, FaultMode
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, tcpip_settings


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def at_host(receiver) -> list[str]:
    return [Record(data=path.read_bytes())["001"].data for path in receiver.record_files()]


def number(save_file: SaveFile, record_id: int) -> str:
    return save_file.get(record_id).control_number or ""


ZERO = {
    "exported": 0,
    "rejected": 0,
    "invalid": 0,
    "not_sent": 0,
    "unconfirmed": 0,
    "cancelled": 0,
}


def test_a_plain_export_leaves_unconfirmed_records_out_and_says_so(
    cli, save_file, flagged, receiver
) -> None:
    ids = flagged(4)
    save_file.record_outcome(ids[1], "unconfirmed", "TCP/IP", None, "no reply")
    save_file.record_outcome(ids[3], "unconfirmed", "TCP/IP", None, "no reply")
    tcpip_settings(receiver)

    run = cli("export", "--account", ACCOUNT, "--json")

    assert run.status == 1, run.err
    *records, summary = json_lines(run.out)
    assert records == [
        {"id": ids[0], "outcome": "exported", "reply": "Import ok"},
        {"id": ids[2], "outcome": "exported", "reply": "Import ok"},
    ]
    assert summary == {"summary": {**ZERO, "exported": 2, "unconfirmed_left_out": 2}}
    assert sorted(at_host(receiver)) == sorted(number(save_file, i) for i in (ids[0], ids[2]))
    assert f"{ids[1]} {ids[3]}" in run.err
    assert "--include-unconfirmed" in run.err and "records mark-exported" in run.err
    for record_id in (ids[1], ids[3]):
        row = save_file.get(record_id)
        assert (row.status, row.flagged) == ("unconfirmed", True)
        assert len(save_file.journal(record_id)) == 1


def test_the_human_summary_says_how_many_were_left_out_and_what_to_do(
    cli, save_file, flagged, receiver
) -> None:
    ids = flagged(2)
    save_file.record_outcome(ids[0], "unconfirmed", "TCP/IP")
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT)
    assert run.status == 1
    assert "1 records: exported 1" in run.out
    assert "Left out 1 record whose last export is unconfirmed" in run.out
    assert f"mark-exported --account {ACCOUNT} ID..." in run.out
    assert "--include-unconfirmed" in run.out


def test_chosen_ids_leave_unconfirmed_records_out_too(cli, save_file, flagged, receiver) -> None:
    ids = flagged(2)
    save_file.record_outcome(ids[1], "unconfirmed", "TCP/IP")
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--id", str(ids[1]), str(ids[0]), "--json")
    assert run.status == 1
    *records, summary = json_lines(run.out)
    assert [r["id"] for r in records] == [ids[0]]
    assert summary["summary"]["unconfirmed_left_out"] == 1
    assert at_host(receiver) == [number(save_file, ids[0])]


def test_include_unconfirmed_sends_them_with_a_warning(cli, save_file, flagged, receiver) -> None:
    ids = flagged(3)
    save_file.record_outcome(ids[1], "unconfirmed", "TCP/IP")
    tcpip_settings(receiver)
    run = cli(
        "export", "--account", ACCOUNT, "--id", str(ids[1]), "--include-unconfirmed", "--json"
    )
    assert run.status == 0, run.err
    assert json_lines(run.out) == [
        {"id": ids[1], "outcome": "exported", "reply": "Import ok"},
        {"summary": {**ZERO, "exported": 1, "unconfirmed_left_out": 0}},
    ]
    assert "duplicated" in run.err
    run = cli("export", "--account", ACCOUNT, "--include-unconfirmed", "--json")
    assert run.status == 0
    assert [line.get("id") for line in json_lines(run.out)] == [ids[0], ids[2], None]
    assert sorted(at_host(receiver)) == sorted(number(save_file, i) for i in ids)


def test_the_json_summary_comes_even_when_nothing_is_sent(
    cli, save_file, flagged, receiver
) -> None:
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--json")
    assert (run.status, json_lines(run.out)) == (
        0,
        [{"summary": {**ZERO, "unconfirmed_left_out": 0}}],
    )
    assert "No records to export" in run.err

    ids = flagged(2)
    for record_id in ids:
        save_file.record_outcome(record_id, "unconfirmed", "TCP/IP")
    run = cli("export", "--account", ACCOUNT, "--json")
    assert (run.status, json_lines(run.out)) == (
        1,
        [{"summary": {**ZERO, "unconfirmed_left_out": 2}}],
    )
    assert "unconfirmed" in run.err
    human = cli("export", "--account", ACCOUNT)
    assert human.status == 1
    assert "Left out 2 records" in human.out and "No records to export" in human.err
    assert at_host(receiver) == []


def test_a_record_a_killed_run_was_sending_is_left_out_by_the_next_plain_export(
    cli, save_file, flagged, receiver
) -> None:
    ids = flagged(3)
    # What a run killed while sending ids[1] leaves behind.
    save_file.mark_in_flight([ids[1]], "TCP/IP old", "sending")
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--json")
    assert run.status == 1
    *records, summary = json_lines(run.out)
    assert [r["id"] for r in records] == [ids[0], ids[2]]
    assert summary["summary"]["unconfirmed_left_out"] == 1
    assert number(save_file, ids[1]) not in at_host(receiver)
    assert save_file.get(ids[1]).status == "unconfirmed"


def test_mark_exported_settles_a_record_found_in_the_local_system(
    cli, save_file, flagged, receiver
) -> None:
    ids = flagged(3)
    save_file.record_outcome(ids[0], "unconfirmed", "TCP/IP")
    save_file.unflag([ids[2]])

    run = cli("records", "mark-exported", "--account", ACCOUNT, "--local-id", "99123", str(ids[0]))
    assert (run.status, run.out.strip()) == (0, "Marked 1 record as exported.")
    row = save_file.get(ids[0])
    assert (row.status, row.flagged, row.local_system_id) == ("exported", False, "99123")
    entry = save_file.journal(ids[0])[0]
    assert (entry.outcome, entry.destination) == ("exported", "manual")
    assert "found it in the local system" in (entry.detail or "")

    run = cli("records", "mark-exported", "--account", ACCOUNT, str(ids[2]), str(ids[1]))
    assert run.status == 0 and "Marked 1 record" in run.out
    assert f"not flagged, left as they were: {ids[2]}" in run.err
    assert save_file.get(ids[2]).status is None

    # Nothing is left to send.
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--json")
    assert json_lines(run.out) == [{"summary": {**ZERO, "unconfirmed_left_out": 0}}]
    assert at_host(receiver) == []


def test_mark_exported_bad_usage_changes_nothing(cli, save_file, flagged) -> None:
    ids = flagged(2)
    run = cli("records", "mark-exported", "--account", ACCOUNT, str(ids[0]), "999")
    assert run.status == 2 and "999" in run.err
    assert save_file.get(ids[0]).flagged
    run = cli("records", "mark-exported", "--account", ACCOUNT, "--local-id", "5", *map(str, ids))
    assert run.status == 2 and "one record id" in run.err
    assert cli("records", "mark-exported", "--account", ACCOUNT).status == 2
    assert save_file.journal() == []


def test_a_resend_that_cannot_connect_leaves_the_record_unconfirmed(
    cli, save_file, flagged, start_receiver
) -> None:
    (record_id,) = flagged(1)
    save_file.record_outcome(record_id, "unconfirmed", "TCP/IP", None, "no reply")
    down = start_receiver(fault=Fault(FaultMode.REFUSE))
    tcpip_settings(down)
    run = cli("export", "--account", ACCOUNT, "--include-unconfirmed", "--json")
    assert json_lines(run.out)[0]["outcome"] == "not_sent"
    # The host may still have it from before: a plain export goes on leaving it out.
    run = cli("export", "--account", ACCOUNT, "--json")
    assert json_lines(run.out) == [{"summary": {**ZERO, "unconfirmed_left_out": 1}}]
    assert run.status == 1
