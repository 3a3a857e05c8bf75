"""``exportdesk profile export|import``: move one account's settings and connections between
machines (never a secret: passwords stay in each machine's keyring)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.common import open_account, print_notices
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import AccountRegistry, check_authorization
from app.core.settings.profiles import export_profile, import_profile, read_profile


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "profile",
        help="export or import one account's settings and connections (no passwords)",
        description="A profile holds what an account saved: its settings, its named "
        "connections (with their ids, so that passwords in the keyring still match) and the "
        "active one; never a password or a secret logon ID.",
    )
    commands = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    export = commands.add_parser("export", help="write an account's profile to a JSON file")
    export.add_argument("--account", required=True, help="the authorization, e.g. 100-123-456")
    export.add_argument("file", type=Path, metavar="FILE.json")
    export.set_defaults(func=export_command)
    load = commands.add_parser(
        "import",
        help="merge a profile into an account",
        description="Replace the account's settings with the profile's, and merge its "
        "connections by id: a connection in the file replaces the account's with the same "
        "id, the others are kept. The account is added to this machine when it is not "
        "known. Values the institution locks here are not imported (each is named); nothing "
        "is imported when the settings would be refused.",
    )
    load.add_argument("--account", required=True, help="the authorization, e.g. 100-123-456")
    load.add_argument("file", type=Path, metavar="FILE.json")
    load.set_defaults(func=import_command)


def export_command(args: argparse.Namespace) -> int:
    account = open_account(args.account)
    export_profile(account, args.file)
    print(f"Wrote the profile of account {account.account} to {args.file} (no passwords).")
    return 0


def import_command(args: argparse.Namespace) -> int:
    name = check_authorization(args.account)
    incoming = read_profile(args.file)
    print_notices()  # values of the file left out
    registry = AccountRegistry.load()
    added = name not in registry.accounts
    if added:
        registry.add(name)
    account = AccountSettings(name)
    print_notices()
    result = import_profile(account, incoming)
    if added:
        registry.save()
    for skipped in result.skipped:
        print(
            f"exportdesk: warning: {skipped}: set by your institution and locked here; the "
            "file's value was not imported"
        )
    brought = ", ".join(f"'{n}'" for n in result.connections) or "none"
    print(
        f"Imported the profile into account {name}{' (added to this machine)' if added else ''}"
        f"; connections from the file: {brought}."
    )
    return 0
