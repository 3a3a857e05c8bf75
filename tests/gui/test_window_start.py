"""The first window asks for nothing it does not show: Export Options, and the keyring its
password row reads, wait until the cataloger opens that screen."""

from __future__ import annotations

from app.core.settings.account_settings import AccountSettings
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
    from app.gui.main_window import MainWindow

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
