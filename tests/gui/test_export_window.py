"""Exporting from the window: in the background, with progress, cancel and a report."""

from __future__ import annotations

import threading
import time

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
    done = sum(kind != "cancelled" for kind in kinds)
    assert dialog.progress.value() == done < 8  # the bar shows what was done, not the total


def test_each_reply_shows_as_it_arrives_from_a_slow_host(
    qtbot, open_window, flagged, start_receiver
):
    slow = start_receiver(fault=Fault(FaultMode.SLOW, seconds=0.6))
    flagged(2)
    tcpip_settings(slow)
    window = open_window()
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: len(dialog.outcomes) >= 1, timeout=10_000)
    # The first reply is on screen while the host still works on the second record.
    assert len(dialog.outcomes) == 1 and not dialog.finished_running
    assert "Exported" in dialog.replies.toPlainText()
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=10_000)


def test_one_record_is_one_record(qtbot, open_window, flagged, receiver):
    flagged(1)
    tcpip_settings(receiver)
    dialog = run_to_the_end(qtbot, open_window())
    assert "finished: 1 record (" in dialog.heading.text()


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


def test_export_selected_sends_the_highlighted_records_when_the_list_changed(
    qtbot, open_window, flagged, save_file, receiver
):
    from tests.fixtures.records_page import select_rows

    ids = flagged(6)
    tcpip_settings(receiver)
    window = open_window()
    page = window.records_page
    page.filter_bar.flagged_only.setChecked(True)
    select_rows(page, 3, 4)
    highlighted = [page.model.record(row).id for row in (3, 4)]
    assert highlighted == ids[3:5]
    # An export elsewhere (another connection) takes the first two out of the Flagged-only
    # list; the page has not seen it yet when Export Selected runs.
    for record_id in ids[:2]:
        save_file.record_outcome(record_id, "exported", "Koha", host_reply="Import ok")
    dialog = run_to_the_end(qtbot, window, window.exports.export_selected_action)
    assert [o.record_id for o in dialog.outcomes] == highlighted
    assert len(receiver.record_files()) == 2


def test_a_run_that_stops_midway_keeps_every_outcome(
    qtbot, open_window, flagged, receiver, monkeypatch
):
    import app.gui.exporting as exporting
    from app.core.export.run import RecordOutcome
    from app.core.store.savefile import SaveFileError

    real_run = exporting.run_export

    def run_until_the_disk_is_full(*args, **kwargs):
        outcomes = 0
        for event in real_run(*args, **kwargs):
            yield event
            outcomes += isinstance(event, RecordOutcome)
            if outcomes == 3:
                raise SaveFileError("The save file could not be written: the disk is full.")

    monkeypatch.setattr(exporting, "run_export", run_until_the_disk_is_full)
    ids = flagged(5)
    tcpip_settings(receiver)
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    assert [(o.record_id, o.outcome) for o in dialog.outcomes] == [
        (record_id, "exported") for record_id in ids[:3]
    ]
    assert "the disk is full" in dialog.heading.text()
    assert "3 of 5 records" in dialog.heading.text()
    report = dialog.report_text()
    assert "Exported: 3" in report and "Not sent, still flagged: 2" in report
    assert dialog.copy_button.isVisible() and dialog.close_button.isVisible()
    page = window.records_page
    qtbot.waitUntil(lambda: page.model.flagged_count == 2)


def test_closing_the_window_mid_export_stops_it_within_seconds(
    qtbot, open_window, flagged, start_receiver, save_file, dialogs
):
    silent = start_receiver(fault=Fault(FaultMode.NO_REPLY))
    ids = flagged(3)
    tcpip_settings(silent, timeout=60)  # a reply wait that would last a minute
    window = open_window()
    with qtbot.waitSignal(window.exports.exportStarted):
        window.exports.export_flagged_action.trigger()
    # The host has stored the first record and will never answer.
    qtbot.waitUntil(lambda: len(silent.record_files()) == 1, timeout=10_000)
    dialogs.answer("Yes")
    began = time.monotonic()
    window.close()
    assert time.monotonic() - began < 4
    assert not window.isVisible()
    outcomes = {entry.record_id: entry.outcome for entry in save_file.journal()}
    assert outcomes == {ids[0]: "unconfirmed", ids[1]: "cancelled", ids[2]: "cancelled"}
    assert save_file.flagged_ids() == ids


def test_logging_off_does_not_wait_long_for_a_run_that_is_stuck(
    qtbot, open_window, flagged, receiver, dialogs, monkeypatch
):
    import app.gui.exporting as exporting

    monkeypatch.setattr(exporting, "STOP_SECONDS", 0.5)
    flagged(2)
    tcpip_settings(receiver, send_logon_id=True, logon_id="01CARLI_NETWORK")
    window = open_window()
    asked, unlocked = threading.Event(), threading.Event()

    def keyring_waiting_to_be_unlocked(_connection_id):
        asked.set()
        unlocked.wait(10)
        return "secret"

    monkeypatch.setattr(window.account, "password", keyring_waiting_to_be_unlocked)
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(asked.is_set)
    dialogs.answer("Yes")
    with qtbot.waitSignal(window.loggedOff):
        began = time.monotonic()
        window.log_off_action.trigger()
        waited = time.monotonic() - began
    assert waited < 3
    # The run ends by itself once the keyring answers, sending nothing.
    with qtbot.waitSignal(dialog.job.ended, timeout=10_000):
        unlocked.set()
    qtbot.waitUntil(lambda: dialog.finished_running)
    assert [o.outcome for o in dialog.outcomes] == ["cancelled", "cancelled"]
    assert receiver.record_files() == []


def unconfirmed(save_file, *record_ids):
    """As an earlier run leaves them: sent, no reply, still flagged."""
    for record_id in record_ids:
        save_file.record_outcome(record_id, "unconfirmed", "Koha", detail="No reply came.")


def test_export_flagged_leaves_unconfirmed_records_out_unless_asked(
    qtbot, open_window, flagged, save_file, receiver, dialogs
):
    ids = flagged(4)
    unconfirmed(save_file, ids[1])
    tcpip_settings(receiver)
    window = open_window()
    dialogs.answer("Leave Them Out")
    dialog = run_to_the_end(qtbot, window)
    assert "Send 1 unconfirmed record again?" in dialogs.texts[0]
    assert "may already be in your local system" in dialogs.texts[0]
    assert "duplicate" in dialogs.texts[0]
    assert dialogs.defaults[0] == "Leave Them Out"  # Enter sends nothing again
    assert [o.record_id for o in dialog.outcomes] == [ids[0], ids[2], ids[3]]
    assert len(receiver.record_files()) == 3
    assert "1 unconfirmed record left out" in dialog.heading.text()
    assert "Unconfirmed, left out: 1" in dialog.report_text()
    assert save_file.flagged_ids() == [ids[1]]
    assert dialog.resend_button.isEnabled()  # the warned resend, from the report too


def test_unconfirmed_records_go_again_only_by_choice(
    qtbot, open_window, flagged, save_file, receiver, dialogs
):
    ids = flagged(2)
    unconfirmed(save_file, *ids)
    tcpip_settings(receiver)
    window = open_window()
    dialogs.answer("Cancel")  # all of them unconfirmed: Enter would send nothing
    window.exports.export_flagged_action.trigger()
    assert dialogs.defaults[0] == "Cancel"
    assert window.exports.dialog is None and receiver.record_files() == []
    dialogs.answer("Send Again")
    dialog = run_to_the_end(qtbot, window)
    assert [(o.record_id, o.outcome) for o in dialog.outcomes] == [
        (ids[0], "exported"),
        (ids[1], "exported"),
    ]
    assert "left out" not in dialog.heading.text()


def test_the_report_names_the_record_and_field_of_a_character_sent_as_a_reference(
    qtbot, open_window, save_file, receiver
):
    from pymarc import Field, Subfield

    from tests.fixtures.exporting import add_records, valid_bib

    snowman = Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "Cold \u2603.")])
    (record_id,) = add_records(save_file, [valid_bib(1, snowman)])
    tcpip_settings(receiver, charset="marc8")
    window = open_window()
    dialog = run_to_the_end(qtbot, window)
    assert [o.outcome for o in dialog.outcomes] == ["exported"]
    shown = dialog.replies.toPlainText()
    assert "note:" in shown and "500" in shown and "U+2603" in shown
    report = dialog.report_text()
    assert f"Record {record_id}" in report and "U+2603" in report
