"""Targets: the account's own file, the institution's read-only list, damaged files, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import UsageError
from app.core.settings.files import take_notices
from app.core.settings.secrets import SecretKind, Vault
from app.core.settings.targets import (
    WORLDCAT_OAUTH_URL,
    Origin,
    TargetKind,
    Targets,
    make_target,
    targets_file,
)
from app.core.sources.clients import secret_for
from app.core.sources.faults import MissingSecret

ACCOUNT = "100-123-456"


def write_institution(tmp_path: Path, data: object) -> None:
    (tmp_path / "institution.json").write_text(json.dumps(data), encoding="utf-8")


def test_an_added_target_is_kept_in_the_accounts_targets_file() -> None:
    targets = Targets(ACCOUNT)
    targets.add(make_target({"name": "LoC", "kind": "sru", "url": "https://lx2.loc.gov/LCDB/"}))
    saved = json.loads(targets_file(ACCOUNT).read_text(encoding="utf-8"))
    assert saved["targets"] == [
        {"name": "LoC", "kind": "sru", "url": "https://lx2.loc.gov/LCDB", "version": "1.2",
         "schema": "marcxml"}
    ]  # fmt: skip
    again = Targets(ACCOUNT).require("loc")
    assert (again.kind, again.index("isbn"), again.index("id")) == (
        TargetKind.SRU,
        "bath.isbn",
        "rec.id",
    )


def test_worldcat_defaults_are_oclcs() -> None:
    target = make_target({"name": "WorldCat", "kind": "worldcat", "key": "abc"})
    assert target.api_url == "https://metadata.api.oclc.org/worldcat"
    assert target.oauth_url == WORLDCAT_OAUTH_URL == "https://oauth.oclc.org"
    assert target.scope == "WorldCatMetadataAPI"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "W", "kind": "worldcat"}, "needs its WSKey"),
        ({"name": "S", "kind": "sru", "url": "ftp://x"}, "must be an http:// or https://"),
        ({"name": "S", "kind": "sru", "url": "http://x", "version": "3"}, "SRU version"),
        ({"name": "S", "kind": "z3950"}, "worldcat or sru"),
        ({"name": " ", "kind": "sru"}, "needs a name"),
        (
            {"name": "S", "kind": "sru", "url": "http://x", "indexes": {"isbm": "x"}},
            "unknown index",
        ),
        ({"name": "W", "kind": "worldcat", "key": "k", "secret": "s"}, "never read from files"),
    ],
)
def test_bad_targets_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make_target(data)


def test_names_are_unique_ignoring_case() -> None:
    targets = Targets(ACCOUNT)
    targets.add(make_target({"name": "LoC", "kind": "sru", "url": "http://a"}))
    with pytest.raises(UsageError, match="already a target named"):
        targets.add(make_target({"name": "loc", "kind": "sru", "url": "http://b"}))


def test_the_institutions_targets_come_first_and_cannot_be_removed(tmp_path: Path) -> None:
    write_institution(
        tmp_path,
        {"targets": [{"name": "WorldCat", "kind": "worldcat", "key": "inst-key"}]},
    )
    targets = Targets(ACCOUNT)
    targets.add(make_target({"name": "Koha", "kind": "sru", "url": "http://koha"}))
    assert [(t.name, t.origin) for t in Targets(ACCOUNT).all] == [
        ("WorldCat", Origin.INSTITUTION),
        ("Koha", Origin.ACCOUNT),
    ]
    with pytest.raises(UsageError, match="comes from the institution file"):
        Targets(ACCOUNT).remove("worldcat")
    Targets(ACCOUNT).remove("koha")
    assert [t.name for t in Targets(ACCOUNT).all] == ["WorldCat"]


def test_a_damaged_targets_file_is_set_aside_with_a_notice() -> None:
    path = targets_file(ACCOUNT)
    path.parent.mkdir(parents=True)
    path.write_text('{"targets": 7}', encoding="utf-8")
    take_notices()
    assert Targets(ACCOUNT).all == []
    (notice,) = take_notices()
    assert "targets of account 100-123-456" in notice and "renamed to" in notice
    assert not path.exists()
    assert len(list(path.parent.glob("*.damaged-*"))) == 1


def test_a_bad_institution_target_is_ignored_alone_and_the_file_left(tmp_path: Path) -> None:
    write_institution(
        tmp_path,
        {
            "targets": [
                {"name": "Bad", "kind": "sru", "url": 5},
                {"name": "Good", "kind": "sru", "url": "http://good"},
            ]
        },
    )
    take_notices()
    assert [t.name for t in Targets(ACCOUNT).all] == ["Good"]
    (notice,) = take_notices()
    assert "targets[0]" in notice and "'url' should hold text" in notice
    assert (tmp_path / "institution.json").exists()


def test_the_secret_comes_from_the_keyring_or_the_variable_named() -> None:
    target = make_target({"name": "WorldCat", "kind": "worldcat", "key": "k"})
    vault = Vault(ACCOUNT)
    with pytest.raises(MissingSecret, match="password set --account 100-123-456 --target"):
        secret_for(vault, target)
    vault.save_default(target.secret_id, "from-keyring", SecretKind.TARGET_SECRET)
    assert secret_for(Vault(ACCOUNT), target) == "from-keyring"
    assert secret_for(vault, target, "WC_SECRET", {"WC_SECRET": "from-env"}) == "from-env"
    with pytest.raises(MissingSecret, match="WC_SECRET is not set"):
        secret_for(vault, target, "WC_SECRET", {})
    # Apart from any connection's password of the same name.
    assert vault.get(target.secret_id) is None
