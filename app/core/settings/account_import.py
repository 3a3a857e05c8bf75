"""Adding or updating many accounts at once from a CSV file (``exportdesk account import``).

The header names the columns: ``account`` (required); ``connection``, the named connection the
row's TCP/IP settings go to (created when missing; empty: the active one);
``active_connection``, the connection exports go to; ``password_env``, the name of an
environment variable holding that connection's password (the password itself is never in the
file); then settings by their keys, written as ``exportdesk options set`` takes them. An
empty cell keeps the account's value. Rows are numbered from 1 for the first data row.

A column that is not one of these stops the import before anything is written. Each row is
all or nothing: it is checked whole first (values, the screen's checks, locks, the password),
then the password goes to the keyring, the account's settings file is written and the account
added to this user's list, and what was written is undone when a later step fails.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.atomicfile import write_atomic
from app.core.errors import ExportDeskError, OptionError, UsageError
from app.core.settings.account_settings import AccountSettings, ValueKey
from app.core.settings.accounts import AccountRegistry, check_authorization
from app.core.settings.layers import (
    Connection,
    ExportSettings,
    Layer,
    account_file,
    layer_to_json,
    save_account_layer,
)
from app.core.settings.locks import ACTIVE_CONNECTION
from app.core.settings.options import BY_KEY, MAX_FIELD_BYTES, Scope
from app.core.settings.secrets import SecretKind, keyring_available, no_keyring_reason

ACCOUNT = "account"
CONNECTION = "connection"
PASSWORD_ENV = "password_env"
COLUMNS = (ACCOUNT, CONNECTION, ACTIVE_CONNECTION, PASSWORD_ENV)
OUTCOMES = ("added", "updated", "unchanged", "failed")


@dataclass(frozen=True)
class RowOutcome:
    row: int
    account: str
    outcome: str  # one of OUTCOMES
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "account": self.account,
            "outcome": self.outcome,
            "message": self.message,
        }


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, cells by column), blank rows left out
    problems: dict[int, str]  # rows that can't be read as cells: a message


def read_table(path: Path) -> Table:
    """The CSV file's columns and rows; UsageError for a file that can't be imported at all
    (missing, not UTF-8, no header, an unknown or repeated column)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            lines = list(csv.reader(stream))
    except FileNotFoundError:
        raise UsageError(f"no file at {path}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text: save the CSV file as UTF-8") from None
    except csv.Error as error:
        raise UsageError(f"{path} can't be read as CSV: {error}") from None
    except OSError as error:
        raise UsageError(f"{path} could not be read ({error.strerror})") from None
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise UsageError(f"{path} has no header line naming its columns (account, ...)")
    columns = [cell.strip() for cell in lines[0]]
    unknown = [c for c in columns if c not in COLUMNS and c not in BY_KEY]
    if unknown:
        hints = []
        for column in unknown:
            if "password" in column.lower():
                hints.append(
                    f"'{column}': passwords are never read from files; name an environment "
                    f"variable holding it in a '{PASSWORD_ENV}' column"
                )
            else:
                hints.append(f"'{column}' is not a column ExportDesk knows")
        raise UsageError(
            "nothing was imported: "
            + "; ".join(hints)
            + f". Columns: {', '.join(COLUMNS)}, and setting keys: {', '.join(BY_KEY)}"
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise UsageError(f"nothing was imported: the column {', '.join(repeated)} is repeated")
    if ACCOUNT not in columns:
        raise UsageError("nothing was imported: the header has no 'account' column")
    rows: list[tuple[int, dict[str, str]]] = []
    problems: dict[int, str] = {}
    for number, cells in enumerate(lines[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems[number] = f"it has {len(cells)} cells, the header {len(columns)}"
        rows.append((number, dict(zip(columns, cells, strict=False))))
    return Table(columns, rows, problems)


def import_accounts(path: Path, environ: Mapping[str, str] | None = None) -> Iterator[RowOutcome]:
    """Import the file's rows one by one. The file is read and its columns checked before
    the first row is imported (UsageError: nothing written)."""
    table = read_table(path)
    env = os.environ if environ is None else environ
    for number, cells in table.rows:
        account = cells.get(ACCOUNT, "").strip()
        if number in table.problems:
            yield RowOutcome(
                number, account, "failed", f"nothing was saved: {table.problems[number]}"
            )
            continue
        try:
            yield _import_row(number, check_authorization(account), cells, env)
        except ExportDeskError as error:
            yield RowOutcome(number, account, "failed", error.message)


@dataclass
class _Plan:
    """What one row will write."""

    layer: Layer
    secrets: list[tuple[str, SecretKind, str]]  # (connection id, kind, value)
    notes: list[str]


def _import_row(
    number: int, account: str, cells: dict[str, str], env: Mapping[str, str]
) -> RowOutcome:
    registry = AccountRegistry.load()
    known = account in registry.accounts
    settings = AccountSettings(account)
    plan = _plan(settings, cells, env)
    changed_file = layer_to_json(plan.layer, account) != layer_to_json(settings.saved, account)
    secrets = [
        (ident, kind, value)
        for ident, kind, value in plan.secrets
        if settings.vault.saved(ident, kind) != value
    ]
    if known and not changed_file and not secrets:
        return RowOutcome(number, account, "unchanged", "nothing to change")
    _write(settings, registry, plan.layer if changed_file else None, secrets, known)
    notes = plan.notes + (["password saved in the keyring"] if secrets else [])
    said = "; ".join(notes) if notes else "no settings given"
    return RowOutcome(number, account, "updated" if known else "added", said)


def _plan(settings: AccountSettings, cells: dict[str, str], env: Mapping[str, str]) -> _Plan:
    """Check the whole row; UsageError naming every problem (nothing is written then)."""
    locks = settings.locks
    working = settings.saved_default().copy()
    problems: list[str] = []
    notes: list[str] = []
    name = cells.get(CONNECTION, "").strip()
    connection: Connection | None = working.active
    if name:
        connection = working.connection_named(name)
        if connection is None:
            connection = working.add_connection(name, settings.taken_connection_ids())
            notes.append(f"connection '{connection.name}' added")
    assert connection is not None
    written: list[ValueKey] = []
    for key, text in cells.items():
        if key in COLUMNS or not text.strip():
            continue
        option = BY_KEY[key]
        owner = connection.id if option.scope is Scope.CONNECTION else None
        if locks.locked(owner, key):
            problems.append(locks.error(key, connection.name if owner else None).message)
            continue
        try:
            value = option.parse(text)
        except OptionError as error:
            problems.append(f"{error.message} (accepts {option.accepted()})")
            continue
        working.set_value(key, value, connection if owner else None)
        written.append((owner, key))
    if connection.values.get("logon_id_secret") and cells.get("logon_id", "").strip():
        problems.append(
            "logon_id: this connection keeps its logon ID secret, so it is never taken from a "
            "file; use: exportdesk password set --logon-id"
        )
    active = cells.get(ACTIVE_CONNECTION, "").strip()
    if active:
        chosen = working.connection_named(active)
        if chosen is None:
            known = ", ".join(f"'{c.name}'" for c in working.connections)
            problems.append(f"{ACTIVE_CONNECTION}: no connection named '{active}' ({known})")
        elif locks.active_id is not None and chosen.id != locks.active_id:
            problems.append(locks.error(ACTIVE_CONNECTION).message)
        else:
            working.active_id = chosen.id
    secrets = _secrets(settings, working, connection, cells, env, problems)
    if not problems:
        errors, _ = settings.check(working)
        problems += [_describe(p.key, p.connection_id, p.message, working) for p in errors]
    if problems:
        raise UsageError("nothing was saved: " + "; ".join(problems))
    settings.check_locks(working)
    layer = settings.default_layer(working, every_value=False, also=written)
    if written:
        notes.append("set " + ", ".join(dict.fromkeys(key for _, key in written)))
    if active:
        notes.append(f"exports go to '{working.active.name}'")
    return _Plan(layer, secrets, notes)


def _secrets(
    settings: AccountSettings,
    working: ExportSettings,
    connection: Connection,
    cells: dict[str, str],
    env: Mapping[str, str],
    problems: list[str],
) -> list[tuple[str, SecretKind, str]]:
    """The secrets the row writes: the password named by ``password_env``, and a logon ID
    the row turns secret (it then moves from the settings file to the keyring)."""
    secrets: list[tuple[str, SecretKind, str]] = []
    variable = cells.get(PASSWORD_ENV, "").strip()
    if variable:
        value = env.get(variable)
        if value is None:
            problems.append(f"{PASSWORD_ENV}: the environment variable {variable} is not set")
        elif not value:
            problems.append(f"{PASSWORD_ENV}: the environment variable {variable} is empty")
        elif len(value.encode("utf-8")) > MAX_FIELD_BYTES:
            problems.append(
                f"{PASSWORD_ENV}: the password in {variable} is longer than {MAX_FIELD_BYTES} "
                "bytes in UTF-8"
            )
        else:
            secrets.append((connection.id, SecretKind.PASSWORD, value))
    turned_secret = cells.get("logon_id_secret", "").strip() and connection.values.get(
        "logon_id_secret"
    )
    if turned_secret and connection.values.get("logon_id"):
        secrets.append((connection.id, SecretKind.LOGON_ID, connection.values["logon_id"]))
    if secrets and not keyring_available():
        problems.append(
            f"no secure keyring to keep the password in ({no_keyring_reason()}); set it later "
            "with 'exportdesk password set' on a machine with one"
        )
    return secrets


def _describe(key: str, connection_id: str | None, message: str, working: ExportSettings) -> str:
    connection = working.connection(connection_id or "") if connection_id else None
    where = (
        f" (connection '{connection.name}')" if connection and len(working.connections) > 1 else ""
    )
    return f"{key}{where}: {message}"


def _write(
    settings: AccountSettings,
    registry: AccountRegistry,
    layer: Layer | None,
    secrets: list[tuple[str, SecretKind, str]],
    known: bool,
) -> None:
    """Write the row: secrets, the settings file, the list of accounts; undo on a failure."""
    account = settings.account
    vault = settings.vault
    before_secrets = [(ident, kind, vault.saved(ident, kind)) for ident, kind, _ in secrets]
    where = account_file(account)
    try:
        before_file: bytes | None = where.read_bytes()
    except FileNotFoundError:
        before_file = None
    done_secrets: list[tuple[str, SecretKind, str | None]] = []
    wrote_file = False
    try:
        for (ident, kind, value), before in zip(secrets, before_secrets, strict=True):
            vault.save_default(ident, value, kind)
            done_secrets.append(before)
        if layer is not None:
            save_account_layer(account, layer)
            wrote_file = True
        if not known:
            registry.add(account)
            registry.save()
    except (ExportDeskError, OSError) as error:
        _undo(settings, done_secrets, where, before_file, wrote_file)
        message = (
            error.message
            if isinstance(error, ExportDeskError)
            else (f"a file could not be written ({error.strerror or error.__class__.__name__})")
        )
        raise UsageError(f"nothing was saved: {message}") from None


def _undo(
    settings: AccountSettings,
    secrets: list[tuple[str, SecretKind, str | None]],
    where: Path,
    before_file: bytes | None,
    wrote_file: bool,
) -> None:
    """Put back what a failed row wrote (best effort: each step on its own)."""
    for ident, kind, before in reversed(secrets):
        try:
            if before is None:
                settings.vault.forget(ident, kind)
            else:
                settings.vault.save_default(ident, before, kind)
        except ExportDeskError:
            pass
    if wrote_file:
        try:
            if before_file is None:
                where.unlink(missing_ok=True)
            else:
                write_atomic(where, before_file)
        except OSError:
            pass
