"""``exportdesk account|connection|password``: the accounts of this machine and their
connections and secrets, for administrators."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import find_connection, open_account, print_notices, save_checked
from app.core.errors import ExportDeskError, UsageError
from app.core.export.last_export import last_export
from app.core.export.report import account_report
from app.core.settings.account_import import OUTCOMES as IMPORT_OUTCOMES
from app.core.settings.account_import import import_accounts
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import (
    AccountRegistry,
    check_authorization,
    require_known_account,
)
from app.core.settings.layers import account_file
from app.core.settings.options import MAX_FIELD_BYTES
from app.core.settings.secrets import (
    ALLOWED_KINDS,
    NoSecureKeyringError,
    SecretKind,
    Vault,
    keyring_available,
    keyring_description,
    no_keyring_reason,
    set_receiver_password,
)
from app.core.settings.targets import Target, Targets


def register(subparsers: Any) -> None:
    _register_account(subparsers)
    _register_connection(subparsers)
    _register_password(subparsers)


def _register_account(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "account", help="list, add or remove the accounts of this machine"
    )
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="list the known accounts")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=list_accounts)
    add = commands.add_parser("add", help="make an account known on this machine")
    add.add_argument("account", help="the authorization, e.g. 100-123-456")
    add.set_defaults(func=add_account)
    remove = commands.add_parser(
        "remove",
        help="forget an account's settings and passwords (its saved records are kept)",
    )
    remove.add_argument("account")
    remove.set_defaults(func=remove_account)
    bulk = commands.add_parser(
        "import",
        help="add or update many accounts from a CSV file",
        description="Add or update accounts from a CSV file (UTF-8, with or without a "
        "byte-order mark) whose header names the columns: 'account' (required); "
        "'connection', the named connection the row's TCP/IP settings go to (created when "
        "missing; empty: the active one); 'active_connection', the connection exports go "
        "to; 'password_env', the name of an environment variable holding that connection's "
        "password (never the password itself); then settings by their keys, written as "
        "'options set' takes them. An empty cell keeps the account's value. Each row is all "
        "or nothing. Exit status: 0 when every row was imported, 1 when some failed, 2 when "
        "the file can't be imported (an unknown column...: nothing is written).",
    )
    bulk.add_argument("file", type=Path, metavar="FILE.csv")
    bulk.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per row and line: {"row", "account", "outcome", "message"}',
    )
    bulk.set_defaults(func=import_accounts_command)
    report = commands.add_parser(
        "report",
        help="what each account of this user uses: connection, host, port, logon ID, password",
        description="Every account of this user on this machine: its active connection, "
        "host, port and logon ID (not a secret one), where each value comes from, whether a "
        "password is stored, and its last export's time and outcome counts.",
    )
    report.add_argument("--json", action="store_true", help="one JSON object per account and line")
    report.set_defaults(func=report_accounts)


def _register_connection(subparsers: Any) -> None:
    parser = subparsers.add_parser("connection", help="an account's named TCP/IP connections")
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    def command(name: str, help_text: str, func: Any, *names: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
        sub.add_argument("--account", required=True, help="the authorization, e.g. 100-123-456")
        for argument in names:
            sub.add_argument(argument)
        sub.set_defaults(func=func)
        return sub

    listing = command("list", "list the connections; the active one is marked", list_connections)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    add = command("add", "add a connection", add_connection, "name")
    add.add_argument("--copy-of", metavar="NAME", help="start from this connection's settings")
    add.add_argument("--use", action="store_true", help="make it the active connection")
    command(
        "rename",
        "rename a connection (its password goes with it)",
        rename_connection,
        "name",
        "new_name",
    )
    command("remove", "remove a connection and its stored password", remove_connection, "name")
    command("use", "make a connection the active one", use_connection, "name")


def _register_password(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "password",
        help="save or forget a connection's password in the OS keyring",
        description="Passwords are read from a prompt or from standard input, never from "
        "the arguments, and go only into the OS keyring.",
    )
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, func, help_text in (
        ("set", set_password, "save a password in the keyring (prompt or standard input)"),
        ("forget", forget_password, "remove a password from the keyring"),
    ):
        sub = commands.add_parser(name, help=help_text)
        target = sub.add_mutually_exclusive_group(required=True)
        target.add_argument("--account", help="the authorization, e.g. 100-123-456")
        target.add_argument(
            "--receiver",
            metavar="LOGON_ID",
            help="the reference receiver's password for this logon ID (set only)",
        )
        sub.add_argument(
            "--connection", metavar="NAME", help="a named connection (default: active)"
        )
        sub.add_argument(
            "--logon-id",
            action="store_true",
            help="the connection's secret logon ID instead of its password",
        )
        sub.add_argument(
            "--target", metavar="NAME", help="a WorldCat target's secret (its WSKey's secret)"
        )
        sub.set_defaults(func=func)


def list_accounts(args: argparse.Namespace) -> int:
    registry = AccountRegistry.load()
    if args.json:
        print(json.dumps([{"account": a, "last": a == registry.last} for a in registry.accounts]))
        return 0
    if not registry.accounts:
        print("No accounts on this machine yet; add one with: exportdesk account add 100-123-456")
    for account in registry.accounts:
        print(account + ("  (last used)" if account == registry.last else ""))
    return 0


def add_account(args: argparse.Namespace) -> int:
    registry = AccountRegistry.load()
    account = check_authorization(args.account)
    if account in registry.accounts:
        print(f"Account {account} is already known on this machine.")
        return 0
    registry.add(account)
    registry.save()
    print(f"Added account {account}.")
    return 0


def remove_account(args: argparse.Namespace) -> int:
    registry = AccountRegistry.load()
    account = registry.require(args.account)
    settings = open_account(account)
    for connection in settings.saved_default().connections:
        settings.vault.forget(connection.id)
        settings.vault.forget(connection.id, SecretKind.LOGON_ID)
    account_file(account).unlink(missing_ok=True)
    registry.remove(account)
    registry.save()
    print(
        f"Removed account {account}: its settings and stored passwords are gone; "
        "its saved records are kept."
    )
    return 0


def import_accounts_command(args: argparse.Namespace) -> int:
    outcomes = []
    for outcome in import_accounts(args.file):
        outcomes.append(outcome)
        if args.json:
            print(json.dumps(outcome.to_json(), ensure_ascii=False), flush=True)
        else:
            account = outcome.account or "(no account)"
            print(f"row {outcome.row}: {account}: {outcome.outcome}: {outcome.message}", flush=True)
        print_notices()
    counts = {name: sum(o.outcome == name for o in outcomes) for name in IMPORT_OUTCOMES}
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    print(f"{len(outcomes)} rows: {summary}", file=sys.stderr)
    return 1 if counts["failed"] else 0


def report_accounts(args: argparse.Namespace) -> int:
    registry = AccountRegistry.load()
    for account in registry.accounts:
        line = account_report(AccountSettings(account))
        print_notices()
        if args.json:
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(f"Account {account}")
        sources = line["sources"]
        logon_id = line["logon_id"]
        shown_logon = "(secret, in the keyring)" if logon_id is None else logon_id or "(empty)"
        for label, value, source in (
            ("connection", line["connection"], sources["connection"]),
            ("host", line["host"] or "(empty)", sources["host"]),
            ("port", line["port"], sources["port"]),
            ("logon ID", shown_logon, sources["logon_id"]),
        ):
            print(f"  {label:<12} {value!s:<44} {source}")
        stored = {True: "stored", False: "not set", None: "(the keyring could not be asked)"}
        print(f"  {'password':<12} {stored[line['password_stored']]}")
        last = last_export(account)
        print(f"  {'last export':<12} {last.describe() if last else 'none'}")
    if not registry.accounts and not args.json:
        print("No accounts on this machine yet; add one with: exportdesk account add 100-123-456")
    return 0


def list_connections(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    settings = account.saved_default()
    rows = [
        {
            "name": c.name,
            "id": c.id,
            "active": c.id == settings.active_id,
            "host": c.values["host"],
            "port": c.values["port"],
            "locked": account.locks.name_locked(c.id) or bool(account.locks.keys_locked(c.id)),
        }
        for c in settings.connections
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        where = f"{row['host']}:{row['port']}" if row["host"] else "(no host)"
        locked = "  (set by your institution)" if row["locked"] else ""
        print(f"{'*' if row['active'] else ' '} {row['name']:<30} {where}{locked}")
    return 0


def add_connection(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    working = account.saved_default().copy()
    if working.connection_named(args.name) is not None:
        raise UsageError(f"there is already a connection named '{args.name}'")
    taken = account.taken_connection_ids()
    if args.copy_of:
        original = find_connection(working, args.copy_of)
        created = working.duplicate_connection(original.id, taken)
        working.rename_connection(created.id, args.name)
    else:
        created = working.add_connection(args.name, taken)
    if args.use:
        working.active_id = created.id
    save_checked(account, working)
    print(f"Added connection '{created.name}'.")
    return 0


def rename_connection(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    working = account.saved_default().copy()
    connection = find_connection(working, args.name)
    working.rename_connection(connection.id, args.new_name)
    save_checked(account, working)
    print(f"Renamed connection '{args.name}' to '{args.new_name.strip()}'.")
    return 0


def remove_connection(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    working = account.saved_default().copy()
    connection = find_connection(working, args.name)
    working.remove_connection(connection.id)
    save_checked(account, working)
    print(f"Removed connection '{connection.name}'; the active one is '{working.active.name}'.")
    return 0


def use_connection(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    working = account.saved_default().copy()
    working.active_id = find_connection(working, args.name).id
    save_checked(account, working)
    print(f"Connection '{working.active.name}' is now the active one.")
    return 0


def _read_secret(what: str) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(f"{what}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise UsageError(f"no {what.lower()} was given")
    if len(value.encode("utf-8")) > MAX_FIELD_BYTES:
        raise UsageError(f"the {what.lower()} is longer than {MAX_FIELD_BYTES} bytes in UTF-8")
    return value


def _require_keyring() -> None:
    if not keyring_available():
        raise NoSecureKeyringError(
            f"Nothing was saved: {no_keyring_reason()}. Nothing can be saved from the command "
            f"line without a secure keyring: install and unlock one ({ALLOWED_KINDS}), or "
            "type the password in the window for the session."
        )


def set_password(args: argparse.Namespace) -> int:
    _require_keyring()
    if args.receiver:
        set_receiver_password(args.receiver, _read_secret("Password"))
        print(f"Saved the receiver's password for {args.receiver} in {keyring_description()}.")
        return 0
    if args.target:
        return _set_target_secret(args)
    account = open_account(args.account)
    working = account.saved_default()
    connection = find_connection(working, args.connection)
    if args.logon_id:
        if not connection.values.get("logon_id_secret"):
            raise UsageError(
                f"connection '{connection.name}' does not keep its logon ID secret; set it "
                "with: exportdesk options set logon_id=..., or first: logon_id_secret=on"
            )
        account.vault.save_default(connection.id, _read_secret("Logon ID"), SecretKind.LOGON_ID)
        what = "logon ID"
    else:
        account.vault.save_default(connection.id, _read_secret("Password"))
        what = "password"
    print(f"Saved the {what} of connection '{connection.name}' in {keyring_description()}.")
    return 0


def forget_password(args: argparse.Namespace) -> int:
    if args.receiver:
        raise ExportDeskError("forgetting a receiver's password is done in your keyring's own tool")
    if args.target:
        target = _worldcat_target(args)
        Vault(target_account(args)).forget(target.secret_id, SecretKind.TARGET_SECRET)
        print(f"Removed the secret of {target.describe()} from the keyring.")
        return 0
    account = open_account(args.account)
    connection = find_connection(account.saved_default(), args.connection)
    kind = SecretKind.LOGON_ID if args.logon_id else SecretKind.PASSWORD
    account.vault.forget(connection.id, kind)
    print(f"Removed the {kind} of connection '{connection.name}' from the keyring.")
    return 0


def target_account(args: argparse.Namespace) -> str:
    if not args.account or args.connection or args.logon_id:
        raise UsageError(
            "password --target goes with --account, without --connection or --logon-id"
        )
    return require_known_account(args.account)


def _worldcat_target(args: argparse.Namespace) -> Target:
    target = Targets(target_account(args)).require(args.target)
    if not target.needs_secret:
        raise UsageError(f"{target.describe()} has no secret to keep")
    return target


def _set_target_secret(args: argparse.Namespace) -> int:
    target = _worldcat_target(args)
    Vault(target_account(args)).save_default(
        target.secret_id, _read_secret("Secret"), SecretKind.TARGET_SECRET
    )
    print(f"Saved the secret of {target.describe()} in {keyring_description()}.")
    return 0
