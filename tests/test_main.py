"""Starting ``exportdesk``: the window where there is a desktop, one clear line where not."""

from __future__ import annotations

import os
import subprocess
import sys


def test_without_a_display_the_window_says_so_in_one_line_and_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "needs a desktop session" in lines[0] and "exportdesk --help" in lines[0]
    assert "xcb" not in done.stderr and "Traceback" not in done.stderr


def test_the_command_line_needs_no_display() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "app", "account", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path) -> None:
    """`exportdesk ... | head`: no traceback when the pipe closes before the output is out."""
    env = {**os.environ, "EXPORTDESK_HOME": str(tmp_path)}
    add = [sys.executable, "-m", "app", "account", "add", "100-123-456"]
    subprocess.run(add, env=env, check=True, capture_output=True, timeout=60)
    command = [sys.executable, "-m", "app", "options", "show", "--account", "100-123-456"]
    reader, writer = os.pipe()
    os.close(reader)  # gone before the command writes a byte
    try:
        done = subprocess.run(
            command, env=env, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(writer)
    assert "Traceback" not in done.stderr
    assert done.returncode != 0
