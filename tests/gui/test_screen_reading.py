"""Reading the screen: one label column, fields reached with Alt and a letter, titles that fit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGroupBox, QMessageBox, QScrollArea, QWidget

from app.core.settings.account_settings import AccountSettings
from app.gui.account_report import AccountReportDialog
from app.gui.application import demo_details, demo_hint
from app.gui.export_log import ExportLogDialog
from app.gui.main_window import FIRST_SIZE, MainWindow
from app.gui.mnemonics import assign_letters, mnemonic_letter
from app.gui.option_editors import BoolCheck, ChoiceRadios, TextLine
from app.gui.options_page import ExportOptionsPage
from app.gui.shortcuts_dialog import ShortcutsDialog
from app.gui.sizing import fit_title, title_width
from tests.gui.test_options_page import choose

ACCOUNT = "100-123-456"


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    shown = MainWindow(AccountSettings(ACCOUNT))
    shown.resize(FIRST_SIZE)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    shown.options_page.load()  # nothing unsaved: the window closes without asking
    shown.close()
    shown.deleteLater()


@pytest.fixture
def page(qtbot, window) -> ExportOptionsPage:
    window.show_export_options()
    shown = window.options_page
    # Every field in use, so each can take the focus: TCP/IP, the IDs sent, TLS, the
    # advanced part unfolded.
    choose(shown, "destination", "tcpip")
    for key in ("send_logon_id", "send_user_id", "use_tls", "worldcat_holdings_on_export"):
        choose(shown, key, True)
    for toggle in shown.advanced_toggles:
        toggle.setChecked(True)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return shown


def _focus_target(page: ExportOptionsPage, key: str) -> QWidget:
    if key == "password":
        return page.password
    editor = page.editors[key]
    if isinstance(editor, TextLine):
        return editor.line
    if isinstance(editor, ChoiceRadios):
        return next(b for b in editor.buttons.values() if b.isChecked())
    return editor.widget


def _plain(text: str) -> str:
    return text.replace("&", "").rstrip(":")


def test_the_labels_make_one_column_down_the_whole_form(page) -> None:
    labels = [label for label in page.row_labels if label.isVisibleTo(page)]
    assert len(labels) > 20
    lefts = {label.mapTo(page, label.rect().topLeft()).x() for label in labels}
    widths = {label.width() for label in labels}
    assert len(lefts) == 1 and len(widths) == 1, (lefts, widths)
    # The fields start together too, a check box's as a text field's.
    starts = {
        page.editors[key].widget.mapTo(page, page.editors[key].widget.rect().topLeft()).x()
        for key in ("format", "port", "permanent_connection", "timeout", "logon_id", "ca_file")
    }
    assert len(starts) == 1, starts


def test_a_spin_box_on_the_form_is_as_wide_as_its_values(page) -> None:
    for key in ("port", "timeout", "retries", "delay"):
        spin = page.editors[key].spin
        assert spin.width() == spin.sizeHint().width(), key


def test_no_group_repeats_its_only_fields_label(page) -> None:
    for box in page.findChildren(QGroupBox):
        keys = [k for k, e in page.editors.items() if box.isAncestorOf(e.widget)]
        if len(keys) != 1 or not box.title():
            continue
        holder = page.mnemonic_holders[keys[0]]
        assert _plain(holder.text()) != box.title(), box.title()
    # The two groups Connexion named after their only field show the field once.
    untitled = {b.accessibleName() for b in page.findChildren(QGroupBox) if not b.title()}
    assert untitled == {"Fields to Delete on Export", "Mark for Export and Save Record"}


def _screen_letters(window: MainWindow, page: ExportOptionsPage) -> set[str]:
    """The letters of the window's menus and of the screen's buttons."""
    return {mnemonic_letter(a.text()) for a in window.menuBar().actions()} | {
        mnemonic_letter(b.text()) for b in [*page.top_buttons.values(), page.test_connection_button]
    }


def _presses(page: ExportOptionsPage) -> dict[str, tuple[str, int]]:
    """Each field in use: its letter, and how many presses of Alt and it reach the field from
    outside the fields with that letter (the page's fields in screen order, greyed ones
    skipped), read from the labels as a person reads them."""
    counted: dict[str, int] = {}
    found = {}
    for key, holder in page.mnemonic_holders.items():
        if not _focus_target(page, key).isEnabled() or not holder.isVisible():
            continue
        letter = mnemonic_letter(holder.text())
        counted[letter] = counted.get(letter, 0) + 1
        found[key] = (letter, counted[letter])
    return found


def _alt(window: MainWindow, letter: str, times: int = 1) -> None:
    for _ in range(times):
        QTest.keyClick(window, letter, Qt.KeyboardModifier.AltModifier)


def test_every_field_has_an_alt_letter_apart_from_the_menus_and_buttons(window, page) -> None:
    letters = {k: mnemonic_letter(h.text()) for k, h in page.mnemonic_holders.items()}
    assert len(letters) == len(page.editors) + 1  # every setting, and the password
    assert all(letters.values()), [k for k, v in letters.items() if not v]
    assert not set(letters.values()) & _screen_letters(window, page)
    # From the label where it has a letter left (only Character Set has none: every one of
    # its letters opens a menu or presses a button), shown after it in brackets otherwise.
    for key, holder in page.mnemonic_holders.items():
        plain = _plain(holder.text())
        if key == "charset":
            assert holder.text() == f"Character Set (&{letters[key].upper()}):"
        else:
            assert plain == _field_name(page, key)
    # A word's first letter where it is free: Port Number, Mark for Export, Send User ID...
    assert holder_text(page, "port") == "&Port Number:"
    assert holder_text(page, "mark_for_export") == "&Mark for Export and Save Record"
    assert holder_text(page, "send_user_id") == "Send &User ID"
    # Letters are spread: none reaches more than four fields.
    counts = {v: list(letters.values()).count(v) for v in letters.values()}
    assert max(counts.values()) <= 4, counts


def holder_text(page: ExportOptionsPage, key: str) -> str:
    return page.mnemonic_holders[key].text()


def test_alt_and_its_letter_reach_every_field_pressed_as_often_as_it_is_shared(
    qtbot, window, page
) -> None:
    reached = set()
    for destination in ("tcpip", "file"):  # the file's settings apply to one, the rest to other
        choose(page, "destination", destination)
        presses = _presses(page)
        assert any(times > 1 for _, times in presses.values())
        values = {k: e.value() for k, e in page.editors.items()}
        for key, (letter, times) in presses.items():
            page.top_buttons["session"].setFocus()
            _alt(window, letter, times)
            assert QApplication.focusWidget() is _focus_target(page, key), (key, letter, times)
            reached.add(key)
            editor = page.editors.get(key)
            alone = [other for other, _ in presses.values()].count(letter) == 1
            if isinstance(editor, BoolCheck) and alone:  # a letter of its own checks the box
                qtbot.waitUntil(lambda e=editor, was=values[key]: e.value() != was)
                editor.check.click()  # back as it was
        # Reaching a check box whose letter others share only gives it the focus.
        assert {k: e.value() for k, e in page.editors.items()} == values
    assert reached == set(page.mnemonic_holders)


def test_the_letter_goes_on_from_the_field_with_the_focus_and_round_again(window, page) -> None:
    presses = _presses(page)
    letter = next(letter for letter, times in presses.values() if times == 3)
    fields = [k for k, (other, _) in presses.items() if other == letter]
    # From the second field (clicked into, say), the next press goes to the third.
    _focus_target(page, fields[1]).setFocus(Qt.FocusReason.MouseFocusReason)
    _alt(window, letter)
    assert QApplication.focusWidget() is _focus_target(page, fields[2])
    _alt(window, letter)  # after the last, the first again
    assert QApplication.focusWidget() is _focus_target(page, fields[0])
    # Another key in between changes nothing: the focus says where the letter goes on from.
    _alt(window, presses["port"][0])
    page.top_buttons["session"].setFocus()
    _alt(window, letter)
    assert QApplication.focusWidget() is _focus_target(page, fields[0])


def test_the_letter_skips_fields_that_do_not_apply(window, page) -> None:
    choose(page, "destination", "file")  # the TCP/IP settings grey
    presses = _presses(page)
    assert "host" not in presses and "port" not in presses
    letter = mnemonic_letter(holder_text(page, "file_name"))
    assert mnemonic_letter(holder_text(page, "host")) == letter  # shared, but greyed now
    page.top_buttons["session"].setFocus()
    _alt(window, letter)
    assert QApplication.focusWidget() is _focus_target(page, "file_name")
    _alt(window, letter)
    assert QApplication.focusWidget() is _focus_target(page, "file_name")


def test_a_field_reached_by_its_letter_comes_into_sight(qtbot, window, page) -> None:
    window.resize(900, 420)
    qtbot.waitUntil(lambda: window.height() == 420)
    scroll = page.findChild(QScrollArea)
    scroll.verticalScrollBar().setValue(0)
    presses = _presses(page)
    for key in ("constant_data", "format", "password"):
        letter, times = presses[key]
        page.top_buttons["session"].setFocus()
        _alt(window, letter, times)
        target = _focus_target(page, key)
        assert QApplication.focusWidget() is target, key
        corner = target.mapTo(scroll.viewport(), target.rect().bottomRight())
        assert scroll.viewport().rect().contains(corner), key


def test_the_shortcuts_dialog_says_how_to_reach_each_field(qtbot, window, page) -> None:
    dialog = window.show_shortcuts()
    assert isinstance(dialog, ShortcutsDialog)
    listed = [s for s in dialog.shortcuts if s.menu == "Export Options"]
    presses = _presses(page)
    for key, (letter, times) in presses.items():
        name = _field_name(page, key)
        row = next(s for s in listed if s.action.endswith(f" {name}"))
        listed.remove(row)
        assert row.keys == ", ".join([f"Alt+{letter.upper()}"] * times), key
        shared = sum(other == letter for other, _ in presses.values())
        if shared > 1:
            assert f"{shared} fields share Alt+{letter.upper()}" in row.where, key
            assert row.action == f"go to {name}"
        elif isinstance(page.editors.get(key), BoolCheck):
            assert row.action == f"check or clear {name}"
    # What is left are the screen's buttons.
    assert {_plain(b.text()) for b in page.top_buttons.values()} | {"Test Connection"} == {
        s.action.split(" ", 1)[1] for s in listed
    }
    rows = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert any(", " in keys for keys in rows)  # a field two presses away, as Qt writes it
    dialog.close()


def test_the_shortcuts_dialog_leaves_out_fields_that_do_not_apply(qtbot, window, page) -> None:
    choose(page, "destination", "file")
    dialog = window.show_shortcuts()
    actions = [s.action for s in dialog.shortcuts if s.menu == "Export Options"]
    assert "go to Export File Name" in actions
    assert not [a for a in actions if a.endswith("Host Name")]
    dialog.close()


def _field_name(page: ExportOptionsPage, key: str) -> str:
    return "Password" if key == "password" else page.editors[key].option.label


def test_letters_are_unique_where_they_can_be_then_shared() -> None:
    reserved = {"h"}
    assert assign_letters(["Host Name:", "Host Port:", "Notify Host"], reserved) == [
        "Host &Name:",
        "Host &Port:",
        "N&otify Host",  # N and P taken: another letter, still unique
    ]
    # No letter left of its own: the word's first letter that the fewest share.
    assert assign_letters(["Pan", "Nap", "Nap Pan", "Nap Pan"], {"a"}) == [
        "&Pan",
        "&Nap",
        "&Nap Pan",  # N and P held by one each: the first word's
        "Nap &Pan",  # N held by two now, P by one
    ]
    # Only reserved letters: a free letter in brackets, before the colon.
    assert assign_letters(["Cash:", "Ash"], set("cash") | reserved) == ["Cash (&B):", "Ash (&D)"]
    assert mnemonic_letter("Save &&Go &Back") == "b"


def test_dialogs_are_wide_enough_for_their_titles(qtbot, window) -> None:
    dialogs: list[QWidget] = [
        window.show_shortcuts(),
        AccountReportDialog(window.account, window),
        ExportLogDialog(window.records_page.save_file, window),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        assert (
            dialog.width()
            >= title_width(dialog)
            > dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())
        ), dialog.windowTitle()


def test_a_message_box_is_as_wide_as_its_long_title(qtbot) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Resend Unconfirmed Records to the Local System Now",
        "Yes?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    qtbot.addWidget(box)
    fit_title(box)
    box.show()
    assert box.width() >= title_width(box)


def test_the_demos_hint_fits_the_status_bar_at_the_windows_first_size(qtbot) -> None:
    shown = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(shown)
    shown.resize(FIRST_SIZE)
    shown.show()
    qtbot.waitExposed(shown)
    hint = demo_hint(17)
    shown.statusBar().showMessage(hint)
    bar = shown.statusBar()
    label_room = bar.width() - 2 * bar.style().pixelMetric(bar.style().PixelMetric.PM_SizeGripSize)
    assert bar.fontMetrics().horizontalAdvance(hint) <= label_room
    details = demo_details(5500, "/tmp/received")
    assert "5500" in details and "/tmp/received" in details and "F2" in details
