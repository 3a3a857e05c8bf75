"""Exporting from the window: in the background, with progress, cancel and a report."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer

from app.core.net.receiver import Fault, FaultMode
from app.core.settings.account_settings import AccountSettings
from app.gui.main_window import MainWindow
from tests.fixtures.exporting import ACCOUNT, tcpip_settings


@pytest.fixture
def open_window(qtbot, account):
    """The main window of the account, opened once its settings are in place."""

    def opened() -> MainWindow:
        window = MainWindow(AccountSettings(ACCOUNT))
        qtbot.addWidget(window)
        window.show()
        return window

    return opened


def run_to_the_end(qtbot, window, action=None):
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        (action or window.exports.export_flagged_action).trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=20_000)
    return dialog


def test_export_flagged_sends_in_the_background_and_reports(qtbot, open_window, flagged, receiver):
    ids = flagged(5)
    tcpip_settings(receiver)
    window = open_window()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    dialog = run_to_the_end(qtbot, window)
    timer.stop()
    assert ticks, "the event loop kept running during the export"
    assert [o.outcome for o in dialog.outcomes] == ["exported"] * 5
    assert dialog.progress.value() == 5
    assert "exported 5" in dialog.heading.text()
    assert "Exported: 5" in dialog.report_text()
    assert not dialog.retry_button.isEnabled() and not dialog.resend_button.isEnabled()
    assert len(receiver.record_files()) == 5
    page = window.records_page
    qtbot.waitUntil(lambda: page.save_file.flagged_ids() == [])
    assert sorted(ids) == sorted(o.record_id for o in dialog.outcomes)


def test_cancel_stops_before_the_next_record(qtbot, open_window, flagged, start_receiver):
    slow = start_receiver(fault=Fault(FaultMode.SLOW, seconds=0.2))
    ids = flagged(8)
    tcpip_settings(slow)
    window = open_window()
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: len(dialog.outcomes) >= 1, timeout=10_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=10_000)
    kinds = [o.outcome for o in dialog.outcomes]
    assert len(kinds) == 8 and kinds[0] == "exported" and kinds[-1] == "cancelled"
    assert "cancelled" in dialog.heading.text()
    flagged_left = window.records_page.save_file.flagged_ids()
    assert set(flagged_left) == {o.record_id for o in dialog.outcomes if o.outcome != "exported"}
    assert len(ids) == 8


def test_retry_failed_sends_the_rejected_again(qtbot, open_window, flagged, start_receiver):
    flaky = start_receiver(fault=Fault(FaultMode.ERROR, text="busy", first=1))
    flagged(2)
    tcpip_settings(flaky)
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    assert [o.outcome for o in dialog.outcomes] == ["rejected", "exported"]
    assert dialog.failures.rowCount() == 1 and "busy" in dialog.failures.item(0, 3).text()
    with qtbot.waitSignal(window.exports.exportStarted) as again:
        dialog.retry_button.click()
    retried = again.args[0]
    qtbot.waitUntil(lambda: retried.finished_running, timeout=10_000)
    assert [o.outcome for o in retried.outcomes] == ["exported"]


def test_resending_unconfirmed_records_is_warned(
    qtbot, open_window, flagged, start_receiver, dialogs
):
    silent = start_receiver(fault=Fault(FaultMode.CLOSE_BEFORE_REPLY, first=1))
    flagged(1)
    tcpip_settings(silent)
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    assert [o.outcome for o in dialog.outcomes] == ["unconfirmed"]
    assert dialog.resend_button.isEnabled() and not dialog.retry_button.isEnabled()
    dialogs.answer("No")
    dialog.resend_button.click()
    assert "may already hold" in dialogs.texts[0]
    assert dialog.isVisible()
    dialogs.answer("Yes")
    with qtbot.waitSignal(window.exports.exportStarted) as again:
        dialog.resend_button.click()
    qtbot.waitUntil(lambda: again.args[0].finished_running, timeout=10_000)
    assert [o.outcome for o in again.args[0].outcomes] == ["exported"]


def test_mark_for_export_flags_instead_of_sending(qtbot, open_window, save_file, receiver):
    from tests.fixtures.exporting import add_records, valid_bib

    ids = add_records(save_file, [valid_bib(1), valid_bib(2)], flag=False)
    tcpip_settings(receiver, mark_for_export=True)
    window = open_window()
    page = window.records_page
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.table.selectAll()
    window.exports.export_selected_action.trigger()
    assert sorted(page.save_file.flagged_ids()) == sorted(ids)
    assert receiver.record_files() == []
    assert "next Export Flagged" in window.statusBar().currentMessage()


def test_a_file_export_asks_for_the_format_when_the_setting_says_ask(
    qtbot, open_window, flagged, tmp_path, dialogs
):
    flagged(2)
    account = AccountSettings(ACCOUNT)
    working = account.saved_default().copy()
    working.set_value("file_name", str(tmp_path / "out.xml"))
    account.save_default(working)
    window = open_window()
    dialogs.answer("OK", "MARCXML")
    dialog = run_to_the_end(qtbot, window)
    assert [o.outcome for o in dialog.outcomes] == ["exported", "exported"]
    assert (tmp_path / "out.xml").read_bytes().count(b"<record") == 2


def test_a_missing_password_is_said_plainly(qtbot, open_window, flagged, receiver):
    flagged(1)
    tcpip_settings(receiver, send_logon_id=True, logon_id="01CARLI_NETWORK")
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    assert "has no password" in dialog.heading.text()
    assert receiver.record_files() == []


def test_the_export_log_lists_every_attempt(qtbot, open_window, flagged, receiver):
    flagged(3)
    tcpip_settings(receiver)
    window = open_window()
    run_to_the_end(qtbot, window)
    from app.gui.export_log import ExportLogDialog

    log = ExportLogDialog(window.records_page.save_file, window)
    qtbot.addWidget(log)
    assert log.table.rowCount() == 3
    assert log.table.item(0, 4).text() == "Exported"
    assert log.table.item(0, 5).text() == "Import ok"


def test_the_local_system_number_shows_with_the_record(qtbot, open_window, flagged, start_receiver):
    from app.core.net.receiver import ReplyStyle
    from app.gui.records.model import STATUS

    (record_id,) = flagged(1)
    tcpip_settings(start_receiver(style=ReplyStyle.KOHA))
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    (outcome,) = dialog.outcomes
    assert outcome.outcome == "exported" and outcome.local_id
    page = window.records_page
    qtbot.waitUntil(lambda: page.model.record(0).status == "exported")
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: "in the local system" in page.detail.export_line.text())
    assert outcome.local_id in page.detail.export_line.text()
    tip = page.model.data(page.model.index(0, STATUS), Qt.ItemDataRole.ToolTipRole)
    assert f"In the local system: {outcome.local_id}" in tip
    assert record_id == outcome.record_id
