"""Action > Set WorldCat Holdings and Unset WorldCat Holdings on the selected records of the save
file, through the window's menu and the WorldCat double: the holdings the double records, the
records without an OCLC number named as skipped, WorldCat's refusals with their reasons, the
target asked for when there are several, and Cancel. Nothing is written to the save file."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from pymarc import Field, Subfield
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from app.core.settings.account_settings import AccountSettings
from app.core.settings.secrets import SecretKind, Vault
from app.core.settings.targets import Targets, make_target
from app.core.store.savefile import SaveFile
from app.gui import messages
from app.gui.main_window import MainWindow
from app.gui.records import RecordsPage
from app.gui.search import SearchPanel
from tests.fixtures.exporting import ACCOUNT, add_records, valid_bib
from tests.fixtures.network import TlsFiles
from tests.fixtures.records_page import select_rows
from tests.fixtures.worldcat import KEY, SECRET, WorldCatDouble

LONG = 20_000  # ms: the longest a step may take on a slow machine
SET = "Set WorldCat Holdings"
UNSET = "Unset WorldCat Holdings"
HOLDINGS = "/worldcat/manage/institution/holdings"


def add_worldcat_target(
    account: str, double: WorldCatDouble, tls: TlsFiles, name: str = "WorldCat"
) -> str:
    Targets(account).add(
        make_target(
            {
                "name": name,
                "kind": "worldcat",
                "key": KEY,
                "api_url": double.api_url,
                "oauth_url": double.oauth_url,
                "ca_file": str(tls.ca_file),
            }
        )
    )
    Vault(account).save_default(name.casefold(), SECRET, SecretKind.TARGET_SECRET)
    return name


@pytest.fixture
def worldcat_target(account: str, worldcat: WorldCatDouble, tls_files: TlsFiles) -> str:
    return add_worldcat_target(account, worldcat, tls_files)


@pytest.fixture
def records(save_file: SaveFile) -> Callable[..., dict[str, int]]:
    """``records("22", None)``: a record per OCLC number (None: a record without one), in
    the save file; their ids by number, or by "none" and the place for those without
    ("none2")."""

    def add(*numbers: str | None) -> dict[str, int]:
        raws = []
        for position, number in enumerate(numbers, 1):
            extra = (
                [Field("035", [" ", " "], [Subfield("a", f"(OCoLC){number}")])] if number else []
            )
            raws.append(valid_bib(position, *extra))
        ids = add_records(save_file, raws, flag=False)
        return {
            (n or f"none{i}"): id_ for i, (n, id_) in enumerate(zip(numbers, ids, strict=True), 1)
        }

    return add


def open_window(qtbot) -> MainWindow:
    """The account's window, on the records and targets the test has set up."""
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def action_menu(window: MainWindow) -> QMenu:
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == "Action":
            menu = top.menu()
            assert isinstance(menu, QMenu)
            return menu
    raise AssertionError("no Action menu")


def menu_action(window: MainWindow, text: str) -> QAction:
    """The Action menu's item of this text, as the cataloger finds it."""
    for action in action_menu(window).actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no {text} in the Action menu")


def select_records(page: RecordsPage, *ids: int) -> None:
    rows = page.model.rows_of(list(ids))
    select_rows(page, *(rows[i] for i in ids))


def run_from_menu(qtbot, window: MainWindow, text: str) -> SearchPanel:
    """Choose the item in the Action menu and wait until the search panel has done it."""
    panel = window.search_panel
    with qtbot.waitSignal(panel.busyChanged, check_params_cb=lambda busy: not busy, timeout=LONG):
        menu_action(window, text).trigger()
    return panel


def unchanged(save_file: SaveFile, before: list) -> bool:
    """The save file's records as they were, and no journal entry for any."""
    rows = save_file.rows()
    return rows == before and all(save_file.journal(row.id) == [] for row in rows)


# -- set and unset ---------------------------------------------------------------------------


def test_set_then_unset_on_the_selected_records(
    qtbot, records, save_file, worldcat_target, worldcat: WorldCatDouble
) -> None:
    ids = records("22", "333", "1")
    before = save_file.rows()
    window = open_window(qtbot)
    page = window.records_page
    assert not menu_action(window, SET).isEnabled()  # nothing selected yet
    select_records(page, ids["22"], ids["333"])
    assert menu_action(window, SET).isEnabled() and menu_action(window, UNSET).isEnabled()

    panel = run_from_menu(qtbot, window, SET)
    assert worldcat.holdings == {"22", "333"}
    assert panel.message.text() == "Holdings set in target 'WorldCat' (WorldCat) on 22, 333."
    assert panel.message.accessibleDescription() == ""
    assert window.search_dock.isVisible()  # its progress and Cancel were in sight
    assert window.statusBar().currentMessage() == panel.message.text()

    select_records(page, ids["333"])
    run_from_menu(qtbot, window, UNSET)
    assert worldcat.holdings == {"22"}
    assert panel.message.text() == "Holdings unset in target 'WorldCat' (WorldCat) on 333."
    sent = [(method, path) for method, path, _, _ in worldcat.seen(HOLDINGS)]
    assert sent == [
        ("POST", f"{HOLDINGS}/22/set"),
        ("POST", f"{HOLDINGS}/333/set"),
        ("POST", f"{HOLDINGS}/333/unset"),
    ]
    assert unchanged(save_file, before)


def test_the_actions_are_in_the_menu_and_the_lists_context_menu_with_letters_of_their_own(
    qtbot, records, worldcat_target
) -> None:
    records("22")
    window = open_window(qtbot)
    page = window.records_page
    texts = [a.text() for a in action_menu(window).actions() if a.text()]
    assert "Set &WorldCat Holdings" in texts and "U&nset WorldCat Holdings" in texts
    letters = [t[t.index("&") + 1].casefold() for t in texts if "&" in t]
    assert letters.count("w") == 1 and letters.count("n") == 1
    assert {SET, UNSET} <= {a.text().replace("&", "") for a in page.table.actions()}
    assert not any(a.isEnabled() for a in window.record_holdings.actions)
    select_rows(page, 0)
    assert all(a.isEnabled() for a in window.record_holdings.actions)
    page.table.clearSelection()
    assert not any(a.isEnabled() for a in window.record_holdings.actions)


# -- what is left out, and what fails ---------------------------------------------------------


def test_a_record_without_an_oclc_number_is_skipped_and_named(
    qtbot, records, worldcat_target, worldcat: WorldCatDouble, dialogs
) -> None:
    ids = records("22", None)
    window = open_window(qtbot)
    page = window.records_page
    select_records(page, ids["22"], ids["none2"])
    panel = run_from_menu(qtbot, window, SET)
    assert worldcat.holdings == {"22"}
    assert panel.message.text() == (
        "Holdings set in target 'WorldCat' (WorldCat) on 22. "
        f"Skipped: record {ids['none2']} has no OCLC number."
    )

    # Only records without one: nothing is sent, and the cataloger is told why.
    select_records(page, ids["none2"])
    dialogs.answer("OK")
    menu_action(window, SET).trigger()
    assert f"record {ids['none2']} has no OCLC number" in dialogs.texts[0]
    assert not panel.busy and len(worldcat.seen(HOLDINGS)) == 1


def test_worldcats_refusal_is_shown_with_its_reason(
    qtbot, records, worldcat_target, worldcat: WorldCatDouble
) -> None:
    ids = records("22", "999")  # WorldCat has no record 999
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"], ids["999"])
    panel = run_from_menu(qtbot, window, SET)
    assert worldcat.holdings == {"22"}
    assert panel.message.text() == (
        "Holdings set in target 'WorldCat' (WorldCat) on 22. "
        "Not changed on 999: no record with OCLC number 999."
    )
    assert panel.message.accessibleDescription() == "Error"


def test_a_target_that_fails_leaves_the_rest_unchanged_and_says_why(
    qtbot, records, worldcat_target, worldcat: WorldCatDouble
) -> None:
    ids = records("22", "333", "1")
    # 333's request fails after ExportDesk's own retries (each at once): no use going on.
    worldcat.fail_next(503, {}, path=f"{HOLDINGS}/333", times=3, headers={"Retry-After": "0"})
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"], ids["333"], ids["1"])
    panel = run_from_menu(qtbot, window, SET)
    assert worldcat.holdings == {"22"}
    text = panel.message.text()
    assert text.startswith(
        "Holdings set in target 'WorldCat' (WorldCat) on 22. Not changed on 333, 1: "
        "Target 'WorldCat' (WorldCat): the server failed ("
    ), text
    assert "HTTP 503" in text and SECRET not in text
    assert [p for _, p, _, _ in worldcat.seen(HOLDINGS)].count(f"{HOLDINGS}/1/set") == 0


# -- which target ------------------------------------------------------------------------------


def test_with_several_worldcat_targets_the_cataloger_chooses(
    qtbot, account, records, worldcat_target, worldcat, tls_files, dialogs
) -> None:
    other = add_worldcat_target(account, worldcat, tls_files, name="Consortium WorldCat")
    ids = records("22")
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"])

    dialogs.answer("Cancel")  # nothing is sent
    menu_action(window, SET).trigger()
    assert "in which WorldCat target?" in dialogs.texts[0]
    assert not window.search_panel.busy and worldcat.seen(HOLDINGS) == []

    dialogs.answer("OK", text=other)
    panel = run_from_menu(qtbot, window, SET)
    assert panel.message.text() == (
        "Holdings set in target 'Consortium WorldCat' (WorldCat) on 22."
    )
    assert worldcat.holdings == {"22"}


def test_the_accounts_holdings_target_is_used_without_asking(
    qtbot, monkeypatch, cli, account, records, worldcat_target, worldcat, tls_files
) -> None:
    other = add_worldcat_target(account, worldcat, tls_files, name="Consortium WorldCat")
    run = cli("options", "set", "--account", ACCOUNT, f"worldcat_holdings_target={other}")
    assert run.status == 0, run.err
    asked: list[str] = []
    monkeypatch.setattr(
        messages, "get_item", lambda _parent, title, *_args: (asked.append(title), ("", False))[1]
    )
    ids = records("22")
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"])
    panel = run_from_menu(qtbot, window, SET)
    assert asked == []
    assert panel.message.text() == (
        "Holdings set in target 'Consortium WorldCat' (WorldCat) on 22."
    )


def test_a_holdings_target_that_is_gone_is_said(
    qtbot, cli, records, worldcat_target, worldcat, dialogs
) -> None:
    run = cli("options", "set", "--account", ACCOUNT, "worldcat_holdings_target=Gone")
    assert run.status == 0, run.err
    ids = records("22")
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"])
    dialogs.answer("OK")
    menu_action(window, UNSET).trigger()
    assert f"account {ACCOUNT} has no target named 'Gone'" in dialogs.texts[0]
    assert worldcat.seen(HOLDINGS) == []


def test_without_a_worldcat_target_the_message_says_how_to_add_one(
    qtbot, account, records, dialogs
) -> None:
    Targets(account).add(make_target({"name": "LoC", "kind": "sru", "url": "http://127.0.0.1:9/"}))
    ids = records("22")
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"])
    dialogs.answer("OK")
    menu_action(window, SET).trigger()
    assert (
        f"exportdesk target add --account {ACCOUNT} --name NAME --kind worldcat" in dialogs.texts[0]
    )
    assert not window.search_panel.busy


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_stops_before_the_next_record_and_keeps_what_was_changed(
    qtbot, records, worldcat_target, worldcat: WorldCatDouble
) -> None:
    ids = records("22", "333", "1")
    arrived = threading.Event()
    worldcat.hang_next(f"{HOLDINGS}/333", arrived=arrived)  # no answer until the test ends
    window = open_window(qtbot)
    select_records(window.records_page, ids["22"], ids["333"], ids["1"])
    panel = window.search_panel
    menu_action(window, SET).trigger()
    # The focus goes to Cancel (Esc or Space cancels), in the window however active it is.
    assert panel.busy and window.focusWidget() is panel.cancel_button
    assert panel.message.text() == "Setting holdings on 3 records in target 'WorldCat' (WorldCat)…"
    assert not any(a.isEnabled() for a in window.record_holdings.actions)
    qtbot.waitUntil(arrived.is_set, timeout=LONG)

    with qtbot.waitSignal(panel.busyChanged, timeout=LONG):
        qtbot.keyClick(panel.cancel_button, Qt.Key.Key_Escape)
    assert panel.message.text() == (
        "Holdings in target 'WorldCat' (WorldCat) cancelled; those changed before it stay changed."
    )
    qtbot.waitUntil(lambda: panel.jobs.running == 0, timeout=LONG)  # it gave the request up
    assert worldcat.holdings == {"22"}
    assert [p for _, p, _, _ in worldcat.seen(HOLDINGS)] == [
        f"{HOLDINGS}/22/set",
        f"{HOLDINGS}/333/set",
    ]
    assert panel.message.text().startswith("Holdings in target 'WorldCat' (WorldCat) cancelled")
    assert all(a.isEnabled() for a in window.record_holdings.actions)
