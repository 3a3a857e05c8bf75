"""Tests needing Debian packages skip for a newcomer, naming the package, and fail in CI."""

from __future__ import annotations

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
