"""Settings an institution locks: its value wins over the account's and the session's.

The institution file (``format_version`` 2) marks them::

    "contact": "CARLI Support Center, support@carli.illinois.edu, 217-555-0100",
    "locked": ["destination", "format", "host", "active_connection"],
    "connections": [
        {"id": "nz", "name": "CARLI Network Zone", "options": {...}, "locked": true},
        {"id": "iz", "name": "Institution Zone", "locked": ["port", "use_tls"]}
    ]

The top-level list names account settings, ``active_connection`` (which connection exports go
to) and TCP/IP settings, which are then locked on every connection. On a connection, ``true``
locks all its settings and its name, and a list locks those of its settings; a connection with
a lock of its own can't be removed. A lock never erases what an account saved: the account's
value stays in its file, unused, and applies again once the lock is lifted. Saving keeps it
(``keep_locked``) and never writes a locked value the account did not hold (``strip_locked``).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import OptionError
from app.core.settings.layers import (
    ConnectionPatch,
    ExportSettings,
    Layer,
    Source,
    entry_id,
)
from app.core.settings.options import ACCOUNT_KEYS, BY_KEY, CONNECTION_KEYS, Scope

ACTIVE_CONNECTION = "active_connection"
LOCKED_TEXT = "Set by your institution"


@dataclass(frozen=True)
class Locks:
    """What the institution file locks. Empty (the default) locks nothing."""

    account_keys: frozenset[str] = frozenset()
    every_connection: frozenset[str] = frozenset()  # TCP/IP keys locked on every connection
    active_id: str | None = None  # the connection exports must go to, when that is locked
    connections: Mapping[str, frozenset[str]] = field(default_factory=dict)  # id -> keys
    whole: frozenset[str] = frozenset()  # connections locked with all settings and the name
    contact: str = ""  # who to ask, from the file's "contact"

    @property
    def any(self) -> bool:
        return bool(
            self.account_keys
            or self.every_connection
            or self.active_id is not None
            or self.connections
            or self.whole
        )

    def locked(self, connection_id: str | None, key: str) -> bool:
        """Whether ``key`` (of the account, or of this connection) is locked."""
        if key == ACTIVE_CONNECTION:
            return self.active_id is not None
        if BY_KEY[key].scope is Scope.ACCOUNT:
            return key in self.account_keys
        if key in self.every_connection:
            return True
        if connection_id is None:
            return False
        return connection_id in self.whole or key in self.connections.get(connection_id, ())

    def name_locked(self, connection_id: str) -> bool:
        return connection_id in self.whole

    def kept(self, connection_id: str) -> bool:
        """Whether the connection can't be removed: it has locks of its own, or it is the one
        exports must go to."""
        return (
            connection_id in self.whole
            or connection_id in self.connections
            or connection_id == self.active_id
        )

    def ask(self) -> str:
        """Who to ask, for the end of a message."""
        if self.contact:
            return f"; ask {self.contact}"
        return "; ask your institution's ExportDesk administrator"

    def error(
        self, key: str, connection_name: str | None = None, what: str | None = None
    ) -> LockedError:
        return LockedError(key, self, connection_name, what)

    def keys_locked(self, connection_id: str | None) -> list[str]:
        """The locked keys of the account (None) or of one connection, in declaration order."""
        keys = ACCOUNT_KEYS if connection_id is None else CONNECTION_KEYS
        return [key for key in keys if self.locked(connection_id, key)]


class LockedError(OptionError):
    """A change of a value the institution locks: refused, naming the lock and who to ask."""

    def __init__(
        self,
        key: str,
        locks: Locks,
        connection_name: str | None = None,
        what: str | None = None,
    ) -> None:
        super().__init__(key, f"set by your institution and locked{locks.ask()}")
        where = f" (connection '{connection_name}')" if connection_name else ""
        self.message = f"{what or key + where}: {self.reason}"
        self.connection_name = connection_name


NO_LOCKS = Locks()


def read_locks(data: Mapping[str, Any], layer: Layer, active_id: str) -> tuple[Locks, list[str]]:
    """The locks an institution file marks, and what it marks that this version does not
    understand (each said in words; the caller decides what to do with the file).

    ``layer`` is the file's layer as read (a lock of a connection it ignored is ignored) and
    ``active_id`` the connection the file makes active."""
    problems: list[str] = []
    account_keys: set[str] = set()
    every: set[str] = set()
    active = False
    marked = data.get("locked", [])
    if not isinstance(marked, list):
        problems.append("'locked' should hold a list of setting keys")
        marked = []
    for item in marked:
        if item == ACTIVE_CONNECTION:
            active = True
        elif isinstance(item, str) and item in BY_KEY:
            (account_keys if BY_KEY[item].scope is Scope.ACCOUNT else every).add(item)
        else:
            problems.append(f"'locked' names {item!r}, which is not a setting")
    per_connection: dict[str, frozenset[str]] = {}
    whole: set[str] = set()
    entries = data.get("connections") or []
    seen: set[str] = set()
    for number, entry in enumerate(entries if isinstance(entries, list) else []):
        ident = entry_id(entry) if isinstance(entry, dict) else None
        if ident is None or ident in seen or ident not in layer.connections:
            continue
        seen.add(ident)
        assert isinstance(entry, dict)
        mark = entry.get("locked", False)
        label = f"connections[{number}].locked"
        if mark is True:
            whole.add(ident)
        elif isinstance(mark, list):
            keys: set[str] = set()
            for item in mark:
                if isinstance(item, str) and item in CONNECTION_KEYS:
                    keys.add(item)
                else:
                    problems.append(f"{label} names {item!r}, which is not a TCP/IP setting")
            if keys:
                per_connection[ident] = frozenset(keys)
        elif mark is not False:
            problems.append(f"{label} should be true, false or a list of TCP/IP setting keys")
    contact = data.get("contact", "")
    locks = Locks(
        frozenset(account_keys),
        frozenset(every),
        active_id if active else None,
        per_connection,
        frozenset(whole),
        contact.strip() if isinstance(contact, str) else "",
    )
    return locks, problems


# Applying locks to resolved settings, and keeping them out of what is saved.


def without_locked_removals(layer: Layer, locks: Locks) -> Layer:
    """The layer as it applies while ``locks`` hold: a connection the institution keeps
    stays, even where the account removed it before the lock."""
    if not locks.any or not any(locks.kept(ident) for ident in layer.removed):
        return layer
    applied = copy.copy(layer)
    applied.removed = [ident for ident in layer.removed if not locks.kept(ident)]
    return applied


def apply_locks(settings: ExportSettings, institution: ExportSettings, locks: Locks) -> None:
    """Put the institution's value (``institution``: factory < institution resolved) in place
    of every locked one of ``settings``, with the source ``institution (locked)``."""
    if not locks.any:
        return
    for key in sorted(locks.account_keys):
        settings.options[key] = institution.options[key]
        settings.sources[key] = Source.LOCKED
    for key in ACCOUNT_KEYS:  # a default following a locked value (the file name) follows it
        option = BY_KEY[key]
        if callable(option.default) and settings.sources[key] is Source.FACTORY:
            settings.options[key] = option.default_for(settings.options)
    for key in locks.every_connection:
        settings.connection_defaults[key] = institution.connection_defaults[key]
    for connection in settings.connections:
        origin = institution.connection(connection.id)
        if origin is not None and locks.name_locked(connection.id):
            connection.name = origin.name
        for key in CONNECTION_KEYS:
            if locks.locked(connection.id, key):
                base = origin.values if origin is not None else institution.connection_defaults
                connection.values[key] = base[key]
                connection.sources[key] = Source.LOCKED
    if locks.active_id is not None and settings.connection(locks.active_id) is not None:
        settings.active_id = locks.active_id


def check_unlocked(working: ExportSettings, locked: ExportSettings, locks: Locks) -> None:
    """Raise LockedError when ``working`` changes a locked value of ``locked`` (the settings
    in effect, locks applied): no path may, whatever it saves."""
    if not locks.any:
        return
    for key in sorted(locks.account_keys):
        if working.options.get(key) != locked.options[key]:
            raise locks.error(key)
    for connection in locked.connections:
        edited = working.connection(connection.id)
        if edited is None:
            if locks.kept(connection.id):
                raise locks.error("connection", what=f"connection '{connection.name}'")
            continue
        if locks.name_locked(connection.id) and edited.name != connection.name:
            raise locks.error("connection", what=f"the name of connection '{connection.name}'")
        for key in CONNECTION_KEYS:
            if (
                locks.locked(connection.id, key)
                and edited.values.get(key) != connection.values[key]
            ):
                raise locks.error(key, connection.name)
    for connection in working.connections:  # added on the screen: every-connection locks
        if locked.connection(connection.id) is None:
            for key in locks.every_connection:
                if connection.values.get(key) != locked.connection_defaults[key]:
                    raise locks.error(key, connection.name)
    if locks.active_id is not None and working.active_id != locks.active_id:
        raise locks.error(ACTIVE_CONNECTION)


def strip_locked(layer: Layer, locks: Locks) -> None:
    """Take every locked value out of a layer about to be saved (in place)."""
    if not locks.any:
        return
    for key in locks.account_keys:
        layer.options.pop(key, None)
    for ident in list(layer.connections):
        patch = layer.connections[ident]
        for key in list(patch.values):
            if locks.locked(ident, key):
                del patch.values[key]
        if locks.name_locked(ident):
            patch.name = None
        if not patch.values and patch.name is None:
            del layer.connections[ident]
    layer.removed = [ident for ident in layer.removed if not locks.kept(ident)]
    if locks.active_id is not None:
        layer.active = None


def keep_locked(layer: Layer, saved: Layer, locks: Locks, present: Collection[str]) -> None:
    """Put back into ``layer`` (in place) what the account's ``saved`` layer held for locked
    values, so that lifting a lock lets them apply again. ``present``: the connections
    ``layer`` is saved with (one removed now takes its values with it)."""
    if not locks.any:
        return
    for key in locks.account_keys:
        if key in saved.options:
            layer.options[key] = saved.options[key]
    for ident, old in saved.connections.items():
        if ident not in present and not locks.kept(ident):
            continue
        kept = {k: v for k, v in old.values.items() if locks.locked(ident, k)}
        name = old.name if locks.name_locked(ident) else None
        if not kept and name is None:
            continue
        patch = layer.connections.setdefault(ident, ConnectionPatch())
        patch.values.update(kept)
        if name is not None:
            patch.name = name
    for ident in saved.removed:
        if locks.kept(ident) and ident not in layer.removed:
            layer.removed.append(ident)
    if locks.active_id is not None:
        layer.active = saved.active


def describe_locks(locks: Locks, institution: ExportSettings) -> list[str]:
    """One line per lock, for ``exportdesk institution show`` and the Admin view."""
    lines: list[str] = []
    if locks.account_keys:
        lines.append("export settings: " + ", ".join(sorted(locks.account_keys)))
    if locks.every_connection:
        lines.append("every connection: " + ", ".join(sorted(locks.every_connection)))
    if locks.active_id is not None:
        active = institution.connection(locks.active_id)
        lines.append(f"exports go to: {active.name if active else locks.active_id}")
    for connection in institution.connections:
        if connection.id in locks.whole:
            lines.append(f"connection '{connection.name}': all its settings and its name")
        elif connection.id in locks.connections:
            keys = ", ".join(sorted(locks.connections[connection.id]))
            lines.append(f"connection '{connection.name}': {keys}")
    return lines
