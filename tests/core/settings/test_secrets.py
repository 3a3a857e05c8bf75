"""The keyring door: where secrets go, and clear messages when the keyring can't help."""

from __future__ import annotations

import keyring.backends.fail
import pytest

from app.core.errors import SecretStoreError
from app.core.settings.account_settings import AccountSettings
from app.core.settings.secrets import Stored, Vault, keyring_available, keyring_description
from tests.fixtures.keyrings import LockedKeyring, use_keyring

ACCOUNT = "100-123-456"


@pytest.fixture
def no_keyring():
    with use_keyring(keyring.backends.fail.Keyring()) as backend:
        yield backend


def test_the_memory_keyring_counts_as_a_keyring() -> None:
    assert keyring_available()
    assert keyring_description() != "no keyring"


def test_without_a_keyring_a_default_password_is_held_for_the_session(no_keyring) -> None:
    assert not keyring_available()
    assert keyring_description() == "no keyring"
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    outcome = account.save_default(working, {working.active_id: "pw"})
    assert outcome.kept_in_memory_for_lack_of_keyring
    assert account.password(working.active_id) == "pw"
    account.end_session()
    assert account.password(working.active_id) is None


def test_a_locked_keyring_gives_a_clear_message_without_the_password() -> None:
    vault = Vault(ACCOUNT)
    with use_keyring(LockedKeyring()):
        with pytest.raises(SecretStoreError) as caught:
            vault.save_default("default", "Top-Secret-9")
        assert "locked" in caught.value.message
        assert "Top-Secret-9" not in str(caught.value)
        with pytest.raises(SecretStoreError, match="locked"):
            vault.get("default")


def test_a_locked_keyring_saves_nothing_at_all(isolated_home) -> None:
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marc")
    with use_keyring(LockedKeyring()), pytest.raises(SecretStoreError):
        account.save_default(working, {working.active_id: "pw"})
    assert AccountSettings(ACCOUNT).saved_default().options["format"] == "none"


def test_session_values_win_over_saved_ones(memory_keyring) -> None:
    vault = Vault(ACCOUNT)
    assert vault.save_default("nz", "saved") is Stored.KEYRING
    vault.save_session("nz", "typed today")
    assert vault.get("nz") == "typed today"
    vault.end_session()
    assert vault.get("nz") == "saved"
    vault.forget("nz")
    assert vault.get("nz") is None and not memory_keyring.entries


def test_a_locked_keyring_does_not_stop_the_settings_from_loading(memory_keyring) -> None:
    from app.core.settings import files as settings_files

    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("logon_id_secret", True)
    working.set_value("logon_id", "tenant-key")
    account.save_default(working)
    with use_keyring(LockedKeyring()):
        effective = AccountSettings(ACCOUNT).effective()
    assert effective.active.values["logon_id"] == ""
    assert any("locked" in notice for notice in settings_files.take_notices())
