"""Validating save-file records: the core's ValidationRun as a job of app/gui/jobs.py (its
outcomes come in batches: a signal per record would keep the GUI thread busy on 100,000
records), the page's Validate actions and level menu, its progress row, and the results panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from app.core.errors import ExportDeskError
from app.core.store.savefile import SaveFile
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import (
    ACCOUNT_LEVELS,
    AccountLevels,
    RecordValidation,
    ValidationRun,
    ValidationSummary,
)
from app.core.validation.stored import LEVEL_NAMES, messages_from_detail
from app.core.wording import count_of
from app.gui import messages
from app.gui.jobs import JobContext, JobRunner, Work
from app.gui.records.page_task import PageTask, ProgressRow
from app.gui.validation_panel import ValidationPanel

if TYPE_CHECKING:
    from app.gui.records.page_base import PageBase

# A validation of more records than this shows its progress and a Cancel button.
FEW_RECORDS = 5
REFRESH_DURING_VALIDATION_SECONDS = 1.0


def validation_work(
    save_file_path: Path, record_ids: Sequence[int], level: str, account_levels: AccountLevels
) -> Work:
    """One validation as a job's work, on its own connection to the save file: it reports
    each RecordValidation (its state already stored) and returns the ValidationSummary."""
    ids = list(record_ids)

    def work(context: JobContext) -> ValidationSummary:
        with SaveFile(save_file_path) as save_file:
            run = ValidationRun(
                save_file, ids, level=level, account_levels=account_levels, cancel=context.cancel
            )
            for outcome in run.run():
                context.report(outcome)
        return run.summary

    return work


class Validator(PageTask):
    """Validate Record, Selected and Flagged at the level of the Validation Level menu, one
    validation at a time; the results go to ``validation_panel``. ``finished``: the
    ValidationSummary (also cancelled), or None."""

    def __init__(
        self,
        page: PageBase,
        runner: JobRunner,
        account_levels: Callable[[], AccountLevels],
        results_in_page: bool,
    ) -> None:
        row = ProgressRow("Validation progress", "Cancel validat&ion")
        super().__init__(page, runner, row)
        self._account_levels = account_levels
        self._results_in_page = results_in_page
        self._total = self._count = self._with_errors = 0
        self._last_refresh = 0.0
        self._pane_stale = False  # the record in the pane was validated since it was shown
        self._build_actions()
        self._build_results()
        self.validation_box = row
        self.validation_label = row.label
        self.validation_bar = row.bar
        self.cancel_validation_button = row.cancel_button

    def _build_actions(self) -> None:
        page = self._page
        self.validate_record_action = page.add_action(
            "Validate &Record", self.validate_open_record, "F7"
        )
        self.validate_record_action.setToolTip("Validate the record shown in the pane (F7)")
        self.validate_selected_action = page.add_action(
            "&Validate Selected", self.validate_selected, "Ctrl+Shift+V"
        )
        self.validate_selected_action.setToolTip("Validate the selected records (Ctrl+Shift+V)")
        self.validate_flagged_action = page.add_action(
            "Validate Fla&gged", self.validate_flagged, "Shift+F7"
        )
        self.validate_flagged_action.setToolTip(
            "Validate the records flagged for export (Shift+F7)"
        )
        self.cancel_validation_action = page.add_action("&Cancel Validation", self.cancel)
        self.cancel_validation_action.setEnabled(False)

        # The level every Validate uses until changed: the account's, or one for all records.
        self.level_menu = QMenu("Validat&ion Level", page)
        self.level_menu.aboutToShow.connect(self.update_level_texts)
        self.level_group = QActionGroup(page)
        self.level_actions: dict[str, QAction] = {}
        for level, text in (
            (ACCOUNT_LEVELS, "&Account Levels"),
            ("structure", "&Structure"),
            ("basic", "&Basic"),
            ("full", "&Full"),
        ):
            action = QAction(text, self.level_group)
            action.setCheckable(True)
            action.setData(level)
            self.level_menu.addAction(action)
            self.level_actions[level] = action
        self.level_actions[ACCOUNT_LEVELS].setChecked(True)
        self.update_level_texts()
        for action in (self.validate_record_action, self.validate_selected_action):
            page.table.addAction(action)

    def _build_results(self) -> None:
        self.validation_panel = ValidationPanel(self._stored_messages)
        self.validation_panel.recordActivated.connect(self._page.show_record)
        self.results_action = QAction("Validation Res&ults", self._page)
        self.results_action.setCheckable(True)
        self.results_action.setToolTip("Show or hide the results of the last validation")
        if self._results_in_page:
            self.validation_panel.close_button.setVisible(True)
            self.validation_panel.closeRequested.connect(self.validation_panel.hide)
            self.results_action.toggled.connect(self.validation_panel.setVisible)
            self.validation_panel.installEventFilter(self)
            self.validation_panel.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Keep the Results action's check mark in step with the panel (Close hides it).
        if watched is self.validation_panel and event.type() in (
            QEvent.Type.Show,
            QEvent.Type.Hide,
        ):
            self.results_action.setChecked(self.validation_panel.isVisibleTo(self._page))
        return super().eventFilter(watched, event)

    # -- the level -----------------------------------------------------------------------

    @property
    def level(self) -> str:
        """The level Validate uses: "account" (the account's, per record type) or one of
        structure, basic, full."""
        checked = self.level_group.checkedAction()
        return str(checked.data()) if checked is not None else ACCOUNT_LEVELS

    def account_levels(self) -> AccountLevels:
        return self._account_levels()

    @Slot()
    def update_level_texts(self) -> None:
        """The account's levels in the menu, as they are now (Export Options may change them)."""
        try:
            levels = self.account_levels().describe()
        except ExportDeskError:
            levels = "as the account's settings say"
        self.level_actions[ACCOUNT_LEVELS].setText(f"&Account Levels ({levels})")

    def update_actions(self, selected: bool, shown: bool, flagged: int) -> None:
        """Validate is there for a selection (or a current row), a record shown in the pane,
        records flagged, while no validation runs; Cancel while one does."""
        free = not self.running
        self.validate_record_action.setEnabled(free and shown)
        self.validate_selected_action.setEnabled(free and selected)
        self.validate_flagged_action.setEnabled(free and flagged > 0)
        self.cancel_validation_action.setEnabled(not free)

    # -- validating ----------------------------------------------------------------------

    @Slot()
    def validate_open_record(self) -> None:
        record_id = self._page.shown_record_id
        if record_id is not None:
            self.validate([record_id])

    @Slot()
    def validate_selected(self) -> None:
        ids = self._page.guarded(self._page.selected_ids)
        if ids:
            self.validate(ids)

    @Slot()
    def validate_flagged(self) -> None:
        ids = self._page.guarded(self._page.save_file.flagged_ids)
        if ids:
            self.validate(ids)

    def validate(self, record_ids: Sequence[int], level: str | None = None) -> bool:
        """Validate these records in the background at ``level`` (the level chosen in the
        menu by default); False when a validation is running already."""
        if self.running or self._closed or not record_ids:
            return False
        level = level or self.level
        try:
            account_levels = self.account_levels()
        except ExportDeskError as error:
            messages.warning(self._page, "Validation", error.message)
            return False
        ids = list(record_ids)
        self._total = len(ids)
        self._pane_stale = False
        self._count = self._with_errors = 0
        self._last_refresh = time.monotonic()
        noun = count_of(len(ids), "record")
        at = (
            f"the account's levels ({account_levels.describe()})"
            if level == ACCOUNT_LEVELS
            else LEVEL_NAMES[level]
        )
        self.validation_panel.start(f"Validating {noun} at {at}…")
        if self._results_in_page:
            self.validation_panel.show()
        work = validation_work(self._page.save_file.path, ids, level, account_levels)
        self._start(work, "validation", f"Validating {noun}…" if len(ids) > FEW_RECORDS else None)
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop after the current record; the states stored so far stay."""
        if self.running:
            self.cancel_validation_action.setEnabled(False)
        super().cancel()

    def progressed(self, items: list[object]) -> None:
        outcomes = cast(list[RecordValidation], items)
        self._count += len(outcomes)
        self._with_errors += sum(1 for o in outcomes if o.state == "errors")
        shown = self._page.shown_record_id
        self._pane_stale = self._pane_stale or any(o.record_id == shown for o in outcomes)
        self.validation_panel.add(outcomes)
        total = self._total
        self.row.show_fraction(self._count / total if total else 0)
        if not self.cancelling:
            errors = self._with_errors
            self.validation_label.setText(
                f"Validated {self._count:,} of {total:,} ({count_of(errors, 'with error')})"
            )
        if time.monotonic() - self._last_refresh > REFRESH_DURING_VALIDATION_SECONDS:
            self._show_new_states()

    def _show_new_states(self) -> None:
        """The list's validation column and the pane, after states changed."""
        self._last_refresh = time.monotonic()
        if not self._page.refresh_states():
            return
        # Only when its state changed: re-reading the pane would lose the reader's place.
        if self._pane_stale and self._page.shown_record_id is not None:
            detail = self._page.detail
            self._pane_stale = False
            picked = detail.current_message()
            detail.show_record(detail.record_id)
            if picked is not None:
                detail.select_message(picked)

    def done(self, result: object) -> None:
        assert isinstance(result, ValidationSummary)
        self.validation_panel.finish(result.describe())

    def stopped(self, message: str) -> None:
        self.validation_panel.finish(f"The validation stopped: {message}")

    def job_ended(self) -> None:
        self._show_new_states()

    def _stored_messages(self, record_id: int) -> list[ValidationMessage]:
        """The panel's messages of a record, as the save file holds them now."""
        try:
            return messages_from_detail(self._page.save_file.get(record_id).validation_detail)
        except ExportDeskError:
            return []
