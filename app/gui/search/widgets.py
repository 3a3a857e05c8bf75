"""The search panel's widgets: the choices of its boxes, the hits' list, its actions and its
message style."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHeaderView, QLabel, QTableView, QWidget

from app.gui.row_list import set_up_row_list
from app.gui.search.results_model import AUTHOR, DATE, ID, POSITION, TITLE, HitsModel

RAW = "raw"
INDEX_CHOICES = (
    ("Keyword", "keyword"),
    ("OCLC number", "oclc"),
    ("ISBN", "isbn"),
    ("ISSN", "issn"),
    ("LCCN", "lccn"),
    ("Title", "title"),
    ("Author", "author"),
    ("Raw query (the target's own syntax)", RAW),
)
DUPLICATE_CHOICES: tuple[tuple[str, str], ...] = (
    ("Ask", "ask"),
    ("Skip the new copy", "skip"),
    ("Replace the saved copy", "replace"),
    ("Keep both", "keep"),
)
# A failure stands out from the running commentary above the hits.
ERROR_STYLE = "QLabel { color: white; background-color: #b3261e; padding: 4px; }"


def make_action(parent: QWidget, text: str, slot: Any, shortcut: str | None, tip: str) -> QAction:
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def make_duplicate_box() -> tuple[QComboBox, QLabel]:
    """The policy for a record already in the save file, and its label."""
    box = QComboBox()
    box.setAccessibleName("When a record is already saved")
    box.setToolTip(
        "A record is already in the save file when it has the same OCLC number (or else "
        "the same 003 and 001)"
    )
    for text, value in DUPLICATE_CHOICES:
        box.addItem(text, value)
    label = QLabel("When already saved:")
    label.setBuddy(box)
    return box, label


def make_results_view(model: HitsModel) -> QTableView:
    """The list of the hits, its columns sized for what they hold."""
    view = QTableView()
    set_up_row_list(view, model, "Search results")
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    header.resizeSection(POSITION, metrics.horizontalAdvance("0000") + 16)
    header.resizeSection(AUTHOR, metrics.horizontalAdvance("Author, An Ex") + 16)
    header.resizeSection(DATE, metrics.horizontalAdvance("0000") + 24)
    header.resizeSection(ID, metrics.horizontalAdvance("000000000000") + 16)
    header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
    return view
