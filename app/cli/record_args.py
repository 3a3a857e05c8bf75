"""What the commands on an account's records share: the --account option, a record id as
an argument, and opening the account's save file."""

from __future__ import annotations

import argparse

from app.core.digits import ascii_digits
from app.core.settings.accounts import require_known_account
from app.core.store.savefile import SaveFile


def account_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", required=True, help="the account, such as 100-123-456")


def record_id(text: str) -> int:
    if not ascii_digits(text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a record id (a whole number)")
    return int(text)


def open_save_file(account: str) -> SaveFile:
    return SaveFile.for_account(require_known_account(account))
