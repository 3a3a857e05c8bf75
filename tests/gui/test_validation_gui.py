"""Validation in the window, driven like a cataloger would: validate the open record and a
selection, read the states in the list and the messages in the pane and the results panel,
pick a level, cancel a long validation while the window stays free."""

from __future__ import annotations

import threading

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication

import app.core.validation.run as run_module
from app.core.settings.account_settings import AccountSettings
from app.core.validation.run import AccountLevels
from app.gui.records import RecordsPage
from app.gui.records.model import TITLE, VALIDATION
from app.gui.validation_panel import MESSAGE, RECORD, SEVERITY, TAG, WHERE
from tests.fixtures.records_page import import_and_wait, select_rows
from tests.fixtures.validation import (
    authority_record,
    error_record,
    valid_record,
    warning_record,
)


def validated(qtbot, page: RecordsPage, start) -> object:
    """Start a validation and wait for its summary (and its worker's end)."""
    with qtbot.waitSignal(page.validationFinished, timeout=20000) as finished:
        start()
    qtbot.waitUntil(lambda: not page.validating)
    return finished.args[0]


def column(page: RecordsPage, col: int) -> list[str]:
    return [page.model.index(row, col).data() for row in range(page.model.rowCount())]


def panel_rows(page: RecordsPage, *columns: int) -> list[tuple[str, ...]]:
    model = page.validation_panel.model
    return [
        tuple(model.index(row, col).data() for col in columns or (RECORD, SEVERITY, MESSAGE))
        for row in range(model.rowCount())
    ]


def test_f7_validates_the_open_record_and_shows_its_messages(qtbot, page, saved_records):
    saved_records(valid_record("v1"), error_record("e1"))
    page.refresh()
    assert column(page, VALIDATION) == ["", ""]
    page.table.selectRow(1)
    assert page.detail.validation_heading.text().startswith("Not validated")
    page.table.setFocus()
    summary = validated(qtbot, page, lambda: qtbot.keyClick(page.table, Qt.Key.Key_F7))
    assert summary.errors == 1 and summary.total == 1
    # The list: only the open record was validated.
    assert column(page, VALIDATION) == ["", "Errors"]
    tip = page.model.index(1, VALIDATION).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("2 errors at Full, validated ")
    assert page.model.index(0, VALIDATION).data(Qt.ItemDataRole.AccessibleTextRole) == (
        "Not validated"
    )
    # The pane, beside the MARC text.
    assert page.detail.validation_heading.text() == "Errors at Full: 2 errors."
    pane = page.detail.messages
    assert [pane.topLevelItem(n).text(0) for n in range(pane.topLevelItemCount())] == [
        "245",
        "249",
    ]
    assert "first indicator '9' is not valid" in pane.topLevelItem(0).text(2)
    pane.setCurrentItem(pane.topLevelItem(0))  # picking a message selects its field
    assert page.detail.selected_text().startswith("=245  90")
    assert page.detail.message_text.text().startswith("Field 245: first indicator '9'")
    # The panel, opened by itself: a row per message.
    assert page.validation_panel.isVisible()
    assert panel_rows(page, RECORD, SEVERITY, TAG, WHERE) == [
        ("e1", "Error", "245", "ind1"),
        ("e1", "Error", "249", ""),
    ]
    assert page.validation_panel.summary.text() == ("Validated 1 record at Full: 1 with errors.")
    assert not page.validating and page.validate_record_action.isEnabled()


def test_ctrl_shift_v_validates_the_imported_selection(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat", test_data / "pymarc-utf8.dat")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    summary = validated(
        qtbot,
        page,
        lambda: qtbot.keyClick(
            page.table,
            Qt.Key.Key_V,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        ),
    )
    # pymarc's ten MARC-8 records: one obsolete indicator; its UTF-8 record has errors.
    assert (summary.valid, summary.warnings, summary.errors) == (9, 1, 1)
    assert column(page, VALIDATION) == ["Valid"] * 9 + ["Warnings", "Errors"]
    assert page.table.selectionModel().isRowSelected(10)  # the selection stays
    rows = panel_rows(page)
    assert rows[0] == ("fol05731351", "Valid", "No problems at Full")
    assert rows[9][:2] == ("fol05882032", "Warning")
    assert rows[9][2].startswith("Field 100: first indicator '2' is an obsolete value")
    assert len(rows) == 9 + summary_messages(page)  # a row per valid record, per message
    page.validation_panel.problems_only.setChecked(True)
    assert {row[0] for row in panel_rows(page)} == {"fol05882032", "2"}
    # Filter the list to the records with errors, then sort by state.
    page.filter_bar.validation_filter.setCurrentIndex(
        page.filter_bar.validation_filter.findData("errors")
    )
    assert page.model.rowCount() == 1
    assert page.model.index(0, TITLE).data().startswith("Escape from loneliness")
    page.filter_bar.validation_filter.setCurrentIndex(0)
    header = page.table.horizontalHeader()
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(VALIDATION) + 10, header.height() // 2),
    )
    assert page.model.query.sort == "validation"
    assert column(page, VALIDATION)[-2:] == ["Warnings", "Errors"]


def test_the_level_comes_from_the_account_or_the_menu(qtbot, save_file, saved_records):
    levels = AccountLevels(bibliographic="full", authority="none")
    page = RecordsPage(save_file, account_levels=lambda: levels)
    qtbot.addWidget(page)
    _bib, auth = saved_records(error_record("e1"), authority_record("a1"))
    page.refresh()
    page.update_level_texts()
    assert page.level_actions["account"].text() == (
        "&Account Levels (Bibliographic: Full, Authority: None)"
    )
    select_rows(page, 0, 1)
    validated(qtbot, page, page.validate_selected_action.trigger)
    assert column(page, VALIDATION) == ["Errors", ""]  # the account doesn't check authorities
    assert panel_rows(page)[-1][:2] == ("a1", "Not validated")
    assert "level for authority records is None" in panel_rows(page)[-1][2]
    page.level_actions["structure"].trigger()
    assert page.validation_level == "structure"
    summary = validated(qtbot, page, page.validate_selected_action.trigger)
    assert summary.valid == 2 and summary.describe().startswith("Validated 2 records at Structure")
    assert column(page, VALIDATION) == ["Valid", "Valid"]
    assert page.save_file.get(auth).validation_level == "structure"
    page.shutdown()


def test_double_clicking_a_message_shows_its_record_and_field(qtbot, page, saved_records):
    saved_records(warning_record("w1"), valid_record("v1"), error_record("e1"))
    page.refresh()
    select_rows(page, 0, 1, 2)
    validated(qtbot, page, page.validate_selected)
    page.table.selectRow(1)
    assert page.detail.record_id == 2
    view = page.validation_panel.view
    model = page.validation_panel.model
    assert panel_rows(page, RECORD, TAG) == [
        ("w1", "100"),
        ("v1", ""),
        ("e1", "245"),
        ("e1", "249"),
    ]
    message = model.index(3, MESSAGE)  # the error record's second message
    assert message.data().startswith("Field 249 is not defined")
    view.scrollTo(message)
    where = view.visualRect(message).center()
    # A real double-click: Qt activates only a row the first press of it went to.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert page.detail.record_id == 3
    assert page.table.currentIndex().row() == 2
    assert page.detail.selected_text().startswith("=249")
    assert page.detail.current_message().tag == "249"
    # A record the list's filter hides still opens in the pane.
    page.filter_bar.validation_filter.setCurrentIndex(
        page.filter_bar.validation_filter.findData("valid")
    )
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert page.detail.record_id == 1


def test_a_long_validation_shows_progress_cancels_and_leaves_the_window_free(
    qtbot, page, saved_records, monkeypatch
):
    ids = saved_records(*(valid_record(f"v{n}") for n in range(40)))
    page.refresh()
    # Every outcome stored at once, so that the progress shows before the gate (the job
    # delivers what it reported within a batch's time, without waiting for more).
    monkeypatch.setattr(run_module, "FLUSH_RECORDS", 1)
    release = threading.Event()
    threads: set[int] = set()
    real = run_module.validate_record

    def slow_validate(raw: bytes, level: str):
        threads.add(threading.get_ident())
        if b"v10" in raw:
            release.wait(20)  # the eleventh record takes until the test lets it go
        return real(raw, level)

    monkeypatch.setattr(run_module, "validate_record", slow_validate)
    page.table.selectAll()
    with qtbot.waitSignal(page.validationFinished, timeout=20000) as finished:
        page.validate_selected()
        assert page.validating and page.validator.validation_box.isVisible()
        assert not page.validate_selected_action.isEnabled()
        assert not page.validate(ids)  # one validation at a time
        qtbot.waitUntil(
            lambda: page.validator.validation_label.text() == "Validated 10 of 40 (0 with errors)",
            timeout=5000,
        )
        assert page.validator.validation_bar.value() == 250
        assert page.validation_panel.model.rowCount() == 10  # one row per valid record
        # While the worker is busy the GUI thread runs timers, repaints and clicks.
        ticks = []
        QTimer.singleShot(0, lambda: ticks.append("tick"))
        qtbot.waitUntil(lambda: ticks == ["tick"], timeout=2000)
        page.table.selectRow(3)
        assert page.detail.record_id == ids[3]
        qtbot.mouseClick(page.validator.cancel_validation_button, Qt.MouseButton.LeftButton)
        assert page.validator.validation_label.text() == "Cancelling…"
        release.set()
    summary = finished.args[0]
    qtbot.waitUntil(lambda: not page.validating)
    assert threads and threading.main_thread().ident not in threads
    assert summary.cancelled and summary.valid == 11
    assert page.validation_panel.summary.text().startswith("Validation cancelled after 11 of 40.")
    assert not page.validator.validation_box.isVisible()
    states = column(page, VALIDATION)
    assert states == ["Valid"] * 11 + [""] * 29
    assert page.detail.validation_heading.text() == "Valid at Full: no problems."
    assert page.validate_selected_action.isEnabled()


def test_closing_during_a_validation_stops_it_cleanly(qtbot, page, saved_records, monkeypatch):
    saved_records(*(valid_record(f"v{n}") for n in range(10)))
    page.refresh()
    started = threading.Event()
    real = run_module.validate_record

    def waiting_validate(raw: bytes, level: str):
        started.set()
        return real(raw, level)

    monkeypatch.setattr(run_module, "validate_record", waiting_validate)
    page.validate_flagged_action.trigger()  # nothing flagged: nothing happens
    assert not page.validating
    page.save_file.flag_all()
    page.refresh()
    assert page.validate_flagged_action.isEnabled()
    page.validate_flagged_action.trigger()
    assert page.validating
    page.shutdown()
    assert not page.validating


def test_the_main_window_offers_action_validate_and_docks_the_results(qtbot, account, test_data):
    from app.gui.main_window import MainWindow

    settings = AccountSettings(account)
    working = settings.effective().copy()
    working.set_value("validate_bib", "structure")
    settings.save_for_session(working)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert list(menus)[:3] == ["&File", "&Edit", "&Action"]
    actions = [a for a in menus["&Action"].actions() if not a.isSeparator()]
    shortcuts = {a.text(): a.shortcut().toString() for a in actions}
    assert shortcuts["&Validate Selected"] == "Ctrl+Shift+V"
    assert shortcuts["Validate &Record"] == "F7"
    assert "Validat&ion Level" in shortcuts and "Validation Res&ults" in shortcuts
    page = window.records_page
    page.update_level_texts()
    assert "Bibliographic: Structure" in page.level_actions["account"].text()
    assert not window.validation_dock.isVisible()
    import_and_wait(qtbot, page, test_data / "pymarc-utf8.dat")
    page.table.selectRow(0)
    summary = validated(qtbot, page, page.validate_record_action.trigger)
    assert summary.levels == {"structure"}  # the session's level, not the factory's Full
    assert window.validation_dock.isVisible()
    assert window.validation_dock.widget() is page.validation_panel
    assert window.statusBar().currentMessage() == summary.describe()
    assert page.validation_panel.view.accessibleName() == "Validation results"
    assert page.detail.messages.accessibleName() == "Validation messages"
    window.close()
    QApplication.processEvents()


def summary_messages(page: RecordsPage) -> int:
    """How many messages the records of the last validation have, all told."""
    return sum(e.errors + e.warnings for e in page.validation_panel.model.entries)
