"""exportdesk --self-test: checks an installation end to end, says what failed, cleans up."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

import app.core.export.demo
import app.gui.self_test
from app.core.net.receiver import Fault, FaultMode, Receiver
from app.gui.self_test import run_self_test

ROOT = Path(__file__).resolve().parents[2]


def self_test_process(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen itself
    return subprocess.run(
        [sys.executable, "-m", "app", "--self-test"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def home_of(output: str) -> Path:
    found = re.search(r"ok: home (\S+),", output)
    assert found, output
    return Path(found.group(1))


def test_the_self_test_passes_and_leaves_nothing_behind(isolated_home: Path) -> None:
    done = self_test_process(ROOT)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[-1].startswith("PASS: 18 of 19 sample records exported and received")
    assert "held back as invalid" in done.stdout  # said, and not a failure
    for step in ("Opening the window", "with File > Import", "Export Flagged", "receiver got"):
        assert step in done.stdout
    assert not home_of(done.stdout).exists()
    # The user's own settings (window layout included) were not touched.
    assert list(isolated_home.iterdir()) == []
    assert "propagateSizeHints" not in done.stderr


def test_a_broken_installation_fails_naming_what_is_missing(tmp_path: Path) -> None:
    # A copy of the installation whose sample records were lost.
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "resources" / "samples" / "demo.mrc").unlink()
    done = self_test_process(tmp_path)
    assert done.returncode == 1
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("FAIL: Importing the sample records")
    assert "the sample records are missing" in last and "demo.mrc" in last
    assert "Traceback" not in done.stdout + done.stderr
    assert not home_of(done.stdout).exists()


@pytest.fixture
def in_process(qtbot, monkeypatch):
    """Run the self-test here (its Qt application is the tests'), its output captured."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")

    def run() -> tuple[int, str]:
        out = io.StringIO()
        status = run_self_test(out=out)
        return status, out.getvalue()

    return run


def test_a_receiver_that_rejects_everything_fails_the_self_test(in_process, monkeypatch):
    broken = partial(Receiver, fault=Fault(FaultMode.ERROR, text="disk full"))
    monkeypatch.setattr(app.core.export.demo, "Receiver", broken)
    before = dict(os.environ)
    status, output = in_process()
    assert status == 1
    last = output.strip().splitlines()[-1]
    assert last.startswith("FAIL: Checking what the receiver got: 18 records were not exported")
    assert "rejected" in last and "disk full" in last
    assert not home_of(output).exists()
    assert dict(os.environ) == before  # the throw-away home was only for the run


def test_an_export_that_never_ends_fails_at_the_deadline(in_process, monkeypatch):
    slow = partial(Receiver, fault=Fault(FaultMode.SLOW, seconds=5))
    monkeypatch.setattr(app.core.export.demo, "Receiver", slow)
    monkeypatch.setattr(app.gui.self_test, "STEP_TIMEOUT", 0.5)
    status, output = in_process()
    assert status == 1
    last = output.strip().splitlines()[-1]
    assert last.startswith("FAIL: Exporting them with Action > Export Flagged to 127.0.0.1")
    assert last.endswith("the export did not finish within 0.5 s")
    assert not home_of(output).exists()
