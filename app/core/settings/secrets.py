"""The one door to the OS keyring: passwords (and secret logon IDs) and nothing else.

Saved defaults go to the keyring, service ``exportdesk``, one entry per account and connection.
Session values stay in this process's memory until log off. Where no keyring backend exists,
a saved default is kept in memory for the session instead, and the caller is told so; nothing
is ever written to a file.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backends.fail
import keyring.backends.null
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError

from app.core.errors import SecretStoreError

SERVICE = "exportdesk"
T = TypeVar("T")


class SecretKind(enum.StrEnum):
    PASSWORD = enum.auto()  # "password", as messages name it
    LOGON_ID = "logon ID"


class Stored(enum.Enum):
    """Where a secret went, so the window and the command line can say so."""

    KEYRING = "keyring"
    SESSION = "session"
    SESSION_NO_KEYRING = "session, no keyring"


def entry_name(account: str, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> str:
    base = f"{account}/{connection_id}"
    return base if kind is SecretKind.PASSWORD else f"{base}/logon-id"


def _usable_backends(backend: KeyringBackend) -> list[KeyringBackend]:
    inner = getattr(backend, "backends", None)  # the chainer backend wraps several
    candidates = list(inner) if inner is not None else [backend]
    unusable = (keyring.backends.fail.Keyring, keyring.backends.null.Keyring)
    return [b for b in candidates if not isinstance(b, unusable)]


def keyring_available() -> bool:
    return bool(_usable_backends(keyring.get_keyring()))


# Names users know for the backends keyring picks on each system.
_FRIENDLY_NAMES = {
    "keyring.backends.SecretService": "your desktop's keyring (Secret Service)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.macOS": "the macOS Keychain",
}


def keyring_description() -> str:
    """A name a user recognises for where saved passwords go, e.g. 'the macOS Keychain'."""
    backends = _usable_backends(keyring.get_keyring())
    if not backends:
        return "no keyring"
    names = [
        _FRIENDLY_NAMES.get(type(b).__module__, str(getattr(b, "name", type(b).__name__)))
        for b in backends
    ]
    return ", ".join(dict.fromkeys(names))


def _guarded(action: str, secret: str | None, call: Callable[[], T]) -> T:
    """Run a keyring call, turning any failure into a message that never holds the secret."""
    try:
        return call()
    except KeyringLocked:
        raise SecretStoreError(
            f"Could not {action}: the keyring is locked. Unlock it (or allow ExportDesk to "
            "use it) and try again."
        ) from None
    except Exception as error:  # backends raise their own types (D-Bus, Windows, macOS...)
        detail = str(error)
        if secret and secret in detail:
            detail = ""
        kind = "the keyring refused" if isinstance(error, KeyringError) else "the keyring failed"
        suffix = f" ({type(error).__name__}{': ' + detail if detail else ''})"
        raise SecretStoreError(f"Could not {action}: {kind}{suffix}.") from None


class Vault:
    """One account's secrets: the keyring for saved defaults, memory for the session."""

    def __init__(self, account: str) -> None:
        self.account = account
        self._session: dict[tuple[str, SecretKind], str] = {}

    def get(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> str | None:
        """The session value if there is one, else the saved one, else None."""
        held = self._session.get((connection_id, kind))
        if held is not None:
            return held
        return self.saved(connection_id, kind)

    def saved(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> str | None:
        if not keyring_available():
            return None
        name = entry_name(self.account, connection_id, kind)
        return _guarded(
            f"read the {kind} from the keyring",
            None,
            lambda: keyring.get_password(SERVICE, name),
        )

    def is_set(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> bool:
        return self.get(connection_id, kind) is not None

    def in_session(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> bool:
        return (connection_id, kind) in self._session

    def save_default(
        self, connection_id: str, value: str, kind: SecretKind = SecretKind.PASSWORD
    ) -> Stored:
        """Save in the keyring; with no keyring, hold it for the session and say so."""
        if not keyring_available():
            self._session[(connection_id, kind)] = value
            return Stored.SESSION_NO_KEYRING
        name = entry_name(self.account, connection_id, kind)
        _guarded(
            f"save the {kind} in the keyring",
            value,
            lambda: keyring.set_password(SERVICE, name, value),
        )
        self._session.pop((connection_id, kind), None)
        return Stored.KEYRING

    def save_session(
        self, connection_id: str, value: str, kind: SecretKind = SecretKind.PASSWORD
    ) -> Stored:
        self._session[(connection_id, kind)] = value
        return Stored.SESSION

    def drop_session_value(
        self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD
    ) -> None:
        self._session.pop((connection_id, kind), None)

    def forget(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> None:
        """Remove the value from the session and the keyring (a missing entry is fine)."""
        self._session.pop((connection_id, kind), None)
        if not keyring_available():
            return
        name = entry_name(self.account, connection_id, kind)

        def delete() -> None:
            with contextlib.suppress(PasswordDeleteError):  # nothing was stored
                keyring.delete_password(SERVICE, name)

        _guarded(f"remove the {kind} from the keyring", None, delete)

    def end_session(self) -> None:
        """Log off: forget everything held in memory."""
        self._session.clear()


def receiver_password(logon_id: str) -> str | None:
    """The reference receiver's password for ``logon_id`` (``password set --receiver``)."""
    if not keyring_available():
        return None
    return _guarded(
        "read the receiver's password from the keyring",
        None,
        lambda: keyring.get_password(SERVICE, f"receiver/{logon_id}"),
    )


def set_receiver_password(logon_id: str, value: str) -> Stored:
    if not keyring_available():
        raise SecretStoreError(
            "There is no keyring on this computer to save the receiver's password in; "
            "give it with --password-env instead."
        )
    _guarded(
        "save the receiver's password in the keyring",
        value,
        lambda: keyring.set_password(SERVICE, f"receiver/{logon_id}", value),
    )
    return Stored.KEYRING
