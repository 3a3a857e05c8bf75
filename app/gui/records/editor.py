"""The record editor's text box: MARC mnemonic text with its syntax coloured, each problem
marked at its line (the message in a tooltip), and the characters MARC-8 lacks marked.

``check_text`` is what validation as you type runs (on the GUI thread for a short record, on
a worker thread for a long one): the text read back into a record (app.core.marc.mrk), then
validated at the record's level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QHelpEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip

from app.core.marc.iso2709 import parse_record
from app.core.marc.mrk import LineError, TextError, text_to_record
from app.core.marc.repertoire import unmappable_spans
from app.core.marc.summary import summarize
from app.core.validation.messages import ValidationMessage

LONG_TEXT = 6000  # characters: a longer record is checked off the GUI thread
ERROR_COLOUR = QColor("#c62828")
WARNING_COLOUR = QColor("#ef8f00")
UNMAPPABLE_COLOUR = QColor(255, 196, 0, 110)


@dataclass(frozen=True)
class EditorCheck:
    """What checking the editor's text found."""

    text: str
    line_errors: tuple[LineError, ...] = ()  # the text can't be saved
    messages: tuple[ValidationMessage, ...] = ()  # validation, when it can
    level: str = ""
    raw: bytes | None = None  # the record the text makes
    unmappable: tuple[tuple[int, int], ...] = field(default=())  # MARC-8 lacks these

    @property
    def savable(self) -> bool:
        return not self.line_errors


def check_text(
    text: str,
    original: bytes | None,
    level_for: Callable[[str], str],
    mark_unmappable: bool,
) -> EditorCheck:
    """Read the text back into a record and validate it at ``level_for(record type)``."""
    unmappable = tuple(unmappable_spans(text)) if mark_unmappable else ()
    try:
        edited = text_to_record(text, original)
    except TextError as problem:
        return EditorCheck(text, problem.errors, unmappable=unmappable)
    kind = summarize(parse_record(edited.raw)).record_type
    level = level_for(kind)
    if level == "none":
        level = "structure"  # the editor always says whether the record holds together
    from app.core.validation.validator import validate_record  # with the first check

    result = validate_record(edited.raw, level)
    return EditorCheck(text, (), tuple(result.messages), level, edited.raw, unmappable)


class MarcHighlighter(QSyntaxHighlighter):
    """Tags in bold, indicators in their own colour, ``$`` and the subfield code in the link
    colour: a field's parts are easy to tell apart."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        palette = QGuiApplication.palette()
        self.tag_format = QTextCharFormat()
        self.tag_format.setFontWeight(QFont.Weight.Bold)
        self.indicator_format = QTextCharFormat()
        self.indicator_format.setForeground(QColor("#7b1fa2"))
        self.indicator_format.setFontWeight(QFont.Weight.DemiBold)
        self.code_format = QTextCharFormat()
        self.code_format.setForeground(palette.link())
        self.code_format.setFontWeight(QFont.Weight.Bold)

    def highlightBlock(self, text: str) -> None:
        if not text.startswith("="):
            return
        self.setFormat(0, 4, self.tag_format)
        tag = text[1:4]
        if tag == "LDR" or (tag.startswith("00") and tag.isdigit()):
            return
        self.setFormat(6, 2, self.indicator_format)
        start = text.find("$", 8)
        while start >= 0:
            self.setFormat(start, 2, self.code_format)
            start = text.find("$", start + 2)


class MarcTextEdit(QPlainTextEdit):
    """The text box: problems by line (block number) as marks and tooltips."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setAccessibleName("Record")
        self.setTabChangesFocus(True)
        self.highlighter = MarcHighlighter(self.document())
        self.problems: dict[int, list[tuple[str, str]]] = {}  # block -> (severity, message)
        self.unmappable: list[tuple[int, int]] = []  # document positions

    def problems_at(self, block: int) -> list[str]:
        return [message for _, message in self.problems.get(block, [])]

    def show_problems(
        self, problems: dict[int, list[tuple[str, str]]], unmappable: list[tuple[int, int]]
    ) -> None:
        self.problems = problems
        self.unmappable = unmappable
        selections = []
        document = self.document()
        for number, found in problems.items():
            block = document.findBlockByNumber(number)
            if not block.isValid():
                continue
            worst = "error" if any(s == "error" for s, _ in found) else "warning"
            selection = QTextEdit.ExtraSelection()
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(ERROR_COLOUR if worst == "error" else WARNING_COLOUR)
            cursor = QTextCursor(block)
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            if not cursor.hasSelection():  # an empty line: mark where it is
                selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                selection.format.setBackground(QColor(198, 40, 40, 40))
            selection.cursor = cursor
            selections.append(selection)
        for start, end in unmappable:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(UNMAPPABLE_COLOUR)
            selection.format.setToolTip("No MARC-8 form: exported in MARC-8 as &#xXXXX;")
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)

    def tooltip_at(self, position: Any) -> str:
        """The problems of the line under a point of the viewport (empty: none)."""
        cursor = self.cursorForPosition(position)
        lines = self.problems_at(cursor.blockNumber())
        at = cursor.position()
        if any(start <= at < end for start, end in self.unmappable):
            lines.append("This character has no MARC-8 form: in MARC-8 it is written &#xXXXX;.")
        return "\n".join(lines)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def block_of(self, tag: str, occurrence: int | None) -> int | None:
        """The line of the ``occurrence``-th field of ``tag`` (LDR: the leader)."""
        wanted = occurrence or 1
        seen = 0
        block = self.document().firstBlock()
        while block.isValid():
            if block.text()[1:4] == tag and block.text().startswith("="):
                seen += 1
                if seen == wanted:
                    return block.blockNumber()
            block = block.next()
        return None

    def go_to_block(self, number: int) -> bool:
        block = self.document().findBlockByNumber(number)
        if not block.isValid():
            return False
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return True


def utf16_offsets(
    text: str, spans: list[tuple[int, int]] | tuple[tuple[int, int], ...]
) -> list[tuple[int, int]]:
    """Code point offsets as the document counts them (UTF-16 units)."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return list(spans)
    result = []
    for start, end in spans:
        before = len(text[:start].encode("utf-16-le")) // 2
        result.append((before, before + len(text[start:end].encode("utf-16-le")) // 2))
    return result


def messages_by_line(edit: MarcTextEdit, check: EditorCheck) -> dict[int, list[tuple[str, str]]]:
    """Each problem at the line it is about: a line that can't be read at its line, a
    validation message at its field (the leader's line when the field is not there)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for error in check.line_errors:
        block = max(error.line - 1, 0) if error.line else (edit.block_of("LDR", 1) or 0)
        found.setdefault(block, []).append(("error", error.describe()))
    for message in check.messages:
        at = edit.block_of(message.tag, message.occurrence)
        block = at if at is not None else (edit.block_of("LDR", 1) or 0)
        severity = "Error" if message.severity == "error" else "Warning"
        found.setdefault(block, []).append((message.severity, f"{severity}: {message.message}"))
    return found
