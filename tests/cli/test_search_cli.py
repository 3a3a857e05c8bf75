"""``exportdesk target|search|retrieve|holdings`` and ``password set --target``, as a script
uses them: against Zebra over SRU and the WorldCat double over HTTPS, on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.core.settings.targets import targets_file
from app.core.store.savefile import SaveFile
from tests.fixtures.network import TlsFiles
from tests.fixtures.worldcat import KEY, SECRET, WorldCatDouble
from tests.fixtures.zebra import ZebraServer


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def sru(cli, account: str, zebra: ZebraServer) -> str:
    run = cli("target", "add", "--account", account, "--name", "Zebra", "--kind", "sru",
              "--url", zebra.url)  # fmt: skip
    assert run.status == 0, run.err
    return "Zebra"


@pytest.fixture
def wc(cli, account: str, worldcat: WorldCatDouble, tls_files: TlsFiles, monkeypatch) -> str:
    run = cli("target", "add", "--account", account, "--name", "WorldCat", "--kind", "worldcat",
              "--key", KEY, "--api-url", worldcat.api_url, "--oauth-url", worldcat.oauth_url,
              "--ca-file", str(tls_files.ca_file))  # fmt: skip
    assert run.status == 0, run.err
    assert "exportdesk password set --account 100-123-456 --target 'WorldCat'" in run.out
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    run = cli("password", "set", "--account", account, "--target", "WorldCat")
    assert run.status == 0, run.err
    return "WorldCat"


def test_target_list_json(cli, account: str, sru: str, wc: str) -> None:
    run = cli("target", "list", "--account", account, "--json")
    listed = json.loads(run.out)
    assert [(t["name"], t["kind"], t["origin"]) for t in listed] == [
        ("Zebra", "sru", "account"),
        ("WorldCat", "worldcat", "account"),
    ]
    assert listed[1]["secret_saved"] is True
    assert SECRET not in targets_file(account).read_text(encoding="utf-8")


def test_search_json_lines_then_the_summary(cli, account: str, sru: str) -> None:
    run = cli("search", "--account", account, "--target", sru, "--limit", "3", "--json", "perl")
    assert run.status == 0, run.err
    lines = json_lines(run.out)
    assert lines[-1] == {"summary": {"total": 9, "shown": 3}}
    assert [set(line) for line in lines[:-1]] == [
        {"target", "position", "id", "title", "author", "date"}
    ] * 3
    assert [line["position"] for line in lines[:-1]] == [1, 2, 3]
    assert lines[0]["target"] == "Zebra" and str(lines[0]["id"]).startswith("fol")


def test_search_pages_past_one_request(cli, account: str, wc: str) -> None:
    run = cli("search", "--account", account, "--target", wc, "--json", "--index", "title",
              "perl")  # fmt: skip
    assert json_lines(run.out)[-1] == {"summary": {"total": 2, "shown": 2}}


def test_no_hits_is_status_0_with_total_0(cli, account: str, sru: str) -> None:
    run = cli("search", "--account", account, "--target", sru, "--json", "xyzzyplugh")
    assert (run.status, json_lines(run.out)) == (0, [{"summary": {"total": 0, "shown": 0}}])


def test_a_failing_target_is_status_1(cli, account: str, sru: str, zebra: ZebraServer) -> None:
    run = cli("search", "--account", account, "--target", sru, "--raw", "dc.nosuch = x")
    assert run.status == 1
    assert run.err.startswith("exportdesk: error: Target 'Zebra' (SRU): diagnostic 16")


def test_bad_usage_is_status_2(cli, account: str, sru: str) -> None:
    assert cli("search", "--account", account, "--target", "Nope", "perl").status == 2
    run = cli("search", "--account", account, "--target", sru, "--index", "shelf", "x")
    assert run.status == 2
    assert cli("search", "--account", account, "--target", sru, "--raw", "--index", "isbn",
               "x").status == 2  # fmt: skip
    odd = cli("search", "--account", account, "--target", sru, "--limit", "\u00b2", "perl")
    assert odd.status == 2 and "'\u00b2' is not a number from 1 to" in odd.err


def test_retrieve_stores_and_flags_the_records(cli, account: str, sru: str) -> None:
    run = cli("retrieve", "--account", account, "--target", sru, "--flag", "--json",
              "fol05731351", "fol05754809")  # fmt: skip
    assert run.status == 0, run.err
    assert json.loads(run.out) == {"imported": 2, "skipped": 0, "errors": []}
    with SaveFile.for_account(account) as save_file:
        rows = save_file.rows()
        assert [(r.control_number, r.flagged) for r in rows] == [
            ("fol05731351", True),
            ("fol05754809", True),
        ]
        assert rows[0].source_file == "target 'Zebra' (SRU), record fol05731351"
        assert rows[0].source_format == "marcxml"


def test_retrieve_from_worldcat_skips_duplicates_by_oclc_number(cli, account: str, wc: str) -> None:
    first = cli("retrieve", "--account", account, "--target", wc, "--json", "333")
    assert json.loads(first.out) == {"imported": 1, "skipped": 0, "errors": []}
    again = cli("retrieve", "--account", account, "--target", wc, "--json", "ocm00000333")
    assert json.loads(again.out) == {"imported": 0, "skipped": 1, "errors": []}
    replaced = cli("retrieve", "--account", account, "--target", wc, "--json",
                   "--on-duplicate", "replace", "333")  # fmt: skip
    assert json.loads(replaced.out)["imported"] == 1
    with SaveFile.for_account(account) as save_file:
        assert [r.oclc_number for r in save_file.rows()] == ["333"]


def test_retrieve_lists_what_failed_and_exits_1(cli, account: str, wc: str) -> None:
    run = cli("retrieve", "--account", account, "--target", wc, "--json", "22", "999", "x1")
    assert run.status == 1
    result = json.loads(run.out)
    assert result["imported"] == 1
    assert result["errors"] == [
        {"target": "WorldCat", "id": "999", "reason": "no record with OCLC number 999"},
        {"target": "WorldCat", "id": "x1", "reason": "'x1' is not an OCLC number"},
    ]


def test_holdings_json_one_line_per_number(cli, account: str, wc: str, worldcat) -> None:
    run = cli("holdings", "set", "--account", account, "--target", wc, "--json", "1", "22", "999")
    assert run.status == 1
    assert json_lines(run.out) == [
        {"oclc": "1", "outcome": "set", "message": "WorldCat Holding set."},
        {"oclc": "22", "outcome": "set", "message": "WorldCat Holding set."},
        {"oclc": "999", "outcome": "failed", "message": "no record with OCLC number 999"},
    ]
    assert worldcat.holdings == {"1", "22"}
    run = cli("holdings", "unset", "--account", account, "--target", wc, "--json", "1")
    assert run.status == 0
    assert json_lines(run.out)[0]["outcome"] == "unset"


def test_holdings_are_for_worldcat_targets(cli, account: str, sru: str) -> None:
    run = cli("holdings", "set", "--account", account, "--target", sru, "1")
    assert run.status == 2 and "holdings are WorldCat's" in run.err


def test_secret_env_for_machines_without_a_keyring(
    cli, account: str, worldcat: WorldCatDouble, tls_files: TlsFiles, monkeypatch
) -> None:
    cli("target", "add", "--account", account, "--name", "WC", "--kind", "worldcat", "--key", KEY,
        "--api-url", worldcat.api_url, "--oauth-url", worldcat.oauth_url,
        "--ca-file", str(tls_files.ca_file))  # fmt: skip
    missing = cli("search", "--account", account, "--target", "WC", "perl")
    assert missing.status == 2 and "has no secret saved" in missing.err
    monkeypatch.setenv("WC_SECRET", SECRET)
    run = cli("search", "--account", account, "--target", "WC", "--secret-env", "WC_SECRET",
              "perl")  # fmt: skip
    assert run.status == 0, run.err
    assert "Showing 2 of 2 in target 'WC' (WorldCat)." in run.out
    assert SECRET not in run.out + run.err


def test_a_wrong_secret_is_status_1_and_never_printed(
    cli, account: str, wc: str, monkeypatch
) -> None:
    monkeypatch.setenv("BAD", "not-the-secret-42")
    run = cli("search", "--account", account, "--target", wc, "--secret-env", "BAD", "perl")
    assert run.status == 1
    assert "OCLC refused the WSKey or its secret (HTTP 401" in run.err
    assert "not-the-secret-42" not in run.out + run.err


def test_target_remove_forgets_the_secret(cli, account: str, wc: str, memory_keyring) -> None:
    assert any("target:" in name for _, name in memory_keyring.entries)
    run = cli("target", "remove", "--account", account, "--name", "worldcat")
    assert run.status == 0
    assert not any("target:" in name for _, name in memory_keyring.entries)
    assert json.loads(cli("target", "list", "--account", account, "--json").out) == []


def test_target_add_refuses_options_of_the_other_kind(cli, account: str) -> None:
    run = cli("target", "add", "--account", account, "--name", "X", "--kind", "sru",
              "--url", "http://127.0.0.1:9/", "--key", "k")  # fmt: skip
    assert run.status == 2 and "--key is not for a SRU target" in run.err


def test_nothing_of_a_failed_retrieve_reaches_the_save_file(
    cli, account: str, sru: str, zebra: ZebraServer, tmp_path: Path
) -> None:
    zebra.stop()
    run = cli("retrieve", "--account", account, "--target", sru, "--json", "fol05731351", "b")
    assert run.status == 1
    errors = json.loads(run.out)["errors"]
    assert [e["id"] for e in errors] == ["fol05731351", "b"]
    assert all("could not connect" in e["reason"] for e in errors)
    with SaveFile.for_account(account) as save_file:
        assert save_file.rows() == []
