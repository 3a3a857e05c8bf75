"""Ctrl-C on exportdesk export --json: every outcome committed is printed, then cancelled for
every record not sent, then the summary; the exit status is 130. A real process and SIGINT
against a slow receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pymarc import Record

from app.core.net.receiver import Fault, FaultMode
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, tcpip_settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child is POSIX")


def start_export(*extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "export", "--account", ACCOUNT, "--json", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def await_condition(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def at_host(receiver) -> list[str]:
    return [Record(data=path.read_bytes())["001"].data for path in receiver.record_files()]


def check_printed_against_save_file(
    out: str, ids: list[int], save_file_path: Path, receiver
) -> list[dict]:
    """Every record printed once, in order, as the save file has it; the summary last."""
    lines = [json.loads(line) for line in out.splitlines()]
    *records, summary = lines
    assert [r["id"] for r in records] == ids
    counts = {outcome: 0 for outcome in summary["summary"] if outcome != "unconfirmed_left_out"}
    for line in records:
        counts[line["outcome"]] += 1
    assert summary == {"summary": {**counts, "unconfirmed_left_out": 0}}
    with SaveFile(save_file_path) as after:
        assert after.in_flight() == []
        stored = set(at_host(receiver))
        for line in records:
            row = after.get(line["id"])
            assert row.status == line["outcome"], line
            assert len(after.journal(line["id"])) == 1
            sent = row.control_number in stored
            assert sent == (line["outcome"] in ("exported", "unconfirmed")), line
    assert len(at_host(receiver)) == len(set(at_host(receiver)))
    return records


def test_ctrl_c_prints_what_was_done_then_cancelled_then_the_summary(
    save_file, flagged, start_receiver
) -> None:
    slow = start_receiver(fault=Fault(FaultMode.SLOW, seconds=0.3))
    ids = flagged(10)
    tcpip_settings(slow)
    process = start_export()
    try:
        assert slow.wait_until(lambda r: len(r.record_files()) >= 3, timeout=30)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    records = check_printed_against_save_file(out, ids, save_file.path, slow)
    outcomes = [r["outcome"] for r in records]
    done = outcomes.count("exported")
    assert done >= 2
    # The records sent came first and finished (the one whose reply was awaited may be
    # unconfirmed, had the wait ended first); every one after them is cancelled.
    cut = outcomes.count("unconfirmed")
    assert cut <= 1
    expected = ["exported"] * done + ["unconfirmed"] * cut
    assert outcomes == expected + ["cancelled"] * (len(ids) - len(expected))
    assert outcomes.count("cancelled") >= 1


def test_ctrl_c_during_a_long_reply_wait_ends_within_seconds_as_unconfirmed(
    save_file, flagged, start_receiver
) -> None:
    """The host holds its reply for a minute; the Timeout is longer still. Ctrl-C ends the
    wait within 3 s: that record is unconfirmed (it reached the host), the rest cancelled."""
    silent = start_receiver(fault=Fault(FaultMode.SLOW, seconds=60))
    ids = flagged(4)
    tcpip_settings(silent, timeout=120)
    process = start_export()
    try:
        # The receiver says nothing until it replies: look at its folder.
        assert await_condition(lambda: len(silent.record_files()) >= 1, timeout=30)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert took < 3 + 2, took  # the wait's 3 s, and the process's own start and end
    records = check_printed_against_save_file(out, ids, save_file.path, silent)
    assert [r["outcome"] for r in records] == ["unconfirmed"] + ["cancelled"] * 3
