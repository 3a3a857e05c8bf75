"""exportdesk --demo: a newcomer exports the sample records and reads the replies at once."""

from __future__ import annotations

import os
import socket

import pytest

from app.core.export.demo import (
    DEMO_ACCOUNT,
    DEMO_CATALOGUE_ONLY,
    DEMO_CONNECTION,
    DEMO_TARGET,
    set_up_demo,
)
from app.core.settings.targets import Targets
from app.gui.main_window import MainWindow


@pytest.fixture
def demo(monkeypatch, tmp_path):
    # set_up_demo switches the process to its own home; these restore ours afterwards.
    monkeypatch.setenv("EXPORTDESK_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_FILE", str(tmp_path / "unused.json"))
    started = set_up_demo()
    yield started
    started.close()


def test_the_demo_exports_its_flagged_samples_to_its_receiver(qtbot, demo) -> None:
    assert os.environ["EXPORTDESK_HOME"] == str(demo.home)
    window = MainWindow(demo.account)
    qtbot.addWidget(window)
    window.show()
    assert DEMO_ACCOUNT in window.windowTitle() and DEMO_CONNECTION in window.windowTitle()
    page = window.records_page
    # The samples but two, which are in the demo's catalogue only (a search finds them).
    assert page.model.rowCount() == len(demo.record_ids) == 19 - len(DEMO_CATALOGUE_ONLY)
    assert sorted(page.save_file.flagged_ids()) == sorted(demo.record_ids)
    with qtbot.waitSignal(window.exports.exportStarted) as started:
        window.exports.export_flagged_action.trigger()
    dialog = started.args[0]
    qtbot.waitUntil(lambda: dialog.finished_running, timeout=20_000)
    kinds = [o.outcome for o in dialog.outcomes]
    # One sample carries LoC's local 050 $u, which MARC 21 does not define: held back at Full.
    assert kinds.count("exported") == 16 and kinds.count("invalid") == 1
    assert len(demo.receiver.record_files()) == 16
    assert all(o.reply == "Import ok" for o in dialog.outcomes if o.outcome == "exported")


def test_closing_the_demo_removes_its_home(demo) -> None:
    home = demo.home
    demo.close()
    assert not home.exists()


def test_the_demo_account_has_its_catalogue_as_a_target(demo) -> None:
    (target,) = Targets(DEMO_ACCOUNT).all
    assert (target.name, target.kind, target.url) == (DEMO_TARGET, "sru", demo.catalogue.url)
    assert target.url.startswith("http://127.0.0.1:")
    assert f"catalogue {demo.catalogue.url} (SRU)" in demo.describe()
    catalogue = demo.catalogue
    demo.close()
    with pytest.raises(OSError):  # stopped with the demo
        socket.create_connection(("127.0.0.1", catalogue.port), timeout=2).close()
