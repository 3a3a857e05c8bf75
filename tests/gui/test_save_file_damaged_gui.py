"""A damaged save file in the window: the check runs off the GUI thread once the window
shows, a message says what to do, writes are refused; Recover Now recovers it in the
background and asks for the window again."""

from __future__ import annotations

import pytest

from app.core.settings.account_settings import AccountSettings
from app.core.store.savefile import SaveFile, SaveFileDamaged
from app.gui.main_window import MainWindow
from tests.fixtures.damage import Saved, build_saved, damage_index, digest
from tests.fixtures.exporting import ACCOUNT


@pytest.fixture
def damaged(account: str) -> Saved:
    saved = build_saved(account)
    damage_index(saved.path)
    return saved


@pytest.fixture
def damaged_idle(account: str) -> Saved:
    """Damaged, with nothing in flight: opening the window writes nothing, so the check
    waits until the window shows."""
    saved = build_saved(account, sending=False)
    damage_index(saved.path)
    return saved


def open_window(qtbot) -> MainWindow:
    window = MainWindow(AccountSettings(ACCOUNT))
    qtbot.addWidget(window)
    return window


def test_a_damaged_save_file_is_reported_after_the_window_shows_and_never_written(
    qtbot, dialogs, damaged_idle: Saved
) -> None:
    damaged = damaged_idle
    before = digest(damaged.path)
    window = open_window(qtbot)
    assert not window.records_page.save_file.checked  # nothing checked before it shows
    dialogs.answer("Later")
    with qtbot.waitSignal(window.saveFileChecked, timeout=10_000) as checked:
        window.show()
    assert checked.args[0]  # the problems found
    qtbot.waitUntil(lambda: dialogs.pending == 0)
    assert "records recover --account 100-123-456" in dialogs.texts[0]
    assert dialogs.defaults == ["Recover Now"]
    assert "damaged" in window.statusBar().currentMessage()
    # The page's own connection refuses writes, without a check of its own.
    with pytest.raises(SaveFileDamaged):
        window.records_page.save_file.flag_all()
    # Flagging from the page: a message, not a traceback.
    window.records_page.table.selectAll()
    dialogs.answer("OK")
    window.records_page.flag_selected()
    qtbot.waitUntil(lambda: dialogs.pending == 0)
    assert "records recover" in dialogs.texts[-1]
    window.close()
    assert digest(damaged.path) == before


def test_a_sound_save_file_passes_without_a_message(qtbot, account: str) -> None:
    build_saved(account)
    window = open_window(qtbot)
    with qtbot.waitSignal(window.saveFileChecked, timeout=10_000) as checked:
        window.show()
    assert checked.args == [[]]
    assert window.records_page.save_file.checked
    assert not window.records_page.save_file.damaged


def test_recover_now_recovers_in_the_background_and_asks_for_the_window_again(
    qtbot, dialogs, damaged: Saved
) -> None:
    window = open_window(qtbot)
    dialogs.answer("Recover Now")
    dialogs.answer("OK")  # the recovery's summary
    with qtbot.waitSignal(window.reopenRequested, timeout=20_000):
        window.show()
    assert dialogs.pending == 0
    assert "Recovered 12 records" in dialogs.texts[1]
    assert "unconfirmed" in dialogs.texts[1]
    assert list(damaged.path.parent.glob(damaged.path.name + ".damaged-*"))
    with SaveFile(damaged.path) as recovered:
        assert recovered.check() == []
        assert recovered.get(damaged.in_flight).status == "unconfirmed"
        assert recovered.get(damaged.exported).local_system_id == "991234"

    again = open_window(qtbot)
    with qtbot.waitSignal(again.saveFileChecked, timeout=10_000) as checked:
        again.show()
    assert checked.args == [[]]
    assert again.records_page.model.rowCount() == len(damaged.ids)
