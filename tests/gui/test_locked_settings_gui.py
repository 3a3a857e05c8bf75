"""Locked settings on the Export Options screen, and General > Admin > Account Report: driven
like a cataloger would, trying to change what the institution locks."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.settings.account_settings import AccountSettings
from app.core.settings.layers import Source, account_file
from app.gui.account_report import AccountReportDialog
from app.gui.main_window import MainWindow
from app.gui.options_page import ExportOptionsPage
from tests.fixtures.consortium import (
    CONSORTIUM,
    CONTACT,
    NZ_HOST,
    write_institution,
    write_unlocked_institution,
)
from tests.fixtures.exporting import ACCOUNT


@pytest.fixture
def page(qtbot) -> ExportOptionsPage:
    write_institution(CONSORTIUM)
    widget = ExportOptionsPage(AccountSettings(ACCOUNT))
    qtbot.addWidget(widget)
    widget.resize(900, 1200)
    widget.show()
    return widget


def effective() -> tuple:
    settings = AccountSettings(ACCOUNT).effective()
    return (
        settings.options["format"],
        settings.options["destination"],
        settings.active_id,
        [(c.id, c.name, c.values["host"], c.values["port"], c.values["timeout"])
         for c in settings.connections],
    )  # fmt: skip


LOCKED_BEFORE = (
    "marc",
    "tcpip",
    "nz",
    [
        ("nz", "CARLI Network Zone", NZ_HOST, 5500, 60),
        ("iz", "Institution Zone", "iz.example.org", 5500, 60),
    ],
)


def test_locked_values_show_greyed_with_who_to_ask(page) -> None:
    for key in ("format", "destination", "host", "port", "timeout", "logon_id"):
        assert not page.editors[key].widget.isEnabled(), key
        assert page.lock_labels[key].isVisible(), key
        assert page.lock_labels[key].text() == "Set by your institution"
        assert "set by your institution" in page.editors[key].widget.toolTip()
    for key in ("validate_bib", "fields_to_delete", "charset"):
        assert page.editors[key].widget.isEnabled(), key
        assert not page.lock_labels[key].isVisible(), key
    assert page.locked_notice.isVisible()
    assert CONTACT in page.locked_notice.text()
    assert not page.connection_tabs.isEnabled()  # where exports go is locked
    for name in ("add", "duplicate", "rename", "delete"):
        assert not page.connection_buttons[name].isEnabled(), name
    assert page.test_connection_button.isEnabled()  # a locked host can still be tested
    assert page.password.isEnabled()  # passwords are each user's


def test_clicking_and_typing_in_locked_fields_changes_nothing(page, qtbot) -> None:
    QTest.mouseClick(page.editors["destination"].buttons["file"], Qt.MouseButton.LeftButton)
    page.editors["host"].line.setFocus()
    QTest.keyClicks(page.editors["host"].line, "sandbox")
    # Even a program setting the controls directly: the value stays the institution's.
    page.editors["format"].combo.setCurrentIndex(page.editors["format"].combo.findData("marcxml"))
    page.editors["timeout"].spin.setValue(5)
    assert page.working.options["format"] == "marc"
    assert page.editors["format"].value() == "marc"
    assert page.working.active.values["timeout"] == 60
    assert not page.is_dirty()
    page.top_buttons["default"].click()
    page.top_buttons["session"].click()
    assert effective() == LOCKED_BEFORE


def test_locked_connections_can_t_be_renamed_deleted_or_switched(page, dialogs) -> None:
    dialogs.answer("OK")
    page.rename_connection()
    assert "Set by your institution" in dialogs.texts[-1] and CONTACT in dialogs.texts[-1]
    dialogs.answer("OK")
    page.delete_connection()
    page.connection_tabs.setCurrentIndex(1)  # a program switching the disabled tabs
    assert page.working.active_id == "nz"
    page.top_buttons["default"].click()
    assert effective() == LOCKED_BEFORE


def test_save_my_default_and_reset_leave_locked_values_alone(qtbot, dialogs) -> None:
    # Saved before the lock: the account's own values.
    write_unlocked_institution()
    account = AccountSettings(ACCOUNT)
    working = account.effective().copy()
    working.set_value("format", "marcxml")
    working.set_value("destination", "file")
    account.save_default(working)
    write_institution(CONSORTIUM)
    page = ExportOptionsPage(AccountSettings(ACCOUNT))
    qtbot.addWidget(page)
    page.show()
    assert page.working.options["format"] == "marc"
    assert page.baseline.source_of("format") is Source.LOCKED
    page.editors["validate_auth"].combo.setCurrentIndex(
        page.editors["validate_auth"].combo.findData("full")
    )
    page.bottom_buttons["default"].click()
    dialogs.answer("Yes")
    page.bottom_buttons["reset"].click()
    assert "Format" not in dialogs.texts[-1]  # Reset does not list what it leaves alone
    held = json.loads(account_file(ACCOUNT).read_text())
    assert held["options"] == {"format": "marcxml", "destination": "file"}
    assert effective() == LOCKED_BEFORE
    write_institution({**CONSORTIUM, "locked": []})  # lifted: the account's values again
    assert AccountSettings(ACCOUNT).effective().options["format"] == "marcxml"


def test_the_admin_menu_shows_what_the_account_uses(qtbot, account) -> None:
    write_institution(CONSORTIUM)
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    window.show()
    general = next(a.menu() for a in window.menuBar().actions() if a.text() == "&General")
    admin = next(a.menu() for a in general.actions() if a.text() == "&Admin")
    assert window.account_report_action in admin.actions()
    window.account_report_action.trigger()
    dialog = window.findChild(AccountReportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.values["connection"].text() == "CARLI Network Zone"
    assert dialog.sources["connection"].text() == "set by your institution (locked)"
    assert dialog.values["host"].text() == NZ_HOST
    assert dialog.values["logon_id"].text() == "01CARLI_NETWORK"
    assert dialog.password.text() == "not set"
    assert dialog.last_export.text() == "none yet"
    assert dialog.contact.text() == CONTACT
    assert "connection 'CARLI Network Zone': all its settings and its name" in dialog.locks.text()
    assert dialog.report["sources"]["host"] == "institution (locked)"
    dialog.close()


def test_a_failed_background_fetch_is_said_in_the_open_window(
    qtbot, account, institution_server, site_folder, tls_files
) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.settings import institution_url
    from app.gui.application import Controller

    institution_server.files["/institution.json"] = json.dumps(CONSORTIUM).encode()
    institution_url.set_url(institution_server.url(), tls_files.ca_file)
    institution_url.refresh()
    controller = Controller(QApplication.instance())
    window = controller.open_window(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    institution_server.files["/institution.json"] = b'{"options": '
    with qtbot.waitSignal(controller.institutionFetched, timeout=10_000):
        institution_url.fetch_in_background(controller.institutionFetched.emit)
    message = window.statusBar().currentMessage()
    assert "not valid JSON" in message and "stays in force" in message
    assert window.account.effective().options["format"] == "marc"  # the cached copy
    window.close()
