"""Locked settings from the command line: every command that could change a locked value is
refused (exit 2, naming the lock and who to ask), and the value stays as the institution set."""

from __future__ import annotations

import json

import pytest

from app.core.settings.layers import account_file
from tests.fixtures.consortium import CONSORTIUM, CONTACT, NZ_HOST, write_institution
from tests.fixtures.exporting import ACCOUNT


@pytest.fixture
def locked(cli, account) -> None:
    write_institution(CONSORTIUM)


def show(cli, *extra: str) -> dict:
    run = cli("options", "show", "--account", ACCOUNT, "--json", *extra)
    assert run.status == 0, run.err
    return json.loads(run.out)


def refused(run, named: str) -> None:
    assert run.status == 2, (run.out, run.err)
    assert named in run.err
    assert "set by your institution and locked" in run.err
    assert CONTACT in run.err


def test_show_gives_locked_values_their_source(cli, locked) -> None:
    shown = show(cli)
    assert shown["connection"] == "CARLI Network Zone"
    assert shown["options"]["host"] == NZ_HOST
    assert shown["sources"]["host"] == "institution (locked)"
    assert shown["sources"]["format"] == "institution (locked)"
    assert shown["sources"]["validate_bib"] == "factory"
    iz = show(cli, "--connection", "Institution Zone")
    assert iz["sources"]["port"] == "institution (locked)"
    assert iz["sources"]["host"] == "institution"
    text = cli("options", "show", "--account", ACCOUNT)
    assert "institution (locked)" in text.out and CONTACT in text.out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("format=marcxml",), "format"),
        (("destination=file",), "destination"),
        (("host=sandbox.example.org",), "host (connection 'CARLI Network Zone')"),
        (("logon_id=01OTHER",), "logon_id (connection 'CARLI Network Zone')"),
        (("--connection", "Institution Zone", "port=6000"), "port"),
        (("--connection", "Institution Zone", "timeout=30"), "timeout"),
        (("format=marc",), "format"),  # even the locked value itself: it is not the account's
    ],
)
def test_options_set_of_a_locked_value_is_refused(cli, locked, args, named) -> None:
    before = show(cli)
    run = cli("options", "set", "--account", ACCOUNT, *args, "validate_auth=full")
    refused(run, named)
    assert "nothing was saved" in run.err
    assert show(cli) == before
    assert not account_file(ACCOUNT).exists()


def test_every_connection_lock_covers_a_connection_the_account_adds(cli, locked) -> None:
    run = cli("connection", "add", "--account", ACCOUNT, "Sandbox")
    assert run.status == 0, run.err
    sandbox = show(cli, "--connection", "Sandbox")
    assert sandbox["options"]["timeout"] == 60
    assert sandbox["sources"]["timeout"] == "institution (locked)"
    refused(
        cli("options", "set", "--account", ACCOUNT, "--connection", "Sandbox", "timeout=5"),
        "timeout",
    )
    ok = cli("options", "set", "--account", ACCOUNT, "--connection", "Sandbox", "host=sb.org")
    assert ok.status == 0, ok.err


def test_unset_and_reset_leave_locked_values_alone(cli, account) -> None:
    assert (
        cli("options", "set", "--account", ACCOUNT, "format=marcxml", "charset=marc8").status == 0
    )
    write_institution(CONSORTIUM)
    refused(cli("options", "unset", "--account", ACCOUNT, "format"), "format")
    run = cli("options", "reset", "--account", ACCOUNT)
    assert run.status == 0, run.err
    held = json.loads(account_file(ACCOUNT).read_text())
    assert held["options"] == {"format": "marcxml"}  # charset reset; the locked one kept
    assert show(cli)["options"]["format"] == "marc"
    write_institution({**CONSORTIUM, "locked": []})  # the lock lifted
    assert show(cli)["options"]["format"] == "marcxml"
    assert show(cli)["sources"]["format"] == "account"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("rename", "CARLI Network Zone", "NZ"), "the name of connection 'CARLI Network Zone'"),
        (("remove", "CARLI Network Zone"), "connection 'CARLI Network Zone'"),
        (("remove", "Institution Zone"), "connection 'Institution Zone'"),
        (("use", "Institution Zone"), "active_connection"),
        (("add", "Sandbox", "--use"), "active_connection"),
    ],
)
def test_connection_commands_obey_locks(cli, locked, args, named) -> None:
    before = cli("connection", "list", "--account", ACCOUNT, "--json").out
    run = cli("connection", args[0], "--account", ACCOUNT, *args[1:])
    refused(run, named)
    assert cli("connection", "list", "--account", ACCOUNT, "--json").out == before


def test_connection_list_marks_what_the_institution_sets(cli, locked) -> None:
    rows = json.loads(cli("connection", "list", "--account", ACCOUNT, "--json").out)
    assert [(r["name"], r["active"], r["locked"]) for r in rows] == [
        ("CARLI Network Zone", True, True),
        ("Institution Zone", False, True),
    ]


def test_export_to_another_connection_is_refused_when_the_institution_locks_it(
    cli, locked, flagged
) -> None:
    flagged(1)
    run = cli("export", "--account", ACCOUNT, "--connection", "Institution Zone")
    refused(run, "active_connection")
