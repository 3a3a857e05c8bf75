#!/usr/bin/env python3
"""How far ExportDesk's Dublin Core agrees with the Library of Congress's MARC to Dublin Core
crosswalk, over the MARC corpus.

The LoC crosswalk (https://www.loc.gov/marc/marc2dc.html, unqualified Dublin Core) is
written here a second time, on purpose apart from app/core/marc/to_dublincore.py and as
literally as its table reads: each field (or the subfields the table names) to its element,
the values of a whole field's subfields joined by spaces, and the crosswalk's one rule about
punctuation, LoC's ``chopPunctuation``: the spaces and the characters . , : ; / that end a
value are removed. Nothing else: no subject subdivisions, no abbreviations, no brackets.

For every record that both read, the two sets of (element, value) pairs are compared. A pair
is *identical*, or *differs in punctuation only* (then the difference is put down to the
rule of ExportDesk's that explains it: docs/dublin-core.md lists them), or is in one of the
two only. The output: the agreement figure, counts per kind and per element, a few examples
of each kind, and checks of ExportDesk's own punctuation (brackets balanced, no "---", no
ISBD punctuation left at the end of a value).

Run from the repository root (the corpus is ../shared/marc-corpus, or give it):
    python tools/compare_dublincore.py [--corpus DIR] [--examples N]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from pymarc import Field, Record

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.marc import RecordRead, read_records  # noqa: E402
from app.core.marc.charset import decode_record  # noqa: E402
from app.core.marc.to_dublincore import dublin_core  # noqa: E402

Pair = tuple[str, str]

# --- the crosswalk, as its table reads ----------------------------------------------------

# Leader/06 to the DCMI Type vocabulary (the crosswalk's type table).
TYPES = {
    **dict.fromkeys("acdt", "Text"),
    **dict.fromkeys("efgk", "Image"),
    **dict.fromkeys("ij", "Sound"),
}
# Whole fields, by element.
WHOLE_FIELDS = {
    "contributor": {"100", "110", "111", "700", "710", "711", "720"},
    "subject": {"050", "060", "080", "082", "600", "610", "611", "630", "650", "653"},
    "coverage": {"651", "662", "751", "752"},
    "type": {"655"},
    "rights": {"506", "540"},
    "relation": {"530"},
    "language": {"546"},
    "format": {"340"},
    "title": {"246"},
}
# Fields of which the table names subfields: tag -> [(element, codes, one value each?)].
NAMED_SUBFIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "245": [("title", "abfghknps", False)],  # the title, not $c (responsibility)
    "260": [("publisher", "ab", False), ("date", "cg", True)],
    "020": [("identifier", "a", True)],
    "022": [("identifier", "a", True)],
    "024": [("identifier", "a", True)],
    "856": [("format", "q", True), ("identifier", "u", True)],
    "041": [("language", "abdefghj", True)],
    "534": [("source", "t", True)],
    "786": [("source", "ot", False)],
}
NOT_DESCRIPTION = {"506", "530", "540", "546"}
_PUNCTUATION_AT_END = re.compile(r"[\s.,:;/]+$")


def chop_punctuation(value: str) -> str:
    """LoC's rule: the spaces and . , : ; / that end a value go."""
    return _PUNCTUATION_AT_END.sub("", " ".join(value.split()))


def subfield_values(field: Field, codes: str | None = None) -> list[str]:
    return [
        s.value
        for s in field.subfields
        if s.value and (s.code in codes if codes is not None else not s.code.isdigit())
    ]


def crosswalk(record: Record) -> set[Pair]:
    pairs: set[Pair] = set()

    def add(element: str, value: str) -> None:
        value = chop_punctuation(value)
        if value:
            pairs.add((element, value))

    leader = str(record.leader)
    if leader[6:7] in TYPES:
        add("type", TYPES[leader[6:7]])
    if leader[6:7] == "p" and leader[7:8] in ("c", "s"):
        add("type", "Collection")
    for field in record.fields:
        tag = field.tag
        if field.control_field:
            if tag == "008" and field.data:
                if field.data[7:11].isdigit():
                    add("date", field.data[7:11])
                if re.fullmatch(r"[a-z]{3}", field.data[35:38]):
                    add("language", field.data[35:38])
            continue
        for element, tags in WHOLE_FIELDS.items():
            if tag in tags:
                add(element, " ".join(subfield_values(field)))
        if tag.startswith("5") and tag not in NOT_DESCRIPTION:
            add("description", " ".join(subfield_values(field)))
        if "760" <= tag <= "787" and tag != "786":
            add("relation", " ".join(subfield_values(field, "ot")))
        for element, codes, each in NAMED_SUBFIELDS.get(tag, []):
            values = subfield_values(field, codes)
            for value in values if each else [" ".join(values)]:
                add(element, value)
    return pairs


# --- comparing --------------------------------------------------------------------------

_BRACKETS = str.maketrans("", "", "[]()")


def punctuation_rule(element: str, ours: str, theirs: str) -> str | None:
    """The rule of ExportDesk's that makes ``ours`` differ from ``theirs``, when they differ
    in punctuation only; None when they differ in more."""
    if chop_punctuation(ours) == theirs:
        if element in ("description", "rights"):
            return "a note's final period kept (notes are sentences)"
        return "an abbreviation's final period kept"
    if chop_punctuation(ours.translate(_BRACKETS)) == theirs.translate(_BRACKETS):
        return "bracket put back (brackets balanced)"
    unsplit = chop_punctuation(re.sub(r"(?<=\S) ?--", " ", ours))
    if unsplit == theirs or unsplit.translate(_BRACKETS) == theirs.translate(_BRACKETS):
        return "subject subdivisions after '--'"
    if _letters(ours) == _letters(theirs):
        return "other punctuation"
    return None


def _letters(text: str) -> str:
    return "".join(char for char in text if char.isalnum())


def subfield_choice(ours: str, theirs: str) -> bool:
    """True when one value holds the other's words and more: the two took different
    subfields of the same field (relator terms, 246 $i, 041 codes run together...)."""
    mine, other = _letters(ours), _letters(theirs)
    return bool(mine and other) and (mine in other or other in mine)


def source_tag(record: Record, pair: Pair) -> str:
    """The tag of the field ExportDesk made ``pair`` from ("LDR" for the leader)."""
    alone = Record(leader=record.leader)
    if pair in dublin_core(alone):
        return "LDR"
    for field in record.fields:
        alone.fields = [field]
        if pair in dublin_core(alone):
            return field.tag
    return "?"


# Why ExportDesk has a value the crosswalk has not, by the tag it came from.
BEYOND_THE_CROSSWALK = {
    "880": "880 read as the field its $6 links it to",
    "264": "264 (RDA publication) read as 260",
    "008": "date in 008 with 'u' for unknown digits",
    "041": "041 codes run together split into one per language",
}


def corpus_records(corpus: Path) -> Iterator[tuple[str, int, Record]]:
    files = sorted(
        path for path in corpus.rglob("*") if path.is_file() and path.suffix not in (".md", ".json")
    )
    for path in files:
        for item in read_records(path):
            if not isinstance(item, RecordRead):
                continue
            try:
                # pymarc talks about what it can't decode, on stdout and stderr.
                with (
                    warnings.catch_warnings(),
                    contextlib.redirect_stdout(io.StringIO()),
                    contextlib.redirect_stderr(io.StringIO()),
                ):
                    warnings.simplefilter("ignore")
                    record = decode_record(item.raw)
            except Exception:
                continue
            yield str(path.relative_to(corpus)), item.number, record


def own_punctuation_problems(value: str) -> list[str]:
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
        problems.append("'---'")
    if re.search(r"[\s,:;/=]$", value) and not re.search(r"&#x?[0-9A-Fa-f]+;$", value):
        problems.append("ISBD punctuation at the end")
    if re.search(r"\[[a-zA-Z]\.[a-zA-Z]$", value):
        problems.append("abbreviation cut ('[n.p')")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "marc-corpus")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

    kinds: collections.Counter[str] = collections.Counter()
    by_element: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    examples: dict[str, list[str]] = collections.defaultdict(list)
    problems: collections.Counter[str] = collections.Counter()
    records = values = 0

    def note(kind: str, element: str, text: str) -> None:
        kinds[kind] += 1
        by_element[element][kind] += 1
        if len(examples[kind]) < args.examples:
            examples[kind].append(text)

    for name, number, record in corpus_records(args.corpus):
        records += 1
        ours_list = dublin_core(record)
        ours = set(ours_list)
        theirs = crosswalk(record)
        for element, value in ours_list:
            values += 1
            for problem in own_punctuation_problems(value):
                problems[problem] += 1
                note(f"OWN PROBLEM: {problem}", element, f"{name} #{number}: {value!r}")
        for pair in ours & theirs:
            note("identical", pair[0], "")
        only_ours = sorted(ours - theirs)
        only_theirs = sorted(theirs - ours)
        for element, value in only_ours:
            match = next(
                (
                    (rule, other)
                    for kind, other in only_theirs
                    if kind == element and (rule := punctuation_rule(element, value, other))
                ),
                None,
            )
            if match is not None:
                rule, other = match
                only_theirs.remove((element, other))
                note(f"punctuation: {rule}", element, f"{value!r} / LoC {other!r}")
                continue
            other = next(
                (o for k, o in only_theirs if k == element and subfield_choice(value, o)), None
            )
            if other is not None:
                only_theirs.remove((element, other))
                note("other subfields taken", element, f"{value!r} / LoC {other!r}")
                continue
            tag = source_tag(record, (element, value))
            why = BEYOND_THE_CROSSWALK.get(tag, f"only ExportDesk (from {tag})")
            note(why, element, f"{name} #{number}: {value!r}")
        for element, value in only_theirs:
            note("only LoC crosswalk", element, f"{name} #{number}: {value!r}")

    total = sum(kinds[k] for k in kinds if not k.startswith("OWN"))
    identical = kinds["identical"]
    punctuation = sum(n for k, n in kinds.items() if k.startswith("punctuation"))
    print(f"{records} records of {args.corpus}, {values} ExportDesk values")
    print(f"{total} distinct (record, element, value) comparisons")
    print(f"identical:                    {identical:6} ({identical / total:.1%})")
    print(
        f"identical or punctuation only: {identical + punctuation:5} "
        f"({(identical + punctuation) / total:.1%})"
    )
    for kind, count in kinds.most_common():
        if kind == "identical" or kind.startswith("OWN"):
            continue
        print(f"  {count:6}  {kind}")
        for example in examples[kind]:
            print(f"            {example}")
    print("by element (identical / all):")
    for element in sorted(by_element):
        counts = by_element[element]
        all_of = sum(n for k, n in counts.items() if not k.startswith("OWN"))
        print(f"  {element:<12} {counts['identical']:5} / {all_of:5}")
    print("ExportDesk's own punctuation:", dict(problems) or "no problems found")
    for kind in (k for k in kinds if k.startswith("OWN")):
        for example in examples[kind]:
            print(f"  {kind}: {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
