"""Holdings on export: when the account's option says so, a record exported with success gets
the institution's holdings set in WorldCat on its OCLC number, through the WorldCat target the
option names, as Connexion's export with Update Holdings did. The result is a note on the
export's own journal entry; a failure never changes the export's outcome.

    holdings = HoldingsOnExport.for_account(account, settings.options, save_file)
    for event in run_export(save_file, plan, ids, after_outcome=holdings):
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.core.errors import OptionError
from app.core.export.run import RecordOutcome
from app.core.settings.secrets import Vault
from app.core.settings.targets import HOLDINGS_TARGET_KEY as TARGET_KEY
from app.core.settings.targets import KIND_NAMES, TargetKind, Targets
from app.core.sources.clients import secret_for
from app.core.sources.faults import MissingSecret, TargetError
from app.core.sources.holdings import HoldingResult
from app.core.store.savefile import SaveFile

if TYPE_CHECKING:  # loaded when the option is on: bookops-worldcat and requests
    from app.core.sources.worldcat import WorldCatClient


class HoldingsOnExport:
    """Called with each outcome of an export run (``run_export(after_outcome=...)``)."""

    def __init__(self, save_file: SaveFile, client: WorldCatClient) -> None:
        self.save_file = save_file
        self.client = client
        self.results: list[tuple[int, HoldingResult]] = []

    @classmethod
    def for_account(
        cls,
        account: str,
        options: Mapping[str, Any],
        save_file: SaveFile,
        secret_env: str | None = None,
    ) -> HoldingsOnExport | None:
        """None when the option is off; OptionError (before anything is sent) when the target
        it names is missing, not WorldCat, or has no secret."""
        if not options.get("worldcat_holdings_on_export"):
            return None
        name = str(options.get(TARGET_KEY) or "").strip()
        if not name:
            raise OptionError(TARGET_KEY, "name the WorldCat target that sets the holdings")
        target = Targets(account).find(name)
        if target is None:
            raise OptionError(TARGET_KEY, f"account {account} has no target named '{name}'")
        if target.kind is not TargetKind.WORLDCAT:
            raise OptionError(
                TARGET_KEY, f"target '{target.name}' is {KIND_NAMES[target.kind]}, not WorldCat"
            )
        try:
            secret = secret_for(Vault(account), target, secret_env)
        except MissingSecret as missing:
            raise OptionError(TARGET_KEY, missing.message) from None
        assert secret is not None
        from app.core.sources.worldcat import WorldCatClient

        return cls(save_file, WorldCatClient(target, secret))

    def __call__(self, outcome: RecordOutcome) -> None:
        if outcome.outcome != "exported":
            return
        number = self.save_file.get(outcome.record_id).oclc_number
        where = self.client.target.describe()
        if not number:
            self.save_file.add_journal_note(
                outcome.record_id, f"WorldCat holdings not set ({where}): no OCLC number"
            )
            return
        try:
            result = self.client.holdings("set", number)
        except TargetError as error:
            result = HoldingResult(number, "failed", error.problem)
        self.results.append((outcome.record_id, result))
        verb = "set" if result.outcome == "set" else "NOT set"
        self.save_file.add_journal_note(
            outcome.record_id,
            f"WorldCat holdings {verb} on {number} ({where}): {result.message}",
        )

    def close(self) -> None:
        self.client.close()
