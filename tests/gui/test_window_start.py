"""The first window asks for nothing it does not show: Export Options, and the keyring its
password row reads, wait until the cataloger opens that screen; the search panel, the record
pane, the validator and pymarc load when first used; the save file's
check and the settling of a killed export run once the window shows, off the GUI thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QWidget

from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile
from app.gui.main_window import MainWindow
from tests.fixtures.damage import build_saved
from tests.fixtures.exporting import ACCOUNT
from tests.fixtures.keyrings import MemoryKeyring, use_keyring


class CountingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


def test_the_window_opens_without_asking_the_keyring(qtbot, account) -> None:
    with use_keyring(CountingKeyring()) as keyring:
        window = MainWindow(AccountSettings(ACCOUNT))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert keyring.reads == 0

        window.show_export_options()
        assert keyring.reads > 0  # the password row says whether one is saved
        assert window.pages.currentWidget() is window.options_page
        assert ACCOUNT in window.windowTitle()


# A fresh process opens the account's window and says which modules were loaded once it
# was on screen (before the save file's check, which starts a moment later).
PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from app.core.settings.account_settings import AccountSettings
from app.gui.application import Controller, make_application
app = make_application()
window = Controller(app).open_window(AccountSettings(sys.argv[1]))
QTimer.singleShot(0, app.quit)
app.exec()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
NOT_AT_START = (
    "pymarc",  # and its MARC-8 tables
    "app.core.validation.validator",  # and its rule tables
    "app.core.sources.clients",  # the search clients, requests, ssl
    "ssl",
    "app.gui.search.panel",
    "app.gui.records.detail",  # the record pane: built when a record is first shown
    "app.gui.records.editor",
    "app.core.marc.mrk",
    "app.gui.records.history_view",
    "app.gui.records.characters",
    "app.core.store.importer",  # File > Import's readers
    "filelock",  # the export lock: the check settles a killed run under it, later
    "keyring",
)


def test_the_first_window_loads_only_what_it_shows(account) -> None:
    SaveFile.for_account(ACCOUNT).close()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ACCOUNT],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=60,
    )
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "app.gui.main_window" in loaded and "app.gui.records.page" in loaded
    assert sorted(loaded & set(NOT_AT_START)) == []


def test_the_search_panel_is_built_when_first_shown(qtbot, account) -> None:
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.search_dock.widget() is None  # nothing built for a hidden dock
    window.search_action.trigger()  # F2
    assert window.search_dock.isVisible()
    assert window.search_dock.widget() is window.search_panel
    assert window.search_panel.isVisible()
    assert window.results_menu.actions() == window.search_panel.actions_for_menu


def menu_named(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            menu = action.menu()
            assert isinstance(menu, QMenu)
            return menu
    raise AssertionError(f"no {title} menu")


def test_the_record_pane_is_built_when_a_menu_with_its_actions_opens(qtbot, account) -> None:
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    page = window.records_page
    assert page.shown_record_id is None
    assert page.splitter.widget(1).findChild(QPlainTextEdit) is None  # no editor yet
    edit = menu_named(window, "Edit")
    edit.popup(window.mapToGlobal(QPoint(0, 0)))
    qtbot.waitUntil(edit.isVisible)
    texts = [a.text() for a in edit.actions()]
    edit.close()
    assert page.splitter.widget(1) is page.detail  # built as the menu opened
    # In their places: Copy with the list's actions, the editor's between the separators.
    assert texts[texts.index("&Find") + 1] == page.detail.copy_action.text()
    editor = texts[texts.index("&Find") + 3 : texts.index("Undo &Reset") - 1]
    assert editor == [
        a.text()
        for a in (
            page.detail.save_action,
            page.detail.revert_action,
            page.detail.undo_action,
            page.detail.redo_action,
            page.detail.insert_field_action,
            page.detail.delete_field_action,
            page.detail.characters_action,
        )
    ]
    action_texts = [a.text() for a in menu_named(window, "Action").actions()]
    history = action_texts.index(page.detail.history_action.text())
    assert action_texts[history + 1] == page.apply_template_action.text()
    # Tab goes from the list into the pane.
    assert tab_stops_after(page.table)[:3] == [
        page.detail.copy_button,
        page.detail.text,
        page.detail.messages,
    ]


def tab_stops_after(widget: QWidget) -> list[QWidget]:
    """The widgets Tab may stop at after ``widget`` (its own children left out)."""
    stops, current = [], widget.nextInFocusChain()
    while current is not widget and len(stops) < 100:
        if current.focusPolicy() & Qt.FocusPolicy.TabFocus and not widget.isAncestorOf(current):
            stops.append(current)
        current = current.nextInFocusChain()
    return stops


def test_a_search_dock_left_open_comes_back_with_its_panel(qtbot, account) -> None:
    first = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(first)
    first.show()
    first.show_search()
    first.close()  # the layout is kept: the dock was open

    again = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.search_dock.isVisible()
    assert again.search_dock.widget() is not None  # built as the dock showed
    assert again.search_dock.widget() is again.search_panel
    assert again.results_menu.actions() == again.search_panel.actions_for_menu


def test_a_record_a_killed_export_left_in_flight_is_settled_once_the_window_shows(
    qtbot, account
) -> None:
    saved = build_saved(ACCOUNT)  # one record marked as being sent, as kill -9 leaves it
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.saveFileChecked, timeout=10_000) as checked:
        window.show()
    assert checked.args[0] == []  # the file is sound
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("1 record was being exported when ExportDesk stopped")
    )
    row = window.records_page.save_file.get(saved.in_flight)
    assert row.status == "unconfirmed"  # it may have reached the host: not sent again
    assert window.records_page.save_file.in_flight() == []
