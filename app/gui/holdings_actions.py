"""Action > Set WorldCat Holdings and Unset WorldCat Holdings: the institution's holdings on the
OCLC numbers of the selected records of the save file, as Connexion's Update Holdings did. The
search panel's hits have the same actions; both go through ``SearchPanel.update_holdings_on``,
so the work runs on the panel's job runner with its clients, busy state and Cancel, and the
result is the panel's message (the window shows the panel while it runs). Nothing is written
to the save file.

The target: the account's ``worldcat_holdings_target`` when it is set (the one the export's
holdings use); else the account's only WorldCat target; with several, the cataloger chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction

from app.core.settings.account_settings import AccountSettings
from app.core.settings.options import option
from app.core.store.rows import RecordRow
from app.core.wording import count_of
from app.gui import messages

if TYPE_CHECKING:
    from app.core.settings.targets import Target
    from app.core.sources.holdings import HoldingAction
    from app.gui.records import RecordsPage
    from app.gui.search import SearchPanel

TITLES: dict[HoldingAction, str] = {
    "set": "Set WorldCat Holdings",
    "unset": "Unset WorldCat Holdings",
}


class RecordHoldings(QObject):
    """The two actions (in the Action menu and the records list's context menu), enabled
    while records are selected and the search panel is free."""

    def __init__(
        self,
        page: RecordsPage,
        account: AccountSettings,
        show_panel: Callable[[], SearchPanel],
    ) -> None:
        """``show_panel`` shows the search panel (building it the first time) and gives it;
        the window hands the panel over with :meth:`attach` once it exists."""
        super().__init__(page)
        self.page = page
        self.panel: SearchPanel | None = None
        self.account = account
        self._show_panel = show_panel
        self.set_action = self._action(
            "set", "Set &WorldCat Holdings",
            "Set the institution's holdings in WorldCat on the selected records' OCLC numbers",
        )  # fmt: skip
        self.unset_action = self._action(
            "unset", "U&nset WorldCat Holdings",
            "Remove the institution's holdings in WorldCat from the selected records' OCLC "
            "numbers",
        )  # fmt: skip
        table = page.table
        table.selectionModel().selectionChanged.connect(self.update_enabled)
        table.selectionRestored.connect(self.update_enabled)
        page.countsChanged.connect(self.update_enabled)
        self.update_enabled()

    def attach(self, panel: SearchPanel) -> None:
        self.panel = panel
        panel.busyChanged.connect(self.update_enabled)
        self.update_enabled()

    @property
    def actions(self) -> list[QAction]:
        return [self.set_action, self.unset_action]

    def _action(self, action: HoldingAction, text: str, tip: str) -> QAction:
        made = QAction(text, self)
        made.setToolTip(tip)
        made.setStatusTip(tip)
        made.triggered.connect(lambda: self.update_selected(action))
        self.page.table.addAction(made)  # the list's context menu
        return made

    def update_enabled(self, *_args: object) -> None:
        busy = self.panel is not None and self.panel.busy
        enabled = self.page.table.selectionModel().hasSelection() and not busy
        for action in self.actions:
            action.setEnabled(enabled)

    # -- doing it -------------------------------------------------------------------------

    def update_selected(self, action: HoldingAction) -> bool:
        """Set or unset the holdings on the selected records' OCLC numbers; True when the
        search panel started on them."""
        title = TITLES[action]
        ids = self.page.guarded(self.page.selected_ids) or []
        if not ids:
            return False
        if self.panel is not None and self.panel.busy:
            messages.information(
                self.page,
                title,
                "The search panel is busy: wait for its request to end, or cancel it, then "
                "try again.",
            )
            return False
        rows = self.page.guarded(lambda: _rows(self.page, ids))
        if rows is None:
            return False
        numbers = [row.oclc_number for row in rows.values() if row is not None and row.oclc_number]
        skipped = _skipped(ids, rows)
        if not numbers:
            messages.information(
                self.page,
                title,
                f"Nothing to do: {'; '.join(skipped)}. A record has one when its 001 is an "
                "OCLC number (003 OCoLC) or its 035 $a begins with (OCoLC).",
            )
            return False
        target = self._target(action, len(ids))
        if target is None:
            return False
        panel = self._show_panel()  # its progress and Cancel
        started = panel.update_holdings_on(numbers, target, action, skipped)
        if started:
            panel.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        return started

    def _target(self, action: HoldingAction, count: int) -> Target | None:
        """The WorldCat target to use, as the module says; None (having said why) when there
        is none or the cataloger cancelled the choice."""
        title, account = TITLES[action], self.account.account
        # The targets load when a holdings action is first used, not with the window.
        from app.core.settings.targets import HOLDINGS_TARGET_KEY as TARGET_KEY
        from app.core.settings.targets import KIND_NAMES, TargetKind, Targets

        targets = Targets(account)
        named = str(self.account.without_secrets().options.get(TARGET_KEY) or "").strip()
        label = option(TARGET_KEY).label
        if named:
            target = targets.find(named)
            if target is not None and target.kind is TargetKind.WORLDCAT:
                return target
            problem = (
                f"account {account} has no target named '{named}'"
                if target is None
                else f"target '{target.name}' is {KIND_NAMES[target.kind]}, not WorldCat"
            )
            messages.warning(
                self.page,
                title,
                f"The account's {label} (General > Admin > Export Options) names '{named}', "
                f"but {problem}. Name one of its WorldCat targets there (exportdesk target "
                "list), or clear it to choose a target each time.",
            )
            return None
        worldcat = [t for t in targets.all if t.kind is TargetKind.WORLDCAT]
        if not worldcat:
            messages.information(
                self.page,
                title,
                f"Account {account} has no WorldCat target to change holdings with. Add one "
                f"with: exportdesk target add --account {account} --name NAME --kind worldcat "
                f"--key CLIENT_ID, then save its secret with: exportdesk password set "
                f"--account {account} --target NAME",
            )
            return None
        if len(worldcat) == 1:
            return worldcat[0]
        names = [t.name for t in worldcat]
        shown = self.panel.target if self.panel is not None else None  # the panel's choice
        current = names.index(shown.name) if shown is not None and shown in worldcat else 0
        verb = "Set" if action == "set" else "Unset"
        name, chosen = messages.get_item(
            self.page,
            title,
            f"{verb} the holdings on {count_of(count, 'record')} in which "
            f"WorldCat target? ({label} in Export Options saves the choice.)",
            names,
            current,
        )
        return worldcat[names.index(name)] if chosen and name in names else None


def _rows(page: RecordsPage, ids: Sequence[int]) -> dict[int, RecordRow | None]:
    """Each record's row; None for one no longer in the save file."""
    save_file = page.save_file
    gone = set(save_file.missing(ids))
    return {i: None if i in gone else save_file.get(i) for i in ids}


def _skipped(ids: Sequence[int], rows: dict[int, RecordRow | None]) -> list[str]:
    """What is left out, and why: "record 12 has no OCLC number"."""
    without = [i for i in ids if (row := rows[i]) is not None and not row.oclc_number]
    gone = [i for i in ids if rows[i] is None]
    said = []
    if without:
        said.append(f"{_records(without)} {'has' if len(without) == 1 else 'have'} no OCLC number")
    if gone:
        verb = "is" if len(gone) == 1 else "are"
        said.append(f"{_records(gone)} {verb} no longer in the save file")
    return said


def _records(ids: Sequence[int]) -> str:
    return f"record {ids[0]}" if len(ids) == 1 else f"records {', '.join(map(str, ids))}"
