"""Importing into the save file: the core's ImportJob as a job of app/gui/jobs.py, the page's
progress and summary rows, and the duplicate question put to the cataloger."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.store.savefile import SaveFile
from app.core.wording import count_of
from app.gui.jobs import JobContext, JobRunner, Work
from app.gui.records.page_task import PageTask, ProgressRow

if TYPE_CHECKING:
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    # The importer (and its readers) loads with the first import, not with the window.
    from app.core.store.importer import (
        DuplicateAction,
        DuplicateDecision,
        DuplicateQuestion,
        ImportProgress,
        ImportResult,
    )
    from app.gui.records.page_base import PageBase

REFRESH_DURING_IMPORT_SECONDS = 1.0


def import_work(save_file_path: Path, files: Sequence[Path | str]) -> Work:
    """One import as a job's work, on its own connection to the save file: it reports each
    ImportProgress, asks about duplicates, and returns the ImportResult."""
    from app.core.store.importer import DuplicateDecision, ImportJob

    paths = list(files)
    # A cancel answers the duplicate question this way, for the rest of the import.
    skip_the_rest = DuplicateDecision("skip", apply_to_all=True)

    def work(context: JobContext) -> ImportResult:
        def ask(question: DuplicateQuestion) -> DuplicateDecision:
            return context.ask(question, skip_the_rest)

        with SaveFile(save_file_path) as save_file:
            job = ImportJob(save_file, paths, ask, context.cancel)
            for step in job.run():
                context.report(step)
        return job.result

    return work


class Importer(PageTask):
    """Imports files one batch at a time (files asked for meanwhile wait their turn) and
    shows how it goes in its two rows: ``progress_box`` while it runs (with Cancel), then
    ``summary_box``. ``finished``: the ImportResult (also cancelled), or None."""

    def __init__(self, page: PageBase, runner: JobRunner) -> None:
        super().__init__(page, runner, ProgressRow("Import progress", "&Cancel import"))
        self._queued: list[Path] = []
        self.duplicate_dialog: DuplicateDialog | None = None
        self.problems_dialog: QDialog | None = None
        self.last_result: ImportResult | None = None
        self.progress_box = self.row
        self.progress_bar = self.row.bar
        self.cancel_button = self.row.cancel_button

        self.summary_box = QWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import result")
        self.details_button = QPushButton("Show &problems…")
        self.details_button.clicked.connect(self.show_problems)
        row = QHBoxLayout(self.summary_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary, 1)
        row.addWidget(self.details_button)
        self.summary_box.hide()

    def import_files(self, paths: Sequence[Path | str]) -> None:
        """Import these files in the background (after the current import, if one runs)."""
        files = [Path(p) for p in paths]
        if not files or self._closed:
            return
        if self.running:
            self._queued.extend(files)
            return
        self.summary_box.hide()
        names = files[0].name if len(files) == 1 else f"{len(files)} files"
        work = import_work(self._page.save_file.path, files)
        job = self._start(work, "import", f"Importing {names}…")
        job.asked.connect(self._ask_about_duplicate)

    @Slot()
    def cancel(self) -> None:
        """Stop after the current record; what was imported so far stays."""
        super().cancel()
        if self.duplicate_dialog is not None:
            self.duplicate_dialog.reject()

    def shutdown(self) -> None:
        self._queued.clear()
        super().shutdown()

    def progressed(self, items: list[object]) -> None:
        progress = cast("ImportProgress", items[-1])  # the last says where it is
        self.row.show_fraction(progress.fraction)
        if not self.cancelling:
            name = Path(progress.file).name
            place = (
                f" ({progress.file_index} of {progress.file_count})"
                if progress.file_count > 1
                else ""
            )
            self.row.label.setText(f"Importing {name}{place}: {progress.imported:,} imported")
        # New rows appear while the import goes on.
        self._page.refresh(unless_within=REFRESH_DURING_IMPORT_SECONDS)

    @Slot(object)
    def _ask_about_duplicate(self, question: DuplicateQuestion) -> None:
        job = self._job
        if job is None or self._closed:
            return
        dialog = DuplicateDialog(question, self._page)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.duplicate_dialog = dialog

        def answered(_result: int) -> None:
            self.duplicate_dialog = None
            job.answer(dialog.decision())
            dialog.deleteLater()

        dialog.finished.connect(answered)
        dialog.open()

    def done(self, result: object) -> None:
        from app.core.store.importer import ImportResult

        assert isinstance(result, ImportResult)
        self.last_result = result
        parts = [f"Imported {count_of(result.imported, 'record')}"]
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

    def stopped(self, message: str) -> None:
        self.summary.setText(f"The import stopped: {message}")
        self.details_button.hide()
        self.summary_box.show()

    def job_ended(self) -> None:
        self._page.refresh()

    def idle(self) -> None:
        if self._queued:
            queued, self._queued = self._queued, []
            self.import_files(queued)

    def show_problems(self) -> None:
        """The records the last import could not read, and its notes, in a dialog."""
        result = self.last_result
        if result is None:
            return
        lines = [f"Could not read {error.describe()}" for error in result.errors]
        lines += [f"Note: {warning.describe()}" for warning in result.warnings]
        dialog = QDialog(self._page)
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


def dropped_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    """The files dragged or dropped, when all it carries are local files."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not all(url.isLocalFile() for url in urls):
        return []
    return [Path(url.toLocalFile()) for url in urls]


class DuplicateDialog(QDialog):
    """Replace, keep both, or skip a record already in the save file."""

    def __init__(self, question: DuplicateQuestion, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record already in the save file")
        self.question = question
        self.action: DuplicateAction = "skip"
        existing = question.existing
        number = existing.number or "(no number)"
        text = (
            f"Record {question.record} of {Path(question.file).name} is already in the save "
            f"file:<br><br><b>{_escape(number)}</b> {_escape(existing.title)}"
            f"<br><br>The new copy: {_escape(question.new.title)}"
        )
        label = QLabel(text)
        label.setWordWrap(True)
        self.apply_to_all = QCheckBox("&Apply to all duplicates in this import")
        buttons = QDialogButtonBox()
        self.replace_button = QPushButton("&Replace")
        self.replace_button.setToolTip(
            "Put the new copy in place of the saved one (keeps its flag)"
        )
        self.keep_button = QPushButton("&Keep both")
        self.skip_button = QPushButton("&Skip")
        self.skip_button.setToolTip("Leave the saved record as it is")
        for button, role in (
            (self.replace_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.skip_button, QDialogButtonBox.ButtonRole.RejectRole),
        ):
            buttons.addButton(button, role)
        self.replace_button.clicked.connect(lambda: self._choose("replace"))
        self.keep_button.clicked.connect(lambda: self._choose("keep"))
        self.skip_button.clicked.connect(lambda: self._choose("skip"))
        self.skip_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.apply_to_all)
        layout.addWidget(buttons)

    def _choose(self, action: DuplicateAction) -> None:
        self.action = action
        if action == "skip":
            self.reject()
        else:
            self.accept()

    def decision(self) -> DuplicateDecision:
        """What was chosen; closing the dialog (Esc) means skip."""
        from app.core.store.importer import DuplicateDecision

        return DuplicateDecision(self.action, self.apply_to_all.isChecked())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
