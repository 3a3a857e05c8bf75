"""The bar above the record list: search as you type, Flagged only, status and validation
filters, and the counts of what the list shows."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.core.store.savefile import NOT_EXPORTED, NOT_VALIDATED, OUTCOME_NAMES, RecordQuery
from app.core.wording import count_of

SEARCH_DELAY_MS = 250
VALIDATION_FILTERS = (
    ("Any validation", None),
    ("With errors", "errors"),
    ("With warnings only", "warnings"),
    ("Valid", "valid"),
    ("Not validated", NOT_VALIDATED),
)


class FilterBar(QWidget):
    changed = Signal()  # a filter changed, or the search text after a pause in typing

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Title, OCLC number or control number")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search records")
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.changed)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.changed)

        self.flagged_only = QCheckBox("Flagged o&nly")
        self.flagged_only.toggled.connect(self.changed)

        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status")
        self.status_filter.addItem("Any status", None)
        self.status_filter.addItem("Not exported", NOT_EXPORTED)
        for outcome, name in OUTCOME_NAMES.items():
            self.status_filter.addItem(name, outcome)
        status_label = QLabel("S&tatus:")
        status_label.setBuddy(self.status_filter)
        self.status_filter.currentIndexChanged.connect(self.changed)

        self.validation_filter = QComboBox()
        self.validation_filter.setAccessibleName("Validation")
        for text, value in VALIDATION_FILTERS:
            self.validation_filter.addItem(text, value)
        validation_label = QLabel("&Validation:")
        validation_label.setBuddy(self.validation_filter)
        self.validation_filter.currentIndexChanged.connect(self.changed)

        self.counts = QLabel()
        self.fields = (self.search, self.flagged_only, self.status_filter, self.validation_filter)
        self.counts.setAccessibleName("Record counts")

        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(search_label)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.flagged_only)
        bar.addWidget(status_label)
        bar.addWidget(self.status_filter)
        bar.addWidget(validation_label)
        bar.addWidget(self.validation_filter)
        bar.addStretch(1)
        bar.addWidget(self.counts)

    def query(self, current: RecordQuery) -> RecordQuery:
        """The query the filters ask for, in ``current``'s order; the search waits no more."""
        self._search_timer.stop()
        return RecordQuery(
            self.search.text(),
            self.flagged_only.isChecked(),
            self.status_filter.currentData(),
            current.sort,
            current.descending,
            self.validation_filter.currentData(),
        )

    def show_counts(self, shown: int, flagged: int) -> None:
        self.counts.setText(f"{count_of(shown, 'record')}, {flagged:,} flagged")

    def stop(self) -> None:
        self._search_timer.stop()
