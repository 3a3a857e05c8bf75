"""The edges of an export run: the save file failing to commit mid-run, records a killed run
left in flight, unconfirmed records left out, and a local system id kept only on success."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import sqlite3
import threading
from collections.abc import Iterator

import pytest
from pymarc import Record

from app.core.export.run import (
    RecordOutcome,
    run_export,
)
from app.core.export.unsettled import recover_if_idle, split_unconfirmed
from app.core.net.receiver import Fault, FaultMode, ReplyStyle
from app.core.store.savefile import SaveFile, SaveFileError
from tests.fixtures.exporting import tcpip_plan
from tests.fixtures.network import LOOPBACK


def outcomes(events) -> list[RecordOutcome]:
    return [event for event in events if isinstance(event, RecordOutcome)]


def stored_numbers(receiver) -> list[str]:
    """The 001 of every record the host stored, in the order it stored them."""
    return [Record(data=path.read_bytes())["001"].data for path in receiver.record_files()]


def number(save_file: SaveFile, record_id: int) -> str:
    return save_file.get(record_id).control_number or ""


def fail_commits_of(save_file: SaveFile, record_id: int) -> None:
    """A transaction writing a journal entry for ``record_id`` now fails at COMMIT (a deferred
    foreign key broken inside it: checked only at COMMIT, like a full disk)."""
    conn = sqlite3.connect(save_file.path, isolation_level=None)
    conn.execute(
        "CREATE TABLE commit_trap (record_id INTEGER REFERENCES records(id) "
        "DEFERRABLE INITIALLY DEFERRED)"
    )
    conn.execute(
        "CREATE TRIGGER commit_trap_journal AFTER INSERT ON journal "
        f"WHEN NEW.record_id = {record_id} BEGIN INSERT INTO commit_trap VALUES (-1); END"
    )
    conn.close()


def remove_trap(save_file: SaveFile) -> None:
    conn = sqlite3.connect(save_file.path, isolation_level=None)
    conn.execute("DROP TRIGGER commit_trap_journal")
    conn.close()


def test_a_failed_commit_stops_the_run_and_every_outcome_stays_true(
    save_file, flagged, receiver
) -> None:
    ids = flagged(12)
    fail_commits_of(save_file, ids[5])
    reported: list[RecordOutcome] = []
    with pytest.raises(SaveFileError) as raised:
        for event in run_export(save_file, tcpip_plan(receiver), ids):
            if isinstance(event, RecordOutcome):
                reported.append(event)
    assert str(save_file.path) in raised.value.message
    assert "The export stopped" in raised.value.message
    assert not save_file.conn.in_transaction

    # What was reported is exactly what the save file says; the failed record is not in it.
    assert [r.record_id for r in reported] == ids[: len(reported)]
    assert ids[5] not in {r.record_id for r in reported}
    for result in reported:
        assert result.outcome == "exported"
        assert save_file.get(result.record_id).status == "exported"
    # Every record the host has is exported or still marked as on its way (the next run
    # makes it unconfirmed); every other record is untouched and flagged.
    at_host = set(stored_numbers(receiver))
    in_flight = {record_id for record_id, _, stage in save_file.in_flight() if stage == "sending"}
    assert ids[5] in in_flight
    for record_id in ids:
        row = save_file.get(record_id)
        if number(save_file, record_id) in at_host:
            assert row.status == "exported" or record_id in in_flight, record_id
        else:
            assert (row.status, row.flagged) == (None, True), record_id
            assert record_id not in in_flight
    assert len(stored_numbers(receiver)) == len(at_host)

    # Once the save file can be written again, the next plain export settles those in
    # flight as unconfirmed, leaves them out, and sends the rest: nothing reaches the host
    # twice, and every record has exactly one outcome.
    remove_trap(save_file)
    recovered = recover_if_idle(save_file)
    assert recovered == len(in_flight)
    to_send, left_out = split_unconfirmed(save_file, save_file.flagged_ids())
    assert sorted(left_out) == sorted(in_flight)
    second = outcomes(run_export(save_file, tcpip_plan(receiver), to_send))
    assert [r.outcome for r in second] == ["exported"] * len(to_send)
    numbers = stored_numbers(receiver)
    assert sorted(numbers) == sorted(number(save_file, i) for i in ids)
    statuses = {i: save_file.get(i).status for i in ids}
    assert {i for i, s in statuses.items() if s == "unconfirmed"} == in_flight
    assert all(s == "exported" for i, s in statuses.items() if i not in in_flight)


def test_records_a_killed_run_left_in_flight_are_not_sent_by_the_next(
    save_file, flagged, receiver
) -> None:
    """The caller chose the records before the run settled what a killed run left: those
    get the recovered outcome, once, and are not sent."""
    ids = flagged(5)
    save_file.mark_in_flight([ids[1]], "TCP/IP old", "sending")
    save_file.mark_in_flight([ids[3]], "file old.mrc", "published")
    results = outcomes(run_export(save_file, tcpip_plan(receiver), ids))
    assert [r.record_id for r in results] == ids
    assert [r.outcome for r in results] == [
        "exported",
        "unconfirmed",
        "exported",
        "exported",
        "exported",
    ]
    assert "may have received it" in (results[1].detail or "")
    assert sorted(stored_numbers(receiver)) == sorted(
        number(save_file, i) for i in (ids[0], ids[2], ids[4])
    )
    for record_id in (ids[1], ids[3]):
        assert len(save_file.journal(record_id)) == 1  # the recovery's entry, no other
    assert save_file.in_flight() == []


def test_a_local_system_id_is_kept_only_when_the_record_was_exported(
    save_file, flagged, start_receiver
) -> None:
    first, second, third = flagged(3)
    save_file.set_local_system_id(first, "990001", "https://alma.example.org/990001")

    rejecting = start_receiver(fault=Fault(FaultMode.ERROR, text="MMS ID 991234 exists"))
    (result,) = outcomes(run_export(save_file, tcpip_plan(rejecting), [first]))
    assert result.outcome == "rejected" and "991234" in (result.reply or "")
    assert result.local_id is None
    row = save_file.get(first)
    assert (row.local_system_id, row.local_system_url) == (
        "990001",
        "https://alma.example.org/990001",
    )

    with one_reply_host(b"Thank you. MMS ID 995555 https://alma.example.org/995555") as port:
        plan = tcpip_plan(rejecting)
        assert plan.transport is not None
        plan = dataclasses.replace(plan, transport=dataclasses.replace(plan.transport, port=port))
        (result,) = outcomes(run_export(save_file, plan, [second]))
    assert result.outcome == "unconfirmed"
    assert (save_file.get(second).local_system_id, save_file.get(second).local_system_url) == (
        None,
        None,
    )

    koha = start_receiver(style=ReplyStyle.KOHA)
    (result,) = outcomes(run_export(save_file, tcpip_plan(koha), [third]))
    assert result.outcome == "exported" and result.local_id
    assert save_file.get(third).local_system_id == result.local_id


@contextlib.contextmanager
def one_reply_host(reply: bytes) -> Iterator[int]:
    """A host on 127.0.0.1 that reads each request to its NUL or record end, answers
    ``reply`` (with its NUL) and closes; yields its port."""
    server = socket.create_server((LOOPBACK, 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while not data.endswith((b"\x00", b"\x1d")):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(reply + b"\x00")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        thread.join(timeout=5)


def test_split_unconfirmed_leaves_out_only_unconfirmed_records(save_file, flagged) -> None:
    ids = flagged(6)
    for record_id, outcome in zip(
        ids, ("unconfirmed", "rejected", "unconfirmed", "not_sent", "cancelled"), strict=False
    ):
        save_file.record_outcome(record_id, outcome, "TCP/IP")
    order = [ids[4], ids[2], ids[5], ids[0], ids[1], ids[3]]
    assert split_unconfirmed(save_file, order) == (
        [ids[4], ids[5], ids[1], ids[3]],
        [ids[2], ids[0]],
    )
    assert split_unconfirmed(save_file, []) == ([], [])
