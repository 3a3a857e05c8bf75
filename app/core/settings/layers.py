"""Layered export settings: factory < institution < the account's saved default < the session.

Each layer above the factory is a *patch*: the account settings it changes, and per named
connection the connection settings it changes (plus connections it adds, renames or removes,
and the active one). Resolving the layers gives an ``ExportSettings`` snapshot with the layer
each value came from; the Export Options screen edits a copy of that snapshot (the working
copy), and saving turns the copy back into a patch over the layers below the one written.
A patch holds the values that differ from the layers below, and those the saver *pins*: Save
My Default pins every value on the screen, so that a later change below (a new institution
file) does not alter what the cataloger saved.
"""

from __future__ import annotations

import copy
import enum
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.atomicfile import write_atomic
from app.core.errors import OptionError, UsageError
from app.core.settings.files import (
    WrongShape,
    add_notice,
    expect,
    load_json_file,
    report_damaged,
)
from app.core.settings.options import ACCOUNT_KEYS, BY_KEY, CONNECTION_KEYS, Scope, factory_values

FORMAT_VERSION = 1  # what account files are written with
# The newest format this version reads: 2 adds the institution file's locks (locks.py).
READ_FORMAT_VERSION = 2
DEFAULT_CONNECTION_ID = "default"
DEFAULT_CONNECTION_NAME = "Default"


# Whether a patch holds a value even where it equals the layers below: called with the
# connection's id (None for an account setting) and the key.
Pinned = Callable[[str | None, str], bool]


class Source(enum.StrEnum):
    FACTORY = "factory"
    INSTITUTION = "institution"
    ACCOUNT = "account"
    SESSION = "session"
    # Not a layer: the source of a value an institution locks (it wins over every layer).
    LOCKED = "institution (locked)"


@dataclass
class ConnectionPatch:
    name: str | None = None  # None: the name below stays
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layer:
    """What one layer changes. Empty means it changes nothing."""

    source: Source
    options: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, ConnectionPatch] = field(default_factory=dict)  # by id, in order
    removed: list[str] = field(default_factory=list)
    active: str | None = None

    def is_empty(self) -> bool:
        return not (self.options or self.connections or self.removed or self.active)

    def known_ids(self) -> set[str]:
        return set(self.connections) | set(self.removed)

    def holds(self, connection_id: str | None, key: str) -> bool:
        """Whether this layer sets ``key`` (of the account, or of one connection)."""
        if connection_id is None:
            return key in self.options
        patch = self.connections.get(connection_id)
        return patch is not None and key in patch.values

    def without(self, keys: Collection[str], connection_id: str) -> Layer:
        """A copy without these keys: account settings, and one connection's settings."""
        smaller = copy.deepcopy(self)
        for key in keys:
            smaller.options.pop(key, None)
        patch = smaller.connections.get(connection_id)
        if patch is not None:
            for key in keys:
                patch.values.pop(key, None)
            if not patch.values and patch.name is None:
                del smaller.connections[connection_id]
        return smaller


@dataclass
class Connection:
    """A named connection as resolved (or as edited on the screen)."""

    id: str
    name: str
    values: dict[str, Any]
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass
class ExportSettings:
    """Every setting's value, the layer it came from, and the connections."""

    options: dict[str, Any]
    sources: dict[str, Source]
    connections: list[Connection]
    active_id: str
    # Values a connection added on top of these layers starts with.
    connection_defaults: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> ExportSettings:
        return copy.deepcopy(self)

    def connection(self, connection_id: str) -> Connection | None:
        return next((c for c in self.connections if c.id == connection_id), None)

    def connection_named(self, name: str) -> Connection | None:
        wanted = name.strip().casefold()
        return next((c for c in self.connections if c.name.casefold() == wanted), None)

    @property
    def active(self) -> Connection:
        found = self.connection(self.active_id)
        assert found is not None, "the active connection always exists"
        return found

    def values_for(self, connection: Connection | None = None) -> dict[str, Any]:
        """Account settings together with one connection's (the active one by default)."""
        return {**self.options, **(connection or self.active).values}

    def set_value(self, key: str, value: Any, connection: Connection | None = None) -> None:
        """Change one value of this (working) copy.

        A default that follows other values (the file name follows the format) keeps
        following them while it is still the default.
        """
        if BY_KEY[key].scope is Scope.CONNECTION:
            (connection or self.active).values[key] = value
            return
        before = dict(self.options)
        self.options[key] = value
        for other in ACCOUNT_KEYS:
            dependent = BY_KEY[other]
            follows = callable(dependent.default) and other != key
            if follows and before[other] == dependent.default_for(before):
                self.options[other] = dependent.default_for(self.options)

    def source_of(self, key: str, connection: Connection | None = None) -> Source:
        if BY_KEY[key].scope is Scope.ACCOUNT:
            return self.sources[key]
        return (connection or self.active).sources[key]

    # Edits of connections on the working copy; saving decides which layer keeps them.

    def add_connection(self, name: str, taken_ids: Iterable[str] = ()) -> Connection:
        name = self._free_name(name)
        ident = new_connection_id(name, {c.id for c in self.connections} | set(taken_ids))
        values = dict(self.connection_defaults)
        created = Connection(ident, name, values, dict.fromkeys(values, Source.FACTORY))
        self.connections.append(created)
        return created

    def duplicate_connection(self, connection_id: str, taken_ids: Iterable[str] = ()) -> Connection:
        original = self.connection(connection_id)
        if original is None:
            raise UsageError(f"no connection with id {connection_id}")
        created = self.add_connection(f"{original.name} (copy)", taken_ids)
        created.values = dict(original.values)
        return created

    def rename_connection(self, connection_id: str, name: str) -> None:
        target = self.connection(connection_id)
        if target is None:
            raise UsageError(f"no connection with id {connection_id}")
        name = name.strip()
        if not name:
            raise OptionError("connection", "a connection needs a name")
        other = self.connection_named(name)
        if other is not None and other.id != connection_id:
            raise OptionError("connection", f"there is already a connection named '{name}'")
        target.name = name

    def remove_connection(self, connection_id: str) -> None:
        if len(self.connections) == 1:
            raise OptionError("connection", "an account keeps at least one connection")
        self.connections = [c for c in self.connections if c.id != connection_id]
        if self.active_id == connection_id:
            self.active_id = self.connections[0].id

    def _free_name(self, name: str) -> str:
        name = name.strip() or "Connection"
        candidate, number = name, 2
        while self.connection_named(candidate) is not None:
            candidate, number = f"{name} {number}", number + 1
        return candidate


def new_connection_id(name: str, taken: set[str]) -> str:
    """A stable id for a connection (keyring entries are named by it, so renames keep it)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "connection"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def entry_id(entry: Mapping[str, Any]) -> str | None:
    """The id of a connection described in a settings file: its ``id``, else made from its
    name; None when it has neither (or they are not text)."""
    name, ident = entry.get("name") or None, entry.get("id") or None
    if not isinstance(name, str | None) or not isinstance(ident, str | None):
        return None
    name = (name.strip() or None) if name is not None else None
    return ident or (new_connection_id(name, set()) if name else None)


def resolve(layers: Iterable[Layer]) -> ExportSettings:
    """Stack the layers (lowest first) on the factory defaults."""
    layers = [layer for layer in layers if layer is not None]
    options: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for key in ACCOUNT_KEYS:
        for layer in reversed(layers):
            if key in layer.options:
                options[key], sources[key] = layer.options[key], layer.source
                break
    for key, value in factory_values(Scope.ACCOUNT, options).items():
        if key not in options:
            options[key], sources[key] = value, Source.FACTORY

    # A connection's value not set for it comes from connection settings an institution
    # gives for every connection, else the factory.
    defaults: dict[str, Any] = factory_values(Scope.CONNECTION)
    default_sources = dict.fromkeys(defaults, Source.FACTORY)
    for layer in layers:
        for key in CONNECTION_KEYS:
            if key in layer.options:
                defaults[key], default_sources[key] = layer.options[key], layer.source

    # An account starts with the institution's connections, or else one empty connection.
    order: list[str] = []
    names: dict[str, str] = {}
    if not any(layer.source is Source.INSTITUTION and layer.connections for layer in layers):
        order, names = [DEFAULT_CONNECTION_ID], {DEFAULT_CONNECTION_ID: DEFAULT_CONNECTION_NAME}
    for layer in layers:
        for ident, patch in layer.connections.items():
            if ident not in names:
                order.append(ident)
                names[ident] = patch.name or ident
            elif patch.name:
                names[ident] = patch.name
        for ident in layer.removed:
            if ident in names:
                order.remove(ident)
                del names[ident]
    if not order:  # every connection removed: a damaged file; never leave none
        order, names = [DEFAULT_CONNECTION_ID], {DEFAULT_CONNECTION_ID: DEFAULT_CONNECTION_NAME}

    connections = []
    for ident in order:
        values, value_sources = dict(defaults), dict(default_sources)
        for layer in layers:
            found = layer.connections.get(ident)
            for key, value in (found.values if found else {}).items():
                values[key], value_sources[key] = value, layer.source
        connections.append(Connection(ident, names[ident], values, value_sources))

    active = order[0]
    for layer in layers:
        if layer.active in names:
            active = layer.active
    return ExportSettings(options, sources, connections, active, dict(defaults))


def patch_between(
    working: ExportSettings,
    below: ExportSettings,
    source: Source,
    pinned: Pinned | None = None,
    pin_active: bool = False,
) -> Layer:
    """The layer that, put on top of ``below``, gives ``working``.

    It holds the values that differ from ``below`` and those ``pinned`` names (even where
    equal); ``pin_active`` keeps the choice of the active connection the same way.
    """

    def pins(connection_id: str | None, key: str) -> bool:
        return pinned is not None and pinned(connection_id, key)

    layer = Layer(source)
    for key in ACCOUNT_KEYS:
        base = below.options[key]
        if below.sources[key] is Source.FACTORY:
            # Some defaults follow other values (the file name follows the format).
            base = BY_KEY[key].default_for(working.options)
        if working.options[key] != base or pins(None, key):
            layer.options[key] = working.options[key]
    for connection in working.connections:
        previous = below.connection(connection.id)
        base_values = previous.values if previous else below.connection_defaults
        changed = {
            k: v
            for k, v in connection.values.items()
            if base_values.get(k) != v or pins(connection.id, k)
        }
        renamed = previous is None or previous.name != connection.name
        if changed or renamed:
            layer.connections[connection.id] = ConnectionPatch(
                connection.name if renamed else None, changed
            )
    working_ids = {c.id for c in working.connections}
    layer.removed = [c.id for c in below.connections if c.id not in working_ids]
    if working.active_id != below.active_id or pin_active:
        layer.active = working.active_id
    return layer


# Reading and writing layers as JSON files.


def layer_from_json(data: Mapping[str, Any], source: Source, where: Path) -> Layer:
    """A layer from a settings file; bad values are dropped with a notice, never fatal.

    A part of the wrong shape (``connections`` that is not a list...) makes the account's own
    file unusable: WrongShape, and the caller sets the file aside. The institution file is
    never renamed or written: there, that part alone is ignored, with a notice.
    """
    layer = Layer(source)

    def shaped(value: Any, kind: type | tuple[type, ...], key: str, what: str) -> bool:
        try:
            expect(value, kind, f"'{key}'", what)
        except WrongShape as problem:
            if source is not Source.INSTITUTION:
                raise
            add_notice(f"In {where}: {problem}; it is ignored.")
            return False
        return True

    version = data.get("format_version", FORMAT_VERSION)
    if shaped(version, int, "format_version", "a whole number") and version > READ_FORMAT_VERSION:
        add_notice(
            f"{where} was written by a newer ExportDesk (format {version}); only what this "
            "version understands is used."
        )
    options = data.get("options", {})
    if shaped(options, dict, "options", "an object of settings"):
        allowed = ACCOUNT_KEYS + CONNECTION_KEYS if source is Source.INSTITUTION else ACCOUNT_KEYS
        layer.options = _checked_values(options, allowed, where)
    entries = data.get("connections") or []
    for number, entry in enumerate(
        entries if shaped(entries, list, "connections", "a list") else []
    ):
        label = f"connections[{number}]"
        if not shaped(entry, dict, label, "an object describing a connection"):
            continue
        name, ident = entry.get("name") or None, entry.get("id") or None
        values = entry.get("options", {})
        if not (
            shaped(name, (str, type(None)), f"{label}.name", "text")
            and shaped(ident, (str, type(None)), f"{label}.id", "text")
            and shaped(values, dict, f"{label}.options", "an object of settings")
        ):
            continue
        name = (name.strip() or None) if name is not None else None
        ident = entry_id(entry)
        if ident is None or ident in layer.connections:
            continue
        layer.connections[ident] = ConnectionPatch(
            name, _checked_values(values, CONNECTION_KEYS, where)
        )
    removed = data.get("removed_connections") or []
    if shaped(removed, list, "removed_connections", "a list of connection ids"):
        layer.removed = [r for r in removed if isinstance(r, str)]
    active = data.get("active_connection")
    named = shaped(active, (str, type(None)), "active_connection", "a connection's name or id")
    if named and active is not None:
        by_name = {p.name: i for i, p in layer.connections.items() if p.name}
        layer.active = by_name.get(active, active)
    return layer


def _checked_values(
    raw: Mapping[str, Any], allowed: tuple[str, ...], where: Path
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in allowed:
            if "password" in key.lower():
                why = "passwords are never read from files (ExportDesk keeps them in the keyring)"
            else:
                why = f"'{key}' is not a setting that belongs there"
            add_notice(f"In {where}: {why}; it is ignored.")
            continue
        try:
            values[key] = BY_KEY[key].coerce(value)
        except OptionError as error:
            add_notice(f"In {where}: {error.message}; that value is ignored.")
    return values


def layer_to_json(layer: Layer, account: str) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "account": account,
        "options": {k: BY_KEY[k].to_json(v) for k, v in layer.options.items()},
        "connections": [
            {
                "id": ident,
                **({"name": patch.name} if patch.name else {}),
                "options": {k: BY_KEY[k].to_json(v) for k, v in patch.values.items()},
            }
            for ident, patch in layer.connections.items()
        ],
        "removed_connections": layer.removed,
        "active_connection": layer.active,
    }


def account_file(account: str) -> Path:
    return paths.config_dir() / "accounts" / f"{paths.account_slug(account)}.json"


def load_account_layer(account: str) -> Layer:
    where = account_file(account)
    what = f"settings of account {account}"
    data = load_json_file(where, what)
    try:
        return layer_from_json(data or {}, Source.ACCOUNT, where)
    except WrongShape as problem:
        report_damaged(where, what, str(problem))
        return Layer(Source.ACCOUNT)


def save_account_layer(account: str, layer: Layer) -> None:
    write_atomic(account_file(account), json.dumps(layer_to_json(layer, account), indent=2) + "\n")
