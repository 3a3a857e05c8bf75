"""The layers: factory < institution < account default < session, and the save buttons."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core.errors import OptionError
from app.core.settings import files as settings_files
from app.core.settings.account_settings import AccountSettings
from app.core.settings.layers import Source, account_file
from app.core.settings.secrets import SecretKind, Stored

ACCOUNT = "100-123-456"


def write_institution(data: dict) -> Path:
    path = Path(os.environ["EXPORTDESK_INSTITUTION_FILE"])
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_leftover_notices():
    settings_files.take_notices()
    yield


def test_factory_defaults_apply_to_a_new_account(isolated_home: Path) -> None:
    effective = AccountSettings(ACCOUNT).effective()
    assert effective.options["format"] == "none"
    assert effective.options["destination"] == "file"
    assert effective.options["validate_bib"] == "full"
    assert effective.options["validate_auth"] == "none"
    assert effective.options["file_name"] == str(isolated_home / "Documents" / "export.mrc")
    assert [c.name for c in effective.connections] == ["Default"]
    assert effective.active.values["port"] == 5500
    assert effective.active.values["timeout"] == 90
    assert effective.source_of("format") is Source.FACTORY


def test_institution_defaults_and_connections_show_through() -> None:
    write_institution(
        {
            "format_version": 1,
            "options": {"format": "marc", "destination": "tcpip", "timeout": 60},
            "connections": [
                {"name": "CARLI Network Zone", "options": {"host": "nz.example.org"}},
                {"name": "Sandbox", "options": {"host": "sandbox.example.org", "port": 5501}},
            ],
        }
    )
    effective = AccountSettings(ACCOUNT).effective()
    assert [c.name for c in effective.connections] == ["CARLI Network Zone", "Sandbox"]
    assert effective.active.name == "CARLI Network Zone"
    assert effective.active.values["host"] == "nz.example.org"
    # A connection setting in the institution's options is the default of every connection.
    assert effective.connection_named("Sandbox").values["timeout"] == 60
    assert effective.source_of("format") is Source.INSTITUTION
    assert effective.options["file_name"].endswith("export.mrc")


def test_save_for_session_applies_until_log_off_and_leaves_the_default() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marcxml")
    account.save_for_session(working)

    assert account.effective().options["format"] == "marcxml"
    assert account.effective().source_of("format") is Source.SESSION
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"

    account.end_session()
    assert account.effective().options["format"] == "none"


def test_save_my_default_is_kept_for_later_sessions() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("validate_auth", "basic")
    working.set_value("port", 7000)
    account.save_default(working)
    account.end_session()

    again = AccountSettings(ACCOUNT).effective()
    assert again.options["validate_auth"] == "basic"
    assert again.active.values["port"] == 7000
    assert again.source_of("port") is Source.ACCOUNT


def test_the_file_name_follows_the_format_while_it_is_the_default() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "dc-rdf")
    assert working.options["file_name"].endswith("export.rdf")
    account.save_default(working)
    saved = json.loads(account_file(ACCOUNT).read_text())
    assert "file_name" not in saved["options"]  # still the default, so not written

    working = account.effective().copy()
    working.set_value("file_name", "/tmp/mine.rdf")
    working.set_value("format", "marc")
    assert working.options["file_name"] == "/tmp/mine.rdf"  # chosen by the user: kept


def test_reset_clears_session_and_saved_values_of_the_active_connection_only() -> None:
    write_institution({"options": {"timeout": 45}})
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marc")
    working.set_value("timeout", 10)
    other = working.add_connection("Sandbox")
    working.set_value("timeout", 20, other)
    account.save_default(working, {other.id: "sandbox-secret"})
    working = account.effective().copy()
    working.set_value("charset", "marc8")
    account.save_for_session(working)

    account.reset()

    after = account.effective()
    assert after.options["format"] == "none"
    assert after.options["charset"] == "utf8"
    assert after.active.values["timeout"] == 45  # the institution's default shows through
    assert after.connection_named("Sandbox").values["timeout"] == 20  # other connection kept
    assert account.password(other.id) == "sandbox-secret"
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"


def test_two_accounts_are_kept_apart() -> None:
    first, second = AccountSettings("100-123-456"), AccountSettings("200-000-001")
    working = first.effective().copy()
    working.set_value("destination", "tcpip")
    working.set_value("host", "first.example.org")
    first.save_default(working, {working.active_id: "first-secret"})

    assert AccountSettings("200-000-001").effective().options["destination"] == "file"
    assert second.password(second.effective().active_id) is None
    assert first.password(first.effective().active_id) == "first-secret"


def test_connections_add_rename_duplicate_remove_and_choose() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    zone = working.add_connection("Network Zone")
    working.set_value("host", "nz.example.org", zone)
    copy = working.duplicate_connection(zone.id)
    assert copy.name == "Network Zone (copy)"
    assert copy.values["host"] == "nz.example.org"
    working.rename_connection(copy.id, "Institution Zone")
    working.remove_connection("default")
    working.active_id = copy.id
    with pytest.raises(OptionError, match="already a connection named"):
        working.rename_connection(zone.id, "institution zone")
    account.save_default(working)

    again = AccountSettings(ACCOUNT).effective()
    assert [c.name for c in again.connections] == ["Network Zone", "Institution Zone"]
    assert again.active.name == "Institution Zone"
    assert again.active.values["host"] == "nz.example.org"


def test_the_last_connection_cannot_be_removed() -> None:
    working = AccountSettings(ACCOUNT).effective().copy()
    with pytest.raises(OptionError, match="at least one connection"):
        working.remove_connection(working.active_id)


def test_a_renamed_connection_keeps_its_password() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    account.save_default(working, {working.active_id: "pw-1"})
    working = account.effective().copy()
    working.rename_connection(working.active_id, "Alma production")
    account.save_default(working)
    effective = AccountSettings(ACCOUNT).effective()
    assert effective.active.name == "Alma production"
    assert AccountSettings(ACCOUNT).password(effective.active_id) == "pw-1"


def test_removing_a_connection_as_default_forgets_its_password(memory_keyring) -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    extra = working.add_connection("Sandbox")
    account.save_default(working, {extra.id: "sandbox-pw"})
    assert memory_keyring.entries
    working = account.effective().copy()
    working.remove_connection(extra.id)
    account.save_default(working)
    assert not memory_keyring.entries


def test_a_new_connection_does_not_take_the_id_of_a_removed_one() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    first = working.add_connection("Sandbox")
    account.save_for_session(working, {first.id: "old"})
    working = account.effective().copy()
    working.remove_connection(first.id)
    account.save_for_session(working)
    working = account.effective().copy()
    second = working.add_connection("Sandbox", account.taken_connection_ids())
    assert account.password(second.id) is None
    assert account.password(first.id) is None  # removed with its connection


def test_passwords_go_to_the_keyring_and_never_into_files(
    memory_keyring, isolated_home: Path
) -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    outcome = account.save_default(working, {working.active_id: "s3cret-Pa55"})
    assert outcome.stored[(working.active_id, SecretKind.PASSWORD)] is Stored.KEYRING
    assert ("exportdesk", f"{ACCOUNT}/default") in memory_keyring.entries
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert b"s3cret-Pa55" not in path.read_bytes(), path


def test_a_session_password_is_held_in_memory_until_log_off(memory_keyring) -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    outcome = account.save_for_session(working, {working.active_id: "session-only"})
    assert outcome.stored[(working.active_id, SecretKind.PASSWORD)] is Stored.SESSION
    assert account.password(working.active_id) == "session-only"
    assert not memory_keyring.entries
    account.end_session()
    assert account.password(working.active_id) is None


def test_a_secret_logon_id_is_kept_like_a_password(memory_keyring, isolated_home: Path) -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("destination", "tcpip")
    working.set_value("host", "folio.example.org")
    working.set_value("logon_id_secret", True)
    working.set_value("logon_id", "tenant-api-key-123")
    account.save_default(working)
    assert "tenant-api-key-123" not in account_file(ACCOUNT).read_text()
    assert account.session.is_empty()  # saved as default: nothing left for the session
    assert AccountSettings(ACCOUNT).effective().active.values["logon_id"] == "tenant-api-key-123"


def test_a_damaged_account_file_is_set_aside_and_defaults_apply() -> None:
    path = account_file(ACCOUNT)
    path.parent.mkdir(parents=True)
    path.write_text('{"options": {"format": "marc",', encoding="utf-8")
    effective = AccountSettings(ACCOUNT).effective()
    assert effective.options["format"] == "none"
    notices = settings_files.take_notices()
    assert len(notices) == 1 and "damaged" in notices[0] and "not valid JSON" in notices[0]
    assert not path.exists()
    assert list(path.parent.glob(path.name + ".damaged-*"))


def test_a_bad_value_in_a_file_is_ignored_with_a_notice_and_the_rest_apply() -> None:
    write_institution({"options": {"format": "marc", "port": 99999, "password": "x"}})
    effective = AccountSettings(ACCOUNT).effective()
    assert effective.options["format"] == "marc"
    assert effective.active.values["port"] == 5500
    notices = " ".join(settings_files.take_notices())
    assert "port" in notices and "passwords are never read from files" in notices
    assert Path(os.environ["EXPORTDESK_INSTITUTION_FILE"]).exists()  # never moved


def test_settings_files_are_readable_json_with_a_format_version() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("fields_to_delete", ("029", "9XX"))
    account.save_default(working)
    data = json.loads(account_file(ACCOUNT).read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    assert data["options"]["fields_to_delete"] == ["029", "9XX"]
    assert data["options"]["format"] == "none"  # every value on the screen is kept


# Save My Default keeps what the screen showed; the command line writes what it is given.


def test_save_my_default_keeps_every_value_over_a_later_institution_file() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    assert working.active.values["timeout"] == 90  # the factory's, as the screen shows it
    working.add_connection("Sandbox")
    account.save_default(working)
    write_institution({"options": {"timeout": 30, "format": "marc", "charset": "marc8"}})

    again = AccountSettings(ACCOUNT).effective()
    assert again.active.values["timeout"] == 90
    assert again.source_of("timeout") is Source.ACCOUNT
    assert again.connection_named("Sandbox").values["timeout"] == 90  # every connection
    assert again.options["format"] == "none"
    assert again.source_of("charset") is Source.ACCOUNT


def test_save_my_default_leaves_the_machines_export_file_the_default() -> None:
    account = AccountSettings(ACCOUNT)
    account.save_default(account.effective().copy())
    assert "file_name" not in json.loads(account_file(ACCOUNT).read_text())["options"]
    working = account.effective().copy()
    working.set_value("format", "marcxml")
    account.save_default(working)
    assert account.effective().options["file_name"].endswith("export.xml")
    assert account.effective().source_of("file_name") is Source.FACTORY


def test_locked_values_are_never_written() -> None:
    write_institution(
        {"format_version": 2, "options": {"format": "marc"}, "locked": ["timeout", "format"]}
    )
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("charset", "marc8")
    account.save_default(working)
    saved = json.loads(account_file(ACCOUNT).read_text())
    assert "format" not in saved["options"] and saved["options"]["charset"] == "marc8"
    assert all("timeout" not in c["options"] for c in saved["connections"])
    assert "retries" in saved["connections"][0]["options"]


def test_a_command_writes_what_it_is_given_and_keeps_what_the_file_held() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    account.save_default(working, every_value=False, also=[(working.active_id, "timeout")])
    assert account.effective().source_of("timeout") is Source.ACCOUNT
    assert account.effective().source_of("retries") is Source.FACTORY

    working = account.effective().copy()
    working.set_value("format", "marc")
    account.save_default(working, every_value=False)
    write_institution({"options": {"timeout": 30}})
    again = AccountSettings(ACCOUNT).effective()
    assert again.active.values["timeout"] == 90  # still held: another save did not drop it
    assert again.options["format"] == "marc"


def test_unset_removes_keys_so_a_lower_layer_applies_again() -> None:
    write_institution({"options": {"timeout": 30}})
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("timeout", 90)
    working.set_value("charset", "marc8")
    working.set_value("validate_auth", "full")
    account.save_default(working, every_value=False)

    result = account.unset_default(["timeout", "charset", "delay"], working.active_id)
    assert result.removed == ["timeout", "charset"] and not result.errors  # delay was not set
    again = AccountSettings(ACCOUNT).effective()
    assert again.active.values["timeout"] == 30
    assert again.source_of("timeout") is Source.INSTITUTION
    assert again.options["charset"] == "utf8"
    assert again.source_of("validate_auth") is Source.ACCOUNT  # the rest stays


def test_unset_that_would_leave_a_refused_setting_writes_nothing() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("destination", "tcpip")
    working.set_value("host", "alma.example.org")
    working.set_value("logon_id", "01CARLI")
    account.save_default(working)
    result = account.unset_default(["host"], working.active_id)
    assert [p.key for p in result.errors] == ["host"]
    assert AccountSettings(ACCOUNT).effective().active.values["host"] == "alma.example.org"


def test_a_reset_can_be_undone_and_both_are_written_at_once() -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marc")
    working.set_value("timeout", 20)
    account.save_default(working)
    working = account.effective().copy()
    working.set_value("charset", "marc8")
    account.save_for_session(working)
    cleared = account.reset_clears(working.active_id)
    assert (Source.ACCOUNT, None, "format") in cleared
    assert (Source.ACCOUNT, working.active_id, "timeout") in cleared
    assert (Source.SESSION, None, "charset") in cleared

    undo = account.reset()
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"
    assert account.effective().options["charset"] == "utf8"
    assert account.reset_clears(working.active_id) == []

    account.undo_reset(undo)
    assert AccountSettings(ACCOUNT).effective().options["format"] == "marc"
    assert AccountSettings(ACCOUNT).effective().active.values["timeout"] == 20
    assert account.effective().options["charset"] == "marc8"
    assert account.effective().source_of("charset") is Source.SESSION
