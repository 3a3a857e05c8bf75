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
    groups = {box.title(): box for box in page.findChildren(QGroupBox)}
    for opt in OPTIONS:
        editor = page.editors[opt.key]
        assert opt.group in groups, opt.group
        assert groups[opt.group].isAncestorOf(editor.widget), opt.key
        assert opt.help in editor.widget.toolTip()
        labels = [w.text() for w in groups[opt.group].findChildren(QLabel)]
        labels += [w.text() for w in groups[opt.group].findChildren(QCheckBox)]
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
    assert page.editors["timeout"].spin.maximum() == 999
    assert page.editors["port"].spin.minimum() == 1
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
        assert "No keyring on this computer" in page.password_place.text()
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
