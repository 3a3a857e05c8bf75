"""The real window on a real X display (Xvfb), driven with the keyboard as a person would
(xdotool): Export Options through the menus, a setting changed and saved for the session,
flags changed in the list, Export Flagged, and the receiver holds exactly the flagged records
that are valid, exported with the changed setting.

`exportdesk --demo` runs as a separate process; it prints where its receiver writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.export.demo import DEMO_ACCOUNT, DEMO_CATALOGUE_ONLY, demo_samples
from app.core.marc.iso2709 import parse_record
from app.core.marc.reading import read_records
from app.core.validation import validate_record
from tests.fixtures.real_window import ROOT, XDisplay

pytestmark = pytest.mark.system

MAIN_WINDOW = "^ExportDesk — "
APP_CLASS = "^ExportDesk$"  # the windows' WM_CLASS
EXPORT_DIALOG = "^Export$"
# Rows of the list (import order, as the demo imports resources/samples/demo.mrc but the
# samples only in its catalogue) the person flags: the third sample is invalid at level Full,
# the last an authority record.
FLAGGED_ROWS = (0, 2, 3, 16)


def sample_records() -> list[tuple[str, bool]]:
    """Each sample in the demo's save file: its control number and whether it is valid at the
    demo's levels (bib Full, authority None), in file order."""
    found = []
    for result in read_records(demo_samples()):
        raw = result.raw
        if control_number(raw) in DEMO_CATALOGUE_ONLY:
            continue
        authority = raw[6:7] == b"z"
        valid = authority or not validate_record(raw, "full").has_errors
        found.append((control_number(raw), valid))
    return found


def control_number(raw: bytes) -> str:
    field = parse_record(raw).first("001")
    assert field is not None
    return field.data.decode().strip()


class Demo:
    """What the demo process said about itself, and its save file read through the CLI."""

    def __init__(self, display: XDisplay) -> None:
        line = display.read_line(r"receiver 127\.0\.0\.1:(\d+), records in (.+), home (.+)$")
        self.received = Path(line[2])
        self.home = Path(line[3].strip())
        self.display = display
        display.remove_after(self.home)

    def records(self) -> list[dict[str, object]]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "EXPORTDESK_HOME": str(self.home),
            "EXPORTDESK_INSTITUTION_FILE": str(self.home / "no-institution-file.json"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "app", "records", "list", "--account", DEMO_ACCOUNT, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            self.display.fail(f"exportdesk records list failed: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def flagged(self) -> list[str]:
        return [str(r["control_number"]) for r in self.records() if r["flagged"]]

    def received_files(self) -> list[Path]:
        return sorted(self.received.glob("*.mrc"))


def test_a_person_sets_up_flags_and_exports_with_the_keyboard(x_display: XDisplay) -> None:
    samples = sample_records()
    wanted = [samples[row][0] for row in FLAGGED_ROWS]
    valid = [number for number, ok in (samples[row] for row in FLAGGED_ROWS) if ok]
    assert len(valid) == len(wanted) - 1, "the rows were chosen to include one invalid sample"

    x = x_display
    x.start_app(["--demo"], {**os.environ, "PYTHONPATH": str(ROOT)})
    demo = Demo(x)
    window = x.wait_for_window(MAIN_WINDOW)
    x.focus(window)

    # General > Admin > Export Options, through the menus.
    x.keys("alt+g")
    x.wait_until(lambda: len(x.menus(APP_CLASS)) == 1, 10, "the General menu did not open")
    x.keys("a")
    x.wait_until(lambda: len(x.menus(APP_CLASS)) == 2, 10, "the Admin submenu did not open")
    x.keys("e")
    x.wait_until(lambda: not x.menus(APP_CLASS), 10, "the menus did not close")
    # The screen opens on the export format; the next control is the character set: MARC-8.
    x.keys("Tab", "Right")
    x.keys("alt+s")  # Save for Session
    x.keys("alt+b")  # Go Back, to the list

    # Edit > Unflag all, then flag four rows with Space.
    x.keys("alt+e")
    x.wait_until(lambda: len(x.menus(APP_CLASS)) == 1, 10, "the Edit menu did not open")
    x.keys("u")
    x.wait_until(lambda: demo.flagged() == [], 20, "Edit > Unflag all left records flagged")
    # Ctrl+Home makes the first row current; each Down selects the next row.
    x.keys("ctrl+Home", "space", "Down", "Down", "space", "Down", "space", *["Down"] * 13, "space")
    x.wait_until(
        lambda: sorted(demo.flagged()) == sorted(wanted),
        20,
        f"Space did not flag the rows {FLAGGED_ROWS} (control numbers {wanted})",
    )

    # Action > Export Flagged.
    x.keys("ctrl+e")
    report = x.wait_for_window(EXPORT_DIALOG, 20)

    def settled() -> bool:
        status = {r["control_number"]: r["status"] for r in demo.records()}
        return all(status[n] == ("exported" if n in valid else "invalid") for n in wanted)

    x.wait_until(settled, 30, "the export did not settle every flagged record")
    files = demo.received_files()
    got = sorted(control_number(path.read_bytes()) for path in files)
    assert got == sorted(valid), f"the receiver holds {got}, the valid flagged are {valid}"
    # Sent with the setting changed on the screen: MARC-8 (leader/09 blank).
    assert [path.read_bytes()[9:10] for path in files] == [b" "] * len(files)

    # Close the report, then File > Exit: the demo removes its folder on the way out. (With no
    # window manager, a new window gets the focus only when given it.)
    x.focus(report)
    x.keys("Escape")
    x.wait_until(lambda: not x.windows(EXPORT_DIALOG), 10, "the export report did not close")
    x.focus(window)
    x.keys("ctrl+q")
    assert x.app is not None
    x.wait_until(lambda: x.app.poll() is not None, 20, "the app did not quit on Ctrl+Q")
    assert x.app.returncode == 0
    assert not demo.home.exists()
