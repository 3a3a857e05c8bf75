"""Constant data: templates kept per account (the institution's too), applied to records or
on export, and never twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymarc import MARCReader

from app.core.errors import OptionError, UsageError
from app.core.export.constant_data import all_templates, find_template
from app.core.export.run import RecordOutcome, plan_export, run_export
from app.core.marc import parse_record
from app.core.marc.mrk import TextError
from app.core.settings.account_settings import AccountSettings
from app.core.settings.layers import ExportSettings
from app.core.store.history import revisions
from app.core.store.savefile import SaveFile
from app.core.store.templates import (
    Template,
    add_template,
    apply_template,
    get_template,
    remove_template,
    templates,
)
from tests.fixtures.exporting import ACCOUNT, add_records, data_field, valid_bib

LOCAL = "=949  \\\\$aLOCAL$bUS{dollar}5\n=590  \\\\$aLocal copy.\n"


def tags(raw: bytes) -> list[str]:
    return [field.tag for field in parse_record(raw).fields]


def test_templates_are_kept_by_name_in_the_save_file(save_file: SaveFile) -> None:
    add_template(save_file, Template.from_text("Alma", "=LDR  ignored\n" + LOCAL))
    (kept,) = templates(save_file)
    assert kept.name == "Alma"
    assert kept.text == "=949  \\\\$aLOCAL$bUS{dollar}5\n=590  \\\\$aLocal copy.\n"
    assert get_template(save_file, "alma") == kept  # names ignore case
    with pytest.raises(UsageError, match="exists already"):
        add_template(save_file, Template.from_text("ALMA", "=590  \\\\$aOther\n"))
    add_template(save_file, Template.from_text("ALMA", "=590  \\\\$aOther\n"), replace=True)
    assert [t.text for t in templates(save_file)] == ["=590  \\\\$aOther\n"]
    assert remove_template(save_file, "alma") and not remove_template(save_file, "alma")
    with pytest.raises(TextError, match="line 1"):
        Template.from_text("bad", "590 no equals\n")
    with pytest.raises(UsageError, match="no fields"):
        Template.from_text("empty", "=LDR  x\n")


def test_a_template_is_never_applied_twice(save_file: SaveFile) -> None:
    first, second = add_records(save_file, [valid_bib(1), valid_bib(2)], flag=False)
    template = Template.from_text("local", LOCAL)
    assert apply_template(save_file, [first], template).changed == [first]
    result = apply_template(save_file, [first, second], template)
    assert (result.changed, result.unchanged) == ([second], [first])
    for record_id in (first, second):
        raw = save_file.get_raw(record_id)
        assert tags(raw).count("949") == 1 and tags(raw).count("590") == 1
        assert tags(raw)[-2:] == ["650", "949"]  # in tag order
        assert [r.source for r in revisions(save_file, record_id)] == ["import", "template"]
    assert apply_template(save_file, [first, second], template).changed == []


def test_the_institution_file_provides_templates_the_account_can_hide(
    save_file: SaveFile, tmp_path: Path
) -> None:
    institution = {
        "templates": [
            {"name": "Koha", "fields": ["=942  \\\\$cBK"]},
            {"name": "Shared", "fields": "=590  \\\\$aInstitution's"},
            {"name": "broken"},
        ]
    }
    (tmp_path / "institution.json").write_text(json.dumps(institution), encoding="utf-8")
    add_template(save_file, Template.from_text("shared", "=590  \\\\$aMine\n"))
    found = {t.name: (t.origin, t.text) for t in all_templates(save_file)}
    assert found == {
        "Koha": ("institution", "=942  \\\\$cBK\n"),
        "shared": ("account", "=590  \\\\$aMine\n"),
    }
    assert find_template(save_file, "koha").origin == "institution"
    with pytest.raises(UsageError, match="no constant data template named 'nope'"):
        find_template(save_file, "nope")


# -- on export ------------------------------------------------------------------------------


def file_settings(tmp_path: Path, constant_data: str, fields_to_delete: str = "") -> ExportSettings:
    account = AccountSettings(ACCOUNT)
    settings = account.saved_default()
    settings.set_value("file_name", str(tmp_path / "out.mrc"))
    settings.set_value("constant_data", constant_data)
    if fields_to_delete:
        settings.set_value("fields_to_delete", tuple(fields_to_delete.split()))
    return settings


def exported(tmp_path: Path) -> list[list[str]]:
    with (tmp_path / "out.mrc").open("rb") as stream:
        return [[f.tag for f in record.fields] for record in MARCReader(stream)]


def test_constant_data_goes_into_the_copy_sent_after_fields_to_delete(
    save_file: SaveFile, tmp_path: Path
) -> None:
    vendor = data_field("938", " ", " ", "a", "Vendor")
    had_it = data_field("949", " ", " ", "a", "LOCAL", "b", "US$5")
    ids = add_records(save_file, [valid_bib(1, vendor), valid_bib(2, had_it)])
    stored = [save_file.get_raw(i) for i in ids]
    add_template(save_file, Template.from_text("local", LOCAL))
    plan = plan_export(file_settings(tmp_path, "local", "9XX"), fmt="marc")
    assert plan.constant_data == "local"
    results = [e for e in run_export(save_file, plan, ids) if isinstance(e, RecordOutcome)]
    assert [r.outcome for r in results] == ["exported", "exported"]
    sent = exported(tmp_path)
    # 938 deleted, the template's 949 and 590 added, once each (9XX deleted before).
    assert [t for t in sent[0] if t >= "500"] == ["590", "650", "949"]
    assert [t for t in sent[1] if t >= "500"] == ["590", "650", "949"]
    assert [save_file.get_raw(i) for i in ids] == stored  # the saved records are unchanged


def test_an_export_naming_a_template_that_is_not_there_sends_nothing(
    save_file: SaveFile, tmp_path: Path
) -> None:
    ids = add_records(save_file, [valid_bib(1)])
    plan = plan_export(file_settings(tmp_path, "gone"), fmt="marc")
    with pytest.raises(OptionError, match="constant_data: there is no constant data template"):
        list(run_export(save_file, plan, ids))
    assert save_file.flagged_ids() == ids
    assert not (tmp_path / "out.mrc").exists()
