"""Export Flagged, Export Selected and the Export Log, as the main window offers them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.core.errors import ExportDeskError
from app.core.export.unsettled import split_unconfirmed
from app.core.settings.options import BY_KEY
from app.core.wording import count_of
from app.gui import messages
from app.gui.jobs import JobRunner

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from app.core.settings.account_settings import AccountSettings
    from app.gui.export_dialog import ExportDialog
    from app.gui.exporting import ClientPool
    from app.gui.records import RecordsPage

FORMAT_LABELS = dict(BY_KEY["format"].choices)


class ExportActions(QObject):
    exportStarted = Signal(object)  # the ExportDialog showing it
    optionsRequested = Signal()  # the cataloger chose to fix the settings first

    def __init__(
        self, window: QMainWindow, records_page: RecordsPage, account: AccountSettings
    ) -> None:
        super().__init__(window)
        self.window = window
        self.records_page = records_page
        self.account = account
        self.runner = JobRunner(self)  # one export at a time
        # The export's modules (the run, the transport, holdings) load with the first export.
        self._clients: ClientPool | None = None
        self.dialog: ExportDialog | None = None
        self.export_flagged_action = self._action(
            "Export &Flagged", self.export_flagged, "Ctrl+E",
            "Send every flagged record to the export destination",
        )  # fmt: skip
        self.export_selected_action = self._action(
            "&Export Selected", self.export_selected, "Ctrl+Shift+E",
            "Send the selected records now (or, with Mark for Export on, flag them)",
        )  # fmt: skip
        self.log_action = self._action(
            "Export &Log…", self.show_log, "Ctrl+L", "Every export attempt and its outcome"
        )
        self.runner.runningChanged.connect(self._running_changed)

    @property
    def actions(self) -> list[QAction]:
        return [self.export_flagged_action, self.export_selected_action, self.log_action]

    def _action(self, text: str, slot: object, shortcut: str, tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _running_changed(self, running: bool) -> None:
        self.export_flagged_action.setEnabled(not running)
        self.export_selected_action.setEnabled(not running)

    # The actions.

    def export_flagged(self) -> ExportDialog | None:
        ids = self.records_page.save_file.flagged_ids()
        if not ids:
            self.window.statusBar().showMessage("No records are flagged for export.")
            return None
        return self._start_without_unconfirmed(ids)

    def export_selected(self) -> ExportDialog | None:
        ids = self.records_page.selected_ids()
        if not ids:
            self.window.statusBar().showMessage("Select the records to export first.")
            return None
        if self.account.effective().options["mark_for_export"]:
            # Mark for Export and Save Record: flag now, send with the next Export Flagged.
            self.records_page.save_file.flag(ids)
            self.records_page.refresh()
            self.window.statusBar().showMessage(
                f"Flagged {len(ids)} records for export: they go with the next Export Flagged."
            )
            return None
        return self._start_without_unconfirmed(ids)

    def _start_without_unconfirmed(self, ids: Sequence[int]) -> ExportDialog | None:
        """Records whose export is unconfirmed may be in the local system already: they are
        left out unless the cataloger, warned, chooses to send them again."""
        if self.runner.running:
            return None
        try:
            to_send, left_out = split_unconfirmed(self.records_page.save_file, ids)
        except ExportDeskError as error:
            messages.warning(self.window, "Export", error.message)
            return None
        if left_out:
            send_again = self._ask_about_unconfirmed(len(left_out), len(to_send))
            if send_again is None:
                return None
            if send_again:
                to_send, left_out = list(ids), []
        if not to_send:
            count = len(left_out)
            self.window.statusBar().showMessage(
                f"Nothing was sent: {count_of(count, 'unconfirmed record')} left out. Mark "
                f"{'it' if count == 1 else 'those'} you find in the local system with Edit > "
                "Mark as Exported."
            )
            return None
        return self.start(to_send, left_out=left_out)

    def _ask_about_unconfirmed(self, unconfirmed: int, others: int) -> bool | None:
        """Send the unconfirmed records again (True), leave them out (False), or export
        nothing (None). Enter leaves them out: a resend can make a duplicate."""
        one = unconfirmed == 1
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unconfirmed Records",
            f"Send {count_of(unconfirmed, 'unconfirmed record')} again?",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setInformativeText(
            f"{'It was' if one else 'They were'} sent before, but no confirmation came back: "
            f"{'it' if one else 'they'} may already be in your local system, and sending "
            f"{'it' if one else 'them'} again can make "
            f"{'a duplicate' if one else 'duplicates'} there. Check the local system first, "
            "and mark what you find there with Edit > Mark as Exported."
            + (
                f"\n\nLeave Them Out sends the other {count_of(others, 'record')} only."
                if others
                else ""
            )
        )
        send = box.addButton("&Send Again", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        leave = None
        if others:
            leave = box.addButton("&Leave Them Out", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(leave or cancel)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is send:
            return True
        if leave is not None and clicked is leave:
            return False
        return None

    def start(
        self, ids: Sequence[int], *, ask: bool = True, left_out: Sequence[int] = ()
    ) -> ExportDialog | None:
        """Export these records with the settings in effect, in the background (``left_out``:
        unconfirmed records of the cataloger's choice not sent, which the dialog reports)."""
        if self.runner.running:
            return None
        account = self.account
        settings = account.effective()
        errors, _ = account.check(settings)
        if errors:
            problem = errors[0]
            answer = messages.warning(
                self.window,
                "Export",
                f"The export settings need attention first: {problem.key}: {problem.message}."
                "\n\nOpen Export Options?",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Open:
                self.optionsRequested.emit()
            return None
        fmt = None
        if settings.options["destination"] == "file" and settings.options["format"] == "none":
            fmt = self._ask_format() if ask else "marc"
            if fmt is None:
                return None
        active = settings.active_id
        from app.gui import exporting
        from app.gui.export_dialog import ExportDialog

        if self._clients is None:
            self._clients = exporting.ClientPool()
        work = exporting.export_work(
            self.records_page.save_file.path,
            settings,
            ids,
            fmt,
            lambda: account.password(active),
            self._clients,
            account=account.account,
        )
        job = self.runner.start(work, name="export")
        dialog = ExportDialog(job, self.window, left_out=left_out)
        dialog.retryRequested.connect(lambda ids: self.start(ids))
        dialog.resendRequested.connect(lambda ids: self.start(ids))
        dialog.recordRequested.connect(self.records_page.open_record_at_problem)
        # The list follows the save file by itself (it notices other connections' commits
        # within a second); once more at the end, so the last statuses show at once. (A
        # slot, not a lambda: a run that outlives the window must find no page to refresh.)
        job.ended.connect(self.records_page.refresh)
        self.dialog = dialog
        dialog.show()
        self.exportStarted.emit(dialog)
        return dialog

    def _ask_format(self) -> str | None:
        from app.core.export.run import FILE_FORMATS

        labels = [FORMAT_LABELS[value] for value in FILE_FORMATS]
        label, ok = messages.get_item(
            self.window,
            "Export Format",
            "Export the flagged bibliographic records as:",
            labels,
        )
        return FILE_FORMATS[labels.index(label)] if ok else None

    def show_log(self) -> None:
        from app.gui.export_log import ExportLogDialog

        ExportLogDialog(self.records_page.save_file, self.window).exec()

    def confirm_stop(self) -> bool:
        """Before log off or quit: an export under way is cancelled (after asking)."""
        if not self.runner.running:
            return True
        answer = messages.question(
            self.window,
            "Export Under Way",
            "An export is running. Stop it? It stops within a few seconds: a record sent "
            "without a reply yet is marked unconfirmed, and the records not sent stay flagged.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.runner.cancel_all()  # shutdown() waits for it, a few seconds at most
        return True

    def shutdown(self) -> None:
        """Cancel the run under way and wait a few seconds at most (exporting.STOP_SECONDS)
        for it: one that has not stopped by then goes on to its end unwatched; every record
        not sent by then is ``cancelled``, one sent without a reply ``unconfirmed``."""
        if self._clients is None:  # no export was started: nothing to wait for
            self.runner.shutdown(0)
            return
        from app.gui import exporting

        self.runner.shutdown(exporting.STOP_SECONDS)
        self._clients.close()  # at once, or when the run still under way ends
