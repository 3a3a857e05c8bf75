"""The rule tables: built from the LoC field lists by a deterministic script, loaded once."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from app.core.resources import resource_path
from app.core.validation.tables import format_rules, is_local_tag

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_committed_tables_are_what_the_builder_makes(marc_data: Path) -> None:
    builder = load_tool("build_marc_rules")
    assert builder.main(["--source", str(marc_data), "--check"]) == 0


def test_builder_is_deterministic(marc_data: Path, tmp_path: Path) -> None:
    builder = load_tool("build_marc_rules")
    first, second = tmp_path / "one", tmp_path / "two"
    for folder in (first, second):
        args = ["--source", str(marc_data), "--output", str(folder), "--date", "2026-01-01"]
        assert builder.main(args) == 0
    for name in ("bibliographic.json", "authority.json", "holdings.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    # Running again over its own output changes nothing, not even the date.
    assert builder.main(["--source", str(marc_data), "--output", str(first), "--check"]) == 0


def test_tables_say_where_they_come_from() -> None:
    for name in ("bibliographic.json", "authority.json", "holdings.json"):
        about = json.loads(resource_path("marc21", name).read_text(encoding="utf-8"))["_about"]
        assert about["source_file"].startswith("marc-data/")
        assert len(about["source_commit"]) == 40
        assert about["source_commit_date"]
        assert about["generated"]


def test_tables_hold_the_format() -> None:
    bib = json.loads(resource_path("marc21", "bibliographic.json").read_text(encoding="utf-8"))
    fields = bib["fields"]
    assert sum(not f["obsolete"] for f in fields.values()) == 246
    assert fields["245"]["repeatable"] is False
    assert set(fields["245"]["indicators"][1][0]["values"]) == set("0123456789")
    assert fields["650"]["subfields"]["x"][0]["repeatable"] is True
    # 856 $g was obsolete once and redefined: both definitions are kept.
    assert [d["obsolete"] for d in fields["856"]["subfields"]["g"]] == [True, False]
    categories = bib["fixed_fields"]["007"]["categories"]
    assert set(categories) == set("acdfghkmoqrstvz")
    assert set(bib["fixed_fields"]["008"]["materials"]) == {
        "BK",
        "CF",
        "CR",
        "MP",
        "MU",
        "MX",
        "VM",
    }
    auth = json.loads(resource_path("marc21", "authority.json").read_text(encoding="utf-8"))
    assert sum(not f["obsolete"] for f in auth["fields"].values()) == 141


def test_rules_are_compiled_once() -> None:
    assert format_rules("bib") is format_rules("bib")
    assert format_rules("auth").kind == "auth"


def test_local_tag_patterns() -> None:
    assert [is_local_tag(t) for t in ("090", "590", "690", "790", "899", "900", "999")] == [
        True
    ] * 7
    assert [is_local_tag(t) for t in ("100", "490", "859", "019", "880")] == [False] * 5


def test_field_rules_are_compiled_when_first_looked_up() -> None:
    for kind in ("bib", "auth"):
        fields = format_rules(kind).fields
        every = {f"{number:03d}": fields[f"{number:03d}"] for number in range(1000)}
        assert all(fields[tag] is rule for tag, rule in every.items())  # compiled once
        assert fields.get("245") is every["245"]
        for tag in ("A12", "24", "2450", "\uff12\uff14\uff15"):  # not three ASCII digits: no rule
            assert fields[tag] is None
            assert fields.get(tag) is None
            assert tag not in fields
    bib = format_rules("bib").fields
    assert bib["245"] is not None and not bib["245"].repeatable
    assert bib["999"] is not None and bib["999"].origin == "local"
    assert bib["853"] is not None and bib["853"].origin == "holdings"
