"""The list of the save file's records: its columns, and its selection kept across a refresh
(the records selected stay selected wherever they moved, see records.model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QItemSelectionRange, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

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
from app.gui.row_list import set_up_row_list

# Beyond this many selected rows a refresh keeps "everything selected", or else nothing
# (never other rows), rather than looking up where each one went.
MAX_REMEMBERED_SELECTION = 5000


class RecordsTable(QTableView):
    """The records, a row each; ``guarded`` runs a save-file call, a problem said in a box."""

    currentLost = Signal()  # after a refresh the current record is no longer in the list
    selectionRestored = Signal()  # the selection is back after a refresh

    def __init__(
        self,
        model: RecordsModel,
        guarded: Callable[[Callable[[], Any]], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._records = model
        self._guarded = guarded
        # (selected ids, or None for "all rows"; the current record's id; the scroll position)
        self._remembered: tuple[list[int] | None, int | None, int] | None = None
        set_up_row_list(self, model, "Records")
        self._set_up_header()
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        # First of the selection's listeners: the rows keep the records they have now.
        self.selectionModel().selectionChanged.connect(self._hold_selected)

    def _set_up_header(self) -> None:
        header = self.horizontalHeader()
        # The header would look through every selected row to shade fully selected columns
        # on each repaint (700,000 calls with 100,000 rows selected); give it a selection of
        # its own that stays empty.
        self._header_selection = QItemSelectionModel(self._records, self)
        header.setSelectionModel(self._header_selection)
        header.setSortIndicatorClearable(True)  # a third click goes back to import order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        header.setStretchLastSection(False)
        metrics = self.fontMetrics()
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

    # -- what is selected ----------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected records in list order (the current one when nothing is selected):
        those the rows showed when selected, even when the list has moved since."""
        ranges = self.selected_ranges()
        return self._records.ids_in_ranges(ranges) if ranges else []

    def selected_ranges(self) -> list[tuple[int, int]]:
        """The selected rows as (top, bottom) ranges; the current row when none is selected."""
        ranges = [(r.top(), r.bottom()) for r in _ranges(self.selectionModel().selection())]
        if not ranges:
            current = self.currentIndex()
            if current.isValid():
                ranges = [(current.row(), current.row())]
        return ranges

    # -- keeping the selection across a refresh ------------------------------------------

    def _hold_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        ranges = [(r.top(), r.bottom()) for r in _ranges(selected)]
        if ranges:
            self._guarded(lambda: self._records.hold(ranges))

    def _remember_selection(self) -> None:
        selection = self.selectionModel()
        ranges = [(r.top(), r.bottom()) for r in _ranges(selection.selection())]
        size = sum(bottom - top + 1 for top, bottom in ranges)
        everything = size > 0 and size == self._records.rowCount()
        ids: list[int] | None = None if everything else []
        if not everything and size <= MAX_REMEMBERED_SELECTION:
            # The records the rows stand for: those the cataloger saw highlighted.
            ids = self._guarded(lambda: self._records.ids_in_ranges(ranges)) or []
        current = selection.currentIndex()
        current_id = self._records.record_id(current.row()) if current.isValid() else None
        self._remembered = (ids, current_id, self.verticalScrollBar().value())

    def _restore_selection(self) -> None:
        if self._remembered is None:
            return
        ids, current_id, scrolled = self._remembered
        self._remembered = None
        model, selection_model = self._records, self.selectionModel()
        wanted = list(ids or [])
        if current_id is not None:
            wanted.append(current_id)
        positions: dict[int, int] = {}
        if wanted:
            positions = self._guarded(lambda: model.rows_of(wanted)) or {}
        self.verticalScrollBar().setValue(scrolled)
        if ids is None:
            self.selectAll()
        elif ids:
            selection = QItemSelection()
            last_column = model.columnCount() - 1
            rows = sorted(positions[i] for i in ids if i in positions)
            for top, bottom in consecutive_runs(rows):
                selection.select(model.index(top, 0), model.index(bottom, last_column))
            selection_model.select(selection, QItemSelectionModel.SelectionFlag.Select)
        if current_id is not None and current_id in positions:
            selection_model.setCurrentIndex(
                model.index(positions[current_id], 0),
                QItemSelectionModel.SelectionFlag.NoUpdate,
            )
        elif current_id is not None:
            self.currentLost.emit()
        self.selectionRestored.emit()


def _ranges(selection: QItemSelection) -> list[QItemSelectionRange]:
    """A selection's ranges (PySide6 iterates a QItemSelection; its stubs don't say so)."""
    return [selection.at(number) for number in range(selection.count())]
