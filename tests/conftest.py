"""Every test runs with its own config, data and home folders and an in-memory keyring."""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from tests.fixtures.keyrings import MemoryKeyring, use_keyring

# Fixture modules of each area; add a line for a new one.
pytest_plugins = [
    "tests.fixtures.system",
    "tests.fixtures.dialogs",
    "tests.fixtures.marc_records",
    "tests.fixtures.marc_builders",
    "tests.fixtures.records",
    "tests.fixtures.records_page",
    "tests.fixtures.network",
    "tests.fixtures.exporting",
    "tests.fixtures.hostile",
    "tests.fixtures.validation",
    "tests.fixtures.real_window",
    "tests.fixtures.worldcat",
    "tests.fixtures.zebra",
    "tests.fixtures.institution_server",
]

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or wherever EXPORTDESK_SHARED says (CI clones elsewhere); a
# git worktree under /work/wt/NAME finds it one level higher.
SHARED = (
    Path(os.environ["EXPORTDESK_SHARED"])
    if os.environ.get("EXPORTDESK_SHARED")
    else next(
        (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
        ROOT.parent / "shared",
    )
)
CORPUS = SHARED / "marc-corpus"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, save files, documents and Qt's own settings all go under tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(home / "Documents"))
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_FILE", str(tmp_path / "institution.json"))
    monkeypatch.delenv("EXPORTDESK_HOME", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    """A fresh in-memory keyring for each test; tests that need another one swap it."""
    backend = MemoryKeyring()
    with use_keyring(backend):
        yield backend


@pytest.fixture
def corpus() -> Path:
    """../shared/marc-corpus, or a skip saying why (a failure under CI's variable)."""
    from tests.fixtures.system import need_shared

    return need_shared(CORPUS, "the MARC corpus")


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA
