"""The records page, driven like a cataloger would: import, flag, filter, sort, view."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from app.core.store.importer import import_files
from app.core.store.savefile import SaveFile
from app.gui.records import RecordsPage
from app.gui.records.model import FLAG, STATUS, TITLE
from tests.fixtures.records import bib_record
from tests.fixtures.records_page import import_and_wait, select_rows


def many(make_file, count: int, name: str = "many.mrc") -> Path:
    return make_file(name, b"".join(bib_record(f"m{n}", f"Title {n:05d}") for n in range(count)))


def test_a_big_save_file_opens_at_once_and_loads_rows_lazily(qtbot, save_file, make_file):
    import_files(save_file, [many(make_file, 3000)])
    page = RecordsPage(save_file)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    assert page.model.rowCount() == 3000
    assert page.model.index(0, TITLE).data() == "Title 00000"
    assert page.model.cached_rows <= 400  # the rows on screen, not the whole file
    page.table.scrollToBottom()
    assert page.model.index(2999, TITLE).data() == "Title 02999"
    assert page.filter_bar.counts.text() == "3,000 records, 0 flagged"
    page.shutdown()


def test_import_in_the_background_shows_the_new_records(qtbot, page, test_data):
    assert page.empty_hint.isVisible()
    result = import_and_wait(qtbot, page, test_data / "pymarc-test.dat", test_data / "sample.mrk")
    assert result.imported == 13
    assert page.model.rowCount() == 13
    assert not page.importer.progress_box.isVisible()
    assert not page.empty_hint.isVisible()
    assert page.summary.text() == "Imported 13 records, 1 could not be read."
    page.importer.details_button.click()
    problems = page.importer.problems_dialog.findChild(QPlainTextEdit).toPlainText()
    assert "sample.mrk: record 3" in problems and "line 23" in problems
    assert "{copy} was kept as text" in problems


def test_duplicates_ask_and_apply_to_all(qtbot, page, make_file):
    source = make_file("dups.mrc", b"".join(bib_record(f"d{n}", f"Old {n}") for n in range(3)))
    import_and_wait(qtbot, page, source)
    newer = make_file("newer.mrc", b"".join(bib_record(f"d{n}", f"New {n}") for n in range(3)))
    with qtbot.waitSignal(page.importFinished, timeout=20000) as finished:
        page.import_files([newer])
        qtbot.waitUntil(lambda: page.importer.duplicate_dialog is not None)
        dialog = page.importer.duplicate_dialog
        assert "Old 0" in dialog.findChild(type(page.filter_bar.counts)).text()
        dialog.apply_to_all.setChecked(True)
        qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert (finished.args[0].replaced, finished.args[0].imported) == (3, 3)
    qtbot.waitUntil(lambda: not page.importing)
    titles = {page.model.index(row, TITLE).data() for row in range(page.model.rowCount())}
    assert titles == {"New 0", "New 1", "New 2"}


def test_skipping_a_duplicate_with_escape(qtbot, page, make_file):
    source = make_file("one.mrc", bib_record("x1", "Original"))
    import_and_wait(qtbot, page, source)
    with qtbot.waitSignal(page.importFinished, timeout=20000) as finished:
        page.import_files([source])
        qtbot.waitUntil(lambda: page.importer.duplicate_dialog is not None)
        qtbot.keyClick(page.importer.duplicate_dialog, Qt.Key.Key_Escape)
    assert finished.args[0].skipped == 1
    qtbot.waitUntil(lambda: not page.importing)
    assert page.model.rowCount() == 1


def test_cancel_keeps_what_was_imported(qtbot, page, make_file):
    source = many(make_file, 30000)
    with qtbot.waitSignal(page.importFinished, timeout=30000) as finished:
        page.import_files([source])
        qtbot.waitUntil(lambda: page.importer.progress_bar.value() > 0, timeout=10000)
        qtbot.mouseClick(page.importer.cancel_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert result.cancelled
    qtbot.waitUntil(lambda: not page.importing)
    assert 0 < page.model.rowCount() == result.imported < 30000
    assert page.summary.text().startswith("Import cancelled.")


def test_space_toggles_the_flags_of_the_selection(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    page.table.setFocus()
    select_rows(page, 1, 2, 4)
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert page.save_file.flagged_ids() == [2, 3, 5]
    assert page.model.index(1, FLAG).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert page.filter_bar.counts.text() == "10 records, 3 flagged"
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert page.save_file.flagged_ids() == []
    select_rows(page, 0, 1)
    page.save_file.flag([1])  # part flagged: Space flags all of them
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert page.save_file.flagged_ids() == [1, 2]


def test_select_all_and_space_flags_everything_shown(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat", test_data / "sample.mrk")
    page.search.setText("perl")
    page.apply_filter()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    flagged = page.save_file.flagged_ids()
    assert len(flagged) == page.model.rowCount() == 10  # of 13: only what the search shows
    assert page.table.selectionModel().isRowSelected(9)  # still selected after the refresh


def test_flag_selected_unflag_all_and_the_check_box(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    select_rows(page, 3, 4)
    qtbot.mouseClick(page.record_actions.flag_button, Qt.MouseButton.LeftButton)
    assert page.save_file.flagged_ids() == [4, 5]
    assert page.model.setData(
        page.model.index(0, FLAG), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert page.save_file.flagged_ids() == [1, 4, 5]
    qtbot.mouseClick(page.record_actions.unflag_all_button, Qt.MouseButton.LeftButton)
    assert page.save_file.flagged_ids() == []


def test_filters_and_sorting_are_done_by_the_save_file(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat", test_data / "sample.mrk")
    qtbot.keyClicks(page.search, "PRICE OF")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.index(0, TITLE).data().startswith("The price of tea")
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 13)
    page.save_file.flag([2, 3])
    page.filter_bar.flagged_only.setChecked(True)
    assert page.model.rowCount() == 2
    page.filter_bar.flagged_only.setChecked(False)
    page.save_file.record_outcome(4, "rejected", "Alma", host_reply="Bad leader")
    page.filter_bar.status_filter.setCurrentIndex(
        page.filter_bar.status_filter.findData("rejected")
    )
    assert page.model.rowCount() == 1
    assert page.model.index(0, STATUS).data() == "Rejected"
    assert page.model.index(0, STATUS).data(Qt.ItemDataRole.ToolTipRole) == "Bad leader"
    page.filter_bar.status_filter.setCurrentIndex(0)
    header = page.table.horizontalHeader()
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(TITLE) + 10, header.height() // 2),
    )
    titles = [page.model.index(row, TITLE).data() for row in range(page.model.rowCount())]
    assert page.model.query.sort == "title"
    assert titles[0].startswith("ActivePerl")
    # "The price of tea" has four nonfiling characters ("The "), so it files under P
    picked = [t.split(" :")[0] for t in titles if t.startswith(("The price", "Proc", "Perl for"))]
    assert picked == [
        "Perl for system administration",
        "The price of tea",
        "Proceedings of the Perl Conference 4.0",
    ]


def test_the_record_pane_shows_marc8_decoded_and_copies_it(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-marc8.dat")
    page.table.selectRow(0)
    text = page.detail.text.toPlainText()
    assert text.startswith("=LDR  ")
    assert "$aDe la solitude à la communauté" in text
    assert "MARC-8" in page.detail.heading.text()
    qtbot.mouseClick(page.detail.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text


def test_statuses_refresh_when_the_core_changes_them(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    page.table.selectRow(5)
    with page.save_file.reopen() as export_worker:  # another connection, as an export has
        export_worker.record_outcome(6, "exported", "Koha", host_reply="Record added")
    qtbot.waitUntil(lambda: page.model.index(5, STATUS).data() == "Exported", timeout=3000)
    assert page.table.selectionModel().isRowSelected(5)
    page.save_file.record_outcome(7, "not_sent", "Koha")  # this connection: refresh() slot
    page.refresh()
    assert page.model.index(6, STATUS).data() == "Not sent"


def test_the_selection_follows_its_records_across_a_refresh(qtbot, page, test_data):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    page.table.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
    select_rows(page, 0)
    chosen = page.selected_ids()
    import_and_wait(qtbot, page, test_data / "sample.mrk")  # new rows sort in front of it
    assert page.selected_ids() == chosen
    assert page.detail.record_id == chosen[0]


def test_a_huge_partial_selection_is_dropped_not_widened(qtbot, page, test_data, monkeypatch):
    import app.gui.records.table as table_module

    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    monkeypatch.setattr(table_module, "MAX_REMEMBERED_SELECTION", 2)
    select_rows(page, 1, 2, 3)
    page.refresh()
    assert not page.table.selectionModel().hasSelection()


def test_drag_and_drop_imports(qtbot, page, test_data):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(test_data / "pymarc-batch.xml"))])
    with warnings.catch_warnings():
        # Qt 6.12 prefers a QPointF position; earlier releases take only a QPoint.
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPoint(50, 50),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(page.importFinished, timeout=20000):
        QApplication.sendEvent(page, drop)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)


def test_delete_selected_after_asking(qtbot, page, test_data, dialogs):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    dialogs.answer("Yes")
    select_rows(page, 0, 1)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert dialogs.texts and "these 2 records" in dialogs.texts[0]
    assert page.model.rowCount() == 8
    assert page.save_file.missing([1, 2]) == [1, 2]


def test_ctrl_f_goes_to_the_search_box(qtbot, page):
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()


def test_the_page_opens_an_account_by_name(qtbot, account, test_data):
    with SaveFile.for_account(account) as save_file:
        import_files(save_file, [test_data / "pymarc-utf8.dat"])
    page = RecordsPage(account)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 1
    page.shutdown()
    with pytest.raises(Exception, match="closed"):
        page.save_file.count()


def test_closing_during_a_duplicate_question_stops_the_import_cleanly(qtbot, page, make_file):
    source = make_file("again.mrc", bib_record("a1", "Again"))
    import_and_wait(qtbot, page, source)
    page.import_files([source])
    qtbot.waitUntil(lambda: page.importer.duplicate_dialog is not None)
    page.shutdown()
    assert not page.importing
    assert page.save_file.count() == 1


def test_the_context_menu_offers_the_actions(qtbot, page, test_data):
    texts = [action.text() for action in page.table.actions()]
    assert texts[:2] == ["F&lag selected", "Flag or unflag selected"]
    assert "&Delete selected…" in texts
    # The record's own (copy, history) join once a record is shown: a right-click on a row
    # makes it the current one before the menu opens.
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    select_rows(page, 0)
    texts = [action.text() for action in page.table.actions()]
    assert "C&opy as text" in texts and "Record &History…" in texts


@pytest.mark.parametrize("refreshed", [False, True], ids=["before-the-refresh", "after-it"])
@pytest.mark.parametrize("action", ["space", "delete"])
def test_actions_take_the_highlighted_records_when_an_export_changes_the_list(
    qtbot, page, test_data, dialogs, action, refreshed
):
    """Flagged only: an export (another connection) clears flags, so rows leave the list
    while the cataloger chooses; the action still takes the records that were highlighted."""
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    page.save_file.flag(range(1, 11))
    page.filter_bar.flagged_only.setChecked(True)
    page.table.setFocus()
    select_rows(page, 4, 5)
    highlighted = [page.model.record(row).id for row in (4, 5)]
    assert highlighted == [5, 6]
    with page.save_file.reopen() as export_worker:
        for record_id in (1, 2, 3):
            export_worker.record_outcome(record_id, "exported", "Koha", host_reply="Import ok")
    if refreshed:  # the page noticed the other connection's commit (within a second)
        qtbot.waitUntil(lambda: page.model.rowCount() == 7, timeout=3000)
    # else: no event loop turn has let the page see the commit yet; the action comes first.
    if action == "space":
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
        assert page.save_file.flagged_ids() == [4, 7, 8, 9, 10]
    else:
        dialogs.answer("Yes")
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)
        assert dialogs.texts and "these 2 records" in dialogs.texts[0]
        assert page.save_file.missing(range(1, 11)) == highlighted


def test_mark_as_exported_settles_a_record_found_in_the_local_system(
    qtbot, page, test_data, dialogs
):
    import_and_wait(qtbot, page, test_data / "pymarc-test.dat")
    page.save_file.flag([2, 3, 4])
    page.save_file.record_outcome(2, "unconfirmed", "Koha", detail="No reply came.")
    page.refresh()
    assert "&Mark as Exported…" in [action.text() for action in page.table.actions()]
    select_rows(page, 1)
    dialogs.answer("OK", "991234")
    page.mark_exported_action.trigger()
    assert "Mark record 2" in dialogs.texts[0]
    record = page.save_file.get(2)
    assert (record.flagged, record.status, record.local_system_id) == (False, "exported", "991234")
    entry = page.save_file.journal(2)[0]
    assert (entry.outcome, entry.destination) == ("exported", "manual")
    assert page.model.index(1, STATUS).data() == "Exported"
    # Several at once, after asking; a record not flagged is left as it is.
    select_rows(page, 2, 3, 4)
    with qtbot.waitSignal(page.notice) as said:
        dialogs.answer("Yes")
        page.mark_exported_action.trigger()
    assert "these 2 flagged records" in dialogs.texts[1]
    assert said.args[0] == "Marked 2 records as exported; 1 not flagged left as they were."
    assert page.save_file.flagged_ids() == []
    assert page.save_file.get(5).status is None
