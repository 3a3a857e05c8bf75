"""The record list's model: a window on the save file that loads rows a page at a time.

The row count comes from one COUNT query, so the scroll bar is right from the start and
100,000 records open at once; rows are fetched in pages of 200 when the view asks for them
and kept in a small cache. Sorting and filtering are SQL (RecordQuery).

Until the next refresh, each row stands for one record: the one the list showed there, or
had there when the row was selected (``hold``). Another connection (an export, another
process) can move rows in the save file at any moment, and the list hears of it up to a
second later; so the records an action takes are the ids the rows stand for
(``ids_in_ranges``), never a fresh look-up by position.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.core.marc.summary import RECORD_TYPE_NAMES
from app.core.store.savefile import (
    OUTCOME_NAMES,
    VALIDATION_STATE_NAMES,
    RecordNotFound,
    RecordQuery,
    RecordRow,
    SaveFile,
    SortKey,
)
from app.core.validation.stored import LEVEL_NAMES, counts_text, messages_from_detail
from app.gui.validation_icons import state_icon

PAGE_SIZE = 200
MAX_CACHED_PAGES = 50
RECENT_PAGES = 4  # more than a screenful of rows, however tall the screen

# (sort key, header) in the order the columns show.
COLUMNS: tuple[tuple[SortKey, str], ...] = (
    ("flag", "Flag"),
    ("number", "OCLC number"),
    ("title", "Title"),
    ("type", "Type"),
    ("encoding", "Encoding"),
    ("status", "Status"),
    ("validation", "Validation"),
    ("last_exported", "Last exported"),
)
FLAG, NUMBER, TITLE, TYPE, ENCODING, STATUS, VALIDATION, LAST_EXPORTED = range(len(COLUMNS))
_COLUMN_COUNT = len(COLUMNS)
RecordIdRole = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
_CELL = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_FLAG_CELL = _CELL | Qt.ItemFlag.ItemIsUserCheckable


class RecordsModel(QAbstractTableModel):
    """Rows of the save file as the list shows them; ``refresh()`` re-reads them."""

    # Emitted after every change of what the model holds: total shown, total flagged.
    countsChanged = Signal(int, int)

    def __init__(self, save_file: SaveFile, parent: Any = None) -> None:
        super().__init__(parent)
        self._save_file = save_file
        self._query = RecordQuery()
        self._count = save_file.count(self._query)
        self._flagged = save_file.flagged_count()
        self._pages: OrderedDict[int, list[RecordRow | None]] = OrderedDict()
        # The id each row stands for, by page, since the last refresh: kept when pages of
        # rows leave the cache (8 bytes a row).
        self._held: dict[int, array[int]] = {}

    # -- what is shown -------------------------------------------------------------------

    @property
    def query(self) -> RecordQuery:
        return self._query

    def set_query(self, query: RecordQuery) -> None:
        if query != self._query:
            self._query = query
            self.refresh()

    @property
    def cached_rows(self) -> int:
        """How many rows are held in memory now (a few pages, however long the list)."""
        return sum(len(page) for page in self._pages.values())

    @property
    def flagged_count(self) -> int:
        return self._flagged

    def refresh(self) -> None:
        """Read the rows again (after an import, an export, a change by another connection)."""
        self.beginResetModel()
        self._pages.clear()
        self._held.clear()
        self._count = self._save_file.count(self._query)
        self._flagged = self._save_file.flagged_count()
        self.endResetModel()
        self.countsChanged.emit(self._count, self._flagged)

    def _page(self, number: int) -> list[RecordRow | None]:
        page = self._pages.get(number)
        if page is None:
            page = self._read_page(number)
            self._pages[number] = page
            if len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page

    def _read_page(self, number: int) -> list[RecordRow | None]:
        rows: list[RecordRow | None] = list(
            self._save_file.rows(self._query, number * PAGE_SIZE, PAGE_SIZE)
        )
        ids = array("q", (row.id for row in rows if row is not None))
        held = self._held.get(number)
        if held is None:
            self._held[number] = ids
        elif ids != held:
            # Rows moved in the save file since these rows were shown or selected (the
            # refresh comes within a second): until then they show the records they stand
            # for, so what is highlighted is what an action takes.
            rows = [self._stored_row(record_id) for record_id in held]
        return rows

    def _stored_row(self, record_id: int) -> RecordRow | None:
        try:
            return self._save_file.get(record_id)
        except RecordNotFound:  # deleted by another connection: an empty row until refresh
            return None

    def record(self, row: int) -> RecordRow | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def record_id(self, row: int) -> int | None:
        """The id of the record this row stands for (see the module's text)."""
        if not 0 <= row < self._count:
            return None
        self.hold([(row, row)])
        held = self._held[row // PAGE_SIZE]
        offset = row % PAGE_SIZE
        return held[offset] if offset < len(held) else None

    def hold(self, ranges: Iterable[tuple[int, int]]) -> None:
        """Make rows ``top`` to ``bottom`` of each range stand for the records the list has
        there now, unless they stand for some already: called as rows get selected, so that
        a selection keeps its records even where the list was never shown."""
        last = self._count - 1
        missing = sorted(
            {
                page
                for top, bottom in ranges
                for page in range(max(top, 0) // PAGE_SIZE, min(bottom, last) // PAGE_SIZE + 1)
                if page not in self._held
            }
        )
        for first, final in consecutive_runs(missing):
            ids = self._save_file.ids(
                self._query, first * PAGE_SIZE, (final - first + 1) * PAGE_SIZE
            )
            for page in range(first, final + 1):
                start = (page - first) * PAGE_SIZE
                self._held[page] = array("q", ids[start : start + PAGE_SIZE])

    def ids_in_ranges(self, ranges: Iterable[tuple[int, int]]) -> list[int]:
        """The ids of rows ``top`` to ``bottom`` (inclusive) of each range, in list order:
        the records those rows stand for, wherever the save file has them now."""
        wanted = sorted(ranges)
        self.hold(wanted)
        ids: list[int] = []
        for top, bottom in wanted:
            row, bottom = max(top, 0), min(bottom, self._count - 1)
            while row <= bottom:
                page, offset = divmod(row, PAGE_SIZE)
                end = min(bottom, (page + 1) * PAGE_SIZE - 1)
                ids.extend(self._held[page][offset : offset + end - row + 1])
                row = end + 1
        return list(dict.fromkeys(ids))

    def rows_of(self, record_ids: Sequence[int]) -> dict[int, int]:
        """The rows that stand for these records now (those the list shows)."""
        wanted = set(record_ids)
        rows: dict[int, int] = {}
        if self._held:
            for page, held in self._held.items():
                for offset, record_id in enumerate(held):
                    if record_id in wanted:
                        rows[record_id] = page * PAGE_SIZE + offset
        others = [record_id for record_id in dict.fromkeys(record_ids) if record_id not in rows]
        if others:
            # Where the save file has them; a row that stands for another record is not theirs.
            found = self._save_file.positions(self._query, others)
            self.hold((row, row) for row in found.values())
            rows.update(
                (record_id, row)
                for record_id, row in found.items()
                if self.record_id(row) == record_id
            )
        return rows

    # -- Qt's model interface ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Precomputed: Qt asks for every cell of a selection (700,000 times when all of
        # 100,000 rows are selected).
        return _FLAG_CELL if index.column() == FLAG else _CELL

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.record(index.row())
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.CheckStateRole and column == FLAG:
            return Qt.CheckState.Checked if record.flagged else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and column == VALIDATION:
            return state_icon(record.validation_state)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == FLAG:
                return "Flagged" if record.flagged else "Not flagged"
            if column == VALIDATION and record.validation_state is None:
                return "Not validated"
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS and (record.status_detail or record.local_system_id):
                local = (
                    f"\nIn the local system: {record.local_system_id}"
                    if record.local_system_id
                    else ""
                )
                return f"{record.status_detail or ''}{local}".strip()
            if column == VALIDATION:
                return _validation_tip(record)
            if column == NUMBER and record.control_number:
                return f"001: {record.control_number}"
            if column == TITLE:
                return record.title
        if role == RecordIdRole:
            return record.id
        return None

    @staticmethod
    def _text(record: RecordRow, column: int) -> str:
        if column == NUMBER:
            return record.number
        if column == TITLE:
            return record.title
        if column == TYPE:
            return RECORD_TYPE_NAMES.get(record.record_type, record.record_type)
        if column == ENCODING:
            return record.encoding
        if column == STATUS:
            return OUTCOME_NAMES.get(record.status or "", "")
        if column == VALIDATION:
            return VALIDATION_STATE_NAMES.get(record.validation_state or "", "")
        if column == LAST_EXPORTED and record.last_exported is not None:
            return iso_minutes(record.last_exported)
        return ""

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Ticking the flag box flags the record (the only thing editable in the list)."""
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != FLAG:
            return False
        record_id = self.record_id(index.row())
        if record_id is None:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self._save_file.set_flagged([record_id], checked)
        self.refresh_flags()
        return True

    def refresh_flags(self) -> None:
        """After flags changed: re-read the rows in place, when the rows shown stay the same.

        A flagged-only view or a sort by flag changes which rows show where, so it needs a
        full refresh (the page keeps the selection across it)."""
        if self._query.flagged_only or self._query.sort == "flag":
            self.refresh()
            return
        # Only the pages seen last can be on screen; the others are read afresh when shown.
        # (dataChanged over 100,000 selected rows makes Qt check every cell's flags.)
        # The rows keep standing for their records (self._held).
        recent = list(self._pages)[-RECENT_PAGES:]
        self._pages.clear()
        self._flagged = self._save_file.flagged_count()
        for page in recent:
            top = page * PAGE_SIZE
            bottom = min(top + PAGE_SIZE, self._count) - 1
            if top <= bottom:
                self.dataChanged.emit(self.index(top, FLAG), self.index(bottom, FLAG))
        self.countsChanged.emit(self._count, self._flagged)

    def refresh_validation(self) -> None:
        """After validation states changed: like refresh_flags, re-read the rows in place
        unless the list is filtered or sorted by validation state (then rows move)."""
        query = self._query
        if query.validation is not None or query.sort == "validation":
            self.refresh()
            return
        recent = list(self._pages)[-RECENT_PAGES:]
        self._pages.clear()
        for page in recent:
            top = page * PAGE_SIZE
            bottom = min(top + PAGE_SIZE, self._count) - 1
            if top <= bottom:
                self.dataChanged.emit(self.index(top, VALIDATION), self.index(bottom, VALIDATION))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key: SortKey = COLUMNS[column][0] if 0 <= column < len(COLUMNS) else "added"
        descending = order == Qt.SortOrder.DescendingOrder and key != "added"
        self.set_query(replace(self._query, sort=key, descending=descending))


def _validation_tip(record: RecordRow) -> str:
    if record.validation_state is None:
        return "Not validated (Action > Validate)"
    found = counts_text(messages_from_detail(record.validation_detail))
    level = LEVEL_NAMES.get(record.validation_level or "", "")
    text = f"{found[0].upper()}{found[1:]}" + (f" at {level}" if level else "")
    if record.validated_at is not None:
        text += f", validated {iso_minutes(record.validated_at)}"
    return text


def consecutive_runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs of consecutive ones: few ranges to select or read."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def iso_minutes(moment: datetime) -> str:
    """A time as the whole window shows times: ISO 8601 in local time, to the minute (the
    locale's short form reads "6 12 2026 10:29" in some locales)."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
