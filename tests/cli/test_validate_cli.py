"""``exportdesk validate``: JSON lines, the text report, exit statuses, file formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymarc import XMLWriter

from app.main import main
from tests.fixtures.marc_builders import bib_record, data_field, marc, set_leader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.mrc"
    path.write_bytes(marc(bib_record()) + marc(bib_record()))
    return path


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """Three records: fine, an unknown tag (error), and an obsolete field (warning only)."""
    path = tmp_path / "bad.mrc"
    unknown = bib_record(extra=[data_field("859", "4", "0", "u", "https://example.org")])
    unknown["001"].data = "rec0002"
    obsolete = bib_record(extra=[data_field("440", " ", "0", "a", "Series ;", "v", "1")])
    obsolete["001"].data = "rec0003"
    path.write_bytes(marc(bib_record()) + marc(unknown) + marc(obsolete))
    return path


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_json_has_one_object_per_record_and_nothing_else(
    bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["validate", "--json", str(bad_file)])
    out = capsys.readouterr().out
    lines = json_lines(out)
    assert status == 1
    assert [line["record"] for line in lines] == [1, 2, 3]
    for line in lines:
        assert list(line) == ["file", "record", "control_number", "type", "errors"]
        assert line["file"] == str(bad_file)
        assert line["type"] == "bib"
    assert [line["control_number"] for line in lines] == ["rec0001", "rec0002", "rec0003"]
    assert lines[0]["errors"] == []
    (problem,) = lines[1]["errors"]  # type: ignore[misc]
    assert problem["tag"] == "859"
    assert problem["severity"] == "error"
    assert "859" in problem["message"]
    assert all(e["severity"] == "warning" for e in lines[2]["errors"])  # type: ignore[union-attr]
    assert list(lines[2]["errors"][0])[:3] == ["tag", "severity", "message"]  # type: ignore[index]


def test_exit_status_0_when_no_record_has_an_error(
    good_file: Path, bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(good_file)]) == 0
    assert main(["validate", str(good_file), str(bad_file)]) == 1
    # At level structure the unknown tag is not looked at.
    assert main(["validate", "--level", "structure", str(bad_file)]) == 0


def test_record_numbers_count_within_each_file(
    good_file: Path, bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["validate", "--json", str(good_file), str(bad_file)])
    lines = json_lines(capsys.readouterr().out)
    assert [(Path(str(line["file"])).name, line["record"]) for line in lines] == [
        ("good.mrc", 1),
        ("good.mrc", 2),
        ("bad.mrc", 1),
        ("bad.mrc", 2),
        ("bad.mrc", 3),
    ]


def test_text_report_names_record_and_problem(
    bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["validate", str(bad_file)])
    out = capsys.readouterr().out
    assert "record 2 (001 rec0002, bib): 1 error" in out
    assert "859" in out
    assert "3 records checked at level full: 1 with errors, 1 with warnings only." in out


def test_type_option_forces_the_record_type(
    good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--json", "--type", "auth", str(good_file)]) == 1
    lines = json_lines(capsys.readouterr().out)
    assert lines[0]["type"] == "auth"


def test_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nothing.mrc")]) == 2
    captured = capsys.readouterr()
    assert "does not exist" in captured.err
    assert captured.out == ""


def test_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_exit_2(good_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good_file.chmod(0)
    assert main(["validate", str(good_file)]) == 2


def test_bad_usage_is_exit_2(good_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["validate", "--level", "thorough", str(good_file)])
    assert raised.value.code == 2
    with pytest.raises(SystemExit) as raised:
        main(["validate"])
    assert raised.value.code == 2


def test_marcxml_is_read_by_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "records.dat"  # the name says nothing; the content does
    with path.open("wb") as handle:
        writer = XMLWriter(handle)
        writer.write(bib_record())
        writer.write(bib_record(extra=[data_field("859", "4", "0", "u", "https://example.org")]))
        writer.close()
    assert main(["validate", "--json", str(path)]) == 1
    lines = json_lines(capsys.readouterr().out)
    assert [line["errors"] == [] for line in lines] == [True, False]


def test_broken_marcxml_becomes_a_record_with_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?><collection><record><leader>', encoding="utf-8")
    assert main(["validate", "--json", str(path)]) == 1
    (line,) = json_lines(capsys.readouterr().out)
    assert line["record"] == 1
    assert line["errors"][0]["tag"] == "LDR"  # type: ignore[index]
    assert "stops being well formed at line 1" in line["errors"][0]["message"]  # type: ignore[index]


def test_damaged_iso2709_records_are_reported_one_by_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = marc(bib_record())
    damaged = set_leader(good, 0, b"00001")
    cut = good[: len(good) // 2]  # the file ends inside a record
    path = tmp_path / "mixed.mrc"
    path.write_bytes(good + b"\r\n" + damaged + cut)
    assert main(["validate", "--json", str(path)]) == 1
    lines = json_lines(capsys.readouterr().out)
    assert [line["record"] for line in lines] == [1, 2, 3]
    assert [bool(line["errors"]) for line in lines] == [False, True, True]


def test_garbage_file_does_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "garbage.mrc"
    path.write_bytes(bytes(range(256)) * 3)
    assert main(["validate", "--json", str(path)]) == 1
    assert all(line["errors"] for line in json_lines(capsys.readouterr().out))


def test_command_runs_as_a_separate_process(bad_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "validate", "--json", str(bad_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 3
    assert done.stderr == ""


def test_a_base_address_holding_a_superscript_digit_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = marc(bib_record())
    path = tmp_path / "odd.mrc"
    path.write_bytes(raw[:13] + b"\xb2" + raw[14:])  # "²" in the base address of data
    assert main(["validate", "--json", str(path)]) == 1
    captured = capsys.readouterr()
    (line,) = json_lines(captured.out)
    (error,) = line["errors"]  # type: ignore[misc]
    assert "base address of data" in error["message"] and "0\u00b2" in error["message"]
    assert captured.err == ""
