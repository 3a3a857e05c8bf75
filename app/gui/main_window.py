"""The main window: the records, Action > Validate with its results docked, and General >
Admin > Export Options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSize, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from app import APP_NAME, __version__
from app.core import paths
from app.core.export.unsettled import recover_if_idle
from app.core.settings.account_settings import AccountSettings
from app.core.settings.files import take_notices
from app.core.settings.secrets import keyring_description
from app.core.store.savefile import SaveFile, SaveFileDamaged
from app.core.store.savefile import take_notices as take_save_file_notices
from app.core.validation.run import AccountLevels, ValidationSummary
from app.core.wording import count_of
from app.gui import messages
from app.gui.export_actions import ExportActions
from app.gui.jobs import Job, JobRunner
from app.gui.records import RecordsPage
from app.gui.sizing import fit_title
from app.gui.window_state import restore_layout, save_layout

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent

    from app.core.store.recovery import RecoveryReport
    from app.gui.account_report import AccountReportDialog
    from app.gui.options_page import ExportOptionsPage
    from app.gui.records.detail import RecordView
    from app.gui.search import SearchPanel
    from app.gui.shortcuts_dialog import ShortcutsDialog

IMPORT_FILTER = "MARC records (*.mrc *.marc *.dat *.usmarc *.iso *.xml *.mrk *.txt);;All files (*)"
FIRST_SIZE = QSize(1000, 760)
CHECK_AFTER_SHOW_MS = 150
# A first window takes at most this share of the screen (a small laptop at 150 %).
MAX_SCREEN_SHARE = 0.9


class MainWindow(QMainWindow):
    loggedOff = Signal()
    saveFileChecked = Signal(object)  # the problems the save file's check found (a list)
    reopenRequested = Signal()  # the save file was recovered: open the account's window again
    recoveryFinished = Signal(object)  # the RecoveryReport, or None when recovery failed

    def __init__(self, account: AccountSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.account = account
        self._shut_down = False
        # The save file's check (issue 11): off the GUI thread once the window shows.
        self.jobs = JobRunner(self)
        self._save_file_check: Job | None = None
        self._check_scheduled = False
        self._recovery: Job | None = None
        self.pages = QStackedWidget()
        self.records_page = RecordsPage(
            account.account,
            account_levels=lambda: AccountLevels.from_options(account.effective().options),
            results_in_page=False,
        )
        self.records_page.countsChanged.connect(self._show_counts)
        self.records_page.validatingChanged.connect(self._validating_changed)
        self.records_page.validationFinished.connect(self._validation_finished)
        self.records_page.notice.connect(self.statusBar().showMessage)
        # Export Options is built when first opened: its password row asks the keyring, which
        # can take a noticeable time (or an unlock prompt) that the first window should not.
        self._options_page: ExportOptionsPage | None = None
        self.pages.addWidget(self.records_page)
        self.setCentralWidget(self.pages)
        self.exports = ExportActions(self, self.records_page, account)
        self.exports.optionsRequested.connect(self.show_export_options)
        self._build_validation_dock()
        self._build_search_dock()
        self._build_menus()
        self._update_title()
        if not restore_layout(
            self, self.records_page.splitter, self.records_page.table.horizontalHeader()
        ):
            self._first_size()
        self.setAcceptDrops(True)
        # Settings files set aside, values ignored, a save file without WAL: all of them.
        notices = take_notices() + take_save_file_notices()
        if notices:
            self.statusBar().showMessage(" ".join(notices))
            self.statusBar().setToolTip("\n".join(notices))

    # -- the save file's check and recovery ---------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._check_scheduled:
            self._check_scheduled = True
            # A moment after the first paint: the check's thread would otherwise hold
            # Python's lock while the window draws itself.
            QTimer.singleShot(CHECK_AFTER_SHOW_MS, self, self._check_save_file)

    def _check_save_file(self) -> None:
        """SQLite's quick check and the schema's, on a connection of its own in the
        background (a noticeable fraction of a second on a large file); the page's
        connection takes the result, so a damaged file is never written to."""
        if self._save_file_check is not None or self._shut_down:
            return
        path, account = self.records_page.save_file.path, self.account.account

        def check() -> tuple[list[str], int]:
            try:
                with SaveFile(path, account=account) as save_file:
                    problems = save_file.check()
                    # What a killed export left in flight is settled here too, unless a run
                    # is active (it settles its own); a damaged file is not written to.
                    return problems, 0 if problems else recover_if_idle(save_file)
            except SaveFileDamaged as damaged:
                return [damaged.problem], 0

        call = self.jobs.start(lambda _context: check(), name="save file check")
        call.finished.connect(self._save_file_checked)
        call.failed.connect(self.statusBar().showMessage)
        self._save_file_check = call

    def _save_file_checked(self, result: tuple[list[str], int]) -> None:
        if self._shut_down:
            return
        problems, settled = result
        if settled:
            self.records_page.refresh()
            self.statusBar().showMessage(
                f"{count_of(settled, 'record')} {'was' if settled == 1 else 'were'} being "
                "exported when ExportDesk stopped; the export log tells what happened to each."
            )
        save_file = self.records_page.save_file
        if problems:
            save_file.note_checked(problems)
        elif not save_file.checked:  # what the page's connection found itself stays
            save_file.note_checked([])
        self.saveFileChecked.emit(problems)
        if save_file.damaged:
            self._warn_damaged()

    def _warn_damaged(self) -> None:
        error = self.records_page.save_file.damage_error()
        self.statusBar().showMessage(
            "The save file is damaged: ExportDesk will not write to it until it is recovered."
        )
        self.statusBar().setToolTip(error.message)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Save File Damaged",
            error.message.replace("To do: run", "Recover it now, or later run"),
            parent=self,
        )
        recover_button = box.addButton("Recover Now", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(recover_button)
        fit_title(box)
        box.exec()
        if box.clickedButton() is recover_button:
            self.recover_save_file()

    def recover_save_file(self) -> None:
        """Close everything using the save file, recover it in the background, and ask for
        the account's window to be opened again on the recovered file."""
        if not self._leave_record() or not self.exports.confirm_stop():
            return
        path, account = self.records_page.save_file.path, self.account.account
        self.shut_down()
        self.pages.setEnabled(False)
        self.menuBar().setEnabled(False)
        self.statusBar().showMessage("Recovering the save file…")
        from app.core.store.recovery import recover

        call = self.jobs.start(
            lambda _context: recover(path, account=account), name="save file recovery"
        )
        call.finished.connect(self._recovered)
        call.failed.connect(self._recovery_failed)
        self._recovery = call

    def _recovered(self, report: RecoveryReport) -> None:
        self.recoveryFinished.emit(report)
        if report.nothing_read:
            messages.warning(
                self,
                "Save File Damaged",
                f"Nothing could be read from the save file {report.path}. It was left as it "
                "is: move it aside to start a new save file.",
            )
            self.loggedOff.emit()
            return
        lines = [f"Recovered {report.records} records into a new save file."]
        if report.aside is not None:
            lines.append(f"The damaged file is kept as {report.aside}.")
        if report.unconfirmed:
            lines.append(
                f"{len(report.unconfirmed)} records an export may have sent are now "
                "unconfirmed: check the local system before sending them again."
            )
        if report.records_lost or report.rows_lost:
            lines.append(f"{report.records_lost} records could not be recovered.")
        messages.information(self, "Save File Recovered", "\n\n".join(lines))
        self.reopenRequested.emit()

    def _recovery_failed(self, message: str) -> None:
        self.recoveryFinished.emit(None)
        messages.warning(self, "Save File Damaged", message)
        self.loggedOff.emit()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.import_action = self._action("&Import…", self.choose_import, "Ctrl+I")
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        self.log_off_action = self._action("Log &Off", self.log_off, "Ctrl+Shift+L")
        file_menu.addAction(self.log_off_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("E&xit", self.close, QKeySequence.StandardKey.Quit))

        edit = self._edit_menu = bar.addMenu("&Edit")
        page = self.records_page
        for action in (
            page.toggle_flag_action,
            page.flag_selected_action,
            page.unflag_all_action,
            page.delete_action,
            page.mark_exported_action,
            page.find_action,
        ):
            edit.addAction(action)
        # The record pane's actions join these menus when the pane is built: a record shown,
        # or the menu opened (so that they are always there to be seen).
        self._editor_section = edit.addSeparator()
        self._editor_section_end = edit.addSeparator()
        edit.aboutToShow.connect(lambda: page.detail)
        # Enabled after a Reset on Export Options, until the cataloger leaves that screen; it
        # stands for the page's own action, as the page is built only when first opened.
        self.undo_reset_action = QAction("Undo &Reset", self)
        self.undo_reset_action.setToolTip("Put back the values the last Reset cleared")
        self.undo_reset_action.setEnabled(False)
        self.undo_reset_action.triggered.connect(self._undo_reset)
        edit.addAction(self.undo_reset_action)

        action_menu = self._action_menu = bar.addMenu("&Action")
        action_menu.addAction(self.search_action)
        self.results_menu = action_menu.addMenu("Search Resul&ts")
        self.results_menu.aboutToShow.connect(lambda: self.search_panel)  # its actions
        action_menu.addActions(self._build_record_holdings())
        action_menu.addSeparator()
        action_menu.addActions(self.exports.actions)
        action_menu.addSeparator()
        for action in (
            page.validate_record_action,
            page.validate_selected_action,
            page.validate_flagged_action,
        ):
            action_menu.addAction(action)
        action_menu.addMenu(page.level_menu)
        action_menu.addSeparator()
        action_menu.addAction(page.cancel_validation_action)
        action_menu.addAction(self.validation_dock.toggleViewAction())
        action_menu.addSeparator()
        action_menu.addAction(page.apply_template_action)
        action_menu.aboutToShow.connect(lambda: page.detail)
        page.detailBuilt.connect(self._add_record_pane_actions)

        general = bar.addMenu("&General")
        admin = general.addMenu("&Admin")
        self.export_options_action = self._action(
            "&Export Options…", self.show_export_options, "Ctrl+Shift+O"
        )
        admin.addAction(self.export_options_action)
        self.account_report_action = self._action("Account &Report…", self.show_account_report)
        self.account_report_action.setToolTip(
            "What this account's exports use now (connection, host, logon ID) and why"
        )
        admin.addAction(self.account_report_action)

        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents
        )
        help_menu.addAction(self.shortcuts_action)
        self.about_action = self._action(f"&About {APP_NAME}", self.show_about)
        help_menu.addAction(self.about_action)

    def _build_validation_dock(self) -> None:
        # A dock, so that a cataloger can put the results beside the list or on a second
        # screen; it opens by itself when a validation starts.
        dock = QDockWidget("Validation Results", self)
        dock.setObjectName("validationDock")
        dock.setWidget(self.records_page.validation_panel)
        dock.toggleViewAction().setText("Validation Res&ults")
        dock.toggleViewAction().setToolTip("Show or hide the results of the last validation")
        dock.toggleViewAction().setShortcut(QKeySequence("F8"))
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        self.validation_dock = dock

    def _build_search_dock(self) -> None:
        # F2, as Connexion Client's WorldCat search (Ctrl+F stays the list's Find): a dock
        # beside the list, so hits and saved records are seen together. Its panel (and the
        # search clients) is built when the dock first shows, not with the window.
        self._search_panel: SearchPanel | None = None
        dock = QDockWidget("Search", self)
        dock.setObjectName("searchDock")
        dock.visibilityChanged.connect(lambda visible: visible and self.search_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        self.search_dock = dock
        self.search_action = self._action(
            "&Search WorldCat and Catalogues…", self.show_search, "F2"
        )
        self.search_action.setToolTip("Search the account's targets for records (F2)")

    @property
    def search_panel(self) -> SearchPanel:
        """The search dock's panel, built when first needed."""
        if self._search_panel is None:
            from app.gui.search import SearchPanel

            panel = SearchPanel(self.account, self.records_page.save_file)
            panel.recordsStored.connect(lambda _result: self.records_page.refresh())
            panel.notice.connect(self.statusBar().showMessage)
            self._search_panel = panel
            self.search_dock.setWidget(panel)
            self.results_menu.addActions(panel.actions_for_menu)
            self.record_holdings.attach(panel)
        return self._search_panel

    def show_search(self) -> SearchPanel:
        self.search_dock.show()
        self.search_dock.raise_()
        self.search_panel.reload_targets()
        self.search_panel.focus_terms()
        return self.search_panel

    def _add_record_pane_actions(self, detail: RecordView) -> None:
        edit = self._edit_menu
        edit.insertAction(self._editor_section, detail.copy_action)
        # The record editor's: their keys work in the record's text.
        edit.insertActions(
            self._editor_section_end,
            [
                detail.save_action,
                detail.revert_action,
                detail.undo_action,
                detail.redo_action,
                detail.insert_field_action,
                detail.delete_field_action,
                detail.characters_action,
            ],
        )
        self._action_menu.insertAction(
            self.records_page.apply_template_action, detail.history_action
        )

    def _build_record_holdings(self) -> list[QAction]:
        """Set / Unset WorldCat Holdings on the selected records: through the search panel,
        which the window shows while they run (its progress and Cancel)."""
        from app.gui.holdings_actions import RecordHoldings

        self.record_holdings = RecordHoldings(self.records_page, self.account, self.show_search)
        return self.record_holdings.actions

    def _validating_changed(self, validating: bool) -> None:
        if validating:
            self.show_records()
            self.validation_dock.show()
            self.validation_dock.raise_()

    def _validation_finished(self, summary: ValidationSummary | None) -> None:
        if summary is not None:
            self.statusBar().showMessage(summary.describe())

    def _action(self, text: str, slot: object, shortcut: object = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.triggered.connect(slot)
        return action

    def _update_title(self) -> None:
        connection = self.account.effective().active.name
        self.setWindowTitle(f"{APP_NAME} — {self.account.account} — {connection}[*]")

    @property
    def options_page(self) -> ExportOptionsPage:
        """General > Admin > Export Options, built on first use."""
        if self._options_page is None:
            from app.gui.options_page import ExportOptionsPage

            page = ExportOptionsPage(self.account)
            page.goBack.connect(self.show_records)
            page.settingsApplied.connect(self._update_title)
            page.dirtyChanged.connect(self.setWindowModified)
            stand_in, own = self.undo_reset_action, page.undo_reset_action
            own.changed.connect(lambda: stand_in.setEnabled(own.isEnabled()))
            self.pages.addWidget(page)
            self._options_page = page
        return self._options_page

    def _undo_reset(self) -> None:
        self.options_page.undo_reset_action.trigger()

    def show_export_options(self) -> None:
        self.options_page.load()
        self.pages.setCurrentWidget(self.options_page)
        self.options_page.editors["format"].focus()

    def show_account_report(self) -> AccountReportDialog:
        from app.gui.account_report import AccountReportDialog

        dialog = AccountReportDialog(self.account, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_records(self) -> None:
        self.pages.setCurrentWidget(self.records_page)
        self.records_page.table.setFocus()

    def _show_counts(self, shown: int, flagged: int) -> None:
        self.statusBar().showMessage(f"{shown} records shown, {flagged} flagged for export")

    def choose_import(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(self, "Import Records", "", IMPORT_FILTER)
        if paths:
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        self.show_records()
        self.records_page.import_files(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.records_page.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.show_records()
        self.records_page.dropEvent(event)

    def _leave_options(self) -> bool:
        """Before logging off or quitting: unsaved options are settled first (or kept)."""
        page = self._options_page
        if page is not None and self.pages.currentWidget() is page and page.is_dirty():
            return page.go_back()
        return True

    def log_off(self) -> None:
        if not self._leave_options() or not self._leave_record():
            return
        if not self.exports.confirm_stop():
            return
        self.shut_down()
        self.loggedOff.emit()

    def _leave_record(self) -> bool:
        """Before logging off or quitting: a record with unsaved changes is saved or its
        changes discarded, as the cataloger answers (or they stay)."""
        return self._shut_down or self.records_page.confirm_leave()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._leave_options() or not self._leave_record() or not self.exports.confirm_stop():
            event.ignore()
            return
        self.shut_down()
        event.accept()

    def shut_down(self) -> None:
        """Keep the layout, stop the export and the page's work, end the session. Closing,
        logging off, and a stop signal (Ctrl+C in a terminal, the session ending) end here."""
        if self._shut_down:
            return
        self._shut_down = True
        # Everything is asked to stop first, so that the bounded waits below overlap
        # instead of adding up.
        search = self._search_panel
        for runner in (self.exports.runner, self.records_page.jobs):
            runner.cancel_all()
        if search is not None:
            search.jobs.cancel_all()
        if self._save_file_check is not None:
            self._save_file_check.wait()  # its connection closed before the page's
        self._save_geometry()
        self.exports.shutdown()
        if search is not None:
            search.shutdown()
        self.records_page.shutdown()
        self.account.end_session()

    def show_shortcuts(self) -> ShortcutsDialog:
        from app.gui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def about_text(self) -> str:
        """The About box: the version, and what support staff ask about an installation."""
        import html
        import platform

        return (
            f"<b>{APP_NAME} {__version__}</b>"
            "<p>Export library records to your local system over Connexion TCP/IP, or to a "
            "file.</p>"
            f"<p>Settings: {html.escape(str(paths.config_dir()))}<br>"
            f"Records: {html.escape(str(paths.data_dir()))}<br>"
            f"Passwords: {html.escape(keyring_description())}</p>"
            f"<p>Qt {qVersion()}, PySide6 {pyside_version}, Python {platform.python_version()}"
            f" on {platform.system() or 'an unknown system'}</p>"
        )

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", self.about_text())

    def _first_size(self) -> None:
        size = FIRST_SIZE
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            available = screen.availableGeometry().size()
            size = size.boundedTo(
                QSize(
                    int(available.width() * MAX_SCREEN_SHARE),
                    int(available.height() * MAX_SCREEN_SHARE),
                )
            )
        self.resize(size)

    def _save_geometry(self) -> None:
        save_layout(self, self.records_page.splitter, self.records_page.table.horizontalHeader())
