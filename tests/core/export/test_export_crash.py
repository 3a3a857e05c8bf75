"""An exporting process killed mid-run loses nothing: the save file is intact, records not
confirmed keep their flag, and the journal tells what happened."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.core.export.unsettled import recover_if_idle
from app.core.net.receiver import Fault, FaultMode
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, tcpip_settings

ROOT = Path(__file__).resolve().parents[3]


def test_sigkill_in_the_middle_of_an_export(save_file, flagged, start_receiver) -> None:
    slow = start_receiver(fault=Fault(FaultMode.SLOW, seconds=0.4))
    ids = flagged(8)
    tcpip_settings(slow)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "export", "--account", ACCOUNT, "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The third record has reached the host, which takes its time to answer: kill now.
        assert slow.wait_until(lambda r: len(r.record_files()) >= 3, timeout=30)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    check = sqlite3.connect(save_file.path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    with SaveFile.for_account(ACCOUNT) as after:
        # The third record was on its way. With a host this slow the save file is written
        # before each record goes, so it is the only one in flight.
        in_flight = [record_id for record_id, _, _ in after.in_flight()]
        assert in_flight == [ids[2]]
        assert recover_if_idle(after) == 1
        statuses = [after.get(record_id).status for record_id in ids]
        assert statuses[:2] == ["exported", "exported"]
        assert statuses[2] == "unconfirmed"
        assert statuses[3:] == [None] * 5
        not_confirmed = [i for i, status in zip(ids, statuses, strict=True) if status != "exported"]
        assert sorted(after.flagged_ids()) == not_confirmed  # all still flagged
        (entry,) = after.journal(ids[2])
        assert entry.outcome == "unconfirmed"
        assert "ExportDesk stopped during the export" in entry.detail
        assert "may have received it" in entry.detail
        assert after.in_flight() == []
