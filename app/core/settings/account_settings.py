"""One account's export settings in use: its layers, its secrets, and the save buttons' meaning.

The window holds one ``AccountSettings`` per logged-on account (with a session layer); the
command line makes one per command (the session layer stays empty). Values the institution
locks (locks.py) win over the account's and the session's; no save writes them, and none
erases what the account had saved for them before the lock.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from app.core.errors import SecretStoreError
from app.core.settings.files import add_notice
from app.core.settings.institution import Institution, load_institution
from app.core.settings.layers import (
    DEFAULT_CONNECTION_ID,
    ConnectionPatch,
    ExportSettings,
    Layer,
    Pinned,
    Source,
    load_account_layer,
    patch_between,
    resolve,
    save_account_layer,
)
from app.core.settings.locks import (
    ACTIVE_CONNECTION,
    Locks,
    apply_locks,
    check_unlocked,
    keep_locked,
    strip_locked,
    without_locked_removals,
)
from app.core.settings.options import BY_KEY, Problem, Scope, check_settings
from app.core.settings.secrets import SecretKind, Stored, Vault

# Passwords typed on the screen and not yet saved: connection id -> new value, or None to
# forget the stored one.
PendingPasswords = Mapping[str, str | None]
# A value on the screen: (the connection's id, or None for an account setting; the key).
ValueKey = tuple[str | None, str]


@dataclass
class SaveOutcome:
    """Where each password (or secret logon ID) saved went, for the screen to say."""

    stored: dict[tuple[str, SecretKind], Stored] = field(default_factory=dict)

    @property
    def kept_in_memory_for_lack_of_keyring(self) -> bool:
        return Stored.SESSION_NO_KEYRING in self.stored.values()


@dataclass(frozen=True)
class ResetUndo:
    """What a reset cleared: the account's and the session's layers as they were before."""

    saved: Layer
    session: Layer


@dataclass
class Unset:
    """What ``options unset`` did, or would have done."""

    removed: list[str]  # the keys the account's layer held
    settings: ExportSettings  # the account's default without them
    errors: list[Problem]  # when any, nothing was written


class AccountSettings:
    def __init__(
        self,
        account: str,
        vault: Vault | None = None,
        institution: Institution | None = None,
    ) -> None:
        self.account = account
        self.vault = vault or Vault(account)
        self.institution_file = institution or load_institution()
        self.institution = self.institution_file.layer
        self.saved = load_account_layer(account)
        self.session = Layer(Source.SESSION)

    @property
    def locks(self) -> Locks:
        """What the institution locks: its values win over the account's and the session's."""
        return self.institution_file.locks

    # What applies.

    def effective(self) -> ExportSettings:
        """All layers: what an export uses now."""
        return self._resolve(self.institution, self.saved, self.session)

    def saved_default(self) -> ExportSettings:
        """Without the session: what the next session starts with."""
        return self._resolve(self.institution, self.saved)

    def without_secrets(self, with_session: bool = True) -> ExportSettings:
        """What applies (with or without the session), no secret read from the keyring: a
        secret logon ID shows empty (the account report, the Admin view)."""
        layers = (self.institution, self.saved) + ((self.session,) if with_session else ())
        return self._stack(*layers)

    def with_saved(self, saved: Layer) -> ExportSettings:
        """What the saved default would be with ``saved`` as the account's layer (no secret
        read): for checking a layer before it is written."""
        return self._stack(self.institution, saved)

    def _stack(self, *layers: Layer) -> ExportSettings:
        """The layers resolved, locked values in place; no secret read from the keyring."""
        if not self.locks.any:
            return resolve(layers)
        settings = resolve(without_locked_removals(layer, self.locks) for layer in layers)
        apply_locks(settings, resolve((self.institution,)), self.locks)
        return settings

    def _resolve(self, *layers: Layer) -> ExportSettings:
        settings = self._stack(*layers)
        for connection in settings.connections:
            if self.locks.locked(connection.id, "logon_id"):
                continue  # the institution's logon ID, not one kept in this user's keyring
            if connection.values.get("logon_id_secret"):
                try:
                    secret = self.vault.get(connection.id, SecretKind.LOGON_ID)
                except SecretStoreError as error:  # a locked keyring: say so, don't fail
                    add_notice(f"Connection '{connection.name}': {error.message}")
                    secret = None
                connection.values["logon_id"] = secret or ""
        return settings

    def active_source(self, with_session: bool = True) -> Source:
        """Which layer chose the active connection (``institution (locked)`` when locked)."""
        if self.locks.active_id is not None:
            return Source.LOCKED
        layers = (self.institution, self.saved) + ((self.session,) if with_session else ())
        ids = {c.id for c in self._stack(*layers).connections}
        for layer in reversed(layers):
            if layer.active in ids:
                return layer.source
        return Source.INSTITUTION if self.institution.connections else Source.FACTORY

    def check_connection_choice(self, connection_id: str) -> None:
        """Refuse to send exports to another connection than the one the institution locks
        (``export --connection``)."""
        if self.locks.active_id is not None and connection_id != self.locks.active_id:
            raise self.locks.error(ACTIVE_CONNECTION)

    def check_locks(self, working: ExportSettings) -> None:
        """Raise LockedError when ``working`` changes a value the institution locks."""
        check_unlocked(working, self._stack(self.institution), self.locks)

    def taken_connection_ids(self) -> set[str]:
        """Ids no new connection may take: a keyring entry may still be named by one."""
        ids: set[str] = {DEFAULT_CONNECTION_ID}
        for layer in (self.institution, self.saved, self.session):
            ids |= layer.known_ids()
        return ids

    def password(self, connection_id: str) -> str | None:
        return self.vault.get(connection_id)

    def password_location(self, connection_id: str) -> Stored | None:
        """Where this connection's password is kept now, or None when there is none."""
        if self.vault.in_session(connection_id):
            return Stored.SESSION
        return Stored.KEYRING if self.vault.saved(connection_id) is not None else None

    def check(
        self, working: ExportSettings, passwords: PendingPasswords | None = None
    ) -> tuple[list[Problem], list[Problem]]:
        return check_settings(
            working.options,
            {c.id: c.values for c in working.connections},
            working.active_id,
            passwords,
        )

    # The buttons.

    def save_for_session(
        self, working: ExportSettings, passwords: PendingPasswords | None = None
    ) -> SaveOutcome:
        """Save for Session: applies until log off; the saved default is untouched."""
        self.check_locks(working)
        outcome = SaveOutcome()
        layer = self._patch(working, Source.SESSION, (self.institution, self.saved))
        kept = {c.id for c in working.connections}
        now = resolve((self.institution, self.saved, self.session))
        for removed in {c.id for c in now.connections} - kept:
            self.vault.drop_session_value(removed)
            self.vault.drop_session_value(removed, SecretKind.LOGON_ID)
        for connection in working.connections:
            if connection.values.get("logon_id_secret"):
                stored = self.vault.save_session(
                    connection.id, connection.values["logon_id"], SecretKind.LOGON_ID
                )
                outcome.stored[(connection.id, SecretKind.LOGON_ID)] = stored
        for connection_id, password in (passwords or {}).items():
            if password is None:
                self.vault.drop_session_value(connection_id)
            else:
                stored = self.vault.save_session(connection_id, password)
                outcome.stored[(connection_id, SecretKind.PASSWORD)] = stored
        self.session = layer
        return outcome

    def save_default(
        self,
        working: ExportSettings,
        passwords: PendingPasswords | None = None,
        *,
        every_value: bool = True,
        also: Collection[ValueKey] = (),
    ) -> SaveOutcome:
        """Save My Default: applies now and in later sessions; passwords go to the keyring.

        With ``every_value`` (the button) every value on the screen is written, also those
        equal to the institution's or the factory's, so that a later institution file does
        not change what the cataloger saved; a default that depends on the machine (the
        export file in this user's Documents) stays "the default". Without it (the command
        line) the account's layer keeps what it held, gains the values that differ from the
        layers below, and ``also`` (``options set KEY=VALUE``, even where equal). Locked
        values are never written.
        """
        self.check_locks(working)
        outcome = SaveOutcome()
        before_ids = {c.id for c in resolve((self.institution, self.saved)).connections}
        layer = self.default_layer(working, every_value=every_value, also=also)
        # Secrets first: if the keyring refuses, nothing has been written yet.
        for connection in working.connections:
            if connection.values.get("logon_id_secret"):
                outcome.stored[(connection.id, SecretKind.LOGON_ID)] = self.vault.save_default(
                    connection.id, connection.values["logon_id"], SecretKind.LOGON_ID
                )
            elif self.vault.saved(connection.id, SecretKind.LOGON_ID) is not None:
                self.vault.forget(connection.id, SecretKind.LOGON_ID)
        for connection_id, password in (passwords or {}).items():
            if password is None:
                self.vault.forget(connection_id)
            else:
                stored = self.vault.save_default(connection_id, password)
                outcome.stored[(connection_id, SecretKind.PASSWORD)] = stored
        save_account_layer(self.account, layer)
        self.saved = layer
        # Connections removed from the account take their secrets with them.
        kept = {c.id for c in working.connections}
        for connection_id in before_ids - kept:
            self.vault.forget(connection_id)
            self.vault.forget(connection_id, SecretKind.LOGON_ID)
        self.session = self._patch(working, Source.SESSION, (self.institution, self.saved))
        return outcome

    def default_layer(
        self,
        working: ExportSettings,
        *,
        every_value: bool = True,
        also: Collection[ValueKey] = (),
    ) -> Layer:
        """The account's layer Save My Default would write for ``working`` (see
        ``save_default``): locked values out, and what the account held for them kept."""
        layer = self._patch(
            working,
            Source.ACCOUNT,
            (self.institution,),
            pinned=self._pins(working, every_value, also),
            pin_active=every_value or self.saved.active is not None,
        )
        keep_locked(layer, self.saved, self.locks, {c.id for c in working.connections})
        return layer

    def _pins(
        self, working: ExportSettings, every_value: bool, also: Collection[ValueKey]
    ) -> Pinned:
        """Which values the account's layer holds even where equal to the layers below."""
        wanted = set(also)

        def pinned(connection_id: str | None, key: str) -> bool:
            if (connection_id, key) in wanted or self.saved.holds(connection_id, key):
                return True  # asked for, or already held: a later save does not drop it
            return every_value and not _machine_default(working, connection_id, key)

        return pinned

    def reset_clears(self, connection_id: str) -> list[tuple[Source, str | None, str]]:
        """What ``reset`` would clear: (layer, connection id or None, key) for each value."""
        cleared: list[tuple[Source, str | None, str]] = []
        locked = self.locks.locked
        for layer in (self.saved, self.session):
            cleared += [(layer.source, None, key) for key in layer.options if not locked(None, key)]
            patch = layer.connections.get(connection_id)
            cleared += [
                (layer.source, connection_id, key)
                for key in (patch.values if patch else {})
                if not locked(connection_id, key)
            ]
        return cleared

    def reset(self, connection_id: str | None = None) -> ResetUndo:
        """Reset: drop the session's and the account's values of the account settings and of
        one connection (the active one by default), written at once. Other connections,
        passwords, the connections' names and what the account saved for locked values stay.
        ``undo_reset`` puts the values back."""
        undo = ResetUndo(copy.deepcopy(self.saved), copy.deepcopy(self.session))
        target = connection_id or resolve((self.institution, self.saved, self.session)).active_id
        saved, session = copy.deepcopy(self.saved), copy.deepcopy(self.session)
        for layer in (saved, session):
            layer.options.clear()
            patch = layer.connections.get(target)
            if patch is not None:
                if patch.name is None:
                    del layer.connections[target]
                else:
                    layer.connections[target] = ConnectionPatch(patch.name, {})
        keep_locked(saved, undo.saved, self.locks, set(undo.saved.connections))
        save_account_layer(self.account, saved)  # if the file can't be written, nothing changes
        self.saved, self.session = saved, session
        return undo

    def undo_reset(self, undo: ResetUndo) -> None:
        """Put back what a reset cleared (Edit > Undo Reset), written at once."""
        save_account_layer(self.account, undo.saved)
        self.saved = copy.deepcopy(undo.saved)
        self.session = copy.deepcopy(undo.session)

    def unset_default(self, keys: Collection[str], connection_id: str) -> Unset:
        """``options unset``: remove keys from the account's layer (account settings, and one
        connection's settings), so a lower layer applies again. Nothing is written when the
        settings left would not pass the screen's checks. A locked key is refused: what the
        account saved for it applies again once the lock is lifted, and stays until then."""
        for key in keys:
            if self.locks.locked(connection_id, key):
                connection = self._stack(self.institution, self.saved).connection(connection_id)
                scoped = connection is not None and BY_KEY[key].scope is Scope.CONNECTION
                raise self.locks.error(key, connection.name if scoped and connection else None)
        removed = [
            k for k in keys if self.saved.holds(None, k) or self.saved.holds(connection_id, k)
        ]
        smaller = self.saved.without(keys, connection_id)
        settings = self._resolve(self.institution, smaller)
        errors, _ = self.check(settings)
        if not errors and removed:
            save_account_layer(self.account, smaller)
            self.saved = smaller
        return Unset(removed, settings, errors)

    def end_session(self) -> None:
        """Log off or quit: the session layer and session secrets are dropped."""
        self.session = Layer(Source.SESSION)
        self.vault.end_session()

    def _patch(
        self,
        working: ExportSettings,
        source: Source,
        below: tuple[Layer, ...],
        pinned: Pinned | None = None,
        pin_active: bool = False,
    ) -> Layer:
        """The layer ``working`` makes over ``below``, without locked values and without any
        secret logon ID: those live in the vault, never in a layer (nor so in a file). The
        layers below are resolved without reading the keyring: a patch needs no secret to
        compare with."""
        layer = patch_between(working, resolve(below), source, pinned, pin_active)
        strip_locked(layer, self.locks)
        for connection in working.connections:
            patch = layer.connections.get(connection.id)
            if patch is None:
                continue
            if connection.values.get("logon_id_secret"):
                patch.values.pop("logon_id", None)
            if not patch.values and patch.name is None:
                del layer.connections[connection.id]
        return layer


def _machine_default(working: ExportSettings, connection_id: str | None, key: str) -> bool:
    """Whether the value is a default computed for this machine and these values (the export
    file in this user's Documents, named for the format): pinned, it would stop following."""
    option = BY_KEY[key]
    if not callable(option.default):
        return False
    if option.scope is Scope.ACCOUNT:
        return bool(working.options[key] == option.default_for(working.options))
    connection = working.connection(connection_id or "")
    if connection is None:
        return False
    values = working.values_for(connection)
    return bool(values[key] == option.default_for(values))
