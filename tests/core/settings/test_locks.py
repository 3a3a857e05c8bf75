"""Settings an institution locks: they win over the account and the session, no save writes
them, none erases what the account saved, and lifting a lock lets the account's value back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.settings import files as settings_files
from app.core.settings.account_settings import AccountSettings
from app.core.settings.layers import Source, account_file
from app.core.settings.locks import LockedError
from tests.fixtures.consortium import (
    CONSORTIUM,
    NZ_HOST,
    write_institution,
    write_unlocked_institution,
)

ACCOUNT = "100-123-456"


def saved_file() -> dict:
    return json.loads(account_file(ACCOUNT).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def no_leftover_notices():
    settings_files.take_notices()
    yield


def save_before_the_lock() -> None:
    """The account saves its own values while nothing is locked."""
    write_unlocked_institution()
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marcxml")
    working.set_value("destination", "file")
    working.set_value("timeout", 30, working.connection("nz"))
    working.set_value("host", "sandbox.example.org", working.connection("nz"))
    working.set_value("port", 6000, working.connection("iz"))
    working.active_id = "iz"
    working.rename_connection("nz", "My NZ")
    account.save_default(working)


def test_locked_values_win_over_the_account_and_the_session_with_their_source() -> None:
    save_before_the_lock()
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    effective = account.effective()
    assert effective.options["format"] == "marc"
    assert effective.options["destination"] == "tcpip"
    assert effective.source_of("format") is Source.LOCKED
    assert str(Source.LOCKED) == "institution (locked)"
    nz = effective.connection("nz")
    assert nz.name == "CARLI Network Zone"  # the name is locked too
    assert nz.values["host"] == NZ_HOST and nz.sources["host"] is Source.LOCKED
    assert nz.values["timeout"] == 60  # locked on every connection
    assert effective.connection("iz").values["port"] == 5500
    assert effective.connection("iz").values["timeout"] == 60
    assert effective.active_id == "nz"  # where exports go is locked
    assert account.active_source() is Source.LOCKED
    # Values not locked stay the account's.
    assert effective.connection("iz").values["host"] == "iz.example.org"
    assert account.locks.contact.startswith("CARLI Support Center")


def test_a_lock_never_erases_and_lifting_it_lets_the_account_value_apply_again() -> None:
    save_before_the_lock()
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    # Save My Default of everything on the screen, then Reset: the locked values stay out of
    # the file, and what the account saved for them stays in it.
    account.save_default(account.effective().copy())
    account.reset("nz")
    account.reset("iz")
    held = saved_file()
    assert held["options"]["format"] == "marcxml"
    assert held["options"]["destination"] == "file"
    assert held["active_connection"] == "iz"
    nz = next(c for c in held["connections"] if c["id"] == "nz")
    assert nz["name"] == "My NZ" and nz["options"]["host"] == "sandbox.example.org"
    assert next(c for c in held["connections"] if c["id"] == "iz")["options"]["port"] == 6000

    write_unlocked_institution()
    lifted = AccountSettings(ACCOUNT).effective()
    assert lifted.options["format"] == "marcxml"
    assert lifted.source_of("format") is Source.ACCOUNT
    assert lifted.active_id == "iz"
    assert lifted.connection("nz").name == "My NZ"
    assert lifted.connection("nz").values["host"] == "sandbox.example.org"
    assert lifted.connection("iz").values["port"] == 6000


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.set_value("format", "marcxml"),
        lambda w: w.set_value("host", "sandbox.example.org", w.connection("nz")),
        lambda w: w.set_value("port", 6000, w.connection("iz")),
        lambda w: w.set_value("timeout", 30, w.connection("iz")),
        lambda w: w.rename_connection("nz", "Elsewhere"),
        lambda w: w.remove_connection("nz"),
        lambda w: w.remove_connection("iz"),
        lambda w: setattr(w, "active_id", "iz"),
        lambda w: w.set_value("timeout", 30, w.add_connection("Sandbox")),
    ],
)
@pytest.mark.parametrize("button", ["session", "default"])
def test_no_save_changes_a_locked_value(change, button) -> None:
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    before = account.effective()
    working = before.copy()
    change(working)
    save = account.save_for_session if button == "session" else account.save_default
    with pytest.raises(LockedError) as refused:
        save(working)
    assert "set by your institution and locked; ask CARLI Support Center" in refused.value.message
    after = account.effective()
    assert after.options == before.options and after.active_id == before.active_id
    assert [(c.id, c.name, c.values) for c in after.connections] == [
        (c.id, c.name, c.values) for c in before.connections
    ]
    assert not account_file(ACCOUNT).exists()


def test_unset_of_a_locked_key_is_refused_and_keeps_the_account_value() -> None:
    save_before_the_lock()
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    with pytest.raises(LockedError, match="format"):
        account.unset_default(["format"], "nz")
    with pytest.raises(LockedError, match="host"):
        account.unset_default(["host"], "nz")
    assert saved_file()["options"]["format"] == "marcxml"


def test_a_removed_connection_comes_back_while_the_institution_locks_it() -> None:
    write_unlocked_institution()
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.remove_connection("nz")
    account.save_default(working)
    assert [c.id for c in AccountSettings(ACCOUNT).effective().connections] == ["iz"]
    write_institution(CONSORTIUM)
    locked = AccountSettings(ACCOUNT)
    assert [c.id for c in locked.effective().connections] == ["nz", "iz"]
    locked.save_default(locked.effective().copy())
    assert "nz" in saved_file()["removed_connections"]  # the account's choice is kept


def test_reset_clears_lists_no_locked_value() -> None:
    save_before_the_lock()
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    cleared = account.reset_clears("nz")
    assert not any(key in {"format", "destination"} for _, _, key in cleared)
    assert not any(c == "nz" for _, c, _ in cleared)


def test_export_connection_choice_obeys_the_lock() -> None:
    write_institution(CONSORTIUM)
    account = AccountSettings(ACCOUNT)
    account.check_connection_choice("nz")
    with pytest.raises(LockedError, match="active_connection"):
        account.check_connection_choice("iz")


def test_format_1_files_and_bad_locks_are_read_with_a_notice() -> None:
    write_institution({"options": {"format": "marc"}, "locked": ["format", "colour"]})
    account = AccountSettings(ACCOUNT)
    assert account.effective().source_of("format") is Source.LOCKED
    notices = settings_files.take_notices()
    assert any("'colour'" in n and "that lock is ignored" in n for n in notices)


def test_a_newer_file_with_locks_not_understood_is_not_applied() -> None:
    write_institution(
        {
            "format_version": 3,
            "options": {"format": "marc"},
            "locked": ["format", {"key": "host", "unless": "sandbox"}],
        }
    )
    account = AccountSettings(ACCOUNT)
    assert account.effective().options["format"] == "none"  # nothing of it applies
    assert not account.locks.any
    notices = settings_files.take_notices()
    assert any("newer ExportDesk (format 3)" in n and "not applied" in n for n in notices)


def test_a_newer_file_with_locks_understood_applies() -> None:
    write_institution({"format_version": 3, "options": {"format": "marc"}, "locked": ["format"]})
    account = AccountSettings(ACCOUNT)
    assert account.effective().source_of("format") is Source.LOCKED
    assert any("newer ExportDesk" in n for n in settings_files.take_notices())


def test_a_locked_logon_id_is_the_institution_s_even_when_the_account_keeps_one_secret() -> None:
    write_institution(
        {"connections": [{"id": "nz", "name": "NZ", "options": {"logon_id": "01CARLI"}}]}
    )
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("logon_id_secret", True)
    working.set_value("logon_id", "tenant-key")
    account.save_default(working)
    assert AccountSettings(ACCOUNT).effective().active.values["logon_id"] == "tenant-key"
    write_institution(
        {
            "format_version": 2,
            "connections": [{"id": "nz", "name": "NZ", "options": {"logon_id": "01CARLI"}}],
            "locked": ["logon_id"],
        }
    )
    assert AccountSettings(ACCOUNT).effective().active.values["logon_id"] == "01CARLI"


def test_the_documented_example_reads_without_a_notice(monkeypatch) -> None:
    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "institution.json"
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_FILE", str(example))
    account = AccountSettings(ACCOUNT)
    assert settings_files.take_notices() == []
    assert account.locks.contact.startswith("CARLI")
    assert account.effective().active.name == "CARLI Network Zone"
    assert account.effective().source_of("host") is Source.LOCKED
