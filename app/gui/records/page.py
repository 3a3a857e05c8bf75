"""The records page: the save file's list with its filter bar, flag actions, the record pane,
imports (File > Import, drag and drop) and validation running in the background.

The main window embeds it::

    page = RecordsPage(account)          # or RecordsPage(save_file)
    page.import_files([path, ...])       # File > Import
    page.validate([id, ...])             # Action > Validate (or the page's validate_* actions)
    page.refresh()                       # after something else changed the save file
    page.shutdown()                      # when the window closes: stops the jobs cleanly

It watches the save file too: a commit by another connection (an export's job, another
process) refreshes the list within a second.

Its parts live beside it: the filter bar (filter_bar.py), the list and its selection
(table.py), what is done to the selected records (record_actions.py), importing
(importing.py) and validating (validating.py); the page puts them together and keeps them
in step.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import ACCOUNT_LEVELS, AccountLevels
from app.gui import messages
from app.gui.jobs import JobRunner
from app.gui.records.filter_bar import FilterBar
from app.gui.records.importing import Importer, dropped_files
from app.gui.records.model import RecordsModel
from app.gui.records.page_base import PageBase
from app.gui.records.record_actions import RecordActions
from app.gui.records.table import RecordsTable
from app.gui.records.validating import Validator

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent

    from app.gui.records.detail import RecordView

WATCH_INTERVAL_MS = 1000
# How long closing waits for an import or a validation to stop (each stops at its next
# record once cancelled).
STOP_SECONDS = 5.0


class RecordsPage(PageBase):
    importFinished = Signal(object)  # ImportResult, when an import ends (also cancelled)
    importingChanged = Signal(bool)
    countsChanged = Signal(int, int)  # records shown, records flagged
    currentRecordChanged = Signal(object)  # the id of the record in the pane, or None
    validatingChanged = Signal(bool)
    validationFinished = Signal(object)  # ValidationSummary, or None when it failed
    detailBuilt = Signal(object)  # the record pane (RecordView), once built: its actions

    def __init__(
        self,
        save_file: SaveFile | str,
        parent: Any = None,
        *,
        account_levels: Callable[[], AccountLevels] | None = None,
        results_in_page: bool = True,
        export_charset: Callable[[], str] | None = None,
    ) -> None:
        """``account_levels`` gives the account's validation levels when a validation
        starts (by default read from the account's settings when the page was opened by
        account name, else the factory levels). With ``results_in_page`` False the
        validation panel is left for the caller to place (the main window docks it)."""
        super().__init__(parent)
        if isinstance(save_file, str):
            self._save_file = SaveFile.for_account(save_file)
            self._owns_save_file = True
            account = save_file
            account_levels = account_levels or (
                lambda: AccountLevels.from_options(AccountSettings(account).effective().options)
            )
            export_charset = export_charset or (
                lambda: str(AccountSettings(account).effective().options["charset"])
            )
        else:
            self._save_file = save_file
            self._owns_save_file = False
        self._results_in_page = results_in_page
        self._last_refresh = 0.0
        self._closed = False
        self.jobs = JobRunner(self)  # the import and the validation

        self.model = RecordsModel(self._save_file, self)
        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self.apply_filter)
        self.search = self.filter_bar.search
        self.empty_hint = QLabel(
            "No records in this save file yet. Import MARC files (ISO 2709, MARCXML or .mrk) "
            "with File > Import, or drop them here."
        )
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()
        self.table = RecordsTable(self.model, self.guarded)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._build_record_actions()
        self.find_action = self.add_action("&Find", self._focus_search, "Ctrl+F")
        # The record pane (the editor, its validation as you type, its dialogs) is built
        # when first needed: a record shown, or a menu with its actions opened.
        self._detail: RecordView | None = None
        self._export_charset = export_charset
        self._no_record = QLabel("No record selected")
        self._no_record.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._build_validator(account_levels or AccountLevels)
        self._build_importer()
        self._lay_out()

        self.model.countsChanged.connect(self._show_counts)
        self.table.currentLost.connect(self._current_lost)
        self.table.selectionRestored.connect(self._update_actions)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self._show_counts(self.model.rowCount(), self.model.flagged_count)
        self._update_actions()

        self.setAcceptDrops(True)
        self._version = self._save_file.data_version()
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_INTERVAL_MS)
        self._watch.timeout.connect(self._check_for_changes)
        self._watch.start()

    # -- building ------------------------------------------------------------------------

    def _build_record_actions(self) -> None:
        self.record_actions = actions = RecordActions(self)
        self.toggle_flag_action = actions.toggle_flag_action
        self.flag_selected_action = actions.flag_selected_action
        self.unflag_all_action = actions.unflag_all_action
        self.delete_action = actions.delete_action
        self.mark_exported_action = actions.mark_exported_action
        self.apply_template_action = actions.apply_template_action

    def _build_validator(self, account_levels: Callable[[], AccountLevels]) -> None:
        self.validator = validator = Validator(
            self, self.jobs, account_levels, self._results_in_page
        )
        validator.runningChanged.connect(self._validating_changed)
        validator.finished.connect(self.validationFinished)
        self.validate_record_action = validator.validate_record_action
        self.validate_selected_action = validator.validate_selected_action
        self.validate_flagged_action = validator.validate_flagged_action
        self.cancel_validation_action = validator.cancel_validation_action
        self.level_menu = validator.level_menu
        self.level_actions = validator.level_actions
        self.validation_panel = validator.validation_panel

    def _build_importer(self) -> None:
        self.importer = importer = Importer(self, self.jobs)
        importer.finished.connect(self.importFinished)
        importer.runningChanged.connect(self.importingChanged)
        self.summary = importer.summary

    def _lay_out(self) -> None:
        importer, validator, panel = self.importer, self.validator, self.validation_panel
        buttons = QHBoxLayout()
        for button in self.record_actions.buttons:
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._no_record)
        if self._results_in_page:
            self.splitter.addWidget(panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_bar)
        layout.addLayout(buttons)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(importer.progress_box)
        layout.addWidget(validator.validation_box)
        layout.addWidget(importer.summary_box)
        results = (panel.problems_only, panel.close_button, panel.view)
        order = [
            *self.filter_bar.fields,
            *self.record_actions.buttons,
            self.table,
            *(results if self._results_in_page else ()),
            importer.cancel_button,
            validator.cancel_validation_button,
            importer.details_button,
        ]
        self._after_table = order[order.index(self.table) + 1]  # the pane goes between
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    @property
    def detail(self) -> RecordView:
        if self._detail is None:
            self._detail = self._build_detail()
            self.detailBuilt.emit(self._detail)
        return self._detail

    def _build_detail(self) -> RecordView:
        from app.gui.records.detail import RecordView

        view = RecordView(
            self._save_file, level_for=self._editor_level, export_charset=self._export_charset
        )
        self.table.addAction(view.copy_action)  # Ctrl+Shift+C from the list too
        self.table.addAction(view.history_action)  # Ctrl+H from the list too
        view.saved.connect(self._record_saved)
        view.notice.connect(self.notice)
        self.splitter.replaceWidget(self.splitter.indexOf(self._no_record), view)
        self._no_record.deleteLater()
        order = (self.table, view.copy_button, view.text, view.messages, self._after_table)
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        return view

    @property
    def shown_record_id(self) -> int | None:
        return self._detail.record_id if self._detail is not None else None

    def confirm_leave(self) -> bool:
        return self._detail is None or self._detail.confirm_leave()

    # -- what the list shows -------------------------------------------------------------

    @property
    def save_file(self) -> SaveFile:
        return self._save_file

    @Slot()
    def apply_filter(self) -> None:
        self.model.set_query(self.filter_bar.query(self.model.query))

    @Slot()
    def refresh(self, unless_within: float = 0.0) -> None:
        """Read the list and the record shown again (statuses, flags, new records); not when
        they were read less than ``unless_within`` seconds ago."""
        if self._closed or time.monotonic() - self._last_refresh < unless_within:
            return
        try:
            self._version = self._save_file.data_version()
        except ExportDeskError:
            return
        self._last_refresh = time.monotonic()
        self.guarded(self.model.refresh)
        if self._detail is not None:
            self._detail.show_record(self._detail.record_id)

    def refresh_states(self) -> bool:
        """Read the list's validation column again, in place (a validation stored states);
        False when the save file could not be read."""
        try:
            self._version = self._save_file.data_version()
        except ExportDeskError:
            return False
        self.guarded(self.model.refresh_validation)
        return True

    def _check_for_changes(self) -> None:
        if self._closed or self.validating:
            return  # a validation refreshes the list itself, in place
        try:
            version = self._save_file.data_version()
        except ExportDeskError:
            return
        if version != self._version:
            self.refresh()

    def _show_counts(self, shown: int, flagged: int) -> None:
        query = self.model.query
        unfiltered = not (
            query.text.strip() or query.flagged_only or query.status or query.validation
        )
        self.empty_hint.setVisible(shown == 0 and unfiltered)
        self._update_actions()
        self.filter_bar.show_counts(shown, flagged)
        self.countsChanged.emit(shown, flagged)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record_id = self.model.record_id(current.row()) if current.isValid() else None
        if record_id != self.shown_record_id:
            edited = self.shown_record_id
            if edited is not None and not self.confirm_leave():
                # Stay on the record being edited: select it again once this change is over.
                QTimer.singleShot(0, lambda: self.show_record(edited))
                return
            self.detail.show_record(record_id)
            self.currentRecordChanged.emit(record_id)
        self._update_actions()

    def _current_lost(self) -> None:
        if self._detail is not None:
            self._detail.show_record(None)
        self.currentRecordChanged.emit(None)

    def _update_actions(self) -> None:
        selected = self.table.selectionModel().hasSelection()
        flagged = self.model.flagged_count
        self.record_actions.update(selected, flagged)
        self.validator.update_actions(
            selected or self.table.currentIndex().isValid(),
            self.shown_record_id is not None,
            flagged,
        )

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def guarded(self, call: Callable[[], Any]) -> Any:
        """Run a save-file call; a problem becomes a message box, not a traceback (and the
        answer None; True for a call that returns None)."""
        try:
            result = call()
        except ExportDeskError as error:
            messages.warning(self, "Save file", error.message)
            return None
        return True if result is None else result

    # -- the record shown ----------------------------------------------------------------

    @Slot(int, object)
    def show_record(self, record_id: int, message: ValidationMessage | None = None) -> None:
        """Make this record the current one in the list (and so the pane's), with the
        message's field selected; a record the list's filter hides is shown in the pane."""
        rows = self.guarded(lambda: self.model.rows_of([record_id])) or {}
        if record_id in rows:
            index = self.model.index(rows[record_id], 0)
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
        elif self.shown_record_id != record_id:
            if not self.confirm_leave():
                return
            self.detail.show_record(record_id)
            self.currentRecordChanged.emit(record_id)
            self._update_actions()
        if message is not None:
            self.detail.select_message(message)

    def open_record_at_problem(self, record_id: int) -> None:
        """Show a record in the editor with the cursor at its first problem (an export's
        ``invalid`` outcome, double-clicked in its report)."""
        self.show_record(record_id)
        if self.shown_record_id == record_id:
            self.detail.go_to_first_problem()
            self.detail.text.setFocus()

    def _editor_level(self, record_type: str) -> str:
        """The level validation as you type uses: the one Validate uses."""
        level = self.validation_level
        if level != ACCOUNT_LEVELS:
            return level
        try:
            return self.validator.account_levels().for_type(record_type)
        except ExportDeskError:
            return AccountLevels().for_type(record_type)

    def _record_saved(self, _record_id: int) -> None:
        self.guarded(self.model.refresh)  # its title, number, validation state

    # -- the selected records (record_actions.py) ----------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected records in list order (the current one when nothing is selected):
        those the rows showed when selected, even when the list has moved since."""
        return self.table.selected_ids()

    def toggle_flags(self) -> None:
        self.record_actions.toggle_flags()

    def flag_selected(self) -> None:
        self.record_actions.flag_selected()

    def apply_template_to_selected(self) -> bool:
        return self.record_actions.apply_template_to_selected()

    def apply_template(self, record_ids: Sequence[int], name: str) -> bool:
        return self.record_actions.apply_template(record_ids, name)

    # -- importing (importing.py) --------------------------------------------------------

    @property
    def importing(self) -> bool:
        return self.importer.running

    def import_files(self, paths: Sequence[Path | str]) -> None:
        """Import these files in the background (after the current import, if one runs)."""
        self.importer.import_files(paths)

    # -- validating (validating.py) ------------------------------------------------------

    @property
    def validating(self) -> bool:
        return self.validator.running

    @property
    def validation_level(self) -> str:
        """The level Validate uses: "account" (the account's, per record type) or one of
        structure, basic, full."""
        return self.validator.level

    def set_validation_level(self, level: str) -> None:
        self.level_actions[level].setChecked(True)

    def update_level_texts(self) -> None:
        self.validator.update_level_texts()

    def validate_selected(self) -> None:
        self.validator.validate_selected()

    def validate(self, record_ids: Sequence[int], level: str | None = None) -> bool:
        """Validate these records in the background at ``level`` (the level chosen in the
        menu by default); False when a validation is running already."""
        return self.validator.validate(record_ids, level)

    def _validating_changed(self, running: bool) -> None:
        self._update_actions()
        self.validatingChanged.emit(running)

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.import_files(files)

    # -- closing -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop watching, cancel an import or a validation and wait a few seconds at most
        for it to end (the records imported and states stored so far stay), and close the
        save file when the page opened it."""
        if self._closed:
            return
        self._closed = True
        self._watch.stop()
        if self._detail is not None:
            self._detail.shutdown()
        self.filter_bar.stop()
        self.validator.shutdown()
        self.importer.shutdown()
        self.jobs.shutdown(STOP_SECONDS)
        if self._owns_save_file:
            self._save_file.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
