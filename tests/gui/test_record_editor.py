"""The record pane as an editor, driven through its widgets: type, undo, validate as you
type, save, revert, fields, diacritics, history, and opening a record at its problem."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from app.core.marc.iso2709 import parse_record
from app.core.settings.account_settings import AccountSettings
from app.core.store.history import revisions
from app.gui.main_window import MainWindow
from app.gui.records.characters import DOTTED_CIRCLE
from app.gui.records.detail import RecordView
from tests.fixtures.exporting import ACCOUNT, add_records, tcpip_settings, valid_bib

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def editor(qtbot, page, save_file):
    """The page with two valid records, the first open in the editor."""
    add_records(save_file, [valid_bib(1), valid_bib(2)], flag=False)
    page.refresh()
    page.table.selectRow(0)
    view: RecordView = page.detail
    qtbot.waitUntil(lambda: view.last_check is not None)
    view.text.setFocus()
    return view


def go_to_end_of(view: RecordView, tag: str) -> None:
    assert view.select_field(tag)
    cursor = view.text.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    view.text.setTextCursor(cursor)


def checked(qtbot, view: RecordView):
    """Wait for validation as you type to have looked at the text as it is now."""
    qtbot.waitUntil(lambda: not view.checking and view.last_check is not None, timeout=5000)
    assert view.last_check.text == view.text.toPlainText()
    return view.last_check


def test_typing_undo_and_redo_follow_the_text(qtbot, editor) -> None:
    original = editor.text.toPlainText()
    assert original.startswith("=LDR  ") and "=245  10$aRecord number 1 /" in original
    assert not editor.dirty and not editor.save_action.isEnabled()
    go_to_end_of(editor, "245")
    qtbot.keyClicks(editor.text, " More")
    assert editor.dirty and editor.save_action.isEnabled() and editor.revert_action.isEnabled()
    assert "Michael Chabon. More" in editor.text.toPlainText()
    qtbot.keyClick(editor.text, Qt.Key.Key_Z, CTRL)
    assert editor.text.toPlainText() == original and not editor.dirty
    qtbot.keyClick(editor.text, Qt.Key.Key_Z, CTRL | SHIFT)
    assert "Michael Chabon. More" in editor.text.toPlainText() and editor.dirty


def test_problems_are_marked_at_their_field_as_you_type_and_saved_with_it(
    qtbot, editor, page, save_file
) -> None:
    assert checked(qtbot, editor).messages == ()
    editor.select_field("245")
    cursor = editor.text.textCursor()
    cursor.setPosition(cursor.block().position() + 6)
    cursor.setPosition(cursor.position() + 1, QTextCursor.MoveMode.KeepAnchor)
    editor.text.setTextCursor(cursor)
    qtbot.keyClicks(editor.text, "9")  # first indicator 9: not defined
    check = checked(qtbot, editor)
    assert [(m.tag, m.severity) for m in check.messages] == [("245", "error")]
    line = editor.text.block_of("245", 1)
    assert any("first indicator '9'" in text for text in editor.problems_at_line(line))
    assert editor.messages.topLevelItem(0).text(0) == "245"
    assert "An export at this level holds it back" in editor.check_line.text()
    # The tooltip over the line says it.
    block = editor.text.document().findBlockByNumber(line)
    spot = editor.text.cursorRect(QTextCursor(block)).center()
    viewport = editor.text.viewport()
    QApplication.sendEvent(
        viewport, QHelpEvent(QEvent.Type.ToolTip, spot, viewport.mapToGlobal(spot))
    )
    qtbot.waitUntil(lambda: "first indicator '9'" in QToolTip.text())
    # A record with validation errors can be saved (Ctrl+S), and is stored as invalid.
    with qtbot.waitSignal(editor.saved):
        qtbot.keyClick(editor.text, Qt.Key.Key_S, CTRL)
    record_id = editor.record_id
    assert b"245\x1e" not in save_file.get_raw(record_id)
    assert parse_record(save_file.get_raw(record_id)).first("245").data.startswith(b"90")
    assert [r.source for r in revisions(save_file, record_id)] == ["import", "editor"]
    assert save_file.get(record_id).validation_state == "errors"
    assert not editor.dirty and not editor.save_action.isEnabled()


def test_a_text_that_cannot_be_read_cannot_be_saved(qtbot, editor, save_file, dialogs) -> None:
    before = save_file.get_raw(editor.record_id)
    editor.select_field("650")
    cursor = editor.text.textCursor()
    cursor.setPosition(cursor.block().position())
    cursor.setPosition(cursor.position() + 1, QTextCursor.MoveMode.KeepAnchor)
    editor.text.setTextCursor(cursor)
    qtbot.keyClicks(editor.text, "X")  # the line no longer starts with '='
    check = checked(qtbot, editor)
    assert not check.savable and check.line_errors[0].line == 9
    assert not editor.save_action.isEnabled()
    assert editor.check_line.text().startswith("Can't be saved")
    assert editor.problems_at_line(8)[0].startswith("line 9: not a field line")
    qtbot.keyClick(editor.text, Qt.Key.Key_S, CTRL)  # the action is off: nothing happens
    dialogs.answer("OK")
    assert editor.save() is False  # asked directly, it says why
    assert "can't be saved" in dialogs.texts[-1]
    assert save_file.get_raw(editor.record_id) == before


def test_escape_reverts_after_asking(qtbot, editor, dialogs) -> None:
    original = editor.text.toPlainText()
    go_to_end_of(editor, "650")
    qtbot.keyClicks(editor.text, " x")
    dialogs.answer("Cancel")
    qtbot.keyClick(editor.text, Qt.Key.Key_Escape)
    assert editor.dirty and "Fiction. x" in editor.text.toPlainText()
    assert "Discard your changes to record 1?" in dialogs.texts[-1]
    dialogs.answer("Discard")
    editor.window().activateWindow()  # as the window is again once the question has gone
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor.window())
    qtbot.keyClick(editor.text, Qt.Key.Key_Escape)
    assert editor.text.toPlainText() == original and not editor.dirty


def test_leaving_an_edited_record_asks_to_save(qtbot, editor, page, save_file, dialogs) -> None:
    go_to_end_of(editor, "650")
    qtbot.keyClicks(editor.text, " x")
    dialogs.answer("Cancel")
    page.table.selectRow(1)
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == 0)
    assert editor.record_id == 1 and editor.dirty
    dialogs.answer("Save")
    page.table.selectRow(1)
    assert editor.record_id == 2 and not editor.dirty
    assert b"Fiction. x" in save_file.get_raw(1)


def test_insert_and_delete_field(qtbot, editor, save_file) -> None:
    go_to_end_of(editor, "245")
    qtbot.keyClick(editor.text, Qt.Key.Key_Return, CTRL)
    qtbot.keyClicks(editor.text, "500  \\\\$aA note {dollar}5.")
    assert "=245  10$aRecord number 1 /$cMichael Chabon.\n=500  \\\\$aA note {dollar}5.\n" in (
        editor.text.toPlainText()
    )
    editor.select_field("650")
    qtbot.keyClick(editor.text, Qt.Key.Key_K, CTRL | SHIFT)
    assert "=650" not in editor.text.toPlainText()
    assert checked(qtbot, editor).savable
    with qtbot.waitSignal(editor.saved):
        editor.save_action.trigger()
    tags = [f.tag for f in parse_record(save_file.get_raw(1)).fields]
    assert tags[-2:] == ["245", "500"]
    assert parse_record(save_file.get_raw(1)).first("500").data == b"  \x1faA note $5."
    editor.select_field("LDR")
    qtbot.keyClick(editor.text, Qt.Key.Key_K, CTRL | SHIFT)  # the leader stays
    assert editor.text.toPlainText().startswith("=LDR")


def test_a_long_record_is_checked_off_the_gui_thread(qtbot, editor, monkeypatch) -> None:
    import app.gui.records.detail as detail_module

    threads: list[int] = []
    real = detail_module.check_text

    def watched(*args):
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(detail_module, "LONG_TEXT", 100)
    monkeypatch.setattr(detail_module, "check_text", watched)
    go_to_end_of(editor, "245")
    qtbot.keyClicks(editor.text, " Long")
    qtbot.waitUntil(lambda: editor.checking)
    check = checked(qtbot, editor)
    assert check.savable and threads and threading.main_thread().ident not in threads


def test_the_palette_puts_a_diacritic_after_its_letter(qtbot, editor) -> None:
    palette = editor.show_characters()
    qtbot.addWidget(palette)
    names = {e.name: e for e in palette.entries("Diacritics")}
    assert {"Acute", "Umlaut (diaeresis)", "Ligature (over two letters)"} <= set(names)
    assert {"Ł", "Æ", "ð"} <= {e.char for e in palette.entries("Special letters")}
    assert {"©", "℗", "€", "₂"} <= {e.char for e in palette.entries("Symbols")}
    go_to_end_of(editor, "245")
    qtbot.keyClicks(editor.text, " Jose")
    shown = palette.lists["Diacritics"]
    row = [e.name for e in palette.entries("Diacritics")].index("Acute")
    assert shown.item(row).text().startswith(DOTTED_CIRCLE + "\u0301")
    shown.setCurrentRow(row)
    palette.insert_button.click()
    assert "Michael Chabon. José\n" in editor.text.toPlainText()  # composed: one character


def test_a_marc8_export_marks_what_marc8_lacks(qtbot, save_file) -> None:
    from app.gui.records import RecordsPage

    add_records(save_file, [valid_bib(1)], flag=False)
    page = RecordsPage(save_file, export_charset=lambda: "marc8")
    qtbot.addWidget(page)
    page.show()
    page.table.selectRow(0)
    view = page.detail
    go_to_end_of(view, "245")
    view.text.insertPlainText(" ∞ é")  # what the keyboard cannot type here
    check = checked(qtbot, view)
    infinity = view.text.toPlainText().index("∞")
    assert view.text.unmappable == [(infinity, infinity + 1)]
    assert "no MARC-8 form" in view.check_line.text() and check.savable
    page.shutdown()


def test_history_compares_field_by_field_and_reverts(qtbot, editor, save_file, dialogs) -> None:
    go_to_end_of(editor, "245")
    qtbot.keyClicks(editor.text, " Changed")
    with qtbot.waitSignal(editor.saved):
        editor.save()
    qtbot.keyClick(editor.text, Qt.Key.Key_H, CTRL)
    dialog = editor.history_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.versions.rowCount() == 2 and dialog.versions.currentRow() == 0
    changed = [c for c in dialog.changes if c.kind != "same"]
    assert [(c.kind, c.old[:5], c.new.endswith("Changed")) for c in changed] == [
        ("changed", "=245 ", True)
    ]
    assert dialog.comparison.item(dialog.changes.index(changed[0]), 0).text() == "Changed"
    dialogs.answer("Yes")
    with qtbot.waitSignal(editor.saved):
        dialog.revert_button.click()
    assert save_file.get_raw(1) == valid_bib(1)
    assert [r.source for r in revisions(save_file, 1)] == ["import", "editor", "revert"]
    assert "Changed" not in editor.text.toPlainText()
    dialog.close()


def test_templates_apply_to_the_selection_once(qtbot, page, save_file, dialogs) -> None:
    from app.core.store.templates import Template, add_template
    from tests.fixtures.records_page import select_rows

    add_records(save_file, [valid_bib(1), valid_bib(2)], flag=False)
    add_template(save_file, Template.from_text("local", "=590  \\\\$aLocal copy.\n"))
    page.refresh()
    select_rows(page, 0, 1)
    dialogs.answer("OK")
    with qtbot.waitSignal(page.notice) as notice:
        assert page.apply_template_to_selected()
    assert notice.args[0] == "Added the constant data 'local' to 2 records."
    with qtbot.waitSignal(page.notice) as notice:
        page.apply_template([1, 2], "local")
    assert notice.args[0] == "Added the constant data 'local' to 0 records; 2 had it already."
    assert save_file.get_raw(1).count(b"Local copy.") == 1
    assert "=590  \\\\$aLocal copy." in page.detail.text.toPlainText()


def test_double_clicking_an_invalid_outcome_opens_the_record_at_its_field(
    qtbot, account, save_file, receiver
) -> None:
    from tests.fixtures.marc_builders import bib_record, data_field, marc

    invalid = marc(bib_record(title=data_field("245", "9", "0", "a", "Bad indicator /")))
    ids = add_records(save_file, [valid_bib(1), invalid])
    tcpip_settings(receiver)
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=20_000)
    assert [o.outcome for o in dialog.outcomes] == ["exported", "invalid"]
    table = dialog.failures
    assert table.item(0, 0).text() == str(ids[1])
    spot = table.visualItemRect(table.item(0, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    view = window.records_page.detail
    qtbot.waitUntil(lambda: view.record_id == ids[1])
    qtbot.waitUntil(lambda: view.selected_text().startswith("=245  90"))
    dialog.close()
    window.close()
