"""What a desktop app owes its users: a name for every control, keys for the frequent actions
listed where they can be found, the window as it was left, an About box, sharp text and icons
at any scale, and a clean exit when stopped."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QAccessible, QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from app import __version__
from app.core.net.receiver import Fault, FaultMode
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import AccountRegistry
from app.gui.export_log import ExportLogDialog
from app.gui.logon import LogonDialog
from app.gui.main_window import MainWindow
from app.gui.shortcuts_dialog import ShortcutsDialog, window_shortcuts
from app.gui.window_state import window_settings
from tests.fixtures.exporting import ACCOUNT, tcpip_settings
from tests.gui.dpi_probe import cut_off

ROOT = Path(__file__).resolve().parents[2]
INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QTabBar,
    QPlainTextEdit,
    QTextEdit,
    QAbstractSlider,
)
# Qt builds these inside a control that carries the name (a spin box's editor, a view's
# header, an editable combo box's line edit, a combo box's popup list, a menu bar's overflow).
PARTS_OF = (QComboBox, QAbstractSpinBox, QLineEdit, QAbstractItemView, QMenuBar)


@pytest.fixture
def window(qtbot, account) -> Iterator[MainWindow]:
    opened = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(opened)
    opened.show()
    yield opened
    opened.options_page.load()  # unsaved edits would make closing ask


def reopen(qtbot) -> MainWindow:
    again = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(again)
    again.show()
    return again


# -- accessible names ------------------------------------------------------------------------


def unnamed_controls(top: QWidget) -> list[str]:
    """Controls a screen reader would announce without a name: no accessible name, no text,
    no label pointing at them (Qt's accessible name covers all three)."""
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE) or isinstance(widget, QScrollBar):
            continue
        if widget.objectName().startswith("qt_") or _inside_a_part(widget):
            continue
        interface = QAccessible.queryAccessibleInterface(widget)
        name = interface.text(QAccessible.Text.Name) if interface is not None else ""
        if not name.strip():
            parent = widget.parentWidget()
            found.append(
                f"{type(widget).__name__} {widget.objectName()!r} in "
                f"{type(parent).__name__ if parent else None}"
            )
    return found


def _inside_a_part(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, PARTS_OF) or type(parent).__name__ == "QComboBoxPrivateContainer":
            return True
        parent = parent.parentWidget()
    return False


def test_every_control_of_the_main_window_and_export_options_has_a_name(window) -> None:
    options = window.options_page
    options.editors["destination"].buttons["tcpip"].click()  # the TCP/IP rows in use
    assert unnamed_controls(window) == []
    assert unnamed_controls(options) == []  # the screen, also when used alone


def test_every_control_of_the_logon_dialog_has_a_name(qtbot) -> None:
    dialog = LogonDialog(AccountRegistry.load())
    qtbot.addWidget(dialog)
    assert unnamed_controls(dialog) == []


def test_every_control_of_the_export_dialog_and_log_has_a_name(
    qtbot, account, flagged, start_receiver
) -> None:
    flagged(2)
    tcpip_settings(start_receiver(fault=Fault(FaultMode.ERROR, text="busy", first=1)))
    window = reopen(qtbot)
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    assert unnamed_controls(dialog) == []  # while it runs
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=20_000)
    assert dialog.failures.isVisible()  # the report, with its table of failures
    assert unnamed_controls(dialog) == []
    log = ExportLogDialog(window.records_page.save_file, window)
    qtbot.addWidget(log)
    assert unnamed_controls(log) == []


def test_the_name_check_finds_a_control_without_one(qtbot) -> None:
    box = QWidget()
    qtbot.addWidget(box)
    QLineEdit(box)  # no name, no label: a screen reader says only "edit"
    labelled = QLineEdit(box)
    QLabel("&Host:", box).setBuddy(labelled)
    assert unnamed_controls(box) == ["QLineEdit '' in QWidget"]


# -- keyboard --------------------------------------------------------------------------------


def mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


@pytest.mark.parametrize("page_name", ["records_page", "options_page"])
def test_alt_letters_of_buttons_and_menus_are_never_shared(window, page_name) -> None:
    """Alt+letter presses one button or opens one menu. Fields may share a letter (each press
    goes to the next of them, as Help > Keyboard Shortcuts says), but never with a button or a
    menu: a letter taken from a menu would stop Alt opening that menu."""
    if page_name == "options_page":
        window.show_export_options()  # its letters are given as the screen is shown
    page = getattr(window, page_name)
    owners: dict[str, list[str]] = {}
    fields: dict[str, list[str]] = {}
    for action in window.menuBar().actions():
        owners.setdefault(mnemonic(action.text()) or "", []).append(f"menu {action.text()}")
    for button in page.findChildren(QAbstractButton):
        # A check box is a field; the other buttons act.
        into = fields if isinstance(button, QCheckBox) else owners
        into.setdefault(mnemonic(button.text()) or "", []).append(button.text())
    for label in page.findChildren(QLabel):
        if (letter := mnemonic(label.text())) and label.buddy() is not None:
            fields.setdefault(letter, []).append(label.text())
    owners.pop("", None)
    fields.pop("", None)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}
    assert {k: v for k, v in fields.items() if k in owners} == {}
    if page_name == "options_page":
        assert len(fields) > 10, fields  # the fields do have letters


def test_no_two_items_of_a_menu_share_a_letter(window) -> None:
    """In an open menu the underlined letter chooses an item at once; a letter two items
    share only moves between them."""

    def shared(menu) -> dict[str, list[str]]:
        letters: dict[str, list[str]] = {}
        for action in menu.actions():
            if letter := mnemonic(action.text()):
                letters.setdefault(letter, []).append(action.text())
        found = {k: v for k, v in letters.items() if len(v) > 1}
        for action in menu.actions():
            if action.menu() is not None:
                found.update(shared(action.menu()))
        return found

    for top in window.menuBar().actions():
        assert shared(top.menu()) == {}, top.text()


def test_frequent_actions_have_keys_and_no_key_does_two_things(window) -> None:
    shortcuts = window_shortcuts(window)
    by_action = {s.action: s.keys for s in shortcuts}
    for action in (
        "Import",
        "Export Flagged",
        "Export Selected",
        "Export Log",
        "Find",
        "Flag or unflag selected",
        "Validate Record",
        "Validate Selected",
        "Validate Flagged",
        "Validation Results",
        "Export Options",
        "Keyboard Shortcuts",
    ):
        assert by_action.get(action), f"{action} has no keyboard shortcut"
    # A key may act in one widget (the record's text, the search results) and elsewhere,
    # never twice in the same place.
    keys = [(s.keys, s.where) for s in shortcuts]
    assert sorted(k for k in keys if keys.count(k) > 1) == []
    for action in (
        "Save Record",
        "Revert Record",
        "Insert Field",
        "Delete Field",
        "Record History",
    ):
        assert by_action.get(action), f"{action} has no keyboard shortcut"


def test_help_lists_the_shortcuts_from_the_actions_themselves(qtbot, window) -> None:
    window.shortcuts_action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    assert unnamed_controls(dialog) == []
    rows = {
        dialog.table.item(row, 1).text(): dialog.table.item(row, 0).text()
        for row in range(dialog.table.rowCount())
    }
    assert rows["Export Flagged"] == "Ctrl+E"
    assert rows["Flag or unflag selected (in Records)"] == "Space"
    assert "General > Admin" in [
        dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())
    ]
    # A key given to an action later shows up the next time: nothing to keep in step by hand.
    window.records_page.flag_selected_action.setShortcut("Ctrl+Shift+G")
    again = ShortcutsDialog(window)
    qtbot.addWidget(again)
    assert any(s.keys == "Ctrl+Shift+G" and s.action == "Flag selected" for s in again.shortcuts)


# -- the window as it was left ---------------------------------------------------------------


def test_size_place_and_layout_come_back_after_closing(qtbot, window) -> None:
    window.resize(700, 560)  # within the offscreen screen (800 x 800): kept as it is
    window.move(QPoint(37, 45))
    window.validation_dock.show()
    splitter = window.records_page.splitter
    splitter.setSizes([260, 140])
    header = window.records_page.table.horizontalHeader()
    header.resizeSection(1, 170)
    sizes, geometry = splitter.sizes(), window.geometry()
    window.close()
    assert (Path(window_settings().fileName())).is_file()

    again = reopen(qtbot)
    assert again.geometry() == geometry
    assert again.validation_dock.isVisible()
    assert again.records_page.splitter.sizes() == sizes
    assert again.records_page.table.horizontalHeader().sectionSize(1) == 170


def test_column_widths_the_window_cannot_read_are_left_as_they_are(qtbot, window) -> None:
    window.resize(700, 560)
    window.move(QPoint(37, 45))
    geometry = window.geometry()
    width = window.records_page.table.horizontalHeader().sectionSize(1)
    window.close()
    settings = window_settings()
    count = window.records_page.table.horizontalHeader().count()
    # A hand-edited file: "²" is a digit to str.isdigit, not to int.
    settings.setValue("mainWindow/columns", ",".join(["\u00b2"] + ["170"] * (count - 1)))
    settings.sync()

    again = reopen(qtbot)
    assert again.geometry() == geometry  # the rest of the layout still comes back
    assert again.records_page.table.horizontalHeader().sectionSize(1) == width


def test_a_first_window_fits_the_screen(window) -> None:
    available = window.screen().availableGeometry()
    assert window.width() <= available.width() and window.height() <= available.height()
    assert not Path(window_settings().fileName()).exists()  # nothing kept until it closes


def test_window_layout_lives_beside_the_account_files(isolated_home, window) -> None:
    window.close()
    kept = Path(window_settings().fileName())
    assert kept.is_file()
    assert kept.parent == isolated_home / ".config" / "exportdesk"


# -- About, title ----------------------------------------------------------------------------


def test_about_names_the_version_and_where_things_are(window, dialogs) -> None:
    dialogs.answer("OK")
    window.about_action.trigger()
    said = dialogs.texts[0]
    assert f"ExportDesk {__version__}" in said
    assert "exportdesk" in said  # the settings and records folders
    assert "Passwords:" in said and "Qt " in said


def test_the_title_names_the_account_and_follows_the_saved_connection(qtbot, window) -> None:
    assert window.windowTitle() == f"ExportDesk — {ACCOUNT} — Default[*]"
    page = window.options_page
    window.show_export_options()
    page.connection_buttons["duplicate"].click()  # the copy becomes the active connection
    copy = page.working.active.name
    assert copy != "Default"
    assert window.windowTitle().endswith("— Default[*]")  # not saved yet: exports go there
    assert window.isWindowModified()  # shown as the title's [*]
    page.top_buttons["default"].click()
    assert window.windowTitle().endswith(f"— {copy}[*]")
    assert not window.isWindowModified()
    page.go_back()
    window.close()
    assert reopen(qtbot).windowTitle().endswith(f"— {copy}[*]")


# -- high-DPI --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("screen", "scale"),
    [((2560, 1600), "2"), ((1920, 1080), "1.5"), ((1366, 768), "1.25")],
    ids=["retina-2x", "full-hd-150", "laptop-125"],
)
def test_nothing_is_cut_off_at_high_dpi(tmp_path, screen, scale) -> None:
    env = {**os.environ, "QT_SCALE_FACTOR": scale, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.dpi_probe", *map(str, screen)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["scale"] == float(scale)  # PassThrough: 1.25 and 1.5 are not rounded
    assert result["problems"] == []
    # The SVG icon is drawn for the scale, not blown up from a small bitmap.
    assert result["icon"] == [round(32 * float(scale))] * 2


def test_the_cut_off_check_finds_a_squeezed_button(qtbot) -> None:
    box = QWidget()
    qtbot.addWidget(box)
    button = QPushButton("Save My Default", box)
    button.resize(QSize(30, 10))
    box.resize(200, 100)
    box.show()
    assert cut_off(box) and "Save My Default" in cut_off(box)[0]


# -- stopping --------------------------------------------------------------------------------


def test_a_stop_signal_closes_the_demo_cleanly(tmp_path) -> None:
    """Ctrl+C in a terminal (or the session ending) ends the window and removes the demo's
    folder, instead of killing it half way."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "--demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert app.stdout is not None
        ready, _, _ = select.select([app.stdout], [], [], 30)
        assert ready, "the demo printed nothing within 30 s"
        line = app.stdout.readline()  # printed once the demo is set up
        home = Path(re.search(r"home (\S+)$", line.strip()).group(1))
        assert home.is_dir()
        app.send_signal(signal.SIGINT)
        assert app.wait(30) == 0
        assert not home.exists()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        if app.stdout is not None:
            app.stdout.close()


def test_actions_with_keys_are_all_in_menus(window) -> None:
    """The shortcuts list reads the menus: an action with a key outside them would be missing."""
    listed = {s.action for s in window_shortcuts(window)}
    for action in window.findChildren(QAction):
        if action.shortcuts() and action.text():
            plain = action.text().replace("&", "").rstrip("…").strip()
            assert plain in listed, f"{plain} ({action.shortcut().toString()}) is in no menu"
