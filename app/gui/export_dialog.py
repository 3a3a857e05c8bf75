"""The export under way, then its report: progress, replies, and what to do with failures."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.atomicfile import write_atomic
from app.core.export.run import RecordOutcome, RecordStarted, summarize
from app.core.store.savefile import OUTCOME_NAMES
from app.core.wording import count_of
from app.gui.exporting import ExportStarted
from app.gui.jobs import Job
from app.gui.sizing import fit_title

RETRYABLE = ("rejected", "invalid", "not_sent")
SHOWN_REPLIES = 200  # the live list keeps the newest replies


class ExportDialog(QDialog):
    retryRequested = Signal(list)  # record ids
    resendRequested = Signal(list)  # record ids, unconfirmed: the host may hold them
    recordRequested = Signal(int)  # an invalid record double-clicked: open it at its problem

    def __init__(
        self,
        job: Job,
        parent: QWidget | None = None,
        *,
        left_out: Sequence[int] = (),
    ) -> None:
        """``job``: the export's (app/gui/exporting.py ``export_work``); ``left_out``: the
        unconfirmed records the cataloger chose not to send again."""
        super().__init__(parent)
        self.setWindowTitle("Export")
        fit_title(self)
        self.setObjectName("exportDialog")
        self.resize(760, 520)
        self.outcomes: list[RecordOutcome] = []
        self.left_out = list(left_out)
        self.destination = ""
        self.total = 0
        self._started = time.monotonic()
        self._finished = False
        self.stopped_because = ""  # why the run stopped before its end, when it did
        self.job = job
        self._build()
        job.progressed.connect(self._progressed)
        job.finished.connect(self._run_finished)
        job.cancelled.connect(self._run_finished)  # its report tells what was cancelled
        job.failed.connect(self._run_failed)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.heading = QLabel("Starting the export…")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Export progress")
        self.progress.setFormat("%v of %m")
        layout.addWidget(self.progress)
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Record being exported")
        layout.addWidget(self.current)
        self.timing = QLabel()
        self.timing.setAccessibleName("Export rate and time left")
        layout.addWidget(self.timing)
        self.replies = QPlainTextEdit()
        self.replies.setReadOnly(True)
        self.replies.setMaximumBlockCount(SHOWN_REPLIES)
        self.replies.setAccessibleName("Replies from the host")
        layout.addWidget(self.replies, 1)
        self.failures = QTableWidget(0, 4)
        self.failures.setHorizontalHeaderLabels(["Record", "Title", "Outcome", "Why"])
        self.failures.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.failures.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.failures.setAccessibleName("Records not exported")
        self.failures.verticalHeader().setVisible(False)  # the Record column says which
        self.failures.setVisible(False)
        self.failures.cellDoubleClicked.connect(self._failure_opened)
        self._failed: list[RecordOutcome] = []
        layout.addWidget(self.failures, 2)

        buttons = QHBoxLayout()
        self.cancel_button = self._button("&Cancel", self.cancel, buttons)
        self.retry_button = self._button("&Retry Failed", self._retry, buttons)
        self.resend_button = self._button("Resend &Unconfirmed…", self._resend, buttons)
        self.copy_button = self._button("C&opy Report", self.copy_report, buttons)
        self.save_button = self._button("&Save Report…", self.save_report, buttons)
        buttons.addStretch(1)
        self.close_button = self._button("C&lose", self.accept, buttons)
        for button in (
            self.retry_button, self.resend_button, self.copy_button, self.save_button,
            self.close_button,
        ):  # fmt: skip
            button.setVisible(False)
        layout.addLayout(buttons)

    @staticmethod
    def _button(text: str, slot: object, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # While it runs.

    def _run_started(self, destination: str, total: int) -> None:
        self.destination, self.total = destination, total
        self._started = time.monotonic()
        self.heading.setText(
            f"Exporting {count_of(total, 'record')} to {destination}.{self._left_out_text()}"
        )
        self.progress.setRange(0, total)
        self.progress.setValue(0)

    def _progressed(self, events: list[object]) -> None:
        current: RecordStarted | None = None
        outcomes: list[RecordOutcome] = []
        for event in events:
            if isinstance(event, ExportStarted):
                self._run_started(event.destination, event.total)
            elif isinstance(event, RecordStarted):
                current = event
            elif isinstance(event, RecordOutcome):
                outcomes.append(event)
        if current is not None:
            self.current.setText(f"Record {current.index + 1} of {current.total}: {current.title}")
        if not outcomes:
            return
        self.outcomes.extend(outcomes)
        done = len(self.outcomes)
        # The bar shows the records dealt with: those cancelled were not.
        self.progress.setValue(sum(o.outcome != "cancelled" for o in self.outcomes))
        elapsed = time.monotonic() - self._started
        if elapsed > 0 and done < self.total:
            rate = done / elapsed
            left = (self.total - done) / rate
            self.timing.setText(f"{rate:.1f} records a second, about {_duration(left)} left")
        lines = []
        for outcome in outcomes[-SHOWN_REPLIES:]:
            reason = f": {outcome.reason}" if outcome.reason else ""
            lines.append(f"{_label(outcome)} — {OUTCOME_NAMES[outcome.outcome]}{reason}")
            lines += [f"    note: {warning}" for warning in outcome.warnings]
        self.replies.appendPlainText("\n".join(lines))

    def cancel(self) -> None:
        """Stop before the next record; the one under way finishes (or times out) first."""
        self.job.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.heading.setText("Cancelling: the record under way finishes first…")

    # The report.

    def _run_finished(self, outcomes: list[RecordOutcome]) -> None:
        self.outcomes = list(outcomes)
        self.heading.setText(
            f"Export to {self.destination} finished: {count_of(len(self.outcomes), 'record')}"
            f" ({self._counts_text()}).{self._left_out_text()}"
        )
        self._show_report()

    def _left_out_text(self) -> str:
        count = len(self.left_out)
        if not count:
            return ""
        one = count == 1
        return (
            f" {count} unconfirmed record{'' if one else 's'} left out: "
            f"{'it' if one else 'they'} may already be in the local system."
        )

    def _counts_text(self) -> str:
        counts = summarize(self.outcomes)
        return ", ".join(
            f"{OUTCOME_NAMES[key].lower()} {count}" for key, count in counts.items() if count
        )

    def _show_report(self) -> None:
        """The outcomes so far, the records not exported, and what can be done about them."""
        self._finished = True
        self.current.clear()
        self.timing.clear()
        failed = [o for o in self.outcomes if o.outcome != "exported"]
        self._failed = failed
        self.failures.setRowCount(len(failed))
        for row, outcome in enumerate(failed):
            for column, text in enumerate(
                (
                    str(outcome.record_id),
                    outcome.title,
                    OUTCOME_NAMES[outcome.outcome],
                    outcome.reason,
                )
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(
                    f"{text}\nDouble-click to open the record at its problem"
                    if outcome.outcome == "invalid"
                    else text
                )
                self.failures.setItem(row, column, item)
        self.failures.setVisible(bool(failed))
        self.cancel_button.setVisible(False)
        self.retry_button.setVisible(True)
        self.retry_button.setEnabled(any(o.outcome in RETRYABLE for o in self.outcomes))
        self.resend_button.setVisible(True)
        self.resend_button.setEnabled(bool(self._unconfirmed_ids()))
        for button in (self.copy_button, self.save_button, self.close_button):
            button.setVisible(True)
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    def _failure_opened(self, row: int, _column: int) -> None:
        """An invalid record double-clicked: the editor opens it at its first problem."""
        if 0 <= row < len(self._failed) and self._failed[row].outcome == "invalid":
            self.recordRequested.emit(self._failed[row].record_id)

    def _run_failed(self, message: str) -> None:
        self.stopped_because = message
        self.heading.setStyleSheet("color: #b00020;")
        if not self.outcomes:
            self._finished = True
            self.heading.setText(f"The export could not run: {message}")
            self.cancel_button.setVisible(False)
            self.close_button.setVisible(True)
            self.close_button.setFocus()
            return
        # Every outcome so far stays (each is in the save file); the records after them
        # were not sent and stay flagged.
        left = max(self.total - len(self.outcomes), 0)
        said = message if message.endswith((".", "!", "?")) else f"{message}."
        self.heading.setText(
            f"The export stopped: {said} {len(self.outcomes)} of "
            f"{count_of(self.total, 'record')} {'has' if len(self.outcomes) == 1 else 'have'} "
            f"an outcome ({self._counts_text()}); {left} {'was' if left == 1 else 'were'} not "
            "sent and stay flagged."
            f"{self._left_out_text()}"
        )
        self._show_report()

    @property
    def finished_running(self) -> bool:
        return self._finished

    def report_text(self) -> str:
        counts = summarize(self.outcomes)
        lines = [
            f"ExportDesk export report, {datetime.now():%Y-%m-%d %H:%M}",
            f"Destination: {self.destination}",
            f"Records: {len(self.outcomes)}",
        ]
        lines += [f"  {OUTCOME_NAMES[key]}: {count}" for key, count in counts.items() if count]
        if self.stopped_because:
            left = max(self.total - len(self.outcomes), 0)
            lines.append(f"Stopped: {self.stopped_because}")
            lines.append(f"Not sent, still flagged: {left}")
        if self.left_out:
            lines.append(
                f"Unconfirmed, left out: {len(self.left_out)} (sent before without a "
                "confirmation: they may already be in the local system)"
            )
            lines += [f"  Record {record_id}" for record_id in self.left_out]
        failed = [o for o in self.outcomes if o.outcome != "exported"]
        if failed:
            lines.append("Not exported:")
            lines += [f"  {_label(o)}: {OUTCOME_NAMES[o.outcome]}: {o.reason}" for o in failed]
        noted = [o for o in self.outcomes if o.warnings]
        if noted:  # characters written as &#xXXXX;, sent despite validation errors...
            lines.append("Notes:")
            lines += [f"  {_label(o)}: {warning}" for o in noted for warning in o.warnings]
        exported = [o for o in self.outcomes if o.outcome == "exported" and (o.local_id or o.reply)]
        if exported:
            lines.append("Exported:")
            for o in exported:
                where = f" (local system id {o.local_id})" if o.local_id else ""
                lines.append(f"  {_label(o)}{where}: {o.reply or o.detail or ''}")
        return "\n".join(lines) + "\n"

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())

    def save_report(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save Report", "export-report.txt", "Text (*.txt)"
        )
        if name:
            write_atomic(Path(name), self.report_text())

    def _retry(self) -> None:
        ids = [o.record_id for o in self.outcomes if o.outcome in RETRYABLE]
        self.retryRequested.emit(ids)
        self.accept()

    def _unconfirmed_ids(self) -> list[int]:
        """This run's unconfirmed records and those it left out."""
        sent = [o.record_id for o in self.outcomes if o.outcome == "unconfirmed"]
        return list(dict.fromkeys([*sent, *self.left_out]))

    def _resend(self) -> None:
        ids = self._unconfirmed_ids()
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Resend Unconfirmed Records",
            f"The host may already hold {'this' if len(ids) == 1 else 'these'} "
            f"{count_of(len(ids), 'record')}: sent but no "
            "confirmation came back. Sending them again can make duplicates in your local "
            "system. Check there first.\n\nResend them anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        fit_title(box)
        if box.exec() == QMessageBox.StandardButton.Yes:
            self.resendRequested.emit(ids)
            self.accept()

    def reject(self) -> None:
        """Escape or the window's close button: cancel first while the export runs."""
        if not self._finished:
            self.cancel()
            return
        super().reject()


def _label(outcome: RecordOutcome) -> str:
    title = f" {outcome.title}" if outcome.title else ""
    return f"Record {outcome.record_id}{title}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = seconds / 60
    return f"{round(minutes)} min" if minutes < 90 else f"{minutes / 60:.1f} h"
