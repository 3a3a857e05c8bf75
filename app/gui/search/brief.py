"""The brief view of the selected hit: its heading (title, author, facts, whether it is
saved) and its record's fields, or a word that the search gave a brief description only."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from app.core.marc.display import display_text
from app.core.marc.summary import oclc_number, summarize
from app.core.settings.targets import Target, TargetKind
from app.core.sources.hits import Hit


def make_brief_widgets() -> tuple[QLabel, QPlainTextEdit]:
    """The heading and the fields of the brief view."""
    heading = QLabel("No hit selected")
    heading.setWordWrap(True)
    heading.setTextFormat(Qt.TextFormat.RichText)
    heading.setAccessibleName("Selected hit")
    heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    fields = QPlainTextEdit()
    fields.setReadOnly(True)
    fields.setAccessibleName("Selected hit's record")
    fields.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    fields.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    fields.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    return heading, fields


def duplicate_key(hit: Hit, target: Target | None) -> str | None:
    """The key the save file knows the hit's record by (its OCLC number, or else 003 and
    001), or None."""
    if hit.record is not None:
        return summarize(hit.record.parsed).duplicate_key
    if target is not None and target.kind is TargetKind.WORLDCAT:
        number = oclc_number(hit.id)
        return f"ocolc:{number}" if number else None
    return None


def show_brief(heading: QLabel, fields: QPlainTextEdit, hit: Hit | None, saved: int | None) -> None:
    """Show ``hit`` (``saved``: its record in the save file), or that no hit is selected."""
    if hit is None:
        heading.setText("No hit selected")
        fields.clear()
        return
    lines = [f"<b>{html.escape(hit.title or '(no title)')}</b>"]
    if hit.author:
        lines.append(html.escape(hit.author))
    facts = [("Date", hit.date), ("ID", hit.id), *hit.details]
    lines.append(
        " · ".join(f"{html.escape(label)}: {html.escape(value)}" for label, value in facts if value)
    )
    lines.append(
        f"In the save file as record {saved}." if saved is not None else "Not in the save file."
    )
    heading.setText("<br>".join(lines))
    if hit.record is not None:
        try:
            fields.setPlainText(display_text(hit.record.parsed))
        except Exception as problem:  # a record the display can't show: say so
            fields.setPlainText(f"This record can't be shown: {problem}.")
    else:
        fields.setPlainText(
            "The search gave a brief description only; Save to Local File or Flag for "
            "Export retrieves the whole record."
        )
