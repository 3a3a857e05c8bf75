"""exportdesk export: JSON lines per record, a summary, and exit statuses."""

from __future__ import annotations

import json

from app.core.net.receiver import Fault, FaultMode
from tests.fixtures.exporting import ACCOUNT, tcpip_settings


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_prints_one_line_per_record_then_a_summary(cli, flagged, receiver) -> None:
    ids = flagged(3)
    tcpip_settings(receiver)
    run = cli("export", "--account", ACCOUNT, "--json")
    assert run.status == 0, run.err
    lines = json_lines(run.out)
    assert lines[:3] == [{"id": i, "outcome": "exported", "reply": "Import ok"} for i in ids]
    assert lines[3]["summary"]["exported"] == 3
    assert sum(lines[3]["summary"].values()) == 3
    again = cli("export", "--account", ACCOUNT)  # nothing is flagged any more
    assert again.status == 0 and "No records to export" in again.err


def test_some_records_not_exported_is_exit_1(cli, flagged, start_receiver) -> None:
    ids = flagged(2)
    tcpip_settings(start_receiver(fault=Fault(FaultMode.ERROR, text="duplicate")))
    run = cli("export", "--account", ACCOUNT, "--id", str(ids[1]), "--json")
    assert run.status == 1
    first, summary = json_lines(run.out)
    assert first == {"id": ids[1], "outcome": "rejected", "reply": "Error: duplicate"}
    assert summary == {
        "summary": {
            "exported": 0, "rejected": 1, "invalid": 0, "not_sent": 0, "unconfirmed": 0,
            "cancelled": 0, "unconfirmed_left_out": 0,
        },
    }  # fmt: skip


def test_a_file_export_needs_a_format_when_the_setting_asks(cli, flagged, tmp_path) -> None:
    flagged(1)
    cli("options", "set", "--account", ACCOUNT, f"file_name={tmp_path / 'out.xml'}")
    run = cli("export", "--account", ACCOUNT)
    assert run.status == 2 and "format" in run.err
    run = cli("export", "--account", ACCOUNT, "--format", "marcxml")
    assert run.status == 0
    assert (tmp_path / "out.xml").read_bytes().startswith(b"<?xml")


def test_the_password_comes_from_the_environment_when_asked(
    cli, flagged, start_receiver, monkeypatch
) -> None:
    checking = start_receiver(logon_id="01CARLI_NETWORK", password="s3cret-env")
    flagged(1)
    tcpip_settings(checking, send_logon_id=True, logon_id="01CARLI_NETWORK")
    run = cli("export", "--account", ACCOUNT)
    assert run.status == 2 and "no password" in run.err
    monkeypatch.setenv("ALMA_PASSWORD", "s3cret-env")
    run = cli("export", "--account", ACCOUNT, "--password-env", "ALMA_PASSWORD", "--json")
    assert run.status == 0, run.out + run.err
    assert "s3cret-env" not in run.out + run.err


def test_unknown_ids_and_accounts_are_bad_usage(cli, flagged) -> None:
    flagged(1)
    assert cli("export", "--account", ACCOUNT, "--id", "999").status == 2
    assert cli("export", "--account", "555-555-555").status == 2
