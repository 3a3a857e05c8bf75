"""The hits of a search as a list model that asks for the next page when the view nears its end
(Qt's canFetchMore/fetchMore: the view calls them when scrolled to the bottom, or when the rows
it has do not fill it); the page arrives later, from the panel's job."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.core.sources.hits import Hit, SearchPage

POSITION, TITLE, AUTHOR, DATE, ID = range(5)
COLUMNS = ("#", "Title", "Author", "Date", "ID")

Index = QModelIndex | QPersistentModelIndex


class HitsModel(QAbstractTableModel):
    moreWanted = Signal(int)  # the position the next page starts at

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hits: list[Hit] = []
        self.total = 0
        self.next_start: int | None = None
        self.loading = False  # a page was asked for and has not come yet

    # -- filling --------------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self.hits = []
        self.total = 0
        self.next_start = None
        self.loading = False
        self.endResetModel()

    def add_page(self, page: SearchPage) -> None:
        self.loading = False
        self.total = page.total
        self.next_start = page.next_start
        if page.hits:
            first = len(self.hits)
            self.beginInsertRows(QModelIndex(), first, first + len(page.hits) - 1)
            self.hits.extend(page.hits)
            self.endInsertRows()

    def page_failed(self) -> None:
        """The next page could not come: stop asking for more (a new search starts over)."""
        self.loading = False
        self.next_start = None

    def hit(self, row: int) -> Hit | None:
        return self.hits[row] if 0 <= row < len(self.hits) else None

    # -- Qt's model -----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        hit = self.hit(index.row()) if index.isValid() else None
        if hit is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (str(hit.position), hit.title, hit.author, hit.date, hit.id)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == POSITION:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self.next_start is not None and not self.loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent) and self.next_start is not None:
            self.loading = True
            self.moreWanted.emit(self.next_start)
