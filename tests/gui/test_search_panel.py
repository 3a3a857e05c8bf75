"""The search panel (F2) through its widgets: searching a real SRU server (Zebra), the demo's
catalogue (ExportDesk's own SRU server) and the WorldCat double, all on 127.0.0.1; hits that
load as the list scrolls, the brief view, Save to Local File and Flag for Export into the save
file with the duplicate policy, holdings, the target's failures, and Cancel."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from app.core.export.demo import DEMO_TARGET, demo_samples, set_up_demo
from app.core.marc.reading import read_records
from app.core.settings.account_settings import AccountSettings
from app.core.settings.secrets import SecretKind, Vault
from app.core.settings.targets import Targets, make_target
from app.core.sources.sru_server import SruServer
from app.core.store.savefile import SaveFile
from app.gui.main_window import MainWindow
from app.gui.search import SearchPanel
from app.gui.shortcuts_dialog import window_shortcuts
from tests.fixtures.exporting import ACCOUNT, add_records, tcpip_settings, valid_bib
from tests.fixtures.network import TlsFiles
from tests.fixtures.worldcat import KEY, SECRET, WorldCatDouble
from tests.fixtures.zebra import ZebraServer, free_port

LONG = 20_000  # ms: the longest a step may take on a slow machine


def add_target(account: str, **data: object) -> str:
    Targets(account).add(make_target(data))
    return str(data["name"])


@pytest.fixture
def zebra_target(account: str, zebra: ZebraServer) -> str:
    return add_target(account, name="Zebra", kind="sru", url=zebra.url)


@pytest.fixture
def worldcat_target(account: str, worldcat: WorldCatDouble, tls_files: TlsFiles) -> str:
    name = add_target(
        account, name="WorldCat", kind="worldcat", key=KEY, api_url=worldcat.api_url,
        oauth_url=worldcat.oauth_url, ca_file=str(tls_files.ca_file),
    )  # fmt: skip
    Vault(account).save_default(name.casefold(), SECRET, SecretKind.TARGET_SECRET)
    return name


@pytest.fixture
def open_window(qtbot) -> Iterator:
    opened: list[MainWindow] = []

    def open_(account: AccountSettings | None = None) -> MainWindow:
        window = MainWindow(account or AccountSettings(ACCOUNT))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        opened.append(window)
        return window

    yield open_
    for window in opened:
        window.options_page.load()  # unsaved edits would make closing ask


def open_search(qtbot, window: MainWindow) -> SearchPanel:
    """F2 from the records list, as a cataloger opens it."""
    window.records_page.table.setFocus()
    qtbot.waitUntil(window.records_page.table.hasFocus)
    qtbot.keyClick(window.records_page.table, Qt.Key.Key_F2)
    panel = window.search_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.terms.hasFocus())
    return panel


def search(qtbot, panel: SearchPanel, text: str, index: str = "keyword") -> None:
    panel.choose_index(index)
    panel.terms.clear()
    qtbot.keyClicks(panel.terms, text)
    qtbot.keyClick(panel.terms, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.busy, timeout=LONG)


def press_in_results(
    qtbot, panel: SearchPanel, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier
) -> None:
    """A key in the results list, where Save to Local File and Flag for Export take theirs;
    then wait for what it started."""
    panel.window().activateWindow()  # a dialog may have had it
    panel.results.setFocus()
    qtbot.waitUntil(panel.results.hasFocus)
    qtbot.keyClick(panel.results, key, modifiers)
    qtbot.waitUntil(lambda: not panel.busy, timeout=LONG)


CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


# -- searching -------------------------------------------------------------------------------


def test_f2_searches_the_target_and_shows_the_selected_hit(
    qtbot, open_window, zebra_target: str
) -> None:
    window = open_window()
    panel = open_search(qtbot, window)
    assert panel.target_box.currentText() == "Zebra"
    search(qtbot, panel, "perl")
    assert panel.model.rowCount() == 9
    assert panel.message.text() == "9 of 9 hits in target 'Zebra' (SRU)."
    assert all("perl" in hit.title.casefold() for hit in panel.model.hits)
    # The first hit is selected and shown; the list has the focus, for the keys.
    assert panel.current_hit() is panel.model.hits[0] and panel.results.hasFocus()

    search(qtbot, panel, "1565926994", index="isbn")
    assert panel.model.rowCount() == 1
    brief = panel.brief_heading.text()
    for expected in ("Programming the Perl DBI", "Descartes, Alligator", "2000",
                     "ID: fol05754809", "ISBN: 1565926994", "Not in the save file."):  # fmt: skip
        assert expected in brief
    fields = panel.brief_fields.toPlainText()
    assert re.search(r"^245 1. ", fields, re.MULTILINE) and "001    fol05754809" in fields


def test_scrolling_to_the_end_loads_the_next_page(qtbot, open_window, zebra_target: str) -> None:
    window = open_window()
    panel = open_search(qtbot, window)
    panel.page_size = 10
    panel.splitter.setSizes([80, 400])  # ten rows more than fill the list: no page yet
    search(qtbot, panel, "cql.allRecords = 1", index="raw")
    assert (panel.model.rowCount(), panel.model.total) == (10, 29)
    assert "Scroll down for more." in panel.message.text()

    panel.results.scrollToBottom()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 20 and not panel.busy, timeout=LONG)
    panel.results.scrollToBottom()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 29 and not panel.busy, timeout=LONG)
    assert [hit.position for hit in panel.model.hits] == list(range(1, 30))
    assert panel.model.next_start is None and not panel.model.canFetchMore(
        panel.results.rootIndex()
    )
    assert panel.message.text() == "29 of 29 hits in target 'Zebra' (SRU)."


# -- into the save file ------------------------------------------------------------------------


def test_save_to_local_file_stores_the_record_and_duplicates_follow_the_policy(
    qtbot, open_window, zebra_target: str, dialogs
) -> None:
    window = open_window()
    page = window.records_page
    panel = open_search(qtbot, window)
    search(qtbot, panel, "1565926994", index="isbn")
    press_in_results(qtbot, panel, Qt.Key.Key_S, CTRL)
    assert panel.message.text() == "Saved 1 record from target 'Zebra' (SRU)."
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    (row,) = page.save_file.rows()
    assert (row.control_number, row.flagged) == ("fol05754809", False)
    assert row.source_file == "target 'Zebra' (SRU), record fol05754809"
    assert f"In the save file as record {row.id}." in panel.brief_heading.text()
    # The record pane says where the record came from.
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.record_id == row.id)
    assert "target 'Zebra' (SRU), record fol05754809" in page.detail.heading.text()

    # Skip: the saved copy stays as it is.
    panel.duplicate_box.setCurrentIndex(panel.duplicate_box.findData("skip"))
    press_in_results(qtbot, panel, Qt.Key.Key_S, CTRL)
    assert "1 record already in the save file kept" in panel.message.text()
    assert [r.id for r in page.save_file.rows()] == [row.id]

    # Ask (the default): the cataloger chooses Replace.
    panel.duplicate_box.setCurrentIndex(panel.duplicate_box.findData("ask"))
    dialogs.answer("Replace")
    press_in_results(qtbot, panel, Qt.Key.Key_S, CTRL)
    assert (
        "Programming the Perl DBI" in dialogs.texts[0]
        and "already in the save file" in (dialogs.texts[0])
    )
    assert "1 replacing saved copies" in panel.message.text()
    assert [r.id for r in page.save_file.rows()] == [row.id]

    # Flag for Export on a hit already saved (and skipped) flags the saved copy.
    panel.duplicate_box.setCurrentIndex(panel.duplicate_box.findData("skip"))
    press_in_results(qtbot, panel, Qt.Key.Key_F, CTRL_SHIFT)
    assert panel.message.text().endswith(
        "1 record already in the save file kept; 1 record flagged for export."
    )
    assert [(r.id, r.flagged) for r in page.save_file.rows()] == [(row.id, True)]


def test_flag_for_export_flags_the_selected_hits(qtbot, open_window, zebra_target: str) -> None:
    window = open_window()
    panel = open_search(qtbot, window)
    search(qtbot, panel, "perl")
    panel.results.selectRow(0)
    panel.results.selectionModel().select(
        panel.model.index(2, 0),
        panel.results.selectionModel().SelectionFlag.Select
        | panel.results.selectionModel().SelectionFlag.Rows,
    )
    wanted = {panel.model.hits[0].id, panel.model.hits[2].id}
    press_in_results(qtbot, panel, Qt.Key.Key_F, CTRL_SHIFT)
    assert panel.message.text() == (
        "Saved 2 records from target 'Zebra' (SRU); 2 records flagged for export."
    )
    page = window.records_page
    qtbot.waitUntil(lambda: page.model.flagged_count == 2)
    assert {r.control_number for r in page.save_file.rows() if r.flagged} == wanted


# -- faults ---------------------------------------------------------------------------------


def test_an_sru_diagnostic_is_a_message_naming_the_target(
    qtbot, open_window, zebra_target: str
) -> None:
    window = open_window()
    panel = open_search(qtbot, window)
    search(qtbot, panel, "dc.nosuch = x", index="raw")
    assert panel.message.text().startswith("Target 'Zebra' (SRU): diagnostic 16")
    assert panel.message.accessibleDescription() == "Error"
    assert panel.model.rowCount() == 0 and panel.search_button.isEnabled()


def test_an_unreachable_target_is_a_message_naming_it(qtbot, open_window, account: str) -> None:
    port = free_port()  # nothing listens there
    add_target(account, name="Gone", kind="sru", url=f"http://127.0.0.1:{port}/db", timeout=2)
    window = open_window()
    panel = open_search(qtbot, window)
    search(qtbot, panel, "perl")
    assert panel.message.text() == (
        f"Target 'Gone' (SRU): could not connect to http://127.0.0.1:{port}/db (connection refused)"
    )


def test_cancel_stops_a_slow_search_and_its_late_answer_is_dropped(
    qtbot, open_window, account: str
) -> None:
    samples = [r.raw for r in read_records(demo_samples())]
    with SruServer(samples) as slow:
        slow.hold = threading.Event()
        add_target(account, name="Slow", kind="sru", url=slow.url)
        window = open_window()
        panel = open_search(qtbot, window)
        panel.terms.setText("science")
        qtbot.keyClick(panel.terms, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(slow.requests) == 1)
        assert panel.busy and panel.cancel_button.isEnabled()
        assert not panel.terms.isEnabled()
        qtbot.keyClick(panel.cancel_button, Qt.Key.Key_Escape)
        assert not panel.busy and panel.search_button.isEnabled()
        assert panel.message.text() == "Search of target 'Slow' (SRU) cancelled."
        with qtbot.waitSignal(panel.jobs.runningChanged, timeout=LONG):
            slow.hold.set()  # the server answers after all: nothing of it is shown
        assert panel.model.rowCount() == 0
        assert panel.message.text() == "Search of target 'Slow' (SRU) cancelled."
        search(qtbot, panel, "science")  # the panel searches again at once
        assert panel.model.rowCount() == 2


# -- WorldCat ----------------------------------------------------------------------------------


def test_worldcat_hits_are_retrieved_and_their_holdings_set_and_unset(
    qtbot, open_window, worldcat_target: str, worldcat: WorldCatDouble
) -> None:
    window = open_window()
    panel = open_search(qtbot, window)
    panel.choose_target(worldcat_target)
    search(qtbot, panel, "perl", index="title")
    assert [hit.id for hit in panel.model.hits] == ["22", "333"]
    assert "Save to Local File or Flag for Export retrieves" in panel.brief_fields.toPlainText()
    assert panel.set_holdings_button.isVisible() and panel.set_holdings_action.isEnabled()
    panel.results.selectAll()
    panel.set_holdings_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=LONG)
    assert worldcat.holdings == {"22", "333"}
    assert panel.message.text() == "Holdings set in target 'WorldCat' (WorldCat) on 22, 333."
    panel.results.selectRow(1)
    panel.unset_holdings_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=LONG)
    assert worldcat.holdings == {"22"}

    press_in_results(qtbot, panel, Qt.Key.Key_S, CTRL)
    (row,) = window.records_page.save_file.rows()
    assert (row.oclc_number, row.source_file) == (
        "333",
        "target 'WorldCat' (WorldCat), OCLC number 333",
    )


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("no secret", "Target 'WorldCat' (WorldCat) has no secret saved; save it with: "),
        ("wrong secret", "Target 'WorldCat' (WorldCat): OCLC refused the WSKey or its secret "
                         "(HTTP 401: "),
        ("503", "Target 'WorldCat' (WorldCat): the server failed (the search: HTTP 503 "),
        ("429", "Target 'WorldCat' (WorldCat): too many requests (the search); the server "
                "asked to slow down"),
        ("not JSON", "Target 'WorldCat' (WorldCat): the answer to the search can't be read: "),
    ],
)  # fmt: skip
def test_worldcat_faults_are_messages_naming_the_target(
    qtbot, open_window, account, worldcat_target, worldcat: WorldCatDouble, fault, expected
) -> None:
    vault = Vault(account)
    if fault == "no secret":
        vault.forget(worldcat_target.casefold(), SecretKind.TARGET_SECRET)
    elif fault == "wrong secret":
        vault.save_default(worldcat_target.casefold(), "not-it", SecretKind.TARGET_SECRET)
    elif fault in ("503", "429"):  # after ExportDesk's own retries, each at once
        worldcat.fail_next(int(fault), {}, times=3, headers={"Retry-After": "0"})
    else:
        worldcat.fail_next(200, raw=b"<html>maintenance</html>")
    panel = open_search(qtbot, open_window())
    panel.choose_target(worldcat_target)
    search(qtbot, panel, "perl", index="title")
    assert panel.message.text().startswith(expected), panel.message.text()
    assert "Traceback" not in panel.message.text() and SECRET not in panel.message.text()
    assert panel.message.accessibleDescription() == "Error"


def test_holdings_actions_are_hidden_for_sru_targets(qtbot, open_window, zebra_target) -> None:
    panel = open_search(qtbot, open_window())
    search(qtbot, panel, "perl")
    assert not panel.set_holdings_button.isVisible()
    assert not panel.set_holdings_action.isEnabled()


def test_holdings_are_set_on_what_the_window_exports(
    qtbot, open_window, cli, save_file: SaveFile, receiver, worldcat_target, worldcat
) -> None:
    from pymarc import Field, Subfield

    oclc = Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", "(OCoLC)22")])
    (record_id,) = add_records(save_file, [valid_bib(1, oclc)])
    tcpip_settings(receiver)
    run = cli("options", "set", "--account", ACCOUNT, "worldcat_holdings_on_export=on",
              f"worldcat_holdings_target={worldcat_target}")  # fmt: skip
    assert run.status == 0, run.err
    window = open_window()
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=LONG)
    assert [o.outcome for o in dialog.outcomes] == ["exported"]
    assert worldcat.holdings == {"22"}
    assert "WorldCat holdings set on 22 (target 'WorldCat' (WorldCat))" in (
        save_file.journal(record_id)[0].detail or ""
    )


# -- the demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPORTDESK_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_FILE", str(tmp_path / "unused.json"))
    started = set_up_demo()
    yield started
    started.close()


def test_the_demo_searches_its_catalogue_flags_and_exports(qtbot, open_window, demo) -> None:
    window = open_window(demo.account)
    page = window.records_page
    assert page.model.rowCount() == 17
    panel = open_search(qtbot, window)
    assert panel.target_box.currentText() == DEMO_TARGET
    search(qtbot, panel, "science")
    assert [hit.title for hit in panel.model.hits] == [
        "Little science, big science.",
        "Science learning, science teaching",
    ]
    panel.results.selectAll()
    press_in_results(qtbot, panel, Qt.Key.Key_F, CTRL_SHIFT)
    qtbot.waitUntil(lambda: page.model.rowCount() == 19 and page.model.flagged_count == 19)

    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=LONG)
    kinds = [o.outcome for o in dialog.outcomes]
    assert kinds.count("exported") == 18 and kinds.count("invalid") == 1
    received = {
        next(read_records(path)).parsed.first("001").data  # type: ignore[union-attr]
        for path in demo.receiver.record_files()
    }
    assert {b"7040552", b"16916933"} <= received


# -- keys -------------------------------------------------------------------------------------


def test_the_keys_are_listed_and_clash_with_nothing(open_window, account) -> None:
    window = open_window()
    shortcuts = {s.action: s for s in window_shortcuts(window)}
    assert shortcuts["Search WorldCat and Catalogues"].keys == "F2"
    assert shortcuts["Search WorldCat and Catalogues"].menu == "Action"
    assert (shortcuts["Save to Local File"].keys, shortcuts["Save to Local File"].where) == (
        "Ctrl+S",
        "in Search results",
    )
    assert shortcuts["Flag for Export"].keys == "Ctrl+Shift+F"
    assert shortcuts["Find"].keys == "Ctrl+F"  # still the records list's
    # A key may act in one widget (the results, the record's text) and elsewhere, never twice
    # in the same place.
    keys = [(s.keys, s.where) for s in window_shortcuts(window)]
    assert sorted(k for k in keys if keys.count(k) > 1) == []


def mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).casefold() if found else None


def test_alt_letters_of_the_panel_are_its_own(open_window, account) -> None:
    """The panel sits beside the records list (and Export Options): an Alt letter of its own
    must not be one of theirs, nor open a menu's."""
    window = open_window()
    owners: dict[str, list[str]] = {}
    for action in window.menuBar().actions():
        owners.setdefault(mnemonic(action.text()) or "", []).append(f"menu {action.text()}")
    for where in (window.records_page, window.options_page, window.search_panel,
                  window.validation_dock):  # fmt: skip
        for widget in [*where.findChildren(QAbstractButton), *where.findChildren(QLabel)]:
            letter = mnemonic(widget.text())
            if letter and not (isinstance(widget, QLabel) and widget.buddy() is None):
                owners.setdefault(letter, []).append(widget.text())
    panel_letters = {
        mnemonic(w.text())
        for w in window.search_panel.findChildren(QLabel)
        if w.buddy() is not None and mnemonic(w.text())
    }
    assert panel_letters
    assert {k: v for k, v in owners.items() if k in panel_letters and len(v) > 1} == {}
