"""kill -9 at random points of ``exportdesk export`` to a host that stores what it reads, then
a plain ``exportdesk export`` (issue 10): no record reaches the host twice, and every record
is either stored once and exported, or left flagged as unconfirmed (stored or not)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.exporting import ACCOUNT, add_records, tcpip_settings, valid_bib
from tests.fixtures.hostile import Figures, KillPoint, tally, well_behaved

ROOT = Path(__file__).resolve().parents[3]
TRIALS = 20
KOHA_REPLY = b"Success.  Batch number 7 - biblio record number 42 added to Koha.\x00"


def start_export(log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "export", "--account", ACCOUNT, "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.mark.parametrize("trial", range(TRIALS))
def test_an_export_killed_at_a_random_point_then_a_plain_export_store_each_record_once(
    trial, save_file, start_hostile, cli, tmp_path
) -> None:
    rng = random.Random(f"kill -9 trial {trial}")
    count = rng.randint(30, 60)
    ids = add_records(save_file, [valid_bib(n) for n in range(1, count + 1)])
    koha = rng.random() < 0.5  # Koha answers and closes; FOLIO answers and keeps the socket
    permanent = rng.random() < 0.5
    host = start_hostile(
        well_behaved(KOHA_REPLY, close_after_reply=True) if koha else well_behaved()
    )
    tcpip_settings(host, permanent_connection=permanent)
    point = KillPoint(
        at=rng.randint(1, count),
        stage=rng.choice(["read", "stored", "replied"]),
        store_after_kill=rng.random() < 0.5,
    )
    trial_name = (
        f"kill -9 trial {trial}: {'koha' if koha else 'folio'}, permanent "
        f"{'on' if permanent else 'off'}, at request {point.at} of {count} once {point.stage}"
    )
    reached = host.arm(point)

    log = tmp_path / "killed-export.err"
    process = start_export(log)
    try:
        while not reached.wait(0.05):
            if process.poll() is not None:
                pytest.fail(f"the export ended before the kill point: {log.read_text()}")
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    may_have_finished = point.stage == "replied"
    assert process.returncode == -signal.SIGKILL or may_have_finished, log.read_text()
    host.settle()

    check = sqlite3.connect(save_file.path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    plain = cli("export", "--account", ACCOUNT, "--json")
    host.settle()

    lines = [json.loads(line) for line in plain.out.splitlines() if line.strip()]
    summary = lines[-1]
    sent = Counter(line["id"] for line in lines[:-1])
    problems = [f"plain export: record {i} has {n} outcomes" for i, n in sent.items() if n > 1]
    stored_twice = not_one = left_out = 0
    for record_id in ids:
        row = save_file.get(record_id)
        control = row.control_number or ""
        stored = host.stored[control]
        entries = save_file.journal(record_id)
        seen = ", ".join(entry.what for entry in host.received(control)) or "never read it"
        where = f"{control} ({row.status}, {len(entries)} journal entries; host: {seen})"
        if stored > 1:
            stored_twice += 1
            problems.append(f"{where}: stored {stored} times")
        if len(entries) != 1:  # exported, recovered as unconfirmed, or sent by the plain run
            not_one += 1
            problems.append(f"{where}: other than one outcome")
        if row.status == "exported" and (row.flagged or stored != 1):
            problems.append(f"{where}: exported, flagged {row.flagged}, stored {stored} times")
        elif row.status == "unconfirmed":
            if not row.flagged:
                problems.append(f"{where}: unconfirmed but no longer flagged")
            left_out += record_id not in sent
        elif row.status != "exported":
            problems.append(f"{where}: neither exported nor unconfirmed")
    by_control = {save_file.get(record_id).control_number: record_id for record_id in ids}
    for entry in host.handled:  # the record on its way when the client died had no reply
        on_its_way = entry.what != "stored, answered"
        if on_its_way and save_file.get(by_control[entry.control]).status != "unconfirmed":
            problems.append(f"{entry.control} ({entry.what}): not unconfirmed")
    figures = tally(Figures(trial_name, count, stored_twice, not_one, problems))

    assert (figures.stored_twice, figures.not_one_outcome, figures.problems) == (0, 0, []), (
        trial_name
    )
    assert summary["summary"]["unconfirmed_left_out"] == left_out, summary
    all_exported = all(save_file.get(i).status == "exported" for i in ids)
    assert plain.status == (0 if all_exported else 1), plain.err
