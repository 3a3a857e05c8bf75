"""The Qt binding itself: a guard against a PySide6 release that would crash the window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_calls_returning_nothing_keep_the_reference_to_none(qtbot) -> None:
    # PySide6/shiboken6 6.12.0 (abi3 wheels) on Python 3.11 drops a reference to None on every
    # call of a method that returns nothing; after a few thousand such calls Python aborts
    # with "none_dealloc: deallocating None". pyproject.toml excludes that release.
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(500):
        label.setText("x")
    assert sys.getrefcount(None) >= before - 50
