"""The keyring door: where secrets go, and clear messages when the keyring can't help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import keyrings.alt.file
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from app.core.errors import SecretStoreError
from app.core.settings import secrets
from app.core.settings.account_settings import AccountSettings
from app.core.settings.secrets import (
    NoSecureKeyringError,
    Stored,
    Vault,
    keyring_available,
    keyring_description,
    no_keyring_reason,
    set_receiver_password,
)
from tests.fixtures.keyrings import LockedKeyring, MemoryKeyring, use_keyring

ACCOUNT = "100-123-456"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def no_keyring():
    with use_keyring(keyring.backends.fail.Keyring()) as backend:
        yield backend


def test_the_memory_keyring_counts_as_a_keyring() -> None:
    assert keyring_available()
    assert not keyring_description().startswith("no secure keyring")


def test_without_a_keyring_a_default_password_is_held_for_the_session(no_keyring) -> None:
    assert not keyring_available()
    assert keyring_description() == "no secure keyring (no keyring was found on this computer)"
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


# --- Only a keyring the system encrypts counts -----------------------------------------------


def plain_file_keyrings() -> list[KeyringBackend]:
    # EncryptedKeyring is made without its __init__, which needs pycryptodome: it is only
    # judged, never asked.
    encrypted = keyrings.alt.file.EncryptedKeyring.__new__(keyrings.alt.file.EncryptedKeyring)
    return [keyrings.alt.file.PlaintextKeyring(), encrypted]


@pytest.mark.parametrize("backend", plain_file_keyrings(), ids=lambda b: type(b).__name__)
def test_a_plain_file_keyring_counts_as_none(backend: KeyringBackend, isolated_home) -> None:
    name = f"keyrings.alt.file.{type(backend).__name__}"
    with use_keyring(backend, secure=False):
        assert not keyring_available()
        assert keyring_description().startswith("no secure keyring (the keyring backend ")
        assert name in keyring_description() and name in no_keyring_reason()
        vault = Vault(ACCOUNT)
        assert vault.save_default("default", "Plain-Pa55") is Stored.SESSION_NO_KEYRING
        assert vault.saved("default") is None
        with pytest.raises(NoSecureKeyringError, match=name) as caught:
            set_receiver_password("lib", "Plain-Pa55")
        assert caught.value.exit_status == 2
    assert not any(
        b"Plain-Pa55" in path.read_bytes() for path in isolated_home.rglob("*") if path.is_file()
    )


class FakeChainer(ChainerBackend):
    """keyring's chainer over the backends given rather than those of this computer."""

    def __init__(self, backends: list[KeyringBackend]) -> None:
        super().__init__()
        self._chained = backends

    @property
    def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
        return self._chained


class Impostor(SecretServiceKeyring):
    """A backend that says it is the Secret Service and keeps passwords anywhere it likes."""


class Renamed(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("never asked")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("never asked")


Renamed.__module__ = "keyring.backends.SecretService"
Renamed.__qualname__ = "Keyring"


@pytest.mark.parametrize(
    "backend",
    [
        Impostor(),
        Renamed(),
        keyring.backends.null.Keyring(),
        keyring.backends.fail.Keyring(),
        MemoryKeyring(),
    ],
    ids=["subclass", "borrowed-name", "null", "fail", "unknown"],
)
def test_only_the_allowed_classes_themselves_count(backend: KeyringBackend) -> None:
    with use_keyring(backend, secure=False):
        assert not keyring_available()
        with pytest.raises(NoSecureKeyringError):
            set_receiver_password("lib", "pw")


def test_the_allowed_backend_is_taken_out_of_keyrings_chainer() -> None:
    """A chainer holding the Secret Service and a plain file: only the Secret Service is used
    (the chainer itself would still ask the plain file)."""
    secret_service = SecretServiceKeyring()
    chainer = FakeChainer([secret_service, keyrings.alt.file.PlaintextKeyring()])
    with use_keyring(chainer, secure=False):
        assert keyring_available()
        assert secrets._backend() is secret_service
        assert keyring_description() == "your desktop's keyring (Secret Service)"
    plain = FakeChainer([keyrings.alt.file.PlaintextKeyring(), keyring.backends.fail.Keyring()])
    with use_keyring(plain, secure=False):
        assert not keyring_available()
        assert "keyrings.alt.file.PlaintextKeyring does not" in no_keyring_reason()
        assert "fail" not in no_keyring_reason()


# --- ... and through the command line and the window, as a user configures keyring ----------

PASSWORD = "Never-In-A-File-7"


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """No D-Bus session, so no real keyring can answer; folders of the test's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBUS_", "PYTHON_KEYRING", "KEYRING", "EXPORTDESK_"))
    }
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
        **extra,
    )
    return env


def run_app(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def configure(home: Path, how: str, backend: str) -> dict[str, str]:
    if how == "environment":
        return child_env(home, PYTHON_KEYRING_BACKEND=backend)
    if how == "keyringrc.cfg":
        rc = home / ".config" / "python_keyring" / "keyringrc.cfg"
        rc.parent.mkdir(parents=True)
        rc.write_text(f"[backend]\ndefault-keyring={backend}\n", encoding="utf-8")
        return child_env(home)
    return child_env(home)  # keyring's own choice: here, keyrings.alt's plain file


def assert_in_no_file(home: Path) -> None:
    for path in home.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
            assert path.name != "keyring_pass.cfg", path


PLAIN = "keyrings.alt.file.PlaintextKeyring"


@pytest.mark.parametrize("how", ["environment", "keyringrc.cfg", "keyring's own choice"])
def test_password_set_refuses_a_plain_file_keyring(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home-child"
    home.mkdir()
    env = configure(home, how, PLAIN)
    assert run_app(env, "account", "add", ACCOUNT).returncode == 0
    done = run_app(env, "password", "set", "--account", ACCOUNT, stdin=PASSWORD + "\n")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the keyring backend {PLAIN} does not keep passwords encrypted" in done.stderr
    assert "Nothing was saved" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    receiver = run_app(env, "password", "set", "--receiver", "lib", stdin=PASSWORD + "\n")
    assert receiver.returncode == 2 and PLAIN in receiver.stderr
    shown = run_app(env, "options", "show", "--account", ACCOUNT, "--json")
    assert json.loads(shown.stdout)["password_stored"] is False
    assert_in_no_file(home)


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        # Refused whether it loads or not (it needs pycryptodome, which the tests don't have).
        ("keyrings.alt.file.EncryptedKeyring", "keyrings.alt.file.EncryptedKeyring"),
        ("keyring.backends.null.Keyring", "no keyring was found"),
        ("keyring.backends.fail.Keyring", "no keyring was found"),
        ("no.such.module.Keyring", "no.such.module.Keyring, could not be loaded"),
        # The tests' own keyring counts only through the seam, never through configuration.
        ("tests.fixtures.keyrings.MemoryKeyring", "tests.fixtures.keyrings.MemoryKeyring does"),
    ],
)
def test_password_set_refuses_every_backend_off_the_allowlist(
    tmp_path: Path, backend: str, reason: str
) -> None:
    env = configure(tmp_path, "environment", backend)
    assert run_app(env, "account", "add", ACCOUNT).returncode == 0
    done = run_app(env, "password", "set", "--account", ACCOUNT, stdin=PASSWORD + "\n")
    assert done.returncode == 2, done.stderr
    assert reason in done.stderr and "Traceback" not in done.stderr
    assert_in_no_file(tmp_path)


def test_receive_names_the_refused_keyring(tmp_path: Path) -> None:
    env = configure(tmp_path, "environment", PLAIN)
    args = ["receive", "--port", "0", "--out", str(tmp_path / "in")]
    done = run_app(env, *args, "--logon-id", "lib", "--password-keyring")
    assert done.returncode == 2
    assert f"{PLAIN} does not keep passwords encrypted" in done.stderr
    assert "--password-env" in done.stderr


WINDOW_PROBE = """
from app.core.settings.account_settings import AccountSettings
from app.gui.application import make_application
from app.gui.main_window import MainWindow

app = make_application()
window = MainWindow(AccountSettings("{account}"))
print("ABOUT " + window.about_text())
window.account.end_session()
"""


def test_the_window_says_there_is_no_secure_keyring(tmp_path: Path) -> None:
    env = configure(tmp_path, "environment", PLAIN)
    assert run_app(env, "account", "add", ACCOUNT).returncode == 0
    done = subprocess.run(
        [sys.executable, "-c", WINDOW_PROBE.format(account=ACCOUNT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    about = next((line for line in done.stdout.splitlines() if line.startswith("ABOUT ")), "")
    assert about, done.stderr[-2000:]
    assert "Passwords: no secure keyring (the keyring backend " in about
    assert PLAIN in about
