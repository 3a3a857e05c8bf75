"""Reading the screen: one label column, fields reached with Alt and a letter, titles that fit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGroupBox, QMessageBox, QWidget

from app.core.settings.account_settings import AccountSettings
from app.gui.account_report import AccountReportDialog
from app.gui.application import demo_details, demo_hint
from app.gui.export_log import ExportLogDialog
from app.gui.main_window import FIRST_SIZE, MainWindow
from app.gui.option_editors import BoolCheck, ChoiceRadios, TextLine
from app.gui.options_page import ExportOptionsPage
from app.gui.shortcuts_dialog import ShortcutsDialog, mnemonic_letter, with_mnemonic
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


def test_each_alt_letter_is_unique_and_goes_to_its_field(qtbot, window, page) -> None:
    menu_letters = {mnemonic_letter(a.text()) for a in window.menuBar().actions()}
    button_letters = {mnemonic_letter(b.text()) for b in page.top_buttons.values()} | {
        mnemonic_letter(page.test_connection_button.text())
    }
    letters = {k: mnemonic_letter(h.text()) for k, h in page.mnemonic_holders.items()}
    given = {k: v for k, v in letters.items() if v}
    assert len(set(given.values())) == len(given)
    assert not set(given.values()) & (menu_letters | button_letters)
    # The alphabet is shared with the menus and buttons; a field goes without a letter only
    # when every letter of its label is taken already (it is reached with Tab).
    used = set(given.values()) | menu_letters | button_letters
    for key, holder in page.mnemonic_holders.items():
        if not letters[key]:
            assert {c.lower() for c in holder.text() if c.isalpha()} <= used, key
    assert len(given) >= 11
    for key, letter in given.items():
        if not _focus_target(page, key).isEnabled():
            continue  # a field that does not apply (the file, when sending over TCP/IP)
        window.options_page.top_buttons["session"].setFocus()
        QTest.keyClick(window, letter, Qt.KeyboardModifier.AltModifier)
        assert QApplication.focusWidget() is _focus_target(page, key), (key, letter)
        if isinstance(page.editors.get(key), BoolCheck):
            qtbot.wait(200)  # the check box's click finishes


def test_the_shortcuts_dialog_lists_the_screens_alt_letters(qtbot, window, page) -> None:
    dialog = window.show_shortcuts()
    assert isinstance(dialog, ShortcutsDialog)
    listed = {s.keys: s.action for s in dialog.shortcuts if s.menu == "Export Options"}
    for holder in page.mnemonic_holders.values():
        letter = mnemonic_letter(holder.text())
        if letter:
            keys = next(k for k in listed if k.endswith(f"+{letter.upper()}"))
            assert _plain(holder.text()) in listed.pop(keys)
    # What is left are the screen's buttons.
    assert {_plain(b.text()) for b in page.top_buttons.values()} | {"Test Connection"} == {
        a.split(" ", 1)[1] for a in listed.values()
    }
    dialog.close()


def test_letters_are_chosen_from_word_starts_then_within_words() -> None:
    taken = {"h"}
    assert with_mnemonic("Host Name:", taken) == "Host &Name:"
    assert with_mnemonic("Host Name:", taken) == "H&ost Name:"
    assert mnemonic_letter("Save &&Go &Back") == "b"
    assert with_mnemonic("ab", {"a", "b"}) == "ab"


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
