"""``exportdesk import`` and ``exportdesk records`` as a script or a cataloger uses them."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.store.savefile import SaveFile
from tests.fixtures.records import bib_record


def test_import_prints_the_json_result(cli, account: str, test_data: Path) -> None:
    run = cli("import", "--account", account, "--json", str(test_data / "pymarc-test.dat"))
    assert run.status == 0
    assert json.loads(run.out) == {"imported": 10, "skipped": 0, "errors": []}


def test_import_reports_unreadable_records_and_exits_1(cli, account: str, test_data: Path) -> None:
    bad = str(test_data / "pymarc-bad-records.mrc")
    run = cli("import", "--account", account, "--json", bad, str(test_data / "pymarc-utf8.dat"))
    assert run.status == 1
    result = json.loads(run.out)
    assert (result["imported"], result["skipped"]) == (3, 0)
    assert [e["record"] for e in result["errors"]] == [2, 3, 4, 5, 6, 7, 9]
    first = result["errors"][0]
    assert set(first) == {"file", "record", "offset", "reason"}
    assert (first["file"], first["offset"]) == (bad, 127)
    assert "base address" in first["reason"]


def test_import_in_words(cli, account: str, test_data: Path) -> None:
    run = cli("import", "--account", account, str(test_data / "sample.mrk"))
    assert run.status == 1
    assert run.out == "Imported 3 records. 1 problem reading, listed above.\n"
    assert "record 3" in run.err and "line 23" in run.err
    assert "the mnemonic {copy} was kept as text" in run.err


def test_duplicates_are_skipped_by_default(cli, account: str, make_file) -> None:
    first = make_file("a.mrc", bib_record("ocm5", "Old", identifier="OCoLC"))
    second = make_file("b.mrc", bib_record("x", "New", oclc="5"))
    cli("import", "--account", account, str(first))
    run = cli("import", "--account", account, str(second))
    assert (run.status, run.out) == (0, "Imported 0 records. Skipped 1 already in the save file.\n")
    run = cli("import", "--account", account, "--json", "--on-duplicate", "replace", str(second))
    assert json.loads(run.out) == {"imported": 1, "skipped": 0, "errors": []}
    run = cli("import", "--account", account, "--json", "--on-duplicate", "keep", str(second))
    assert json.loads(run.out)["imported"] == 1
    listed = json.loads(cli("records", "list", "--account", account, "--json").out)
    assert [r["title"] for r in listed] == ["New", "New"]


def test_bad_usage_exits_2(cli, account: str, test_data: Path) -> None:
    unknown = cli("import", "--account", "999-999-999", str(test_data / "pymarc-test.dat"))
    assert unknown.status == 2
    assert "account 999-999-999 is not known" in unknown.err
    assert "Traceback" not in unknown.err
    assert cli("import", "--account", account).status == 2  # no file
    wrong = cli("import", "--account", account, "--on-duplicate", "merge", "x.mrc")
    assert wrong.status == 2


def test_records_list(cli, account: str, test_data: Path) -> None:
    cli("import", "--account", account, str(test_data / "sample.mrk"))
    listed = json.loads(cli("records", "list", "--account", account, "--json").out)
    assert listed[0] == {
        "id": 1,
        "control_number": "ocm00012345",
        "title": "The price of tea : costs in $US and £",
        "type": "bib",
        "flagged": False,
        "status": None,
        "validation": None,
    }
    assert [r["type"] for r in listed] == ["bib", "bib", "auth"]
    table = cli("records", "list", "--account", account)
    assert table.status == 0
    assert "12345" in table.out and "Authority" in table.out


def test_flag_unflag_and_the_flagged_list(cli, account: str, test_data: Path) -> None:
    cli("import", "--account", account, str(test_data / "pymarc-test.dat"))
    run = cli("records", "flag", "--account", account, "2", "5")
    assert (run.status, run.out) == (0, "Flagged 2 records.\n")
    flagged = json.loads(cli("records", "list", "--account", account, "--flagged", "--json").out)
    assert [r["id"] for r in flagged] == [2, 5]
    assert all(r["flagged"] for r in flagged)
    assert cli("records", "unflag", "--account", account, "5").out == "Unflagged 1 record.\n"
    assert cli("records", "flag", "--account", account, "--all").out == "Flagged 9 records.\n"
    assert cli("records", "unflag", "--account", account, "--all").out == "Unflagged 10 records.\n"


def test_delete(cli, account: str, test_data: Path) -> None:
    cli("import", "--account", account, str(test_data / "pymarc-test.dat"))
    assert cli("records", "delete", "--account", account, "1", "2").out == "Deleted 2 records.\n"
    listed = json.loads(cli("records", "list", "--account", account, "--json").out)
    assert [r["id"] for r in listed] == list(range(3, 11))
    assert cli("records", "delete", "--account", account, "--all").out == "Deleted 8 records.\n"
    assert cli("records", "list", "--account", account).out == "No records.\n"


def test_unknown_ids_change_nothing(cli, account: str, test_data: Path) -> None:
    cli("import", "--account", account, str(test_data / "pymarc-test.dat"))
    run = cli("records", "flag", "--account", account, "3", "77")
    assert run.status == 2
    assert "no record with id 77" in run.err
    with SaveFile.for_account(account) as save_file:
        assert save_file.flagged_ids() == []
    assert cli("records", "flag", "--account", account).status == 2  # no ids, no --all
    assert cli("records", "flag", "--account", account, "3", "--all").status == 2
    assert cli("records", "delete", "--account", account, "abc").status == 2
    # "²" is a digit to str.isdigit, not a record id.
    odd = cli("records", "delete", "--account", account, "1\u00b2")
    assert odd.status == 2 and "'1\u00b2' is not a record id" in odd.err


def test_records_show(cli, account: str, test_data: Path) -> None:
    cli("import", "--account", account, str(test_data / "pymarc-marc8.dat"))
    run = cli("records", "show", "--account", account, "1")
    assert run.status == 0
    assert run.out.startswith("LDR    ")
    assert "\u2021a De la solitude à la communauté" in run.out
    assert cli("records", "show", "--account", account, "2").status == 2
