"""The files that make ExportDesk an app on a desktop: the menu entry, the icons, the
installer. (Building the bundle itself is CI's: packaging/build-linux.sh, then
packaging/check-linux-bundle.sh.)"""

from __future__ import annotations

import configparser
import os
import struct
import subprocess
import tomllib
from pathlib import Path

import pytest

from app import APP_NAME
from tests.fixtures.system import require_programs

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP_ENTRY = PACKAGING / "linux" / "exportdesk.desktop"
HICOLOR = PACKAGING / "icons" / "hicolor"


def entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_ENTRY, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.system
def test_the_desktop_entry_is_valid() -> None:
    require_programs(("desktop-file-validate", "desktop-file-utils"))
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP_ENTRY)], capture_output=True, text=True, check=False
    )
    # Hints are advice; errors and warnings make desktops skip or misfile the entry.
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_the_desktop_entry_names_the_command_icon_and_window() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    values = entry()
    assert values["Exec"].split()[0] in scripts  # the command pip installs
    assert values["Icon"] == "exportdesk"
    # X11 desktops match the window to the entry by WM_CLASS, which Qt sets to the
    # application's name; Wayland ones by the desktop file name the app declares.
    assert values["StartupWMClass"] == APP_NAME
    assert values["Terminal"] == "false"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_each_icon_has_the_size_its_folder_says() -> None:
    folders = sorted(p for p in HICOLOR.iterdir() if p.name != "scalable")
    assert [f.name for f in folders] == sorted(
        f"{n}x{n}" for n in (16, 24, 32, 48, 64, 128, 256, 512)
    )
    for folder in folders:
        side = int(folder.name.split("x")[0])
        assert png_size(folder / "apps" / "exportdesk.png") == (side, side)
    # The scalable icon is the app's own: one drawing, nothing to drift.
    scalable = HICOLOR / "scalable" / "apps" / "exportdesk.svg"
    assert scalable.read_bytes() == (ROOT / "resources" / "icons" / "exportdesk.svg").read_bytes()


def test_the_windows_icon_holds_every_size_windows_draws() -> None:
    data = (PACKAGING / "icons" / "exportdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sides = []
    for index in range(count):
        width, height, *_rest, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert width == height
        sides.append(width or 256)
        assert data[offset : offset + 4] == b"\x89PNG" and offset + length <= len(data)
    assert sides == [16, 24, 32, 48, 64, 128, 256]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A stand-in for dist/exportdesk: the layout build-linux.sh makes, a tiny program."""
    folder = tmp_path / "dist" / "exportdesk"
    (folder / "share" / "applications").mkdir(parents=True)
    (folder / "share" / "applications" / "exportdesk.desktop").write_bytes(
        DESKTOP_ENTRY.read_bytes()
    )
    (folder / "share" / "icons").mkdir()
    subprocess.run(["cp", "-r", str(HICOLOR), str(folder / "share" / "icons")], check=True)
    program = folder / "exportdesk"
    program.write_text("#!/bin/sh\necho ExportDesk test\n")
    program.chmod(0o755)
    installer = folder / "install.sh"
    installer.write_bytes((PACKAGING / "linux" / "install.sh").read_bytes())
    installer.chmod(0o755)
    return folder


def run_installer(script: Path, home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    return subprocess.run(
        [str(script), *arguments], env=env, capture_output=True, text=True, check=False
    )


def test_install_for_a_user_puts_the_command_menu_entry_and_icons_in_place(
    bundle: Path, tmp_path: Path
) -> None:
    home = tmp_path / "user"
    home.mkdir()
    done = run_installer(bundle / "install.sh", home)
    assert done.returncode == 0, done.stderr
    command = home / ".local" / "bin" / "exportdesk"
    program = home / ".local" / "lib" / "exportdesk" / "exportdesk"
    assert subprocess.run([str(command)], capture_output=True, text=True).stdout == (
        "ExportDesk test\n"
    )
    menu = (home / ".local" / "share" / "applications" / "exportdesk.desktop").read_text()
    assert f"Exec={program}\n" in menu  # a full path: ~/.local/bin is not always on PATH
    icons = home / ".local" / "share" / "icons" / "hicolor"
    assert (icons / "48x48" / "apps" / "exportdesk.png").is_file()
    assert (icons / "scalable" / "apps" / "exportdesk.svg").is_file()

    settings = home / ".config" / "exportdesk" / "accounts"
    settings.mkdir(parents=True)
    gone = run_installer(program.parent / "install.sh", home, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not command.exists() and not program.parent.exists()
    assert not (icons / "48x48" / "apps" / "exportdesk.png").exists()
    assert settings.is_dir()  # a user's settings are theirs


def test_a_system_install_can_be_staged_for_a_package(bundle: Path, tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DESTDIR": str(stage)}
    done = subprocess.run(
        [str(bundle / "install.sh"), "--system"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (stage / "opt" / "exportdesk" / "exportdesk").is_file()
    # The link and the menu entry name where the program runs from, not the staging folder.
    assert os.readlink(stage / "usr" / "local" / "bin" / "exportdesk") == (
        "/opt/exportdesk/exportdesk"
    )
    menu = stage / "usr" / "local" / "share" / "applications" / "exportdesk.desktop"
    assert "Exec=/opt/exportdesk/exportdesk\n" in menu.read_text()


def test_the_installer_refuses_what_it_does_not_know(bundle: Path, tmp_path: Path) -> None:
    done = run_installer(bundle / "install.sh", tmp_path, "--everywhere")
    assert done.returncode == 2 and "unknown option --everywhere" in done.stderr
