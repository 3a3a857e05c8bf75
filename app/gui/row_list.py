"""How the window's lists of rows behave (the records, the search hits, the validation
results): whole rows selected, nothing edited in place, rows of one height (fast to scroll
through 100,000 of them), and Tab leaving the list, as everywhere else."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def set_up_row_list(
    view: QTableView, model: QAbstractItemModel, name: str, *, several: bool = True
) -> None:
    """``view`` shows ``model`` as a list named ``name`` for screen readers; ``several``:
    more than one row may be selected."""
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if several
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    rows = view.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setHighlightSections(False)
