"""Settings files of the wrong shape: a notice, the damaged file set aside (the institution
file only ignored), and every command and the window go on. Properties over arbitrary JSON
for each reader, then the shapes administrators actually produced, through the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.settings import files as settings_files
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import AccountRegistry
from app.core.settings.layers import account_file
from app.core.settings.options import OPTIONS
from app.main import main

ACCOUNT = "100-123-456"
KEYS = [
    "format_version", "options", "connections", "removed_connections", "active_connection",
    "name", "id", "accounts", "last", *[option.key for option in OPTIONS],
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(KEYS)
)
# Arbitrary JSON, with the keys the readers look for far more often than chance would give.
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6) | json_values
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def institution_file() -> Path:
    return Path(os.environ["EXPORTDESK_INSTITUTION_FILE"])


def use_every_layer() -> None:
    """What the commands and the window do with an account's settings."""
    account = AccountSettings(ACCOUNT)
    effective = account.effective()
    assert effective.connections and effective.active in effective.connections
    account.saved_default()
    for connection in effective.connections:
        effective.values_for(connection)


@PROPERTY
@given(documents)
def test_any_account_file_gives_settings_and_a_damaged_one_is_set_aside(data: Any) -> None:
    path = account_file(ACCOUNT)
    write(path, data)
    use_every_layer()
    notices = settings_files.take_notices()
    if not path.exists():  # set aside: it says so, and nothing was lost
        assert any("damaged" in notice and str(path) in notice for notice in notices)
        aside = sorted(path.parent.glob(path.name + ".damaged-*"))
        assert aside and json.loads(aside[-1].read_text(encoding="utf-8")) == data
        for old in aside:
            old.unlink()


@PROPERTY
@given(documents)
def test_any_institution_file_gives_settings_and_is_never_renamed(data: Any) -> None:
    path = institution_file()
    write(path, data)
    use_every_layer()
    settings_files.take_notices()
    assert json.loads(path.read_text(encoding="utf-8")) == data


@PROPERTY
@given(documents)
def test_any_list_of_accounts_gives_a_list(data: Any) -> None:
    path = AccountRegistry.path()
    write(path, data)
    registry = AccountRegistry.load()
    assert all(isinstance(account, str) for account in registry.accounts)
    assert registry.last is None or registry.last in registry.accounts
    settings_files.take_notices()
    for old in path.parent.glob(path.name + ".damaged-*"):
        old.unlink()


@pytest.fixture
def known_account() -> str:
    assert main(["account", "add", ACCOUNT]) == 0
    return ACCOUNT


@pytest.mark.parametrize(
    "data",
    [
        {"connections": 5},
        {"connections": [5]},
        {"connections": [{"id": "x", "options": [1, 2]}]},
        {"options": ["timeout", 30]},
        {"removed_connections": {"a": 1}},
        {"active_connection": 7},
        {"format_version": "one"},
        [1, 2, 3],
    ],
    ids=repr,
)
def test_commands_go_on_over_an_account_file_of_the_wrong_shape(
    known_account: str, data: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = account_file(known_account)
    write(path, data)
    capsys.readouterr()
    assert main(["options", "show", "--account", known_account]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert f"{path} is damaged" in err and "renamed to" in err
    assert "timeout" in out  # the settings are shown, from the layers below
    assert not path.exists()


def test_a_list_of_accounts_of_the_wrong_shape_is_set_aside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(AccountRegistry.path(), {"accounts": 5})
    assert main(["account", "list"]) == 0
    err = capsys.readouterr().err
    assert "'accounts' should hold a list of authorizations, not the number 5" in err
    assert main(["account", "add", ACCOUNT]) == 0  # and it can be written anew


def test_json_nested_thousands_deep_is_damaged_not_a_crash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    AccountRegistry.path().parent.mkdir(parents=True, exist_ok=True)
    AccountRegistry.path().write_text("[" * 20_000 + "]" * 20_000, encoding="utf-8")
    assert main(["account", "list"]) == 0
    assert "nested far too deeply" in capsys.readouterr().err


def test_a_value_of_the_wrong_shape_in_the_institution_file_is_ignored_by_name(
    known_account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = institution_file()
    write(path, {"options": {"timeout": 45}, "connections": {"Sandbox": {"port": 1}}})
    capsys.readouterr()
    assert main(["options", "show", "--account", known_account]) == 0
    out, err = capsys.readouterr()
    assert f"In {path}: 'connections' should hold a list, not an object; it is ignored." in err
    assert "45" in out  # the rest of the file still applies
    assert path.exists()
