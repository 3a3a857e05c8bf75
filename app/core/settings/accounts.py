"""The accounts known on this machine, and what a valid authorization looks like."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core import paths
from app.core.atomicfile import write_atomic
from app.core.errors import UsageError
from app.core.settings.files import WrongShape, expect, load_json_file, report_damaged

# An OCLC-style authorization: three groups of digits joined by hyphens, e.g. 100-123-456;
# ASCII digits (\d would take other scripts' digits too).
_AUTHORIZATION = re.compile(r"[0-9]+-[0-9]+-[0-9]+")
REGISTRY_FORMAT_VERSION = 1


def check_authorization(text: str) -> str:
    """Return the authorization, trimmed, or raise a message saying what one looks like."""
    candidate = text.strip()
    if not _AUTHORIZATION.fullmatch(candidate):
        shown = candidate or "(empty)"
        raise UsageError(
            f"'{shown}' is not an authorization: use three groups of digits joined by "
            "hyphens, such as 100-123-456."
        )
    return candidate


@dataclass
class AccountRegistry:
    """``accounts.json`` in the config folder: the known accounts and the last one used."""

    accounts: list[str] = field(default_factory=list)
    last: str | None = None

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / "accounts.json"

    @classmethod
    def load(cls) -> AccountRegistry:
        what = "list of accounts"
        data = load_json_file(cls.path(), what)
        if data is None:
            return cls()
        listed, last = data.get("accounts") or [], data.get("last")
        try:
            expect(listed, list, "'accounts'", "a list of authorizations")
            expect(last, (str, type(None)), "'last'", "an authorization")
        except WrongShape as problem:
            report_damaged(cls.path(), what, str(problem))
            return cls()
        accounts = [a for a in listed if isinstance(a, str)]
        return cls(accounts=accounts, last=last if last in accounts else None)

    def save(self) -> None:
        body = {
            "format_version": REGISTRY_FORMAT_VERSION,
            "accounts": self.accounts,
            "last": self.last,
        }
        write_atomic(self.path(), json.dumps(body, indent=2) + "\n")

    def add(self, account: str) -> str:
        account = check_authorization(account)
        if account not in self.accounts:
            self.accounts.append(account)
        return account

    def remove(self, account: str) -> None:
        if account not in self.accounts:
            raise UsageError(f"account {account} is not known on this machine")
        self.accounts.remove(account)
        if self.last == account:
            self.last = None

    def require(self, account: str) -> str:
        """The account, if known here; otherwise a message saying how to add it."""
        account = check_authorization(account)
        if account not in self.accounts:
            raise UsageError(
                f"account {account} is not known on this machine; "
                f"add it with: exportdesk account add {account}"
            )
        return account


def require_known_account(account: str) -> str:
    """For commands that take ``--account``: the account must exist on this machine."""
    return AccountRegistry.load().require(account)
