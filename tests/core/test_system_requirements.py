"""Tests needing Debian packages or the shared corpus and data skip for a newcomer, naming
what is missing, and fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.system import REQUIRE_ENV, require_programs

MISSING = ("exportdesk-no-such-program", "exportdesk-no-such-package")


def test_a_missing_package_skips_with_its_name(monkeypatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install exportdesk-no-such-package"):
        require_programs(MISSING)


def test_a_missing_package_fails_when_ci_requires_system_tests(monkeypatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="exportdesk-no-such-package"):
        require_programs(MISSING)


def test_present_programs_let_the_test_run(monkeypatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    require_programs(("sh", "dash"))  # returns: nothing to skip or fail


# --- The shared corpus and data ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# One test of each fixture that needs ../shared: the corpus, and the Library of Congress field
# lists (the only check that the committed rule tables match their source).
NEEDS_SHARED = [
    "tests/core/validation/test_corpus.py::test_loc_authority_records_pass",
    "tests/core/validation/test_tables.py::test_committed_tables_are_what_the_builder_makes",
]


def run_without_shared(tmp_path: Path, required: bool) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "no-shared"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ENV}
    env["EXPORTDESK_SHARED"] = str(empty)
    if required:
        env[REQUIRE_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *NEEDS_SHARED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_shared_data_fails_when_ci_requires_system_tests(tmp_path: Path) -> None:
    done = run_without_shared(tmp_path, required=True)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "2 errors" in done.stdout  # failed in their fixture: neither passed nor skipped
    empty = tmp_path / "no-shared"
    for what, folder in (
        ("the MARC corpus", "marc-corpus"),
        ("the MARC format definitions", "marc-data"),
    ):
        assert (
            f"{REQUIRE_ENV}=1 but this test needs {what}, which is not at {empty / folder}"
            in done.stdout
        ), done.stdout[-3000:]


def test_missing_shared_data_skips_for_a_newcomer(tmp_path: Path) -> None:
    done = run_without_shared(tmp_path, required=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 skipped" in done.stdout
    assert "or set EXPORTDESK_SHARED to the shared folder" in done.stdout
