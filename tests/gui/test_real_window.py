"""The real window on a real X display (Xvfb), driven with the keyboard and mouse as a person
would (xdotool).

A cataloger: Export Options through the menus, a setting changed and saved for the session,
flags changed in the list, Export Flagged, and the receiver holds exactly the flagged records
that are valid, exported with the changed setting. `exportdesk --demo` runs as a separate
process; it prints where its receiver writes.

An administrator: CARLI's set-up entered field by field with Alt and the fields' letters, Save
My Default (the password into gnome-keyring), the app started anew, every value checked, the
page scrolled with the mouse wheel over spin boxes and combo boxes, and nothing changed. The
app runs under tests/fixtures/window_probe.py, which reads the screen back for the test."""

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
from app.core.settings.options import BY_KEY
from app.core.validation import validate_record
from tests.fixtures.real_window import ROOT, SecretService, XDisplay

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


# -- An administrator sets up CARLI's export, and it survives a restart and the wheel ----------

ACCOUNT = "100-123-456"
LOG_ON = "Log On$"
RENAME = "^Rename Connection$"
CONNECTION = "CARLI Network Zone"
# A stand-in for the logon ID's password: it may go to the keyring and nowhere else.
PASSWORD = "Alma-Imp0rt-Pr0file!"
# CARLI's set-up for its Alma Network Zone (EXPORT-OPTIONS.md), as the screen shows each value.
CARLI = {
    "format": "marc",
    "charset": "utf8",
    "destination": "tcpip",
    "fields_to_delete": "029 938 9XX",
    "validate_bib": "full",
    "validate_auth": "none",
    "mark_for_export": "off",
    "host": "i-share-network.alma.exlibrisgroup.com",
    "port": "5500",
    "permanent_connection": "off",
    "notify_before_disconnect": "on",
    "timeout": "90",
    "retries": "3",
    "delay": "0",
    "send_logon_id": "on",
    "logon_id": "01CARLI_NETWORK",
    "send_user_id": "off",
    "user_id": "",
}
# The account's set-up before: for a vendor's test server. Each value the administrator enters
# differs from it, so a value that was never saved can't pass for one that was.
EARLIER = {
    "format": "marcxml",
    "fields_to_delete": "029",
    "validate_bib": "basic",
    "validate_auth": "structure",
    "mark_for_export": "on",
    "host": "sandbox.example.org",
    "port": "2100",
    "permanent_connection": "on",
    "notify_before_disconnect": "off",
    "timeout": "30",
    "retries": "0",
    "delay": "5",
    "logon_id": "01CARLI_SANDBOX",
}


def exportdesk(env: dict[str, str], *arguments: str) -> str:
    """The command line, in the app's environment: its output."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"exportdesk {' '.join(arguments)}: {done.stderr.strip()}"
    return done.stdout


class Administrator:
    """A person at the Export Options screen: Alt and a field's letter (pressed as often as
    Help > Keyboard Shortcuts says), then the keys a field takes. Each step waits until the
    screen shows what was done."""

    def __init__(self, x: XDisplay) -> None:
        self.x = x

    def value(self, key: str) -> str:
        return str(self.x.screen()["values"][key])

    def reach(self, key: str) -> None:
        screen = self.x.screen()
        letters = screen["letters"]
        letter, place = letters[key]
        sharing = [p for other, p in letters.values() if other == letter]
        at = letters.get(screen["focus"])
        # Each press goes to the next field with the letter: from one of them, on from it.
        presses = (place - at[1]) % len(sharing) if at and at[0] == letter else place
        if presses:  # none when the focus is there already
            self.x.keys(*[f"alt+{letter}"] * presses)
        self.x.wait_until(
            lambda: self.x.screen()["focus"] == key,
            10,
            f"Alt+{letter.upper()} pressed {presses} times did not reach {key}",
        )

    def choose(self, key: str, value: str) -> None:
        """A combo box's choice: the first with Home, then Down as often as it is below."""
        self.reach(key)
        index = BY_KEY[key].choice_values.index(value)
        self.x.keys("Home", *["Down"] * index)
        self.wait_for(key, value)

    def type_into(self, key: str, text: str) -> None:
        self.reach(key)
        self.x.keys("ctrl+a")
        self.x.type_text(text)
        self.wait_for(key, text)

    def check(self, key: str, wanted: str) -> None:
        """A check box on or off: a letter of its own checks or clears it; a shared one
        goes to it, and Space does."""
        if self.value(key) == wanted:
            return
        letters = self.x.screen()["letters"]
        alone = [letter for letter, _ in letters.values()].count(letters[key][0]) == 1
        self.reach(key)
        if not alone:
            self.x.keys("space")
        self.wait_for(key, wanted)

    def wait_for(self, key: str, value: str) -> None:
        self.x.wait_until(
            lambda: self.value(key) == value, 10, f"{key} does not show {value!r} on the screen"
        )


def test_an_administrator_sets_up_carli_and_it_survives_a_restart_and_the_wheel(
    x_display: XDisplay, secret_service: SecretService, tmp_path: Path
) -> None:
    x = x_display
    env = {
        **secret_service.env,
        "PYTHONPATH": str(ROOT),
        "EXPORTDESK_HOME": str(tmp_path / "exportdesk"),
        "EXPORTDESK_INSTITUTION_FILE": str(tmp_path / "no-institution-file.json"),
    }
    exportdesk(env, "account", "add", ACCOUNT)
    exportdesk(
        env, "options", "set", "--account", ACCOUNT, *[f"{k}={v}" for k, v in EARLIER.items()]
    )
    person = Administrator(x)

    def open_export_options() -> str:
        x.start_app([], env, probe=True)
        x.focus(x.wait_for_window(LOG_ON))
        x.keys("Return")  # the account known on this machine is the one chosen
        window = x.wait_for_window(MAIN_WINDOW)
        x.focus(window)
        x.keys("ctrl+shift+o")  # General > Admin > Export Options
        x.wait_until(lambda: x.screen()["shown"], 20, "Export Options did not open")
        return window

    window = open_export_options()
    assert {k: person.value(k) for k in EARLIER} == EARLIER

    person.choose("format", CARLI["format"])
    person.reach("destination")  # the chosen radio button: File
    x.keys("Right")
    person.wait_for("destination", "tcpip")
    person.type_into("fields_to_delete", CARLI["fields_to_delete"])
    for key in ("validate_bib", "validate_auth"):
        person.choose(key, CARLI[key])
    person.check("mark_for_export", CARLI["mark_for_export"])

    # Connections > Rename…, with the mouse; the name in the dialog, with the keyboard.
    left, top, width, height = x.screen()["rename_button"]
    x.click(left + width // 2, top + height // 2)
    x.focus(x.wait_for_window(RENAME))
    x.keys("ctrl+a")
    x.type_text(CONNECTION)
    x.keys("Return")
    x.wait_until(lambda: not x.windows(RENAME), 10, "the Rename Connection dialog stayed")
    x.focus(window)
    x.wait_until(lambda: x.screen()["active"] == CONNECTION, 10, "the connection kept its name")

    for key in ("host", "port", "timeout", "retries", "delay", "logon_id"):
        person.type_into(key, CARLI[key])
    for key in ("permanent_connection", "notify_before_disconnect"):
        person.check(key, CARLI[key])
    person.reach("password")
    x.type_text(PASSWORD, secret=True)
    x.wait_until(lambda: not x.screen()["password"]["empty"], 10, "the password was not typed")
    entered = x.screen()
    assert {k: entered["values"][k] for k in CARLI} == CARLI

    x.keys("alt+d")  # Save My Default
    saved = x.wait_until(
        lambda: (s := x.screen())["status"].startswith("Saved as your default.") and s,
        20,
        "Save My Default did not say it saved",
    )
    assert "keyring" in saved["status"] and not saved["dirty"]
    shown = json.loads(exportdesk(env, "options", "show", "--account", ACCOUNT, "--json"))
    assert shown["connection"] == CONNECTION and shown["password_stored"] is True
    assert {k: shown["sources"][k] for k in CARLI} == dict.fromkeys(CARLI, "account")
    x.keys("ctrl+q")
    assert x.app is not None
    x.wait_until(lambda: x.app.poll() is not None, 20, "the app did not quit on Ctrl+Q")
    assert x.app.returncode == 0

    # A new process: every value as saved, the password in the keyring, nothing unsaved.
    open_export_options()
    again = x.screen()
    assert {k: again["values"][k] for k in CARLI} == CARLI
    assert again["connections"] == [CONNECTION]
    assert again["password"] == {
        "empty": True,
        "placeholder": "(saved in the keyring; type to change)",
    }
    assert not again["dirty"]

    # The wheel over the fields, down the page and back up, the pointer over a spin box or a
    # combo box (whichever is in sight, turn about) and never over the field with the focus:
    # the page scrolls, and no value changes.
    focus, values = again["focus"], again["values"]
    turns: list[str] = []
    screen = again
    assert screen["scroll"][1] > 0, "the page fits the window: nothing to scroll"
    for down in (True, False):
        while screen["scroll"][0] != (screen["scroll"][1] if down else 0):
            assert len(turns) < 80, "the wheel did not bring the page to its end"
            kinds = ["spin", "combo"] if len(turns) % 2 else ["combo", "spin"]
            kind, key, (left, top, width, height) = next(
                (kind, key, place)
                for kind in [*kinds, "other"]
                for key, place in screen["in_sight"][kind].items()
                if key != focus
            )
            at = screen["scroll"][0]
            x.wheel(left + width // 2, top + height // 2, down=down)
            turns.append(kind)
            screen = x.wait_until(
                lambda at=at: ((s := x.screen())["scroll"][0] != at or s["values"] != values) and s,
                10,
                f"the wheel over {key} did not scroll the page",
            )
            changed = {k: v for k, v in screen["values"].items() if v != values[k]}
            assert not changed, f"the wheel over {key} changed {changed}"
    assert {"spin", "combo"} <= set(turns), f"the wheel turned only over {turns}"
    after = x.screen()
    assert after["values"] == values
    assert after["focus"] == focus and not after["dirty"]
    x.keys("ctrl+q")
    x.wait_until(lambda: x.app.poll() is not None, 20, "the app did not quit on Ctrl+Q")
    assert x.app.returncode == 0

    # The password is in the keyring, and in no file, log or output.
    assert secret_service.holds("exportdesk", f"{ACCOUNT}/default", PASSWORD)
    assert PASSWORD not in "".join(x.printed)
    for folder in (tmp_path, x.artifacts):
        for path in folder.rglob("*"):
            if path.is_file():
                assert PASSWORD.encode() not in path.read_bytes(), path
