"""The Export Options screen, driven like a cataloger would drive it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QLineEdit

from app.core.settings.account_settings import AccountSettings
from app.core.settings.layers import Source
from app.core.settings.options import OPTIONS
from app.gui.option_editors import BoolCheck, ChoiceCombo, ChoiceRadios, IntSpin, TextLine
from app.gui.options_page import ExportOptionsPage
from app.main import main
from tests.fixtures.keyrings import use_keyring

ACCOUNT = "100-123-456"


@pytest.fixture
def account() -> AccountSettings:
    return AccountSettings(ACCOUNT)


@pytest.fixture
def page(qtbot, account) -> ExportOptionsPage:
    widget = ExportOptionsPage(account)
    qtbot.addWidget(widget)
    widget.resize(900, 1200)
    widget.show()
    return widget


def choose(page: ExportOptionsPage, key: str, value) -> None:
    """Change a setting through its widget, as a click or typing would."""
    editor = page.editors[key]
    if isinstance(editor, ChoiceRadios):
        editor.buttons[value].click()
    elif isinstance(editor, ChoiceCombo):
        editor.combo.setCurrentIndex(editor.combo.findData(value))
    elif isinstance(editor, BoolCheck):
        if editor.check.isChecked() != value:
            editor.check.click()
    elif isinstance(editor, IntSpin):
        editor.spin.setValue(value)
    elif isinstance(editor, TextLine):
        editor.line.clear()
        editor.line.setFocus()
        if value:
            from PySide6.QtTest import QTest

            QTest.keyClicks(editor.line, value)
        else:
            editor.line.textEdited.emit("")


def type_password(page: ExportOptionsPage, text: str) -> None:
    from PySide6.QtTest import QTest

    page.password.setFocus()
    QTest.keyClicks(page.password, text)


def set_up_tcpip(page: ExportOptionsPage) -> None:
    choose(page, "destination", "tcpip")
    choose(page, "host", "alma.example.org")
    choose(page, "logon_id", "01CARLI_NETWORK")


# What is on the screen.


def test_every_setting_is_on_the_screen_in_its_group_with_a_tooltip(page) -> None:
    # A group named after its only field has no title of its own (the field says it).
    groups = {box.accessibleName(): box for box in page.findChildren(QGroupBox)}
    for opt in OPTIONS:
        editor = page.editors[opt.key]
        assert opt.group in groups, opt.group
        assert groups[opt.group].isAncestorOf(editor.widget), opt.key
        assert opt.help in editor.widget.toolTip()
        labels = [w.text().replace("&", "") for w in groups[opt.group].findChildren(QLabel)]
        labels += [w.text().replace("&", "") for w in groups[opt.group].findChildren(QCheckBox)]
        assert any(opt.label in text for text in labels), opt.label
    for title in (
        "TCP/IP Connection Options",
        "TCP/IP Host Settings",
        "TCP/IP Timeouts and Retries",
        "TCP/IP Local System User Information",
    ):
        assert title in groups


def test_the_right_control_for_each_kind_of_setting(page) -> None:
    assert isinstance(page.editors["format"], ChoiceCombo)
    assert isinstance(page.editors["destination"], ChoiceRadios)
    assert isinstance(page.editors["permanent_connection"], BoolCheck)
    assert isinstance(page.editors["timeout"], IntSpin)
    assert page.editors["timeout"].spin.declared == (1, 999)
    assert page.editors["port"].spin.declared == (1, 65535)
    assert page.password.echoMode() is QLineEdit.EchoMode.Password


def test_controls_that_do_not_apply_are_disabled(page) -> None:
    assert page.editors["file_name"].widget.isEnabled()
    assert not page.editors["host"].widget.isEnabled()
    choose(page, "destination", "tcpip")
    assert not page.editors["file_name"].widget.isEnabled()
    assert not page.editors["file_type"].widget.isEnabled()
    assert page.editors["host"].widget.isEnabled()
    assert page.editors["logon_id"].widget.isEnabled() and page.password.isEnabled()
    choose(page, "send_logon_id", False)
    assert not page.editors["logon_id"].widget.isEnabled()
    assert not page.password.isEnabled()
    assert not page.editors["user_id"].widget.isEnabled()
    choose(page, "send_user_id", True)
    assert page.editors["user_id"].widget.isEnabled()
    assert not page.editors["ca_file"].widget.isEnabled()
    choose(page, "use_tls", True)
    assert page.editors["ca_file"].widget.isEnabled()


def test_each_check_message_shows_next_to_its_field(page) -> None:
    choose(page, "destination", "tcpip")
    assert page.messages["host"].isVisible()
    assert "host name" in page.messages["host"].text()
    assert "logon ID" in page.messages["logon_id"].text()
    choose(page, "host", "http://alma.example.org")
    assert "without http://" in page.messages["host"].text()
    choose(page, "fields_to_delete", "029 9ZZ")
    assert "'9ZZ'" in page.messages["fields_to_delete"].text()
    choose(page, "format", "marcxml")
    assert "only MARC 21" in page.messages["format"].text()
    set_up_tcpip(page)
    choose(page, "format", "marc")
    choose(page, "fields_to_delete", "029")
    assert not any(label.isVisible() for label in page.messages.values())


def test_a_secret_logon_id_is_masked(page) -> None:
    set_up_tcpip(page)
    line = page.editors["logon_id"].line
    assert line.echoMode() is QLineEdit.EchoMode.Normal
    choose(page, "logon_id_secret", True)
    assert line.echoMode() is QLineEdit.EchoMode.Password


# The buttons.


def test_unsaved_changes_are_shown_and_cleared_by_saving(page) -> None:
    assert not page.unsaved_label.isVisible()
    choose(page, "charset", "marc8")
    assert page.unsaved_label.isVisible() and page.is_dirty()
    page.top_buttons["session"].click()
    assert not page.unsaved_label.isVisible()
    assert "Saved for this session" in page.status.text()


def test_save_for_session_applies_until_log_off_only(page, account) -> None:
    choose(page, "format", "marc")
    page.bottom_buttons["session"].click()
    assert account.effective().options["format"] == "marc"
    assert account.effective().source_of("format") is Source.SESSION
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"
    account.end_session()
    page.load()
    assert page.editors["format"].value() == "none"


def test_save_my_default_keeps_values_across_a_restart(page) -> None:
    choose(page, "validate_auth", "full")
    choose(page, "fields_to_delete", "029 9XX")
    page.top_buttons["default"].click()
    restarted = ExportOptionsPage(AccountSettings(ACCOUNT))
    assert restarted.editors["validate_auth"].value() == "full"
    assert restarted.editors["fields_to_delete"].line.text() == "029 9XX"


def test_nothing_is_saved_while_a_field_is_wrong(page, account) -> None:
    choose(page, "charset", "marc8")
    choose(page, "destination", "tcpip")  # no host yet
    page.top_buttons["default"].click()
    assert "Nothing was saved" in page.status.text()
    assert AccountSettings(ACCOUNT).effective().options["charset"] == "utf8"
    assert page.editors["host"].line.hasFocus()


def test_a_warning_asks_before_saving(page, dialogs) -> None:
    choose(page, "fields_to_delete", "001")
    dialogs.answer("Cancel")
    page.top_buttons["default"].click()
    assert "001" in dialogs.texts[0]
    assert AccountSettings(ACCOUNT).effective().options["fields_to_delete"] == ()
    dialogs.answer("Save")
    page.top_buttons["default"].click()
    assert AccountSettings(ACCOUNT).effective().options["fields_to_delete"] == ("001",)


def test_cancel_discards_unsaved_changes(page) -> None:
    choose(page, "destination", "tcpip")
    choose(page, "retries", 7)
    page.top_buttons["cancel"].click()
    assert page.editors["destination"].value() == "file"
    assert page.editors["retries"].value() == 3
    assert not page.is_dirty()


def test_reset_asks_then_brings_back_the_institution_defaults(page, account, dialogs) -> None:
    institution = Path(os.environ["EXPORTDESK_INSTITUTION_FILE"])
    institution.write_text(json.dumps({"options": {"format": "marc", "retries": 1}}))
    account.institution = AccountSettings(ACCOUNT).institution
    page.load()
    choose(page, "format", "marcxml")
    choose(page, "retries", 9)
    page.top_buttons["default"].click()
    choose(page, "charset", "marc8")
    page.top_buttons["session"].click()

    dialogs.answer("No")
    page.top_buttons["reset"].click()
    assert page.editors["format"].value() == "marcxml"

    dialogs.answer("Yes")
    page.top_buttons["reset"].click()
    assert "institution" in dialogs.texts[-1]
    assert page.editors["format"].value() == "marc"
    assert page.editors["retries"].value() == 1
    assert page.editors["charset"].value() == "utf8"
    assert AccountSettings(ACCOUNT).effective().options["format"] == "marc"


@pytest.mark.parametrize(
    ("choice", "session_format", "saved_format"),
    [
        ("Save for Session", "marc", "none"),
        ("Save My Default", "marc", "marc"),
        ("Discard", "none", "none"),
    ],
)
def test_go_back_with_unsaved_changes_asks_what_to_do(
    page, account, dialogs, qtbot, choice, session_format, saved_format
) -> None:
    choose(page, "format", "marc")
    dialogs.answer(choice)
    with qtbot.waitSignal(page.goBack):
        page.top_buttons["back"].click()
    assert account.effective().options["format"] == session_format
    assert AccountSettings(ACCOUNT).effective().options["format"] == saved_format


def test_go_back_cancelled_stays_on_the_screen(page, dialogs, qtbot) -> None:
    choose(page, "format", "marc")
    dialogs.answer("Cancel")
    with qtbot.assertNotEmitted(page.goBack):
        page.top_buttons["back"].click()
    assert page.is_dirty()


def test_go_back_without_changes_just_leaves(page, qtbot) -> None:
    with qtbot.waitSignal(page.goBack):
        qtbot.keyClick(page, Qt.Key.Key_Escape)


# Connections.


def test_connections_are_edits_like_any_other(page, account, dialogs) -> None:
    dialogs.answer("OK", "Network Zone")
    page.connection_buttons["add"].click()
    choose(page, "destination", "tcpip")
    choose(page, "host", "nz.example.org")
    choose(page, "logon_id", "01CARLI_NETWORK")
    page.connection_buttons["duplicate"].click()
    dialogs.answer("OK", "Sandbox")
    page.connection_buttons["rename"].click()
    choose(page, "host", "sandbox.example.org")
    tabs = page.connection_tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Default", "Network Zone", "Sandbox"]

    page.top_buttons["cancel"].click()
    assert page.connection_tabs.count() == 1

    dialogs.answer("OK", "Network Zone")
    page.connection_buttons["add"].click()
    set_up_tcpip(page)
    page.connection_tabs.setCurrentIndex(0)  # one click: Default is active again
    assert page.editors["host"].line.text() == ""
    page.connection_tabs.setCurrentIndex(1)
    assert page.editors["host"].line.text() == "alma.example.org"
    dialogs.answer("Yes")
    page.connection_tabs.setCurrentIndex(0)
    page.connection_buttons["delete"].click()
    page.top_buttons["default"].click()
    saved = AccountSettings(ACCOUNT).effective()
    assert [c.name for c in saved.connections] == ["Network Zone"]
    assert saved.active.values["host"] == "alma.example.org"
    assert not page.connection_buttons["delete"].isEnabled()  # the last one stays


def test_an_ampersand_in_a_connections_name_is_shown_not_taken_as_a_key(page, dialogs) -> None:
    from PySide6.QtGui import QKeySequence

    dialogs.answer("OK", "R&D Sandbox")
    page.connection_buttons["add"].click()
    tabs = page.connection_tabs
    shown = tabs.tabText(tabs.currentIndex())
    assert shown.replace("&&", "&") == "R&D Sandbox"
    # No Alt+D taken from Save My Default: Qt reads "&&" as a plain "&".
    assert QKeySequence.mnemonic(shown).isEmpty()


def test_switching_the_active_connection_changes_the_title(qtbot, account) -> None:
    from app.gui.main_window import MainWindow

    working = account.effective().copy()
    working.add_connection("Sandbox")
    account.save_default(working)
    window = MainWindow(account)
    qtbot.addWidget(window)
    window.show_export_options()
    assert "Default" in window.windowTitle()
    window.options_page.connection_tabs.setCurrentIndex(1)
    window.options_page.top_buttons["session"].click()
    assert "Sandbox" in window.windowTitle()


# Passwords.


def test_a_default_password_goes_to_the_keyring_only(page, memory_keyring, isolated_home) -> None:
    set_up_tcpip(page)
    type_password(page, "Alma-Pa55word")
    page.top_buttons["default"].click()
    assert memory_keyring.entries == {("exportdesk", f"{ACCOUNT}/default"): "Alma-Pa55word"}
    assert "keyring" in page.password.placeholderText()
    assert page.password.text() == ""
    assert "Alma-Pa55word" not in page.status.text()
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert b"Alma-Pa55word" not in path.read_bytes(), path


def test_a_session_password_is_held_until_log_off(page, account, memory_keyring) -> None:
    set_up_tcpip(page)
    type_password(page, "today-only")
    page.top_buttons["session"].click()
    assert not memory_keyring.entries
    assert account.password("default") == "today-only"
    assert "session" in page.password.placeholderText()
    account.end_session()
    assert account.password("default") is None


def test_without_a_keyring_the_screen_says_where_the_password_is(qtbot, account) -> None:
    with use_keyring(keyring.backends.fail.Keyring()):
        page = ExportOptionsPage(account)
        qtbot.addWidget(page)
        shown = page.password_place.text()
        assert shown.startswith("Passwords can't be saved here: no keyring was found")
        set_up_tcpip(page)
        type_password(page, "pw")
        page.top_buttons["default"].click()
        assert "kept in memory" in page.status.text()
        assert account.password("default") == "pw"


def test_a_locked_keyring_gives_a_message_not_a_crash(page, account, dialogs) -> None:
    from tests.fixtures.keyrings import LockedKeyring

    set_up_tcpip(page)
    type_password(page, "pw-locked")
    with use_keyring(LockedKeyring()):
        dialogs.answer("OK")
        page.top_buttons["default"].click()
    assert "locked" in dialogs.texts[0]
    assert "pw-locked" not in dialogs.texts[0]
    assert page.is_dirty()  # nothing lost: the edits are still on the screen


# Test Connection.


def test_test_connection_says_the_host_answered(page, qtbot, receiver) -> None:
    choose(page, "destination", "tcpip")
    choose(page, "host", "127.0.0.1")
    choose(page, "port", receiver.port)
    with qtbot.waitSignal(page.testConnectionFinished) as finished:
        page.test_connection_button.click()
        assert not page.test_connection_button.isEnabled()  # the GUI thread is free meanwhile
    assert finished.args == [True]
    assert page.test_result.text().startswith("Connected: ")
    assert page.test_connection_button.isEnabled()


def test_test_connection_says_plainly_what_failed(page, qtbot) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: connecting is refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    choose(page, "destination", "tcpip")
    choose(page, "host", "127.0.0.1")
    choose(page, "port", closed_port)
    with qtbot.waitSignal(page.testConnectionFinished) as finished:
        page.test_connection_button.click()
    assert finished.args == [False]
    assert page.test_result.text().startswith("Failed: ")
    assert "refused" in page.test_result.text()


def test_test_connection_needs_a_host(page, qtbot) -> None:
    choose(page, "destination", "tcpip")
    with qtbot.waitSignal(page.testConnectionFinished):
        page.test_connection_button.click()
    assert "host" in page.test_result.text()


def test_tooltips_say_which_layer_a_value_comes_from(page, dialogs) -> None:
    assert "factory default" in page.editors["format"].widget.toolTip()
    choose(page, "format", "marc")
    page.top_buttons["session"].click()
    assert "saved for this session" in page.editors["format"].widget.toolTip()
    dialogs.answer("OK", "Sandbox")
    page.connection_buttons["add"].click()
    assert "not saved yet" in page.editors["host"].widget.toolTip()
    assert "saved for this session" in page.editors["format"].widget.toolTip()


# The mouse wheel: it scrolls the page unless the control has the focus.


def wheel(widget, down: bool = True) -> None:
    """A real wheel turn (through the window system, as a mouse gives it) over ``widget``."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtTest import QTest

    window = widget.window()
    where = widget.mapTo(window, widget.rect().center())
    under = window.childAt(where)
    assert under is widget or widget.isAncestorOf(under), "the control is not under the cursor"
    QTest.wheelEvent(window.windowHandle(), QPointF(where), QPoint(0, -120 if down else 120))


def scroll_to(page: ExportOptionsPage, widget) -> None:
    """Scroll the page so ``widget`` shows, once the layout has settled (a message shown or
    hidden moves the fields below it)."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    QApplication.processEvents()
    page.findChild(QScrollArea).ensureWidgetVisible(widget)


@pytest.fixture
def short_page(page, qtbot):
    """The page in a window too short for it: it scrolls."""
    page.resize(900, 420)
    qtbot.waitExposed(page)
    return page


def test_the_wheel_over_a_control_without_the_focus_scrolls_the_page(
    short_page, qtbot, dialogs
) -> None:
    from PySide6.QtWidgets import QScrollArea

    page = short_page
    set_up_tcpip(page)
    scroll = page.findChild(QScrollArea)
    bar = scroll.verticalScrollBar()
    controls = {
        "retries": (page.editors["retries"].spin, lambda: page.editors["retries"].value()),
        "port": (page.editors["port"].spin, lambda: page.editors["port"].value()),
        "validate_bib": (
            page.editors["validate_bib"].combo,
            lambda: page.editors["validate_bib"].value(),
        ),
        "format": (page.editors["format"].combo, lambda: page.editors["format"].value()),
        "connections": (page.connection_tabs, lambda: page.connection_tabs.currentIndex()),
    }
    dialogs.answer("OK", "Sandbox")  # two tabs: a wheel could switch them
    page.connection_buttons["add"].click()
    before = {name: value() for name, (_, value) in controls.items()}
    for name, (widget, _) in controls.items():
        scroll_to(page, widget)
        down = bar.value() < bar.maximum()
        start = bar.value()
        wheel(widget, down)
        qtbot.waitUntil(lambda start=start: bar.value() != start)
        assert not widget.hasFocus(), name
    assert {name: value() for name, (_, value) in controls.items()} == before


def test_the_wheel_changes_a_control_once_it_has_the_focus(short_page, qtbot) -> None:
    page = short_page
    set_up_tcpip(page)
    spin = page.editors["retries"].spin
    scroll_to(page, spin)
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)  # clicked into
    qtbot.waitUntil(spin.hasFocus)
    wheel(spin, down=True)
    qtbot.waitUntil(lambda: page.editors["retries"].value() == 2)

    combo = page.editors["validate_bib"].combo
    scroll_to(page, combo)
    combo.setFocus(Qt.FocusReason.TabFocusReason)  # tabbed into
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo, down=False)
    qtbot.waitUntil(lambda: page.editors["validate_bib"].value() == "basic")
    assert page.is_dirty()


# Numbers out of range: the command line's message, beside the field, and nothing saved.


def type_number(page: ExportOptionsPage, key: str, text: str) -> None:
    from PySide6.QtTest import QTest

    spin = page.editors[key].spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)


def cli_message(capsys, assignment: str) -> str:
    from app.main import main

    assert main(["account", "add", ACCOUNT]) == 0
    assert main(["options", "set", "--account", ACCOUNT, assignment]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "typed", "button"),
    [("port", "70000", "default"), ("timeout", "0", "session"), ("retries", "-1", "default")],
)
def test_a_number_out_of_range_says_so_and_nothing_is_saved(
    page, account, capsys, key, typed, button
) -> None:
    set_up_tcpip(page)
    type_number(page, key, typed)
    message = page.messages[key]
    assert message.isVisible()
    assert message.text() == f"{typed} is not {page.editors[key].option.accepted()}"
    assert f"{key}: {message.text()}" in cli_message(capsys, f"{key}={typed}")
    assert page.editors[key].spin.cleanText() == typed  # not cut, not reverted

    page.top_buttons[button].click()
    assert "Nothing was saved" in page.status.text()
    assert account.effective().options["destination"] == "file"
    assert AccountSettings(ACCOUNT).effective().options["destination"] == "file"
    assert page.editors[key].spin.cleanText() == typed
    assert message.isVisible()


def test_a_number_out_of_range_on_another_connection_still_stops_saving(
    page, account, dialogs
) -> None:
    set_up_tcpip(page)
    type_number(page, "port", "70000")
    dialogs.answer("OK", "Sandbox")
    page.connection_buttons["add"].click()
    set_up_tcpip(page)
    assert "Connection 'Default', port: 70000 is not" in page.notice.text()
    page.top_buttons["default"].click()
    assert "Nothing was saved" in page.status.text()
    assert page.connection_tabs.currentIndex() == 0  # taken to the field
    assert page.editors["port"].spin.cleanText() == "70000"
    assert page.messages["port"].isVisible()


def test_correcting_the_number_clears_the_message_and_saves(page, account) -> None:
    set_up_tcpip(page)
    type_number(page, "port", "70000")
    page.top_buttons["default"].click()
    type_number(page, "port", "5501")
    assert not page.messages["port"].isVisible()
    assert page.status.text() == ""  # its cause is gone, so is the failure message
    page.top_buttons["default"].click()
    assert AccountSettings(ACCOUNT).effective().active.values["port"] == 5501


def test_the_arrows_stay_within_the_declared_range(page) -> None:
    from PySide6.QtTest import QTest

    set_up_tcpip(page)
    type_number(page, "retries", "99")
    QTest.keyClick(page.editors["retries"].spin, Qt.Key.Key_Up)
    assert page.editors["retries"].value() == 99
    type_number(page, "retries", "150")
    QTest.keyClick(page.editors["retries"].spin, Qt.Key.Key_Down)
    assert page.editors["retries"].value() == 99
    assert not page.messages["retries"].isVisible()


def test_a_spin_box_is_as_wide_as_its_declared_values(page) -> None:
    from PySide6.QtWidgets import QSpinBox

    for key in ("port", "timeout", "retries"):
        spin = page.editors[key].spin
        plain = QSpinBox()
        plain.setRange(*spin.declared)
        plain.setSuffix(spin.suffix())
        assert spin.sizeHint() == plain.sizeHint(), key
        plain.deleteLater()


# Save My Default keeps what the screen showed.


def test_save_my_default_keeps_every_value_when_the_institution_changes_later(page, capsys) -> None:
    from app.main import main

    set_up_tcpip(page)
    assert page.editors["timeout"].value() == 90
    page.top_buttons["default"].click()
    assert "Saved as your default" in page.status.text()
    institution = Path(os.environ["EXPORTDESK_INSTITUTION_FILE"])
    institution.write_text(json.dumps({"options": {"timeout": 30, "validate_bib": "basic"}}))

    restarted = AccountSettings(ACCOUNT).effective()
    assert restarted.active.values["timeout"] == 90
    assert restarted.options["validate_bib"] == "full"
    main(["account", "add", ACCOUNT])
    capsys.readouterr()
    assert main(["options", "show", "--account", ACCOUNT, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["options"]["timeout"] == 90
    assert shown["sources"]["timeout"] == "account"
    assert shown["sources"]["file_name"] == "factory"  # the Documents default stays the default


# Reset: asks with No as the default, writes at once, can be undone until leaving.


def answer_with_enter(qtbot, seen: list) -> None:
    """Press Enter in the next modal dialog, as a hurried cataloger would."""
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    def press() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, press)
            return
        default = box.defaultButton()
        seen.append((default.text().replace("&", "") if default else None, box.text()))
        QTest.keyClick(box, Qt.Key.Key_Return)
        if box.isVisible():  # Enter did nothing: close it, so that the test can fail
            box.reject()

    QTimer.singleShot(0, press)


def save_some_defaults(page) -> None:
    choose(page, "format", "marc")
    choose(page, "retries", 7)
    page.top_buttons["default"].click()
    choose(page, "charset", "marc8")
    page.top_buttons["session"].click()


def test_reset_asks_with_no_as_the_default_and_names_what_it_clears(page, account, qtbot) -> None:
    save_some_defaults(page)
    seen: list = []
    answer_with_enter(qtbot, seen)
    page.top_buttons["reset"].click()
    qtbot.waitUntil(lambda: bool(seen))
    default_button, text = seen[0]
    assert default_button == "No"
    assert "Flagged Bibliographic Record Export Format" in text  # saved as default
    assert "connection 'Default': " in text and "Retries" in text
    assert "this session, the export settings: Character Set." in text
    assert page.editors["format"].value() == "marc"  # Enter said No: nothing cleared
    assert AccountSettings(ACCOUNT).effective().options["format"] == "marc"


def test_reset_with_nothing_saved_says_so(page, dialogs) -> None:
    dialogs.answer("OK")
    page.top_buttons["reset"].click()
    assert "Nothing to reset" in dialogs.texts[0]


def test_undo_reset_puts_back_what_it_cleared(qtbot, account, dialogs) -> None:
    from app.gui.main_window import MainWindow

    window = MainWindow(account)
    qtbot.addWidget(window)
    window.show()
    window.show_export_options()
    page = window.options_page
    save_some_defaults(page)
    undo = next(a for a in window.menuBar().actions() if a.text() == "&Edit").menu()
    undo_action = next(a for a in undo.actions() if a.text() == "Undo &Reset")
    assert not undo_action.isEnabled()

    dialogs.answer("Yes")
    page.top_buttons["reset"].click()
    assert page.editors["format"].value() == "none"
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"  # written at once
    assert account.effective().options["charset"] == "utf8"
    assert undo_action.isEnabled()

    undo_action.trigger()
    assert page.editors["format"].value() == "marc"
    assert page.editors["retries"].value() == 7
    assert page.editors["charset"].value() == "marc8"
    assert AccountSettings(ACCOUNT).effective().options["format"] == "marc"
    assert account.effective().source_of("charset") is Source.SESSION
    assert not undo_action.isEnabled()
    assert "Reset undone" in page.status.text()


def test_cancel_after_reset_undoes_it(page, account, dialogs) -> None:
    save_some_defaults(page)
    dialogs.answer("Yes")
    page.top_buttons["reset"].click()
    choose(page, "validate_auth", "full")
    page.bottom_buttons["cancel"].click()
    assert page.editors["format"].value() == "marc"
    assert page.editors["validate_auth"].value() == "none"
    assert AccountSettings(ACCOUNT).effective().active.values["retries"] == 7
    assert not page.undo_reset_action.isEnabled()


def test_leaving_the_screen_settles_the_reset(qtbot, account, dialogs) -> None:
    from app.gui.main_window import MainWindow

    window = MainWindow(account)
    qtbot.addWidget(window)
    window.show()
    window.show_export_options()
    page = window.options_page
    save_some_defaults(page)
    dialogs.answer("Yes")
    page.top_buttons["reset"].click()
    assert page.undo_reset_action.isEnabled()
    with qtbot.waitSignal(page.goBack):
        page.top_buttons["back"].click()
    assert not page.undo_reset_action.isEnabled()
    window.show_export_options()
    page.bottom_buttons["cancel"].click()
    assert page.editors["format"].value() == "none"
    assert AccountSettings(ACCOUNT).effective().options["format"] == "none"


# Messages say what is true now.


def test_saved_goes_once_something_changes(page) -> None:
    choose(page, "format", "marc")
    page.top_buttons["default"].click()
    assert page.status.text() == "Saved as your default."
    choose(page, "charset", "marc8")
    assert page.status.text() == ""
    choose(page, "charset", "utf8")  # back as saved: the message does not come back
    assert page.status.text() == ""


def test_a_failure_message_stays_while_its_cause_stands(page) -> None:
    choose(page, "destination", "tcpip")  # no host, no logon ID
    page.top_buttons["session"].click()
    assert "Nothing was saved" in page.status.text()
    choose(page, "charset", "marc8")
    assert "Nothing was saved" in page.status.text()  # still true
    choose(page, "host", "alma.example.org")
    assert "Nothing was saved" in page.status.text()  # the logon ID is still missing
    choose(page, "logon_id", "01CARLI_NETWORK")
    assert page.status.text() == ""


def test_a_test_connection_result_goes_when_the_connection_changes(page, qtbot) -> None:
    choose(page, "destination", "tcpip")
    with qtbot.waitSignal(page.testConnectionFinished):
        page.test_connection_button.click()
    assert "host" in page.test_result.text()
    choose(page, "host", "127.0.0.1")
    assert page.test_result.text() == ""


def test_reply_patterns_sit_in_the_connections_advanced_part(page, account) -> None:
    (toggle,) = page.advanced_toggles
    pattern = page.editors["reply_success_pattern"]
    assert not pattern.widget.isVisible()  # folded away until asked for
    toggle.click()
    assert pattern.widget.isVisible()
    set_up_tcpip(page)
    choose(page, "reply_failure_pattern", "(unclosed")
    message = page.messages["reply_failure_pattern"]
    assert message.isVisible() and "not a valid regular expression" in message.text()
    page.save_my_default()
    assert AccountSettings(ACCOUNT).saved_default().active.values["reply_failure_pattern"] == ""
    choose(page, "reply_failure_pattern", "^rejected")
    assert not message.isVisible()
    page.save_my_default()
    assert AccountSettings(ACCOUNT).saved_default().active.values["reply_failure_pattern"] == (
        "^rejected"
    )


def test_a_reply_pattern_in_effect_is_never_folded_away(qtbot, account) -> None:
    assert main(["account", "add", ACCOUNT]) == 0
    assert main(["options", "set", "--account", ACCOUNT, "reply_success_pattern=^thank you"]) == 0
    widget = ExportOptionsPage(AccountSettings(ACCOUNT))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.editors["reply_success_pattern"].widget.isVisible()


def test_a_refused_keyring_is_named_on_the_screen(qtbot, account) -> None:
    from keyrings.alt.file import PlaintextKeyring

    with use_keyring(PlaintextKeyring(), secure=False):
        page = ExportOptionsPage(account)
        qtbot.addWidget(page)
        shown = page.password_place.text()
    assert "keyrings.alt.file.PlaintextKeyring" in shown
    assert "kept in memory only" in shown
