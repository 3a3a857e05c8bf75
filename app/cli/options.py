"""``exportdesk options show|set|unset|reset``: an account's export settings, for administrators."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from app.cli.common import describe, find_connection, open_account, save_checked
from app.core.errors import ExportDeskError, OptionError, UsageError
from app.core.settings.account_settings import AccountSettings, ValueKey
from app.core.settings.locks import LockedError
from app.core.settings.options import BY_KEY, OPTIONS, Scope, option
from app.core.settings.secrets import SecretKind


def settings_help() -> str:
    """Every key 'options set' takes, its scope, what it accepts and its factory default."""
    lines = ["settings (KEY: what it accepts; the factory default):"]
    for opt in OPTIONS:
        default = opt.default_for({}) if not callable(opt.default) else "export + extension"
        shown = opt.to_text(default) if not callable(opt.default) else default
        where = " (per connection)" if opt.scope is Scope.CONNECTION else ""
        lines.append(f"  {opt.key}{where}: {opt.accepted()}; default {shown or '(empty)'}")
    lines.append("Choice values may be typed in any case (format=MARC is format=marc).")
    return "\n".join(lines)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "options",
        help="show or change an account's export settings",
        description="Show or change the export settings saved as an account's default.",
    )
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    show = commands.add_parser("show", help="show every setting, and where its value comes from")
    _account_and_connection(show)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=show_options)

    change = commands.add_parser(
        "set",
        help="check and save settings as the account's default",
        description=textwrap.fill(
            "Check and save KEY=VALUE settings as the account's default. TCP/IP settings go "
            "to the named connection, or the active one. Each value given is written even "
            "when it equals the institution's or the factory's default, so a later change of "
            "the institution file does not alter it ('options unset' removes it again). "
            "Nothing is saved when any value is wrong, or locked by the institution (exit "
            "status 2). Passwords are set with 'exportdesk password set'.",
            width=88,
        ),
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _account_and_connection(change)
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    change.set_defaults(func=set_options)

    unset = commands.add_parser(
        "unset",
        help="remove settings from the account's default so the institution's or factory's apply",
        description="Remove KEYs from the account's saved default, so the institution default "
        "(or under it the factory default) applies again. TCP/IP settings are removed from "
        "the named connection, or the active one. Nothing is removed when the settings left "
        "would be refused.",
    )
    _account_and_connection(unset)
    unset.add_argument("keys", nargs="+", metavar="KEY")
    unset.set_defaults(func=unset_options)

    reset = commands.add_parser(
        "reset",
        help="drop the account's saved settings so institution and factory defaults apply",
        description="Drop the account's saved values of the account settings and of one "
        "connection (the active one unless named). Other connections, passwords and what the "
        "account saved for settings the institution locks are kept.",
    )
    _account_and_connection(reset)
    reset.set_defaults(func=reset_options)


def _account_and_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", required=True, help="the authorization, e.g. 100-123-456")
    parser.add_argument("--connection", metavar="NAME", help="a named connection (default: active)")


def show_options(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    settings = account.saved_default()
    connection = find_connection(settings, args.connection)
    values = settings.values_for(connection)
    secret_logon_id = bool(values.get("logon_id_secret"))
    password_stored = account.vault.saved(connection.id) is not None
    if args.json:
        options = {key: BY_KEY[key].to_json(value) for key, value in values.items()}
        if secret_logon_id:
            options["logon_id"] = None
        print(
            json.dumps(
                {
                    "account": account.account,
                    "connection": connection.name,
                    "options": options,
                    "sources": {o.key: str(settings.source_of(o.key, connection)) for o in OPTIONS},
                    "password_stored": password_stored,
                },
                ensure_ascii=False,
            )
        )
        return 0
    active = " (active)" if connection.id == settings.active_id else ""
    print(f"Account {account.account}, connection '{connection.name}'{active}")
    for opt in OPTIONS:
        shown = opt.to_text(values[opt.key])
        if opt.key == "logon_id" and secret_logon_id:
            stored = account.vault.saved(connection.id, SecretKind.LOGON_ID) is not None
            shown = "(secret, in the keyring)" if stored else "(secret, not set)"
        source = settings.source_of(opt.key, connection)
        print(f"  {opt.key:<26} {shown or '(empty)':<40} {source}")
    print(f"  {'password':<26} {'stored in the keyring' if password_stored else '(not set)'}")
    _say_who_locks(account)
    return 0


def _say_who_locks(account: AccountSettings) -> None:
    if account.locks.any:
        print(
            f"Values from 'institution (locked)' are set by your institution{account.locks.ask()}."
        )


def set_options(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    working = account.saved_default().copy()
    connection = find_connection(working, args.connection)
    problems: list[str] = []
    written: list[ValueKey] = []
    for assignment in args.assignments:
        key, sep, text = assignment.partition("=")
        key = key.strip()
        try:
            if not sep:
                raise OptionError(key, "write it as KEY=VALUE")
            opt = option(key)
            is_connection = opt.scope is Scope.CONNECTION
            if account.locks.locked(connection.id if is_connection else None, key):
                raise account.locks.error(key, connection.name if is_connection else None)
            value = opt.parse(text)
            working.set_value(key, value, connection if is_connection else None)
            written.append((connection.id if is_connection else None, key))
        except LockedError as error:
            problems.append(error.message)
        except OptionError as error:
            accepted = f" (accepts {BY_KEY[key].accepted()})" if key in BY_KEY else ""
            problems.append(f"{error.message}{accepted}")
    if connection.values.get("logon_id_secret") and any(
        a.partition("=")[0].strip() == "logon_id" for a in args.assignments
    ):
        problems.append(
            "logon_id: this connection keeps its logon ID secret, so it is never taken from "
            "the command line; use: exportdesk password set --logon-id"
        )
    if problems:
        raise ExportDeskError("nothing was saved:\n  " + "\n  ".join(problems))
    save_checked(account, working, written=written)
    print(f"Saved as the default of account {account.account}.")
    return 0


def unset_options(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    connection = find_connection(account.saved_default(), args.connection)
    problems: list[str] = []
    for key in args.keys:
        if key == "password":
            problems.append("password: passwords are not settings; use: exportdesk password forget")
            continue
        try:
            option(key)
        except OptionError as error:
            problems.append(error.message)
            continue
        if account.locks.locked(connection.id, key):
            scoped = connection.name if BY_KEY[key].scope is Scope.CONNECTION else None
            problems.append(account.locks.error(key, scoped).message)
            continue
        if key == "logon_id" and connection.values.get("logon_id_secret"):
            problems.append(
                "logon_id: this connection keeps its logon ID secret, in the keyring; use: "
                "exportdesk password forget --logon-id"
            )
    if problems:
        raise UsageError("nothing was removed:\n  " + "\n  ".join(problems))
    result = account.unset_default(args.keys, connection.id)
    if result.errors:
        lines = "\n  ".join(describe(problem, result.settings) for problem in result.errors)
        raise ExportDeskError(
            f"nothing was removed, the settings left would be refused:\n  {lines}"
        )
    after = result.settings.connection(connection.id) or result.settings.active
    for key in args.keys:
        scope = f"connection '{after.name}', " if BY_KEY[key].scope is Scope.CONNECTION else ""
        if key not in result.removed:
            print(f"{scope}{key}: not set in the account's default; nothing to remove")
            continue
        shown = BY_KEY[key].to_text(result.settings.values_for(after)[key]) or "(empty)"
        source = result.settings.source_of(key, after)
        print(f"{scope}{key}: removed; now {shown} ({source} default)")
    return 0


def reset_options(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    connection = find_connection(account.saved_default(), args.connection)
    account.reset(connection.id)
    print(
        f"Account {account.account}: account settings and connection '{connection.name}' "
        "reset to the institution and factory defaults."
    )
    _say_who_locks(account)
    return 0
