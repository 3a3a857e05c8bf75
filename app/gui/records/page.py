"""The records page: the save file's list with its filter bar, flag actions, the record pane,
imports (File > Import, drag and drop) and validation running in the background.

The main window embeds it::

    page = RecordsPage(account)          # or RecordsPage(save_file)
    page.import_files([path, ...])       # File > Import
    page.validate([id, ...])             # Action > Validate (or the page's validate_* actions)
    page.refresh()                       # after something else changed the save file
    page.shutdown()                      # when the window closes: stops workers cleanly

It watches the save file too: a commit by another connection (an export worker, another
process) refreshes the list within a second.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import filelock
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QItemSelectionRange,
    QModelIndex,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.export.constant_data import all_templates, find_template
from app.core.export.run import lock_path
from app.core.settings.account_settings import AccountSettings
from app.core.store.importer import ImportProgress, ImportResult
from app.core.store.savefile import (
    NOT_EXPORTED,
    NOT_VALIDATED,
    OUTCOME_NAMES,
    RecordQuery,
    SaveFile,
)
from app.core.store.templates import apply_template
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import (
    ACCOUNT_LEVELS,
    AccountLevels,
    RecordValidation,
    ValidationSummary,
)
from app.core.validation.stored import LEVEL_NAMES, messages_from_detail
from app.gui.records.detail import RecordView
from app.gui.records.importing import DuplicateDialog, ImportWorker
from app.gui.records.model import (
    COLUMNS,
    ENCODING,
    FLAG,
    LAST_EXPORTED,
    NUMBER,
    STATUS,
    TITLE,
    TYPE,
    VALIDATION,
    RecordsModel,
    consecutive_runs,
)
from app.gui.records.validating import ValidationWorker
from app.gui.validation_panel import ValidationPanel

WATCH_INTERVAL_MS = 1000
SEARCH_DELAY_MS = 250
REFRESH_DURING_IMPORT_SECONDS = 1.0
# Beyond this many selected rows a refresh keeps "everything selected", or else nothing
# (never other rows), rather than looking up where each one went.
MAX_REMEMBERED_SELECTION = 5000
# A validation of more records than this shows its progress and a Cancel button.
FEW_RECORDS = 5
VALIDATION_FILTERS = (
    ("Any validation", None),
    ("With errors", "errors"),
    ("With warnings only", "warnings"),
    ("Valid", "valid"),
    ("Not validated", NOT_VALIDATED),
)


class RecordsPage(QWidget):
    importFinished = Signal(object)  # ImportResult, when an import ends (also cancelled)
    importingChanged = Signal(bool)
    countsChanged = Signal(int, int)  # records shown, records flagged
    currentRecordChanged = Signal(object)  # the id of the record in the pane, or None
    validatingChanged = Signal(bool)
    validationFinished = Signal(object)  # ValidationSummary, or None when it failed
    notice = Signal(str)  # what an action did, for the window's status bar

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
            self._account_levels = account_levels or (
                lambda: AccountLevels.from_options(AccountSettings(account).effective().options)
            )
            self._export_charset = export_charset or (
                lambda: str(AccountSettings(account).effective().options["charset"])
            )
        else:
            self._save_file = save_file
            self._owns_save_file = False
            self._account_levels = account_levels or AccountLevels
            self._export_charset = export_charset or (lambda: "utf8")
        self._results_in_page = results_in_page
        self._validation_thread: QThread | None = None
        self._validation_worker: ValidationWorker | None = None
        self._validation_total = 0
        self._validation_done = 0
        self._validation_errors = 0
        self._last_validation_refresh = 0.0
        self._pane_stale = False  # the record in the pane was validated since it was shown
        self._thread: QThread | None = None
        self._worker: ImportWorker | None = None
        self._queued: list[Path] = []
        self._last_refresh = 0.0
        # (selected ids, or None for "all rows"; the current record's id; the scroll position)
        self._remembered: tuple[list[int] | None, int | None, int] | None = None
        self._closed = False
        self.duplicate_dialog: DuplicateDialog | None = None
        self.last_result: ImportResult | None = None

        self.model = RecordsModel(self._save_file, self)
        self._build_filter_bar()
        self._build_table()
        self._build_actions()
        self.detail = RecordView(
            self._save_file, level_for=self._editor_level, export_charset=self._export_charset
        )
        self.table.addAction(self.detail.copy_action)  # Ctrl+Shift+C from the list too
        self.table.addAction(self.detail.history_action)  # Ctrl+H from the list too
        self.detail.saved.connect(self._record_saved)
        self.detail.notice.connect(self.notice)
        self._build_validation()
        self._build_progress()
        self._lay_out()

        self.model.countsChanged.connect(self._show_counts)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        # First: the rows selected keep the records they have now (see records.model).
        self.table.selectionModel().selectionChanged.connect(self._hold_selected)
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

    def _build_filter_bar(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Title, OCLC number or control number")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search records")
        self._search_label = QLabel("&Search:")
        self._search_label.setBuddy(self.search)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_filter)

        self.flagged_only = QCheckBox("Flagged o&nly")
        self.flagged_only.toggled.connect(self.apply_filter)

        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status")
        self.status_filter.addItem("Any status", None)
        self.status_filter.addItem("Not exported", NOT_EXPORTED)
        for outcome, name in OUTCOME_NAMES.items():
            self.status_filter.addItem(name, outcome)
        self._status_label = QLabel("S&tatus:")
        self._status_label.setBuddy(self.status_filter)
        self.status_filter.currentIndexChanged.connect(self.apply_filter)

        self.validation_filter = QComboBox()
        self.validation_filter.setAccessibleName("Validation")
        for text, value in VALIDATION_FILTERS:
            self.validation_filter.addItem(text, value)
        self._validation_label = QLabel("&Validation:")
        self._validation_label.setBuddy(self.validation_filter)
        self.validation_filter.currentIndexChanged.connect(self.apply_filter)

        self.counts = QLabel()
        self.counts.setAccessibleName("Record counts")
        self.empty_hint = QLabel(
            "No records in this save file yet. Import MARC files (ISO 2709, MARCXML or .mrk) "
            "with File > Import, or drop them here."
        )
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()

    def _build_table(self) -> None:
        table = QTableView()
        table.setModel(self.model)
        table.setAccessibleName("Records")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)  # Tab leaves the list, as everywhere else
        rows = table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: fast to scroll
        rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        # The header would look through every selected row to shade fully selected columns
        # on each repaint (700,000 calls with 100,000 rows selected); give it a selection of
        # its own that stays empty.
        self._header_selection = QItemSelectionModel(self.model, self)
        header.setSelectionModel(self._header_selection)
        header.setHighlightSections(False)
        header.setSortIndicatorClearable(True)  # a third click goes back to import order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        table.setSortingEnabled(True)
        header.setStretchLastSection(False)
        metrics = table.fontMetrics()
        widths = {
            FLAG: metrics.horizontalAdvance(COLUMNS[FLAG][1]) + 32,
            NUMBER: metrics.horizontalAdvance("0000000000000") + 16,
            TYPE: metrics.horizontalAdvance("Bibliographic") + 16,
            ENCODING: metrics.horizontalAdvance(COLUMNS[ENCODING][1]) + 24,
            STATUS: metrics.horizontalAdvance("Unconfirmed") + 24,
            VALIDATION: metrics.horizontalAdvance("Warnings") + 48,  # and the icon
            LAST_EXPORTED: metrics.horizontalAdvance("0000-00-00 00:00 PM") + 16,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        self.table = table

    def _action(self, text: str, slot: Any, shortcut: str | None = None, on: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        target = on if on is not None else self
        action.setShortcutContext(
            Qt.ShortcutContext.WidgetShortcut
            if on is not None
            else Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        action.triggered.connect(slot)
        target.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.toggle_flag_action = self._action(
            "Flag or unflag selected", self.toggle_flags, "Space", on=self.table
        )
        self.flag_selected_action = self._action("F&lag selected", self.flag_selected)
        self.unflag_all_action = self._action("&Unflag all", self.unflag_all)
        self.delete_action = self._action(
            "&Delete selected…", self.delete_selected, "Delete", on=self.table
        )
        self.mark_exported_action = self._action(
            "&Mark as Exported…", self.mark_exported_selected, on=self.table
        )
        self.mark_exported_action.setToolTip(
            "The selected flagged records are in your local system already (an unconfirmed "
            "export that did arrive): no export sends them again"
        )
        self.find_action = self._action("Find", self._focus_search, "Ctrl+F")
        self.apply_template_action = self._action(
            "Apply &Constant Data…", self.apply_template_to_selected
        )
        self.apply_template_action.setToolTip(
            "Add a constant data template's fields to the selected records (never twice)"
        )
        # The list's context menu (right click, or the Menu key) offers the same actions.
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.insertAction(self.toggle_flag_action, self.flag_selected_action)
        self.flag_button = QPushButton(self.flag_selected_action.text())
        self.flag_button.setToolTip("Flag the selected records for export (Space toggles)")
        self.flag_button.clicked.connect(self.flag_selected_action.trigger)
        self.unflag_all_button = QPushButton(self.unflag_all_action.text())
        self.unflag_all_button.setToolTip("Clear the flag of every record in the save file")
        self.unflag_all_button.clicked.connect(self.unflag_all_action.trigger)
        self.delete_button = QPushButton(self.delete_action.text())
        self.delete_button.setToolTip("Remove the selected records from the save file (Delete)")
        self.delete_button.clicked.connect(self.delete_action.trigger)

    def _build_validation(self) -> None:
        self.validate_record_action = self._action(
            "Validate &Record", self.validate_open_record, "F7"
        )
        self.validate_record_action.setToolTip("Validate the record shown in the pane (F7)")
        self.validate_selected_action = self._action(
            "&Validate Selected", self.validate_selected, "Ctrl+Shift+V"
        )
        self.validate_selected_action.setToolTip("Validate the selected records (Ctrl+Shift+V)")
        self.validate_flagged_action = self._action(
            "Validate &Flagged", self.validate_flagged, "Shift+F7"
        )
        self.validate_flagged_action.setToolTip(
            "Validate the records flagged for export (Shift+F7)"
        )
        self.cancel_validation_action = self._action("&Cancel Validation", self.cancel_validation)
        self.cancel_validation_action.setEnabled(False)

        # The level every Validate uses until changed: the account's, or one for all records.
        self.level_menu = QMenu("Validation &Level", self)
        self.level_menu.aboutToShow.connect(self.update_level_texts)
        self.level_group = QActionGroup(self)
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

        self.validation_panel = ValidationPanel(self._stored_messages)
        self.validation_panel.recordActivated.connect(self.show_record)
        self.results_action = QAction("Validation Res&ults", self)
        self.results_action.setCheckable(True)
        self.results_action.setToolTip("Show or hide the results of the last validation")
        if self._results_in_page:
            self.validation_panel.close_button.setVisible(True)
            self.validation_panel.closeRequested.connect(self.validation_panel.hide)
            self.results_action.toggled.connect(self.validation_panel.setVisible)
            self.validation_panel.installEventFilter(self)
            self.validation_panel.hide()
        for action in (self.validate_record_action, self.validate_selected_action):
            self.table.addAction(action)

        self.validation_box = QWidget()
        self.validation_label = QLabel()
        self.validation_bar = QProgressBar()
        self.validation_bar.setRange(0, 1000)
        self.validation_bar.setAccessibleName("Validation progress")
        self.cancel_validation_button = QPushButton("Cancel validat&ion")
        self.cancel_validation_button.clicked.connect(self.cancel_validation)
        row = QHBoxLayout(self.validation_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.validation_label)
        row.addWidget(self.validation_bar, 1)
        row.addWidget(self.cancel_validation_button)
        self.validation_box.hide()

    def eventFilter(self, watched: Any, event: Any) -> bool:
        # Keep the Results action's check mark in step with the panel (Close hides it).
        if watched is self.validation_panel and event.type() in (
            event.Type.Show,
            event.Type.Hide,
        ):
            self.results_action.setChecked(self.validation_panel.isVisibleTo(self))
        return super().eventFilter(watched, event)

    def _build_progress(self) -> None:
        self.progress_box = QWidget()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("&Cancel import")
        self.cancel_button.clicked.connect(self.cancel_import)
        row = QHBoxLayout(self.progress_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.progress_box.hide()

        self.summary_box = QWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import result")
        self.details_button = QPushButton("Show &problems…")
        self.details_button.clicked.connect(self.show_import_problems)
        row = QHBoxLayout(self.summary_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary, 1)
        row.addWidget(self.details_button)
        self.summary_box.hide()

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self._search_label)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.flagged_only)
        bar.addWidget(self._status_label)
        bar.addWidget(self.status_filter)
        bar.addWidget(self._validation_label)
        bar.addWidget(self.validation_filter)
        bar.addStretch(1)
        bar.addWidget(self.counts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.flag_button)
        buttons.addWidget(self.unflag_all_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        if self._results_in_page:
            self.splitter.addWidget(self.validation_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(buttons)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.validation_box)
        layout.addWidget(self.summary_box)
        order = [
            self.search,
            self.flagged_only,
            self.status_filter,
            self.validation_filter,
            self.flag_button,
            self.unflag_all_button,
            self.delete_button,
            self.table,
            self.detail.copy_button,
            self.detail.text,
            self.detail.messages,
            *(
                (
                    self.validation_panel.problems_only,
                    self.validation_panel.close_button,
                    self.validation_panel.view,
                )
                if self._results_in_page
                else ()
            ),
            self.cancel_button,
            self.cancel_validation_button,
            self.details_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    # -- what the list shows -------------------------------------------------------------

    @property
    def save_file(self) -> SaveFile:
        return self._save_file

    @Slot()
    def apply_filter(self) -> None:
        self._search_timer.stop()
        query = self.model.query
        self.model.set_query(
            RecordQuery(
                self.search.text(),
                self.flagged_only.isChecked(),
                self.status_filter.currentData(),
                query.sort,
                query.descending,
                self.validation_filter.currentData(),
            )
        )

    @Slot()
    def refresh(self) -> None:
        """Read the list and the record shown again (statuses, flags, new records)."""
        if self._closed:
            return
        try:
            self._version = self._save_file.data_version()
        except ExportDeskError:
            return
        self._last_refresh = time.monotonic()
        self._guarded(self.model.refresh)
        self.detail.show_record(self.detail.record_id)

    def _check_for_changes(self) -> None:
        if self._closed or self._validation_thread is not None:
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
        self.validate_flagged_action.setEnabled(flagged > 0 and not self.validating)
        self.unflag_all_action.setEnabled(flagged > 0)
        self.unflag_all_button.setEnabled(flagged > 0)
        total = f"{shown:,} record{'' if shown == 1 else 's'}"
        self.counts.setText(f"{total}, {flagged:,} flagged")
        self.countsChanged.emit(shown, flagged)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record_id = self.model.record_id(current.row()) if current.isValid() else None
        if record_id != self.detail.record_id:
            edited = self.detail.record_id
            if edited is not None and not self.detail.confirm_leave():
                # Stay on the record being edited: select it again once this change is over.
                QTimer.singleShot(0, lambda: self.show_record(edited))
                return
            self.detail.show_record(record_id)
            self.currentRecordChanged.emit(record_id)
        self._update_actions()

    def _update_actions(self) -> None:
        selected = self.table.selectionModel().hasSelection()
        for action in (
            self.flag_selected_action,
            self.delete_action,
            self.mark_exported_action,
            self.apply_template_action,
        ):
            action.setEnabled(selected)
        self.flag_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
        free = not self.validating
        self.validate_record_action.setEnabled(free and self.detail.record_id is not None)
        self.validate_selected_action.setEnabled(
            free and (selected or self.table.currentIndex().isValid())
        )
        self.validate_flagged_action.setEnabled(free and self.model.flagged_count > 0)
        self.cancel_validation_action.setEnabled(not free)

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- keeping the selection across a refresh ------------------------------------------

    def _hold_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        ranges = [(r.top(), r.bottom()) for r in _ranges(selected)]
        if ranges:
            self._guarded(lambda: self.model.hold(ranges))

    def _remember_selection(self) -> None:
        selection = self.table.selectionModel()
        ranges = [(r.top(), r.bottom()) for r in _ranges(selection.selection())]
        size = sum(bottom - top + 1 for top, bottom in ranges)
        everything = size > 0 and size == self.model.rowCount()
        ids: list[int] | None = None if everything else []
        if not everything and size <= MAX_REMEMBERED_SELECTION:
            # The records the rows stand for: those the cataloger saw highlighted.
            ids = self._guarded(lambda: self.model.ids_in_ranges(ranges)) or []
        current = selection.currentIndex()
        current_id = self.model.record_id(current.row()) if current.isValid() else None
        self._remembered = (ids, current_id, self.table.verticalScrollBar().value())

    def _restore_selection(self) -> None:
        if self._remembered is None:
            return
        ids, current_id, scrolled = self._remembered
        self._remembered = None
        selection_model = self.table.selectionModel()
        wanted = list(ids or [])
        if current_id is not None:
            wanted.append(current_id)
        positions: dict[int, int] = {}
        if wanted:
            positions = self._guarded(lambda: self.model.rows_of(wanted)) or {}
        self.table.verticalScrollBar().setValue(scrolled)
        if ids is None:
            self.table.selectAll()
        elif ids:
            selection = QItemSelection()
            last_column = self.model.columnCount() - 1
            rows = sorted(positions[i] for i in ids if i in positions)
            for top, bottom in consecutive_runs(rows):
                selection.select(self.model.index(top, 0), self.model.index(bottom, last_column))
            selection_model.select(selection, QItemSelectionModel.SelectionFlag.Select)
        if current_id is not None and current_id in positions:
            selection_model.setCurrentIndex(
                self.model.index(positions[current_id], 0),
                QItemSelectionModel.SelectionFlag.NoUpdate,
            )
        elif current_id is not None:
            self.detail.show_record(None)
            self.currentRecordChanged.emit(None)
        self._update_actions()

    # -- flags and deletion --------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected records in list order (the current one when nothing is selected):
        those the rows showed when selected, even when the list has moved since."""
        ranges = self._selected_ranges()
        return self.model.ids_in_ranges(ranges) if ranges else []

    def _selected_ranges(self) -> list[tuple[int, int]]:
        """The selected rows as (top, bottom) ranges; the current row when none is selected."""
        ranges = [(r.top(), r.bottom()) for r in _ranges(self.table.selectionModel().selection())]
        if not ranges:
            current = self.table.currentIndex()
            if current.isValid():
                ranges = [(current.row(), current.row())]
        return ranges

    @Slot()
    def toggle_flags(self) -> None:
        """Space: unflag the selection when all of it is flagged, otherwise flag all of it."""
        ids = self._guarded(self.selected_ids)
        if ids:
            save_file = self._save_file

            def toggle() -> None:
                flagged = save_file.flagged_among(ids)
                unflagged = len(ids) - len(flagged)
                if flagged and unflagged:  # records deleted elsewhere count for neither
                    unflagged -= len(save_file.missing(ids))
                save_file.set_flagged(ids, unflagged > 0)

            self._change_flags(toggle)

    @Slot()
    def flag_selected(self) -> None:
        ids = self._guarded(self.selected_ids)
        if ids:
            self._change_flags(lambda: self._save_file.set_flagged(ids, True))

    @Slot()
    def unflag_all(self) -> None:
        self._change_flags(self._save_file.unflag_all)

    def _change_flags(self, change: Any) -> None:
        if self._guarded(change) is not None:
            self._guarded(self.model.refresh_flags)

    @Slot()
    def delete_selected(self) -> None:
        ids = self._guarded(self.selected_ids)
        if not ids:
            return
        noun = "this record" if len(ids) == 1 else f"these {len(ids):,} records"
        answer = QMessageBox.question(
            self,
            "Delete records",
            f"Delete {noun} from the save file? Their export history stays in the journal.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._guarded(lambda: self._save_file.delete(ids))
            self.table.clearSelection()
            self.refresh()

    @Slot()
    def mark_exported_selected(self) -> None:
        """Mark as Exported: the cataloger found the selected flagged records in the local
        system (an export that stayed unconfirmed had arrived). They are journalled as
        exported by hand and unflagged; records not flagged are left as they are."""
        ids = self._guarded(self.selected_ids)
        if not ids:
            return
        flagged = self._guarded(lambda: self._save_file.flagged_among(ids))
        if not flagged:
            if flagged is not None:
                QMessageBox.information(
                    self,
                    "Mark as Exported",
                    "None of the selected records is flagged: none is waiting to be exported.",
                )
            return
        local_id: str | None = None
        why = (
            "Do this only after finding {it} in your local system: {it_is} unflagged, no export "
            "sends {it} again, and the export log notes that you marked {it}."
        )
        if len(flagged) == 1:
            record = self._guarded(lambda: self._save_file.get(flagged[0]))
            title = f" ({record.title})" if record and record.title else ""
            text, ok = QInputDialog.getText(
                self,
                "Mark as Exported",
                f"Mark record {flagged[0]}{title} as exported? "
                + why.format(it="it", it_is="it is")
                + "\n\nIts number in the local system, if you want it kept (MMS ID, "
                "biblionumber):",
            )
            if not ok:
                return
            local_id = text.strip() or None
        else:
            answer = QMessageBox.question(
                self,
                "Mark as Exported",
                f"Mark these {len(flagged):,} flagged records as exported? "
                + why.format(it="them", it_is="they are"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            # Not while an export of this save file runs: it may be sending one of them.
            with filelock.FileLock(lock_path(self._save_file), timeout=0):
                marked = self._guarded(
                    lambda: self._save_file.mark_exported(flagged, local_id=local_id)
                )
        except filelock.Timeout:
            QMessageBox.information(
                self,
                "Mark as Exported",
                "An export is running; mark the records when it has finished.",
            )
            return
        if marked is None:
            return
        self.refresh()
        noun = "record" if marked == 1 else "records"
        passed = len(ids) - len(flagged)
        skipped = f"; {passed:,} not flagged left as they were" if passed else ""
        self.notice.emit(f"Marked {marked:,} {noun} as exported{skipped}.")

    def _guarded(self, call: Any) -> Any:
        """Run a save-file call; a problem becomes a message box, not a traceback."""
        try:
            result = call()
        except ExportDeskError as error:
            QMessageBox.warning(self, "Save file", error.message)
            return None
        return True if result is None else result

    # -- importing -----------------------------------------------------------------------

    @property
    def importing(self) -> bool:
        return self._thread is not None

    def import_files(self, paths: Sequence[Path | str]) -> None:
        """Import these files in the background (after the current import, if one runs)."""
        files = [Path(p) for p in paths]
        if not files:
            return
        if self._thread is not None:
            self._queued.extend(files)
            return
        self.summary_box.hide()
        worker = ImportWorker(self._save_file.path, files)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._import_progress)
        worker.duplicateFound.connect(self._ask_about_duplicate)
        worker.finished.connect(self._import_finished)
        worker.failed.connect(self._import_failed)
        worker.finished.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.finished.connect(self._thread_done)
        self._worker, self._thread = worker, thread
        names = files[0].name if len(files) == 1 else f"{len(files)} files"
        self.progress_label.setText(f"Importing {names}…")
        self.progress_bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.progress_box.show()
        self.importingChanged.emit(True)
        thread.start()

    @Slot()
    def cancel_import(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")
        if self.duplicate_dialog is not None:
            self.duplicate_dialog.reject()

    def _import_progress(self, progress: ImportProgress) -> None:
        if self._closed:
            return
        self.progress_bar.setValue(int(progress.fraction * 1000))
        if self._worker is not None and not self._worker.cancelled:
            name = Path(progress.file).name
            place = (
                f" ({progress.file_index} of {progress.file_count})"
                if progress.file_count > 1
                else ""
            )
            self.progress_label.setText(f"Importing {name}{place}: {progress.imported:,} imported")
        if time.monotonic() - self._last_refresh > REFRESH_DURING_IMPORT_SECONDS:
            self.refresh()  # new rows appear while the import goes on

    def _ask_about_duplicate(self, question: Any) -> None:
        worker = self._worker
        if worker is None or self._closed:
            return
        dialog = DuplicateDialog(question, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.duplicate_dialog = dialog

        def answered(_result: int) -> None:
            self.duplicate_dialog = None
            worker.answer(dialog.decision())
            dialog.deleteLater()

        dialog.finished.connect(answered)
        dialog.open()

    def _import_finished(self, result: ImportResult) -> None:
        if self._closed:
            return
        self.last_result = result
        parts = [f"Imported {result.imported:,} record{'' if result.imported == 1 else 's'}"]
        if result.replaced:
            parts.append(f"{result.replaced:,} of them replacing saved copies")
        if result.skipped:
            parts.append(f"skipped {result.skipped:,} already in the save file")
        if result.errors:
            parts.append(f"{len(result.errors):,} could not be read")
        text = ", ".join(parts) + "."
        if result.cancelled:
            text = "Import cancelled. " + text
        self.summary.setText(text)
        self.details_button.setVisible(bool(result.errors or result.warnings))
        self.summary_box.show()
        self.importFinished.emit(result)

    def _import_failed(self, message: str) -> None:
        self.summary.setText(f"The import stopped: {message}")
        self.details_button.hide()
        self.summary_box.show()
        self.importFinished.emit(None)

    def _thread_done(self) -> None:
        if self._thread is not None:
            self._thread.deleteLater()
        self._worker = self._thread = None
        if self._closed:
            return
        self.progress_box.hide()
        self.refresh()
        self.importingChanged.emit(False)
        if self._queued:
            queued, self._queued = self._queued, []
            self.import_files(queued)

    def show_import_problems(self) -> None:
        """The records the last import could not read, and its notes, in a dialog."""
        result = self.last_result
        if result is None:
            return
        lines = [f"Could not read {error.describe()}" for error in result.errors]
        lines += [f"Note: {warning.describe()}" for warning in result.warnings]
        dialog = QDialog(self)
        dialog.setWindowTitle("Import problems")
        text = QPlainTextEdit("\n".join(lines))
        text.setReadOnly(True)
        text.setAccessibleName("Import problems")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(700, 300)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.problems_dialog = dialog
        dialog.open()

    # -- validating ----------------------------------------------------------------------

    @property
    def validating(self) -> bool:
        return self._validation_thread is not None

    @property
    def validation_level(self) -> str:
        """The level Validate uses: "account" (the account's, per record type) or one of
        structure, basic, full."""
        checked = self.level_group.checkedAction()
        return str(checked.data()) if checked is not None else ACCOUNT_LEVELS

    def set_validation_level(self, level: str) -> None:
        self.level_actions[level].setChecked(True)

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

    @Slot()
    def validate_open_record(self) -> None:
        if self.detail.record_id is not None:
            self.validate([self.detail.record_id])

    @Slot()
    def validate_selected(self) -> None:
        ids = self._guarded(self.selected_ids)
        if ids:
            self.validate(ids)

    @Slot()
    def validate_flagged(self) -> None:
        ids = self._guarded(self._save_file.flagged_ids)
        if ids:
            self.validate(ids)

    def validate(self, record_ids: Sequence[int], level: str | None = None) -> bool:
        """Validate these records in the background at ``level`` (the level chosen in the
        menu by default); False when a validation is running already."""
        if self.validating or self._closed or not record_ids:
            return False
        level = level or self.validation_level
        try:
            account_levels = self.account_levels()
        except ExportDeskError as error:
            QMessageBox.warning(self, "Validation", error.message)
            return False
        ids = list(record_ids)
        worker = ValidationWorker(self._save_file.path, ids, level, account_levels)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.validated.connect(self._validated)
        worker.finished.connect(self._validation_finished)
        worker.failed.connect(self._validation_failed)
        worker.finished.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.finished.connect(self._validation_thread_done)
        self._validation_worker, self._validation_thread = worker, thread
        self._validation_total = len(ids)
        self._pane_stale = False
        self._validation_done = self._validation_errors = 0
        self._last_validation_refresh = time.monotonic()
        noun = f"{len(ids):,} record{'' if len(ids) == 1 else 's'}"
        at = (
            f"the account's levels ({account_levels.describe()})"
            if level == ACCOUNT_LEVELS
            else LEVEL_NAMES[level]
        )
        self.validation_panel.start(f"Validating {noun} at {at}…")
        if self._results_in_page:
            self.validation_panel.show()
        if len(ids) > FEW_RECORDS:
            self.validation_label.setText(f"Validating {noun}…")
            self.validation_bar.setValue(0)
            self.cancel_validation_button.setEnabled(True)
            self.validation_box.show()
        self._update_actions()
        self.validatingChanged.emit(True)
        thread.start()
        return True

    @Slot()
    def cancel_validation(self) -> None:
        if self._validation_worker is not None:
            self._validation_worker.cancel()
            self.cancel_validation_button.setEnabled(False)
            self.cancel_validation_action.setEnabled(False)
            self.validation_label.setText("Cancelling…")

    @Slot(object)
    def _validated(self, outcomes: list[RecordValidation]) -> None:
        if self._closed:
            return
        self._validation_done += len(outcomes)
        self._validation_errors += sum(1 for o in outcomes if o.state == "errors")
        shown = self.detail.record_id
        self._pane_stale = self._pane_stale or any(o.record_id == shown for o in outcomes)
        self.validation_panel.add(outcomes)
        total = self._validation_total
        self.validation_bar.setValue(int(self._validation_done / total * 1000) if total else 0)
        if self._validation_worker is not None and not self._validation_worker.cancelled:
            errors = self._validation_errors
            self.validation_label.setText(
                f"Validated {self._validation_done:,} of {total:,}"
                f" ({errors:,} with error{'' if errors == 1 else 's'})"
            )
        if time.monotonic() - self._last_validation_refresh > REFRESH_DURING_IMPORT_SECONDS:
            self._show_new_states()

    def _show_new_states(self) -> None:
        """The list's validation column and the pane, after states changed."""
        self._last_validation_refresh = time.monotonic()
        try:
            self._version = self._save_file.data_version()
        except ExportDeskError:
            return
        self._guarded(self.model.refresh_validation)
        # Only when its state changed: re-reading the pane would lose the reader's place.
        if self._pane_stale and self.detail.record_id is not None:
            self._pane_stale = False
            picked = self.detail.current_message()
            self.detail.show_record(self.detail.record_id)
            if picked is not None:
                self.detail.select_message(picked)

    @Slot(object)
    def _validation_finished(self, summary: ValidationSummary) -> None:
        if self._closed:
            return
        self.validation_panel.finish(summary.describe())
        self.validationFinished.emit(summary)

    @Slot(str)
    def _validation_failed(self, message: str) -> None:
        if self._closed:
            return
        self.validation_panel.finish(f"The validation stopped: {message}")
        self.validationFinished.emit(None)

    @Slot()
    def _validation_thread_done(self) -> None:
        if self._validation_thread is not None:
            self._validation_thread.deleteLater()
        self._validation_worker = self._validation_thread = None
        if self._closed:
            return
        self.validation_box.hide()
        self._show_new_states()
        self._update_actions()
        self.validatingChanged.emit(False)

    def _stored_messages(self, record_id: int) -> list[ValidationMessage]:
        """The panel's messages of a record, as the save file holds them now."""
        try:
            return messages_from_detail(self._save_file.get(record_id).validation_detail)
        except ExportDeskError:
            return []

    @Slot(int, object)
    def show_record(self, record_id: int, message: ValidationMessage | None = None) -> None:
        """Make this record the current one in the list (and so the pane's), with the
        message's field selected; a record the list's filter hides is shown in the pane."""
        rows = self._guarded(lambda: self.model.rows_of([record_id])) or {}
        if record_id in rows:
            index = self.model.index(rows[record_id], 0)
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
        elif self.detail.record_id != record_id:
            if not self.detail.confirm_leave():
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
        if self.detail.record_id == record_id:
            self.detail.go_to_first_problem()
            self.detail.text.setFocus()

    # -- editing -------------------------------------------------------------------------

    def _editor_level(self, record_type: str) -> str:
        """The level validation as you type uses: the one Validate uses."""
        level = self.validation_level
        if level != ACCOUNT_LEVELS:
            return level
        try:
            return self.account_levels().for_type(record_type)
        except ExportDeskError:
            return AccountLevels().for_type(record_type)

    def _record_saved(self, _record_id: int) -> None:
        self._guarded(self.model.refresh)  # its title, number, validation state

    def apply_template_to_selected(self) -> bool:
        """Ask for a constant data template and add its fields to the selected records."""
        ids = self._guarded(self.selected_ids) or []
        if not ids:
            return False
        if self.detail.record_id in ids and not self.detail.confirm_leave():
            return False
        try:
            names = [t.name for t in all_templates(self._save_file)]
        except ExportDeskError as error:
            QMessageBox.warning(self, "Apply Constant Data", error.message)
            return False
        if not names:
            QMessageBox.information(
                self,
                "Apply Constant Data",
                "This account has no constant data templates yet. Add one with "
                "exportdesk template add --account ACCOUNT --name NAME --from FILE.mrk, or "
                "from the institution file.",
            )
            return False
        name, chosen = QInputDialog.getItem(
            self,
            "Apply Constant Data",
            f"Add the fields of which template to {len(ids):,} record"
            f"{'' if len(ids) == 1 else 's'}?",
            names,
            0,
            False,
        )
        if not chosen:
            return False
        return self.apply_template(ids, name)

    def apply_template(self, record_ids: Sequence[int], name: str) -> bool:
        try:
            template = find_template(self._save_file, name)
            result = apply_template(self._save_file, record_ids, template, wait=0)
        except ExportDeskError as error:
            QMessageBox.warning(self, "Apply Constant Data", error.message)
            return False
        self.refresh()
        added = len(result.changed)
        text = f"Added the constant data '{template.name}' to {added:,} record" + (
            "" if added == 1 else "s"
        )
        if result.unchanged:
            text += f"; {len(result.unchanged):,} had it already"
        self.notice.emit(text + ".")
        return True

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if self._dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.import_files(files)

    @staticmethod
    def _dropped_files(event: Any) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        urls = mime.urls()
        if not all(url.isLocalFile() for url in urls):
            return []
        return [Path(url.toLocalFile()) for url in urls]

    # -- closing -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop watching, cancel an import and wait for it to end cleanly (the records
        imported so far stay), and close the save file when the page opened it."""
        if self._closed:
            return
        self._closed = True
        self._watch.stop()
        self.detail.shutdown()
        self._search_timer.stop()
        self._queued.clear()
        validation = self._validation_thread
        if validation is not None:
            self.cancel_validation()
            validation.finished.disconnect(self._validation_thread_done)
            validation.quit()
            validation.wait()
            validation.deleteLater()
            self._validation_worker = self._validation_thread = None
        thread = self._thread
        if thread is not None:
            self.cancel_import()
            thread.finished.disconnect(self._thread_done)
            thread.quit()
            thread.wait()
            thread.deleteLater()
            self._worker = self._thread = None
        if self._owns_save_file:
            self._save_file.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _ranges(selection: QItemSelection) -> list[QItemSelectionRange]:
    """A selection's ranges (PySide6 iterates a QItemSelection; its stubs don't say so)."""
    return [selection.at(number) for number in range(selection.count())]
