"""What the administrator's commands share: opening an account, naming a connection, saving."""

from __future__ import annotations

import sys
from collections.abc import Collection

from app.core.errors import ExportDeskError, UsageError
from app.core.settings.account_settings import AccountSettings, PendingPasswords, ValueKey
from app.core.settings.accounts import require_known_account
from app.core.settings.files import take_notices
from app.core.settings.layers import Connection, ExportSettings
from app.core.settings.options import Problem
from app.core.store.savefile import take_notices as take_save_file_notices


def print_notices() -> None:
    for notice in [*take_notices(), *take_save_file_notices()]:
        print(f"exportdesk: warning: {notice}", file=sys.stderr)


def open_account(account: str) -> AccountSettings:
    settings = AccountSettings(require_known_account(account))
    print_notices()
    return settings


def find_connection(settings: ExportSettings, name: str | None) -> Connection:
    """The connection named (case does not matter), or the active one when no name is given."""
    if name is None:
        return settings.active
    found = settings.connection_named(name)
    if found is None:
        known = ", ".join(f"'{c.name}'" for c in settings.connections)
        raise UsageError(f"no connection named '{name}'; this account has {known}")
    return found


def describe(problem: Problem, settings: ExportSettings) -> str:
    where = ""
    if problem.connection_id is not None and len(settings.connections) > 1:
        connection = settings.connection(problem.connection_id)
        where = f" (connection '{connection.name if connection else problem.connection_id}')"
    return f"{problem.key}{where}: {problem.message}"


def save_checked(
    account: AccountSettings,
    working: ExportSettings,
    passwords: PendingPasswords | None = None,
    written: Collection[ValueKey] = (),
) -> None:
    """Save as the account's default after the screen's checks; nothing is saved on an error.

    The account's file keeps what it held and gains what changed, and ``written`` even where
    it equals a default (``options set KEY=VALUE``); a command never pins the other values.
    """
    account.check_locks(working)  # a value the institution locks: refused, whatever else
    errors, warnings = account.check(working, passwords)
    if errors:
        lines = "\n  ".join(describe(problem, working) for problem in errors)
        raise ExportDeskError(f"nothing was saved:\n  {lines}")
    for problem in warnings:
        print(f"exportdesk: warning: {describe(problem, working)}", file=sys.stderr)
    account.save_default(working, passwords, every_value=False, also=written)
