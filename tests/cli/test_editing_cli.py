"""``exportdesk records show --format mrk / edit / history / revert / apply-template`` and
``exportdesk template``: editing records from scripts."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli.editing import show_mrk
from app.core.marc.mrk import text_to_record
from app.core.store.history import save_record
from app.core.store.importer import import_files
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, add_records, data_field, valid_bib


def test_show_then_edit_without_a_change_leaves_the_record_byte_identical(
    cli, save_file: SaveFile, test_data: Path, tmp_path: Path
) -> None:
    ids = import_files(save_file, [test_data / "pymarc-marc8.dat"]).record_ids
    before = {i: save_file.get_raw(i) for i in ids}
    for record_id in ids:
        shown = cli("records", "show", "--account", ACCOUNT, "--format", "mrk", str(record_id))
        assert shown.status == 0 and shown.out.startswith("=LDR  ")
        path = tmp_path / f"{record_id}.mrk"
        path.write_text(shown.out, encoding="utf-8")
        run = cli("records", "edit", "--account", ACCOUNT, str(record_id), "--from", str(path),
                  "--json")  # fmt: skip
        result = json.loads(run.out)
        assert result["id"] == record_id and result["saved"] and not result["changed"]
        assert run.status == (1 if result["errors"] else 0)
        assert save_file.get_raw(record_id) == before[record_id]
    assert (
        cli("records", "history", "--account", ACCOUNT, str(ids[0]), "--json").out.count(
            '"revision"'
        )
        == 1
    )


def test_the_corpus_shown_and_saved_back_through_the_cli_api_is_unchanged(
    save_file: SaveFile, corpus: Path
) -> None:
    """Every record of the corpus the import keeps, shown as ``records show --format mrk``
    shows it and saved as ``records edit`` saves it, keeps its bytes."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix not in (".json", ".md"))
    ids = import_files(save_file, files, on_duplicate="keep").record_ids
    assert len(ids) > 1400
    changed = []
    for record_id in ids:
        before = save_file.get_raw(record_id)
        edited = text_to_record(show_mrk(save_file, record_id), before)
        if edited.changed and save_record(save_file, record_id, edited.raw, "editor"):
            changed.append(record_id)
        if save_file.get_raw(record_id) != before:
            changed.append(record_id)
    assert changed == []


def test_an_edit_is_saved_validated_and_kept_in_the_history(
    cli, save_file: SaveFile, tmp_path: Path
) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    shown = cli("records", "show", "--account", ACCOUNT, "--format", "mrk", str(record_id)).out
    path = tmp_path / "edit.mrk"
    path.write_text(shown.replace("=245  10", "=245  90") + "=500  \\\\$aCosts {dollar}5.\n")
    run = cli("records", "edit", "--account", ACCOUNT, str(record_id), "--from", str(path),
              "--json")  # fmt: skip
    assert run.status == 1  # saved, with a validation error
    result = json.loads(run.out)
    assert result["saved"] and result["changed"] and result["level"] == "full"
    assert {"tag": "245", "severity": "error"}.items() <= result["errors"][0].items()
    assert b"\x1faCosts $5." in save_file.get_raw(record_id)
    assert save_file.get(record_id).validation_state == "errors"
    history = json.loads(cli("records", "history", "--account", ACCOUNT, str(record_id),
                             "--json").out)  # fmt: skip
    assert [(h["revision"], h["source"]) for h in history] == [(1, "import"), (2, "editor")]
    assert set(history[0]) == {"revision", "time", "source"}
    old = cli("records", "history", "--account", ACCOUNT, str(record_id), "--revision", "1")
    assert "=245  10" in old.out
    reverted = cli("records", "revert", "--account", ACCOUNT, str(record_id), "--to", "1")
    assert reverted.status == 0 and "saved as revision 3" in reverted.out
    assert save_file.get_raw(record_id) == valid_bib(1)
    history = json.loads(cli("records", "history", "--account", ACCOUNT, str(record_id),
                             "--json").out)  # fmt: skip
    assert [h["source"] for h in history] == ["import", "editor", "revert"]


def test_text_that_does_not_parse_saves_nothing_and_exits_2(
    cli, save_file: SaveFile, tmp_path: Path
) -> None:
    (record_id,) = add_records(save_file, [valid_bib(1)])
    path = tmp_path / "bad.mrk"
    path.write_text("=LDR  00000nam\\a2200000\\a\\4500\n245 10$aNo equals\n")
    run = cli("records", "edit", "--account", ACCOUNT, str(record_id), "--from", str(path),
              "--json")  # fmt: skip
    assert run.status == 2
    assert json.loads(run.out)["saved"] is False
    assert json.loads(run.out)["errors"][0]["line"] == 2
    assert "was not saved" in run.err and "line 2" in run.err
    assert save_file.get_raw(record_id) == valid_bib(1)
    missing = cli("records", "edit", "--account", ACCOUNT, "99", "--from", str(path))
    assert missing.status == 2 and "no record with id 99" in missing.err


def test_templates_from_the_command_line_are_applied_once(
    cli, save_file: SaveFile, tmp_path: Path
) -> None:
    ids = add_records(
        save_file, [valid_bib(1), valid_bib(2, data_field("949", " ", " ", "a", "X"))]
    )
    source = tmp_path / "local.mrk"
    source.write_text("=949  \\\\$aX\n=590  \\\\$aLocal copy.\n", encoding="utf-8")
    added = cli("template", "add", "--account", ACCOUNT, "--name", "local", "--from", str(source))
    assert added.status == 0 and "2 fields" in added.out
    listed = json.loads(cli("template", "list", "--account", ACCOUNT, "--json").out)
    assert listed == [
        {
            "name": "local",
            "origin": "account",
            "fields": ["=949  \\\\$aX", "=590  \\\\$aLocal copy."],
        }
    ]
    args = ("records", "apply-template", "--account", ACCOUNT, "--name", "local", "--json")
    first = json.loads(cli(*args, *map(str, ids)).out)
    assert first == {"template": "local", "changed": ids, "unchanged": [], "unreadable": []}
    again = json.loads(cli(*args, *map(str, ids)).out)
    assert again["changed"] == [] and again["unchanged"] == ids
    for record_id in ids:
        assert save_file.get_raw(record_id).count(b"\x1faX\x1e") == 1
    unknown = cli("records", "apply-template", "--account", ACCOUNT, "--name", "nope", "1")
    assert unknown.status == 2 and "no constant data template named 'nope'" in unknown.err
    assert cli("template", "remove", "--account", ACCOUNT, "--name", "local").status == 0
    assert cli("template", "remove", "--account", ACCOUNT, "--name", "local").status == 2
