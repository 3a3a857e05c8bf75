"""Cold start, whole process: from launching `python` to the first window on screen.

Two measures (the window issue's goal is a ratio of at most 2 for each):

- to the Log On dialog shown, against a bare QApplication showing a QDialog;
- to the main window after log on (an account with a save file), against a bare
  QApplication showing a QMainWindow.

Each run is a fresh process (nothing preloaded, caches of the file system warm after the first
round), offscreen. The time runs from just before the process is launched to the event loop's
first turn after the window was shown (it has been laid out and painted then), as the child
reads the system's monotonic clock, which the parent reads too. The child then quits; the time
to its end is printed apart ("to exit"): it adds the interpreter's tear-down of every module
and object, which the cataloger does not wait for at start. The rounds alternate between
ExportDesk and the baseline so that a noisy machine hurts both alike.

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

# Each child shows its window and, at the event loop's first turn, says when and quits.
SHOWN = """
import sys, time
def shown():
    print(f"shown {time.monotonic()!r}", file=sys.stderr)
    app.quit()
"""
CHILDREN = {
    "bare-dialog": """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout
app = QApplication([])
dialog = QDialog(); QVBoxLayout(dialog).addWidget(QLabel("Authorization:")); dialog.show()
QTimer.singleShot(0, shown); app.exec()
""",
    "logon": """
from PySide6.QtCore import QTimer
from app.gui.application import Controller, make_application
app = make_application()
controller = Controller(app); controller.show_logon()
QTimer.singleShot(0, shown); app.exec()
""",
    "bare-main-window": """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication([])
window = QMainWindow(); window.setCentralWidget(QTableView()); window.show()
QTimer.singleShot(0, shown); app.exec()
""",
    "main-window": """
from PySide6.QtCore import QTimer
from app.core.settings.account_settings import AccountSettings
from app.gui.application import Controller, make_application
app = make_application()
controller = Controller(app); controller.open_window(AccountSettings("100-123-456"))
QTimer.singleShot(0, shown); app.exec()
""",
}
PAIRS = [("logon", "bare-dialog"), ("main-window", "bare-main-window")]


def run_child(name: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from launch to the window shown, and to the process's end."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SHOWN + CHILDREN[name]],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,  # stderr: the offscreen platform's notes, and "shown"
        text=True,
    )
    ended = time.monotonic()
    shown = next(line for line in done.stderr.splitlines() if line.startswith("shown "))
    return float(shown.split()[1]) - started, ended - started


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
        shown: dict[str, list[float]] = {name: [] for name in CHILDREN}
        ended: dict[str, list[float]] = {name: [] for name in CHILDREN}
        for name in CHILDREN:  # one round to warm the file system cache and write bytecode
            run_child(name, env)
        for _ in range(args.rounds):
            for name in CHILDREN:
                to_shown, to_end = run_child(name, env)
                shown[name].append(to_shown)
                ended[name].append(to_end)
    print(f"whole process, offscreen, median of {args.rounds} rounds")
    for ours, bare in PAIRS:
        ours_s, bare_s = statistics.median(shown[ours]), statistics.median(shown[bare])
        ours_e, bare_e = statistics.median(ended[ours]), statistics.median(ended[bare])
        print(
            f"{ours:>12}: {ours_s:.3f} s   {bare:>16}: {bare_s:.3f} s   "
            f"ratio {ours_s / bare_s:.2f} (goal at most 2)   "
            f"to exit: {ours_e:.3f} s vs {bare_e:.3f} s, ratio {ours_e / bare_e:.2f}"
        )


if __name__ == "__main__":
    main()
