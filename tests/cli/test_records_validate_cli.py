"""``exportdesk records validate``: the window's Validate, headless, on the same save file."""

from __future__ import annotations

import json

from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile
from tests.fixtures.validation import add_records, authority_record, error_record, valid_record


def saved(account: str, *records: bytes) -> list[int]:
    with SaveFile.for_account(account) as save_file:
        return add_records(save_file, records)


def test_validate_stores_states_and_exits_1_on_errors(cli, account: str) -> None:
    saved(account, valid_record("v1"), error_record("e1"))
    run = cli("records", "validate", "--account", account, "--all")
    assert run.status == 1
    assert "record 2 (e1) Record with errors: errors" in run.out
    assert "  error    249  Field 249 is not defined" in run.out
    assert run.out.rstrip().endswith("Validated 2 records at Full: 1 with errors, 1 valid.")
    listed = json.loads(cli("records", "list", "--account", account, "--json").out)
    assert [r["validation"] for r in listed] == ["valid", "errors"]
    only = cli("records", "list", "--account", account, "--validation", "errors", "--json")
    assert [r["id"] for r in json.loads(only.out)] == [2]


def test_json_lines_and_the_accounts_levels(cli, account: str) -> None:
    saved(account, valid_record("v1"), authority_record("a1"))
    run = cli("records", "validate", "--account", account, "--json", "1", "2")
    assert run.status == 0  # the authority record is not checked at the factory level None
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [(x["id"], x["state"], x["level"]) for x in lines] == [
        (1, "valid", "full"),
        (2, None, "none"),
    ]
    assert "level for authority records is None" in lines[1]["skipped"]
    settings = AccountSettings(account)
    working = settings.effective().copy()
    working.set_value("validate_auth", "basic")
    settings.save_default(working)
    again = cli("records", "validate", "--account", account, "--json", "2")
    assert json.loads(again.out)["state"] == "errors" and again.status == 1


def test_a_chosen_level_and_the_flagged_records(cli, account: str) -> None:
    saved(account, error_record("e1"), error_record("e2"))
    cli("records", "flag", "--account", account, "2")
    run = cli("records", "validate", "--account", account, "--flagged", "--level", "structure")
    assert run.status == 0
    assert run.out.strip() == "Validated 1 record at Structure: 1 valid."
    with SaveFile.for_account(account) as save_file:
        assert [save_file.get(i).validation_state for i in (1, 2)] == [None, "valid"]


def test_bad_usage_exits_2(cli, account: str) -> None:
    saved(account, valid_record("v1"))
    assert cli("records", "validate", "--account", account).status == 2
    missing = cli("records", "validate", "--account", account, "7")
    assert missing.status == 2 and "no record with id 7" in missing.err
    assert cli("records", "validate", "--account", account, "--all", "1").status == 2
    assert cli("records", "validate", "--account", account, "--level", "strict", "1").status == 2
