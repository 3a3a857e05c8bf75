"""The administrator's command line: accounts, options, connections and passwords."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.settings.options import OPTIONS
from app.main import main

ACCOUNT = "100-123-456"
ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def show(capsys, *extra: str) -> dict:
    status, out, _ = run(capsys, "options", "show", "--account", ACCOUNT, "--json", *extra)
    assert status == 0
    return json.loads(out)


@pytest.fixture(autouse=True)
def known_account(capsys) -> None:
    assert run(capsys, "account", "add", ACCOUNT)[0] == 0


def test_show_json_lists_every_setting_with_its_source(capsys) -> None:
    shown = show(capsys)
    assert shown["account"] == ACCOUNT
    assert shown["connection"] == "Default"
    assert shown["password_stored"] is False
    assert set(shown["options"]) == set(shown["sources"])
    assert len(shown["options"]) == len(OPTIONS)
    assert shown["options"]["mark_for_export"] is False
    assert shown["options"]["fields_to_delete"] == []
    assert shown["options"]["port"] == 5500
    assert set(shown["sources"].values()) == {"factory"}


def test_set_then_show_round_trip(capsys) -> None:
    status, _, _ = run(
        capsys, "options", "set", "--account", ACCOUNT,
        "format=marc", "destination=tcpip", "host=i-share-network.alma.exlibrisgroup.com",
        "logon_id=01CARLI_NETWORK", "fields_to_delete=029 9XX,938", "notify_before_disconnect=on",
        "permanent_connection=off", "timeout=90", "validate_auth=none",
    )  # fmt: skip
    assert status == 0
    shown = show(capsys)
    assert shown["options"]["host"] == "i-share-network.alma.exlibrisgroup.com"
    assert shown["options"]["logon_id"] == "01CARLI_NETWORK"
    assert shown["options"]["fields_to_delete"] == ["029", "9XX", "938"]
    assert shown["sources"]["host"] == "account"
    assert shown["sources"]["timeout"] == "account"  # written, though equal to the default
    assert shown["sources"]["retries"] == "factory"  # not given: not written


@pytest.mark.parametrize(
    ("assignment", "named"),
    [
        ("port=70000", "port"),
        ("timeout=0", "timeout"),
        ("retries=many", "retries"),
        ("port=55_00", "port"),  # int() would take these three
        ("port=\u0665\u0665\u0660\u0660", "port"),  # 5500 in Arabic-Indic digits
        ("retries=\u00b2", "retries"),  # and this one not
        ("format=pdf", "format"),
        ("mark_for_export=maybe", "mark_for_export"),
        ("fields_to_delete=LDR", "fields_to_delete"),
        ("host=http://alma.example.org", "host"),
        ("logon_id=" + "x" * 192, "logon_id"),
        ("colour=blue", "colour"),
    ],
)
def test_a_bad_value_exits_2_naming_the_key_and_saves_nothing(capsys, assignment, named) -> None:
    status, _, err = run(
        capsys, "options", "set", "--account", ACCOUNT, "charset=marc8", assignment
    )
    assert status == 2
    assert named in err
    assert show(capsys)["options"]["charset"] == "utf8"


def test_a_bad_value_message_says_what_the_setting_accepts(capsys) -> None:
    _, _, err = run(capsys, "options", "set", "--account", ACCOUNT, "port=0")
    assert "from 1 to 65535" in err


def test_settings_that_contradict_each_other_are_refused(capsys) -> None:
    status, _, err = run(capsys, "options", "set", "--account", ACCOUNT, "destination=tcpip")
    assert status == 2 and "host" in err
    status, _, err = run(
        capsys, "options", "set", "--account", ACCOUNT,
        "destination=tcpip", "host=alma.example.org", "format=marcxml", "logon_id=X",
    )  # fmt: skip
    assert status == 2 and "format" in err and "only MARC 21" in err


def test_an_unknown_account_is_refused(capsys) -> None:
    status, _, err = run(capsys, "options", "show", "--account", "999-999-999")
    assert status == 2 and "exportdesk account add 999-999-999" in err
    status, _, err = run(capsys, "account", "add", "not-an-account")
    assert status == 2 and "three groups of digits" in err


def test_reset_brings_back_the_defaults(capsys) -> None:
    run(capsys, "options", "set", "--account", ACCOUNT, "format=marcxml", "retries=5")
    assert run(capsys, "options", "reset", "--account", ACCOUNT)[0] == 0
    shown = show(capsys)
    assert shown["options"]["format"] == "none" and shown["options"]["retries"] == 3


def test_connections_from_the_command_line(capsys) -> None:
    base = ("--account", ACCOUNT)
    assert run(capsys, "connection", "add", *base, "Network Zone")[0] == 0
    run(capsys, "options", "set", *base, "--connection", "network zone", "host=nz.example.org")
    assert run(capsys, "connection", "add", *base, "Sandbox", "--copy-of", "Network Zone")[0] == 0
    assert run(capsys, "connection", "rename", *base, "Sandbox", "Institution Zone")[0] == 0
    assert run(capsys, "connection", "use", *base, "Institution Zone")[0] == 0
    assert run(capsys, "connection", "remove", *base, "Default")[0] == 0
    _, out, _ = run(capsys, "connection", "list", *base, "--json")
    rows = json.loads(out)
    assert [(r["name"], r["active"], r["host"]) for r in rows] == [
        ("Network Zone", False, "nz.example.org"),
        ("Institution Zone", True, "nz.example.org"),
    ]
    assert show(capsys)["connection"] == "Institution Zone"
    status, _, err = run(capsys, "connection", "use", *base, "Nowhere")
    assert status == 2 and "'Network Zone'" in err


def test_password_set_reads_standard_input_and_goes_to_the_keyring(
    capsys, monkeypatch, memory_keyring, isolated_home
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("pa55-from-stdin\n"))
    status, out, err = run(capsys, "password", "set", "--account", ACCOUNT)
    assert status == 0
    assert "pa55-from-stdin" not in out + err
    assert memory_keyring.entries[("exportdesk", f"{ACCOUNT}/default")] == "pa55-from-stdin"
    assert show(capsys)["password_stored"] is True
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert b"pa55-from-stdin" not in path.read_bytes()
    assert run(capsys, "password", "forget", "--account", ACCOUNT)[0] == 0
    assert show(capsys)["password_stored"] is False


def test_a_secret_logon_id_is_never_taken_from_arguments_nor_shown(
    capsys, monkeypatch, memory_keyring
) -> None:
    run(capsys, "options", "set", "--account", ACCOUNT, "logon_id_secret=on", "send_logon_id=on")
    status, _, err = run(capsys, "options", "set", "--account", ACCOUNT, "logon_id=visible")
    assert status == 2 and "secret" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("tenant-key-42\n"))
    assert run(capsys, "password", "set", "--account", ACCOUNT, "--logon-id")[0] == 0
    shown = show(capsys)
    assert shown["options"]["logon_id"] is None
    _, out, _ = run(capsys, "options", "show", "--account", ACCOUNT)
    assert "tenant-key-42" not in out and "(secret, in the keyring)" in out


def test_settings_locations_follow_xdg(tmp_path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "app"]
    subprocess.run([*command, "account", "add", ACCOUNT], env=env, check=True, capture_output=True)
    subprocess.run(
        [*command, "options", "set", "--account", ACCOUNT, "format=marc"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    assert (tmp_path / "cfg" / "exportdesk" / "accounts.json").is_file()
    assert (tmp_path / "cfg" / "exportdesk" / "accounts" / f"{ACCOUNT}.json").is_file()


def write_institution(data: dict) -> None:
    Path(os.environ["EXPORTDESK_INSTITUTION_FILE"]).write_text(json.dumps(data))


def test_a_value_set_equal_to_the_default_is_kept_when_the_institution_changes(capsys) -> None:
    assert run(capsys, "options", "set", "--account", ACCOUNT, "timeout=90")[0] == 0
    run(capsys, "options", "set", "--account", ACCOUNT, "format=marc")  # does not unpin it
    write_institution({"options": {"timeout": 30, "retries": 1}})
    shown = show(capsys)
    assert shown["options"]["timeout"] == 90 and shown["sources"]["timeout"] == "account"
    assert shown["options"]["retries"] == 1 and shown["sources"]["retries"] == "institution"
    _, out, _ = run(capsys, "options", "show", "--account", ACCOUNT)
    assert [line.split() for line in out.splitlines() if "timeout" in line] == [
        ["timeout", "90", "account"]
    ]


def test_connection_commands_do_not_pin_the_other_values(capsys) -> None:
    run(capsys, "connection", "add", "--account", ACCOUNT, "Sandbox", "--use")
    shown = show(capsys)
    assert shown["connection"] == "Sandbox"
    assert shown["sources"]["format"] == "factory"
    assert shown["sources"]["timeout"] == "factory"


def test_unset_lets_the_institution_default_apply_again(capsys) -> None:
    base = ("--account", ACCOUNT)
    run(capsys, "options", "set", *base, "timeout=90", "charset=marc8", "format=marc")
    write_institution({"options": {"timeout": 30}})
    status, out, _ = run(capsys, "options", "unset", *base, "timeout", "charset", "delay")
    assert status == 0
    assert "connection 'Default', timeout: removed; now 30 (institution default)" in out
    assert "charset: removed; now utf8 (factory default)" in out
    assert "delay: not set in the account's default; nothing to remove" in out
    shown = show(capsys)
    assert shown["options"]["timeout"] == 30 and shown["sources"]["timeout"] == "institution"
    assert shown["sources"]["charset"] == "factory"
    assert shown["options"]["format"] == "marc"  # not named: kept


def test_unset_on_a_named_connection(capsys) -> None:
    base = ("--account", ACCOUNT)
    run(capsys, "connection", "add", *base, "Sandbox")
    run(capsys, "options", "set", *base, "--connection", "Sandbox", "port=5501")
    run(capsys, "options", "set", *base, "port=5502")
    assert run(capsys, "options", "unset", *base, "--connection", "sandbox", "port")[0] == 0
    assert show(capsys, "--connection", "Sandbox")["options"]["port"] == 5500
    assert show(capsys)["options"]["port"] == 5502  # the active connection kept its own


@pytest.mark.parametrize(
    ("keys", "named"),
    [(["colour"], "colour"), (["timeout", "password"], "password forget")],
)
def test_unset_of_something_that_is_not_a_setting_removes_nothing(capsys, keys, named) -> None:
    run(capsys, "options", "set", "--account", ACCOUNT, "timeout=60")
    status, _, err = run(capsys, "options", "unset", "--account", ACCOUNT, *keys)
    assert status == 2 and "nothing was removed" in err and named in err
    assert show(capsys)["options"]["timeout"] == 60


def test_unset_that_would_leave_settings_refused_removes_nothing(capsys) -> None:
    run(
        capsys, "options", "set", "--account", ACCOUNT,
        "destination=tcpip", "host=alma.example.org", "logon_id=01CARLI",
    )  # fmt: skip
    status, _, err = run(capsys, "options", "unset", "--account", ACCOUNT, "host")
    assert status == 2 and "nothing was removed" in err and "host" in err
    assert show(capsys)["options"]["host"] == "alma.example.org"


def test_set_help_lists_every_key_with_what_it_accepts(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["options", "set", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for opt in OPTIONS:
        assert f"  {opt.key}" in out, opt.key
    assert "format: one of none, marc, marcxml, dc-rdf, dc-html; default none" in out
    assert "port (per connection): a whole number from 1 to 65535; default 5500" in out


@pytest.mark.parametrize("typed", ["MARC", "Marc", "mArC"])
def test_choice_values_are_taken_in_any_case(capsys, typed: str) -> None:
    status, _, err = run(capsys, "options", "set", "--account", ACCOUNT, f"format={typed}")
    assert status == 0, err
    assert show(capsys)["options"]["format"] == "marc"
