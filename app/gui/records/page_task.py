"""A task of the records page (importing, validating): one job at a time of the page's
runner, shown while it runs in a row under the list with a bar and a Cancel button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.gui.jobs import Job, JobRunner, Work

if TYPE_CHECKING:
    from app.gui.records.page_base import PageBase

STEPS = 1000  # the bar's range: a fraction done, to a thousandth


class ProgressRow(QWidget):
    """What the task is doing, a bar, and its Cancel button; hidden until it begins."""

    def __init__(self, bar_name: str, cancel_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setAccessibleName(bar_name)
        self.cancel_button = QPushButton(cancel_text)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        self.hide()

    def begin(self, text: str) -> None:
        """Shown from the start: ``text``, the bar empty, Cancel ready."""
        self.label.setText(text)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_fraction(self, done: float) -> None:
        self.bar.setValue(int(done * STEPS))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")


class PageTask(QObject):
    """Subclasses start their job with :meth:`_start` and say what its news means in
    ``progressed``, ``done``, ``stopped``, ``job_ended`` and ``idle``. Once the page has
    shut the task down, nothing of the job is heard."""

    finished = Signal(object)  # the job's result (also when cancelled), or None: it failed
    runningChanged = Signal(bool)

    def __init__(self, page: PageBase, runner: JobRunner, row: ProgressRow) -> None:
        super().__init__(page)
        self._page = page
        self._runner = runner
        self._job: Job | None = None
        self._closed = False
        self.row = row
        row.cancel_button.clicked.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def cancelling(self) -> bool:
        return self._job is not None and self._job.cancel_requested

    def _start(self, work: Work, name: str, row_text: str | None) -> Job:
        """Start the job; the row shows ``row_text`` (None: the row stays hidden)."""
        job = self._runner.start(work, name=name)
        job.progressed.connect(self._progressed)
        job.finished.connect(self._done)
        job.cancelled.connect(self._done)  # the result says it was cancelled
        job.failed.connect(self._stopped)
        job.ended.connect(self._ended)
        self._job = job
        if row_text is not None:
            self.row.begin(row_text)
        self.runningChanged.emit(True)
        return job

    @Slot()
    def cancel(self) -> None:
        """Stop after the current record; what was done so far stays."""
        if self._job is not None:
            self._job.cancel()
            self.row.cancelling()

    def shutdown(self) -> None:
        """Cancel, and hear no more of the job (the page's runner waits for it)."""
        self.cancel()
        self._closed = True
        self._job = None

    # -- what the subclass does with the job's news --------------------------------------

    def progressed(self, items: list[object]) -> None:
        """Items the work reported."""

    def done(self, result: object) -> None:
        """The work's result (before ``finished``)."""

    def stopped(self, message: str) -> None:
        """Why the work failed (before ``finished(None)``)."""

    def job_ended(self) -> None:
        """However it ended, with the row hidden (before ``runningChanged(False)``)."""

    def idle(self) -> None:
        """After ``runningChanged(False)``: another job may start."""

    @Slot(list)
    def _progressed(self, items: list[object]) -> None:
        if not self._closed:
            self.progressed(items)

    @Slot(object)
    def _done(self, result: object) -> None:
        if not self._closed:
            self.done(result)
            self.finished.emit(result)

    @Slot(str)
    def _stopped(self, message: str) -> None:
        if not self._closed:
            self.stopped(message)
            self.finished.emit(None)

    @Slot()
    def _ended(self) -> None:
        self._job = None
        if self._closed:
            return
        self.row.hide()
        self.job_ended()
        self.runningChanged.emit(False)
        self.idle()
