"""Cold start, whole process: from `python` to the first window on screen, and back out.

Two measures (the window issue's goal is a ratio of at most 2 for each):

- to the Log On dialog shown, against a bare QApplication showing a QDialog;
- to the main window after log on (an account with a save file), against a bare
  QApplication showing a QMainWindow.

Each run is a fresh process (nothing preloaded, caches of the file system warm after the first
round), offscreen; the process quits as soon as its window has been shown and painted. The
rounds alternate between ExportDesk and the baseline so that a noisy machine hurts both alike.

Both sides run from compiled bytecode, as installed: pip compiles a wheel's modules when it
installs them and the bundle ships them compiled, and PySide6's are compiled in site-packages.
A checkout with PYTHONDONTWRITEBYTECODE set would otherwise compile every ExportDesk module in
every round (about 0.25 s here) while the baseline never pays for it; the uncounted first round
writes the bytecode, into a folder of this run's own (PYTHONPYCACHEPREFIX), not the checkout.

    python bench/window_startup.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each child shows its window and quits once the event loop has painted it.
CHILDREN = {
    "bare-dialog": """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout
app = QApplication([])
dialog = QDialog(); QVBoxLayout(dialog).addWidget(QLabel("Authorization:")); dialog.show()
QTimer.singleShot(0, app.quit); app.exec()
""",
    "logon": """
from PySide6.QtCore import QTimer
from app.gui.application import Controller, make_application
app = make_application()
controller = Controller(app); controller.show_logon()
QTimer.singleShot(0, app.quit); app.exec()
""",
    "bare-main-window": """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication([])
window = QMainWindow(); window.setCentralWidget(QTableView()); window.show()
QTimer.singleShot(0, app.quit); app.exec()
""",
    "main-window": """
from PySide6.QtCore import QTimer
from app.core.settings.account_settings import AccountSettings
from app.gui.application import Controller, make_application
app = make_application()
controller = Controller(app); controller.open_window(AccountSettings("100-123-456"))
QTimer.singleShot(0, app.quit); app.exec()
""",
}
PAIRS = [("logon", "bare-dialog"), ("main-window", "bare-main-window")]


def run_child(name: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CHILDREN[name]],
        check=True,
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,  # the offscreen platform's notes
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "EXPORTDESK_HOME": home,
            "PYTHONPATH": str(ROOT),
            "PYTHONPYCACHEPREFIX": str(Path(home) / "bytecode"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [sys.executable, "-m", "app", "account", "add", "100-123-456"],
            check=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        times: dict[str, list[float]] = {name: [] for name in CHILDREN}
        for name in CHILDREN:  # one round to warm the file system cache and write bytecode
            run_child(name, env)
        for _ in range(args.rounds):
            for name in CHILDREN:
                times[name].append(run_child(name, env))
    print(f"whole process, offscreen, median of {args.rounds} rounds")
    for ours, bare in PAIRS:
        ours_s, bare_s = statistics.median(times[ours]), statistics.median(times[bare])
        print(
            f"{ours:>12}: {ours_s:.3f} s   {bare:>16}: {bare_s:.3f} s   "
            f"ratio {ours_s / bare_s:.2f} (goal at most 2)"
        )


if __name__ == "__main__":
    main()
