"""Dublin Core values lose the ISBD punctuation that ends them, and nothing else: an
abbreviation keeps its period, brackets stay balanced, an open date keeps its hyphen apart
from the "--" of the subdivision after it (docs/dublin-core.md)."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield

from app.core.marc import RecordRead, read_records
from app.core.marc.charset import decode_record
from app.core.marc.encode import encode_record
from app.core.marc.to_dublincore import dublin_core

DC = "{http://purl.org/dc/elements/1.1/}"


def record(*fields: tuple[str, str, list[str]]) -> Record:
    """A bibliographic record with the given (tag, indicators, [code, value, ...]) fields."""
    made = Record(leader="00000nam a2200000 a 4500")
    for tag, indicators, pairs in fields:
        subfields = [Subfield(c, v) for c, v in zip(pairs[::2], pairs[1::2], strict=True)]
        made.add_field(Field(tag, Indicators(*indicators), subfields))
    return made


def values(made: Record, element: str) -> list[str]:
    return [value for name, value in dublin_core(made) if name == element]


@pytest.mark.parametrize(
    ("subfields", "publisher", "date"),
    [
        # The case: [n.p., 1970] spread over $a and $c.
        (["a", "[n.p.,", "c", "1970]"], "[n.p.]", "[1970]"),
        (["a", "[S.l. :", "b", "s.n.,", "c", "[197-?]"], "[S.l. : s.n.]", "[197-?]"),
        (
            ["a", "[Washington,", "b", "U.S. Govt. Print. Off.]", "c", "1950."],
            "[Washington, U.S. Govt. Print. Off.]",
            "1950",
        ),
        (
            ["a", "New York :", "b", "Example Bros.,", "c", "c1999."],
            "New York : Example Bros.",
            "c1999",
        ),
        (["a", "London :", "b", "Evans,", "c", "[n.d.]"], "London : Evans", "[n.d.]"),
    ],
)
def test_publication_fields_keep_abbreviations_and_balanced_brackets(
    subfields: list[str], publisher: str, date: str
) -> None:
    made = record(("260", "  ", subfields))
    assert values(made, "publisher") == [publisher]
    assert values(made, "date") == [date]


@pytest.mark.parametrize(
    ("tag", "subfields", "expected"),
    [
        ("600", ["a", "Smith, John,", "d", "1968-", "x", "Criticism."],
         "Smith, John, 1968- --Criticism"),
        ("650", ["a", "Authors", "y", "1900-", "x", "History."], "Authors--1900- --History"),
        ("650", ["a", "Cataloging", "v", "Handbooks, manuals, etc."],
         "Cataloging--Handbooks, manuals, etc."),
        ("600", ["a", "Doe, Jane,", "d", "1950-2020", "x", "Homes."],
         "Doe, Jane, 1950-2020--Homes"),
        ("651", ["a", "Paris (France", "x", "History."], "Paris (France)--History"),
    ],
)  # fmt: skip
def test_subject_headings(tag: str, subfields: list[str], expected: str) -> None:
    made = record((tag, " 0", subfields))
    element = "coverage" if tag == "651" else "subject"
    assert values(made, element) == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Smith, J.", "Smith, J."),
        ("Example Press, Inc.", "Example Press, Inc."),
        ("Przedpełska-Trzeciakowska, Anna (1927- ).", "Przedpełska-Trzeciakowska, Anna (1927- )"),
        ("Doe, Jane, 1950-", "Doe, Jane, 1950-"),
        ("United States. Congress.", "United States. Congress"),
        ("Version 1.5.", "Version 1.5"),
        # MARC 21's lossless form kept as text: its semicolon is not punctuation.
        ("&#x5C39;&#x4E00;&#x6DF8;.", "&#x5C39;&#x4E00;&#x6DF8;"),
    ],
)
def test_a_final_period_goes_unless_an_abbreviation_needs_it(name: str, expected: str) -> None:
    assert values(record(("710", "2 ", ["a", name])), "contributor") == [expected]


def test_a_bracket_opened_at_the_end_is_dropped_not_closed() -> None:
    made = record(("245", "10", ["a", "Pride and prejudice [", "c", "[by] Jane Austen."]))
    assert values(made, "title") == ["Pride and prejudice"]


def test_the_rdf_export_carries_the_tidied_values() -> None:
    made = record(("260", "  ", ["a", "[n.p.,", "c", "1970]"]))
    root = ET.fromstring(encode_record(made, "dc-rdf", "utf8").data)
    assert root.findtext(f"{DC}publisher") == "[n.p.]"
    assert [d.text for d in root.findall(f"{DC}date")] == ["[1970]"]


def punctuation_problems(value: str) -> list[str]:
    problems = []
    for opening, closing in ("[]", "()"):
        depth = 0
        for char in value:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                break
        if depth:
            problems.append(f"unbalanced {opening}{closing}")
    if "---" in value:
        problems.append("---")
    if re.search(r"[\s,:;/=]$", value) and not re.search(r"&#x?[0-9A-Fa-f]+;$", value):
        problems.append("ISBD punctuation at the end")
    if re.search(r"\b[a-zA-Z]\.[a-zA-Z]$", value):
        problems.append("an abbreviation's period cut")
    return problems


def test_corpus_values_have_none_of_the_punctuation_faults(corpus: Path) -> None:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix not in (".md", ".json"))
    checked = 0
    faults = []
    for path in files:
        for item in read_records(path):
            if not isinstance(item, RecordRead):
                continue
            try:
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    made = decode_record(item.raw)
            except Exception:  # pymarc raises many kinds on records it can't decode
                continue
            for element, value in dublin_core(made):
                checked += 1
                faults += [
                    (path.name, item.number, element, value, p) for p in punctuation_problems(value)
                ]
    assert checked > 15_000
    assert faults == []
