"""One account's settings and connections in a file, to move between machines
(``exportdesk profile export|import``). Never a secret: passwords and secret logon IDs stay
in each machine's keyring, under the connections' ids, which a profile keeps.

A profile holds what the account saved (its layer: the values it set, its connections, the
active one), in the account file's own format plus ``"kind": "exportdesk-profile"``. Importing
replaces the account settings and merges the connections by id: a connection in the file
replaces the account's connection with the same id, the others are kept. Values the
institution locks on the importing machine are not imported (each is named); what the account
had saved for them there stays.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.atomicfile import write_atomic
from app.core.errors import ExportDeskError, UsageError
from app.core.settings.account_settings import AccountSettings
from app.core.settings.files import WrongShape
from app.core.settings.layers import (
    Layer,
    Source,
    layer_from_json,
    layer_to_json,
    save_account_layer,
)
from app.core.settings.locks import ACTIVE_CONNECTION, keep_locked, strip_locked

KIND = "exportdesk-profile"


def profile_json(account: AccountSettings) -> dict[str, Any]:
    """The account's saved settings and connections, as a profile (no secret in it)."""
    layer = copy.deepcopy(account.saved)
    resolved = account.without_secrets(with_session=False)
    for ident, patch in layer.connections.items():
        connection = resolved.connection(ident)
        if connection is not None and connection.values.get("logon_id_secret"):
            patch.values.pop("logon_id", None)  # never in a layer; and never in a profile
    return {"kind": KIND, **layer_to_json(layer, account.account)}


def export_profile(account: AccountSettings, path: Path) -> None:
    try:
        write_atomic(path, json.dumps(profile_json(account), indent=2, ensure_ascii=False) + "\n")
    except OSError as error:
        raise UsageError(f"{path} could not be written ({error.strerror})") from None


def read_profile(path: Path) -> Layer:
    """The profile's layer; bad values are left out with a notice, a file of the wrong shape
    is refused (UsageError)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"no file at {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UsageError(f"{path} is not a profile: it is not valid JSON") from None
    except OSError as error:
        raise UsageError(f"{path} could not be read ({error.strerror})") from None
    if not isinstance(data, dict) or data.get("kind", KIND) != KIND:
        raise UsageError(f"{path} is not an ExportDesk profile ('exportdesk profile export')")
    try:
        return layer_from_json(data, Source.ACCOUNT, path)
    except WrongShape as problem:
        raise UsageError(f"{path} is not a profile ExportDesk can use: {problem}") from None


@dataclass(frozen=True)
class ProfileImport:
    skipped: list[str]  # locked values of the file, not imported
    connections: list[str]  # names of the connections the file brought


def import_profile(account: AccountSettings, incoming: Layer) -> ProfileImport:
    """Merge the profile into the account's saved settings, written at once; nothing is
    written when the settings that would result fail the screen's checks."""
    locks = account.locks
    saved = account.saved
    merged = Layer(Source.ACCOUNT, options=dict(incoming.options))
    merged.connections = copy.deepcopy(saved.connections)
    merged.connections.update(copy.deepcopy(incoming.connections))
    merged.removed = [
        ident
        for ident in dict.fromkeys(saved.removed + incoming.removed)
        if ident not in incoming.connections
    ]
    merged.active = incoming.active or saved.active
    names = {c.id: c.name for c in account.without_secrets(with_session=False).connections}
    names.update({i: p.name for i, p in incoming.connections.items() if p.name})
    skipped = [f"{key}" for key in incoming.options if locks.locked(None, key)]
    for ident, patch in incoming.connections.items():
        name = names.get(ident, ident)
        skipped += [
            f"{key} (connection '{name}')" for key in patch.values if locks.locked(ident, key)
        ]
        if patch.name and locks.name_locked(ident):
            skipped.append(f"the name of connection '{name}'")
    skipped += [
        f"removing connection '{names.get(i, i)}'" for i in incoming.removed if locks.kept(i)
    ]
    if incoming.active and locks.active_id is not None and incoming.active != locks.active_id:
        skipped.append(ACTIVE_CONNECTION)
    strip_locked(merged, locks)
    present = set(merged.connections) | set(account.institution.connections)
    keep_locked(merged, saved, locks, present)
    result = account.with_saved(merged)
    errors, _ = account.check(result)
    if errors:
        lines = "; ".join(f"{p.key}: {p.message}" for p in errors)
        raise ExportDeskError(f"nothing was imported, the settings would be refused: {lines}")
    save_account_layer(account.account, merged)
    account.saved = merged
    brought = [names.get(i, i) for i in incoming.connections]
    return ProfileImport(skipped, brought)
