"""Log on, log off, and the accounts of this machine."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from app.core.settings.accounts import AccountRegistry
from app.core.settings.layers import account_file
from app.gui.application import Controller
from app.gui.logon import LogonDialog


def known(*accounts: str, last: str | None = None) -> AccountRegistry:
    registry = AccountRegistry(list(accounts), last)
    registry.save()
    return registry


def test_the_last_account_is_preselected(qtbot) -> None:
    dialog = LogonDialog(known("100-123-456", "200-000-001", last="200-000-001"))
    qtbot.addWidget(dialog)
    assert dialog.authorization.currentText() == "200-000-001"
    assert dialog.authorization.count() == 2


def test_a_malformed_authorization_gets_a_clear_message(qtbot) -> None:
    dialog = LogonDialog(known())
    qtbot.addWidget(dialog)
    dialog.show()
    for typed in ("100123456", "100-123", "abc-def-ghi", "100-123-456-7"):
        dialog.authorization.setCurrentText(typed)
        dialog.log_on_button.click()
        assert dialog.isVisible(), typed
        assert "three groups of digits" in dialog.message.text(), typed


def test_enter_logs_on_with_the_preselected_account_at_the_first_press(qtbot) -> None:
    dialog = LogonDialog(known("100-123-456", "200-000-001", last="200-000-001"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.authorization.lineEdit(), Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.account == "200-000-001"


def test_a_lone_account_added_from_the_command_line_is_preselected(qtbot) -> None:
    dialog = LogonDialog(known("100-123-456"))  # added, never logged on to: no last
    qtbot.addWidget(dialog)
    assert dialog.authorization.currentText() == "100-123-456"


def test_an_empty_field_asks_for_the_authorization(qtbot) -> None:
    dialog = LogonDialog(known("100-123-456", "200-000-001"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.authorization.setCurrentText("  ")
    dialog.log_on_button.click()
    assert dialog.isVisible()
    assert dialog.message.text() == "Enter your authorization, such as 100-123-456."


def test_the_whole_message_shows(qtbot) -> None:
    dialog = LogonDialog(known())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.authorization.setCurrentText("abc-def-ghi")
    dialog.log_on_button.click()
    label = dialog.message
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    assert label.width() <= dialog.width()
    assert dialog.width() >= dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())


def test_log_on_with_a_new_account_then_log_off_returns_to_log_on(qtbot) -> None:
    controller = Controller(QApplication.instance())
    controller.show_logon()
    dialog = controller.logon
    qtbot.addWidget(dialog)
    dialog.authorization.setCurrentText(" 300-555-777 ")
    dialog.log_on_button.click()
    window = controller.window
    assert window is not None and window.isVisible()
    qtbot.addWidget(window)
    assert "300-555-777" in window.windowTitle()
    registry = AccountRegistry.load()
    assert registry.accounts == ["300-555-777"] and registry.last == "300-555-777"

    window.log_off_action.trigger()
    assert controller.window is None
    assert controller.logon is not dialog and controller.logon.isVisible()
    qtbot.addWidget(controller.logon)
    assert controller.logon.authorization.currentText() == "300-555-777"


def test_log_off_drops_the_session_layer(qtbot) -> None:
    controller = Controller(QApplication.instance())
    controller.show_logon()
    qtbot.addWidget(controller.logon)
    controller.logon.authorization.setCurrentText("100-123-456")
    controller.logon.log_on_button.click()
    window = controller.window
    qtbot.addWidget(window)
    window.show_export_options()
    page = window.options_page
    page.editors["charset"].buttons["marc8"].click()
    page.top_buttons["session"].click()
    assert window.account.effective().options["charset"] == "marc8"
    window.log_off_action.trigger()

    controller.logon.log_on_button.click()
    qtbot.addWidget(controller.window)
    assert controller.window.account.effective().options["charset"] == "utf8"


def test_a_damaged_settings_file_is_reported_in_the_window(qtbot) -> None:
    path = account_file("100-123-456")
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    known("100-123-456", last="100-123-456")
    controller = Controller(QApplication.instance())
    controller.show_logon()
    qtbot.addWidget(controller.logon)
    controller.logon.log_on_button.click()
    window = controller.window
    qtbot.addWidget(window)
    assert "damaged" in window.statusBar().currentMessage()
    assert window.account.effective().options["format"] == "none"


def test_every_notice_reaches_the_window_not_only_the_last(qtbot, tmp_path) -> None:
    path = account_file("100-123-456")
    path.parent.mkdir(parents=True)
    path.write_text('{"connections": 5}', encoding="utf-8")
    institution = tmp_path / "institution.json"
    institution.write_text('{"options": {"timeout": "soon"}}', encoding="utf-8")
    known("100-123-456", last="100-123-456")
    controller = Controller(QApplication.instance())
    controller.show_logon()
    qtbot.addWidget(controller.logon)
    controller.logon.log_on_button.click()
    window = controller.window
    qtbot.addWidget(window)
    shown = window.statusBar().currentMessage()
    assert "'connections' should hold a list, not the number 5" in shown
    assert f"In {institution}: timeout" in shown
