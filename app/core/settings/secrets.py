"""The one door to the OS keyring: passwords (and secret logon IDs) and nothing else.

Saved defaults go to the keyring, service ``exportdesk``, one entry per account and connection.
Session values stay in this process's memory until log off. Where no secure keyring exists,
a saved default is kept in memory for the session instead, and the caller is told so; nothing
is ever written to a file.

Only a keyring the system encrypts counts (an allowlist): the Secret Service and KWallet on
Linux, the Windows Credential Locker, the macOS Keychain. keyring's plain-file and
"encrypted with a password beside it" backends (keyrings.alt and the like), its ``fail`` and
``null`` backends, and anything else, are refused like no keyring at all, with a reason that
names the backend. When keyring offers its chainer, ExportDesk picks the allowed backend out
of it and calls that backend itself, so a plain-file backend behind it is never asked.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from app.core.errors import SecretStoreError

# keyring itself is imported on first use: loading it and its backends costs a window's
# start and `exportdesk --version` a noticeable share of their time.
if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "exportdesk"
T = TypeVar("T")


class SecretKind(enum.StrEnum):
    PASSWORD = enum.auto()  # "password", as messages name it
    LOGON_ID = "logon ID"
    TARGET_SECRET = "WorldCat secret"  # a target's WSKey secret; its id is the target's


class Stored(enum.Enum):
    """Where a secret went, so the window and the command line can say so."""

    KEYRING = "keyring"
    SESSION = "session"
    SESSION_NO_KEYRING = "session, no keyring"


class NoSecureKeyringError(SecretStoreError):
    """Nothing can be saved: there is no keyring the system encrypts (the message says why)."""

    exit_status = 2


def entry_name(account: str, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> str:
    if kind is SecretKind.TARGET_SECRET:  # entries of their own, apart from connections'
        return f"{account}/target:{connection_id}"
    base = f"{account}/{connection_id}"
    return base if kind is SecretKind.PASSWORD else f"{base}/logon-id"


# --- Which keyring: the allowlist ----------------------------------------------------------

# The backends ExportDesk uses, by the dotted name of their class, and what users call them.
_ALLOWED = {
    "keyring.backends.SecretService.Keyring": "your desktop's keyring (Secret Service)",
    "keyring.backends.libsecret.Keyring": "your desktop's keyring (Secret Service)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
}
_FRIENDLY_BY_MODULE = {name.rpartition(".")[0]: friendly for name, friendly in _ALLOWED.items()}
# Stand-ins for "no keyring" that need no naming in a refusal.
_NOTHING = {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}
# How messages list the keyrings that count.
ALLOWED_KINDS = (
    "GNOME Keyring or another Secret Service, KWallet, Windows Credential Manager, macOS Keychain"
)


def _class_name(backend: object) -> str:
    """``module.Class`` of ``backend``, as keyring's configuration names it."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_allowed(backend: object) -> bool:
    """True for an instance of an allowed class itself: not a subclass, nor a class that only
    borrows an allowed name (it must be the very class its module defines)."""
    cls = type(backend)
    module = sys.modules.get(cls.__module__)
    return _class_name(backend) in _ALLOWED and getattr(module, cls.__qualname__, None) is cls


@dataclass(frozen=True)
class _Choice:
    """The backend ExportDesk uses (None: none), its name for users, and why not otherwise."""

    backend: KeyringBackend | None
    description: str
    refusal: str = ""  # a sentence for users, when backend is None


# The test suite's seam (tests/fixtures/keyrings.py): an in-memory keyring standing in for an
# allowed one. Only code can set it; no environment variable or keyring configuration does.
_stand_in: _Choice | None = None
_stand_in_lock = threading.Lock()


@contextlib.contextmanager
def use_test_keyring(backend: KeyringBackend, *, secure: bool = True) -> Iterator[None]:
    """For the test suite only: ``backend`` stands in for the system's keyring until the
    ``with`` block ends (then whatever stood before is back). ``secure``: counted as an allowed
    keyring; False: judged by the allowlist as a configured backend is. keyring's fail and null
    backends always mean no keyring."""
    global _stand_in
    trusted = secure and _class_name(backend) not in _NOTHING
    name = _FRIENDLY_BY_MODULE.get(
        type(backend).__module__, str(getattr(backend, "name", type(backend).__name__))
    )
    choice = _Choice(backend, name) if trusted else _judge_configured(backend)
    with _stand_in_lock:
        previous, _stand_in = _stand_in, choice
    try:
        yield
    finally:
        with _stand_in_lock:
            _stand_in = previous


def _judge(candidates: list[KeyringBackend]) -> _Choice:
    """The first allowed backend of ``candidates`` (best first), or the refusal naming them."""
    for candidate in candidates:
        if _is_allowed(candidate):
            return _Choice(candidate, _ALLOWED[_class_name(candidate)])
    refused = [name for name in map(_class_name, candidates) if name not in _NOTHING]
    if not refused:
        reason = "no keyring was found on this computer"
    else:
        names = list(dict.fromkeys(refused))
        if len(names) == 1:
            what, verb, it = f"the keyring backend {names[0]}", "does", "it"
        else:
            what, verb, it = f"the keyring backends {', '.join(names)}", "do", "them"
        reason = (
            f"{what} {verb} not keep passwords encrypted by the system, "
            f"so ExportDesk does not use {it}"
        )
    return _Choice(None, "no secure keyring", reason)


def _choice() -> _Choice:
    with _stand_in_lock:
        stand_in = _stand_in
    if stand_in is not None:
        return stand_in
    try:
        import keyring

        configured = keyring.get_keyring()  # keyring's own choice: its configuration, or the best
    except Exception as error:  # a configured backend that can't be loaded, or a broken one
        named = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()  # only to name it
        what = f"the keyring backend configured, {named}," if named else "the keyring configured"
        return _Choice(
            None,
            "no secure keyring",
            f"{what} could not be loaded ({type(error).__name__}: {error})",
        )
    return _judge_configured(configured)


def _judge_configured(configured: KeyringBackend) -> _Choice:
    """keyring's choice judged: its chainer stands for the backends it chains, best first."""
    from keyring.backends.chainer import ChainerBackend

    if not isinstance(configured, ChainerBackend):
        return _judge([configured])
    try:
        candidates = list(configured.backends)
    except Exception:  # a backend that fails while keyring lists them
        candidates = []
    return _judge(candidates)


def _backend() -> KeyringBackend | None:
    return _choice().backend


def keyring_available() -> bool:
    """True when there is a keyring ExportDesk saves passwords in (one the system encrypts)."""
    return _backend() is not None


def keyring_description() -> str:
    """A name a user recognises for where saved passwords go, e.g. 'the macOS Keychain', or
    'no secure keyring (why)' when there is none."""
    choice = _choice()
    if choice.backend is not None:
        return choice.description
    return f"{choice.description} ({choice.refusal})"


def no_keyring_reason() -> str:
    """Why there is no keyring to save in, as a sentence part ("" when there is one)."""
    return _choice().refusal


def _guarded(action: str, secret: str | None, call: Callable[[], T]) -> T:
    """Run a keyring call, turning any failure into a message that never holds the secret."""
    from keyring.errors import KeyringError, KeyringLocked

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
        backend = _backend()
        if backend is None:
            return None
        name = entry_name(self.account, connection_id, kind)
        return _guarded(
            f"read the {kind} from the keyring",
            None,
            lambda: backend.get_password(SERVICE, name),
        )

    def is_set(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> bool:
        return self.get(connection_id, kind) is not None

    def in_session(self, connection_id: str, kind: SecretKind = SecretKind.PASSWORD) -> bool:
        return (connection_id, kind) in self._session

    def save_default(
        self, connection_id: str, value: str, kind: SecretKind = SecretKind.PASSWORD
    ) -> Stored:
        """Save in the keyring; with no keyring, hold it for the session and say so."""
        backend = _backend()
        if backend is None:
            self._session[(connection_id, kind)] = value
            return Stored.SESSION_NO_KEYRING
        name = entry_name(self.account, connection_id, kind)
        _guarded(
            f"save the {kind} in the keyring",
            value,
            lambda: backend.set_password(SERVICE, name, value),
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
        backend = _backend()
        if backend is None:
            return
        name = entry_name(self.account, connection_id, kind)

        def delete() -> None:
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):  # nothing was stored
                backend.delete_password(SERVICE, name)

        _guarded(f"remove the {kind} from the keyring", None, delete)

    def end_session(self) -> None:
        """Log off: forget everything held in memory."""
        self._session.clear()


def receiver_password(logon_id: str) -> str | None:
    """The reference receiver's password for ``logon_id`` (``password set --receiver``)."""
    backend = _backend()
    if backend is None:
        return None
    return _guarded(
        "read the receiver's password from the keyring",
        None,
        lambda: backend.get_password(SERVICE, f"receiver/{logon_id}"),
    )


def set_receiver_password(logon_id: str, value: str) -> Stored:
    choice = _choice()
    backend = choice.backend
    if backend is None:
        raise NoSecureKeyringError(
            f"Can't save the receiver's password: {choice.refusal}; give it to "
            "'exportdesk receive' with --password-env instead."
        )
    _guarded(
        "save the receiver's password in the keyring",
        value,
        lambda: backend.set_password(SERVICE, f"receiver/{logon_id}", value),
    )
    return Stored.KEYRING
