"""Simple Dublin Core from a MARC record, after the Library of Congress crosswalk.

The field mapping follows LC's "MARC to Dublin Core Crosswalk" for unqualified Dublin Core
(https://www.loc.gov/marc/marc2dc.html): names (1XX, 7XX, 720) go to contributor, as the
crosswalk does not use creator; 5XX notes to description except 506 and 540 (rights), 530
(relation) and 546 (language); the leader's type of record gives a DCMI type. Beyond the
crosswalk, which predates them, field 264 with second indicator 1 (publication, RDA) is
read like 260, and an 880 (the same data in another script) is read like the field its $6
links it to. Values lose the ISBD punctuation that ends them, but an abbreviation keeps its
period ("[n.p.]", "Smith, J.", "Inc."), and a bracket a value opens or closes without the
other half gets it back; subject headings are written with their subdivisions after "--"
(after a space when a part ends with an open date's hyphen: "1968- --Criticism").
docs/dublin-core.md compares the result with the crosswalk's own rules over the corpus.

Two renderings: RDF/XML (one ``rdf:Description`` per record) and HTML ``<meta>`` elements
(``DC.title`` ...), with the document wrappers that hold a whole export.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from pymarc import Field, Record

from app.core.marc.encoding_report import ReplacedCharacter
from app.core.marc.xmltext import replace_unsafe, xml_text

DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# The fifteen elements, in the order DCMI lists them; output follows this order.
ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)

# Leader/06 (type of record) -> DCMI Type, per the crosswalk's table; m, o, p and r get none.
_TYPE_BY_RECORD_TYPE = {
    **dict.fromkeys("acdt", "Text"),
    **dict.fromkeys("efgk", "Image"),
    **dict.fromkeys("ij", "Sound"),
}
_SUBDIVISIONS = frozenset("vxyz")
# Elements whose values are names, titles or headings, where a final period is punctuation.
_PERIOD_CHOPPED = frozenset(
    {
        "title",
        "subject",
        "publisher",
        "contributor",
        "date",
        "type",
        "coverage",
        "source",
        "relation",
    }
)
_NAME_TAGS = frozenset({"100", "110", "111", "700", "710", "711", "720"})
_SUBJECT_TAGS = frozenset({"600", "610", "611", "630", "650"})
_CLASSIFICATION_TAGS = frozenset({"050", "060", "080", "082"})
_DESCRIPTION_EXCEPTIONS = frozenset({"506", "530", "540", "546"})
_LANGUAGE_CODES = "abdefghj"
_TITLE_CODES = "abfghknps"
_VARYING_TITLE_CODES = "abnp"

_TRAILING_PUNCTUATION = re.compile(r"[\s/:;,=]+$")
_SPACES = re.compile(r"\s+")
_REFERENCE_END = re.compile(r"&#(?:[xX][0-9A-Fa-f]+|[0-9]+)$")
_LANGUAGE_CODE = re.compile(r"[a-z]{3}")

Pairs = list[tuple[str, str]]


def dublin_core(record: Record) -> Pairs:
    """The record's (element, value) pairs, elements in DCMI order, each value once."""
    found: dict[str, dict[str, None]] = {element: {} for element in ELEMENTS}

    def add(element: str, value: str) -> None:
        value = _tidy(value, element in _PERIOD_CHOPPED)
        if value:
            found[element].setdefault(value)

    leader = str(record.leader)
    fixed = next((f.data for f in record.fields if f.tag == "008" and f.data), "")
    if len(fixed) >= 11 and re.fullmatch(r"[0-9u]{4}", fixed[7:11]) and fixed[7:11] != "uuuu":
        add("date", fixed[7:11])
    if len(fixed) >= 38 and _LANGUAGE_CODE.fullmatch(fixed[35:38]):
        add("language", fixed[35:38])
    record_type = leader[6:7]
    if record_type in _TYPE_BY_RECORD_TYPE:
        add("type", _TYPE_BY_RECORD_TYPE[record_type])
    # Mixed materials kept as a collection or serial (leader/07 c or s) are a Collection.
    if record_type == "p" and leader[7:8] in ("c", "s"):
        add("type", "Collection")

    for tag, field in _data_fields(record):
        for element, value in _crosswalk(tag, field):
            add(element, value)
    return [(element, value) for element in ELEMENTS for value in found[element]]


def _data_fields(record: Record) -> Iterator[tuple[str, Field]]:
    """Each data field with the tag to read it as (880s as the field they link to)."""
    for field in record.fields:
        if field.control_field:
            continue
        tag = field.tag
        if tag == "880":
            linkage = next((s.value for s in field.subfields if s.code == "6"), "")
            tag = linkage[:3]
        yield tag, field


def _crosswalk(tag: str, field: Field) -> Iterator[tuple[str, str]]:
    if tag == "245":
        yield "title", _joined(field, _TITLE_CODES)
    elif tag == "246":
        yield "title", _joined(field, _VARYING_TITLE_CODES)
    elif tag in _NAME_TAGS:
        relator = "j" if tag in ("111", "711") else "e"
        yield "contributor", _joined(field, exclude=relator)
    elif tag in _CLASSIFICATION_TAGS:
        yield "subject", _joined(field)
    elif tag in _SUBJECT_TAGS:
        yield "subject", _heading(field)
    elif tag == "653":
        yield from (("subject", value) for value in _values(field, "a"))
    elif tag == "651":
        yield "coverage", _heading(field)
    elif tag in ("662", "752"):
        yield "coverage", _subdivided([_tidy(value, chop_period=True) for value in _values(field)])
    elif tag == "751":
        yield "coverage", _joined(field, "a")
    elif tag == "655":
        yield "type", _heading(field)
    elif tag in ("260", "264"):
        if tag == "264" and field.indicators and field.indicators[1] != "1":
            return
        yield "publisher", _joined(field, "ab")
        yield from (("date", value) for value in _values(field, "cg" if tag == "260" else "c"))
    elif tag in ("506", "540"):
        yield "rights", _joined(field)
    elif tag == "530":
        yield "relation", _joined(field)
    elif tag == "546":
        yield "language", _joined(field)
    elif tag == "534":
        yield "description", _joined(field)
        yield from (("source", value) for value in _values(field, "t"))
    elif tag.startswith("5") and tag not in _DESCRIPTION_EXCEPTIONS:
        yield "description", _joined(field)
    elif tag == "340":
        yield "format", _joined(field)
    elif tag == "856":
        yield from (("format", value) for value in _values(field, "q"))
        yield from (("identifier", value) for value in _values(field, "u"))
    elif tag in ("020", "022", "024"):
        yield from (("identifier", value) for value in _values(field, "a"))
    elif tag == "041":
        for value in _values(field, _LANGUAGE_CODES):
            yield from (("language", code) for code in _language_codes(value))
    elif tag == "786":
        yield "source", _joined(field, "ot")
    elif "760" <= tag <= "787":
        yield "relation", _joined(field, "ot")


def _values(field: Field, codes: str | None = None) -> list[str]:
    """The subfield values, in order: those named, or every one that is not a control
    subfield (the numbered ones: linkage, sources, authority record numbers...)."""
    return [
        s.value
        for s in field.subfields
        if (s.code in codes if codes is not None else not s.code.isdigit()) and s.value
    ]


def _joined(field: Field, codes: str | None = None, exclude: str = "") -> str:
    """The chosen subfields' values joined with spaces (their own punctuation kept)."""
    return " ".join(
        s.value
        for s in field.subfields
        if s.value
        and s.code not in exclude
        and (s.code in codes if codes is not None else not s.code.isdigit())
    )


def _heading(field: Field) -> str:
    """A subject heading: its main part, then each subdivision after "--"."""
    main: list[str] = []
    subdivisions: list[str] = []
    for subfield in field.subfields:
        if subfield.code.isdigit() or not subfield.value:
            continue
        if subfield.code in _SUBDIVISIONS and main:
            subdivisions.append(subfield.value)
        elif subdivisions:
            subdivisions[-1] += " " + subfield.value
        else:
            main.append(subfield.value)
    parts = [_tidy(" ".join(main), chop_period=True)]
    parts.extend(_tidy(part, chop_period=True) for part in subdivisions)
    return _subdivided(parts)


def _subdivided(parts: list[str]) -> str:
    """Heading parts joined with "--"; after an open date ("1968-") a space keeps its hyphen
    apart from the dashes ("Smith, John, 1968- --Criticism", not "1968---Criticism")."""
    text = ""
    for part in parts:
        if not part:
            continue
        if text:
            text += " --" if text.endswith("-") or part.startswith("-") else "--"
        text += part
    return text


def _language_codes(value: str) -> list[str]:
    """041 codes; old records run several together ("engfre")."""
    value = value.strip().lower()
    if len(value) % 3 == 0 and re.fullmatch(r"[a-z]+", value):
        return [value[i : i + 3] for i in range(0, len(value), 3)]
    return [value]


def _tidy(value: str, chop_period: bool) -> str:
    """Spaces made single, and the ISBD punctuation that ends a value removed: " /", " :",
    ";"... and, for names, titles and headings (not for notes, which are sentences), a final
    period that is not an abbreviation's. Brackets a value opens or closes without the other
    half (ISBD's "[n.p., 1970]" spread over 260 $a and $c) get it back."""
    value = _chop_isbd(_SPACES.sub(" ", value).strip())
    if chop_period and value.endswith(".") and not _ends_with_abbreviation(value):
        value = _chop_isbd(value[:-1])
    # A bracket opened at the very end holds nothing of this value: drop it, not close it.
    while value.endswith(("[", "(")):
        value = _chop_isbd(value[:-1].rstrip())
    return _balanced(value)


def _chop_isbd(value: str) -> str:
    """``value`` without the ISBD punctuation that ends it, but for the semicolon that ends
    a character reference (MARC 21's lossless form ``&#x6DF8;``, kept as text)."""
    found = _TRAILING_PUNCTUATION.search(value)
    if found is None:
        return value
    kept = value[: found.start()]
    if found.group().startswith(";") and _REFERENCE_END.search(kept):
        return kept + ";"
    return kept


# Abbreviations that end names, publishers and headings, whose period stays ("Smith, J.",
# "[n.p.]", "Bros.", "Handbooks, manuals, etc.").
_ABBREVIATIONS = frozenset(
    {
        *("al", "etc", "ca", "fl", "ed", "eds", "comp", "trans", "illus", "ill", "hrsg"),
        *("bros", "co", "corp", "dept", "inc", "ltd", "jr", "sr", "st", "mr", "mrs", "dr"),
        *("no", "nos", "vol", "vols", "pt", "pts", "ser", "prof", "rev"),
    }
)


def _ends_with_abbreviation(value: str) -> bool:
    """True when the final period belongs to an abbreviation: a single letter ("J.", "p."),
    letters with periods between them ("n.p.", "S.l.", "U.S."), a known abbreviation
    ("Inc.", "etc."), or an ellipsis."""
    if value.endswith(".."):
        return True
    last_word = value.rsplit(" ", 1)[-1].lstrip("([").removesuffix(".")
    return (
        (len(last_word) == 1 and last_word.isalpha())
        or (
            "." in last_word
            and all(piece.isalpha() and len(piece) <= 2 for piece in last_word.split("."))
        )
        or last_word.lower() in _ABBREVIATIONS
    )


_PAIRS = {"[": "]", "(": ")"}


def _balanced(value: str) -> str:
    """``value`` with a bracket put back for each one opened or closed without its pair."""
    for opening, closing in _PAIRS.items():
        depth = unopened = 0
        for char in value:
            if char == opening:
                depth += 1
            elif char == closing:
                if depth:
                    depth -= 1
                else:
                    unopened += 1
        if depth or unopened:
            value = opening * unopened + value + closing * depth
    return value


# --- RDF/XML ---------------------------------------------------------------------------

RDF_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<rdf:RDF xmlns:rdf="{RDF_NAMESPACE}" xmlns:dc="{DC_NAMESPACE}">\n'
)
RDF_FOOTER = "</rdf:RDF>\n"


def record_to_rdf(record: Record) -> tuple[str, list[ReplacedCharacter]]:
    """An ``rdf:Description`` (declaring its namespaces, so it stands alone too)."""
    replaced: list[ReplacedCharacter] = []
    lines = [f'<rdf:Description xmlns:rdf="{RDF_NAMESPACE}" xmlns:dc="{DC_NAMESPACE}">']
    for element, value in dublin_core(record):
        text = xml_text(value, f"dc:{element}", "", replaced)
        lines.append(f"  <dc:{element}>{text}</dc:{element}>")
    lines.append("</rdf:Description>\n")
    return "\n".join(lines), replaced


# --- HTML ------------------------------------------------------------------------------

# The records' <meta> elements go in the head (where HTML allows them); the body says so.
HTML_HEADER = (
    "<!DOCTYPE html>\n"
    '<html lang="en">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    "<title>Exported records (Dublin Core)</title>\n"
    f'<link rel="schema.DC" href="{DC_NAMESPACE}">\n'
)
HTML_FOOTER = (
    "</head>\n"
    "<body>\n"
    "<p>This page describes exported records in Dublin Core: each record's elements are the"
    " <code>&lt;meta name=&quot;DC.…&quot;&gt;</code> elements of its head, in turn.</p>\n"
    "</body>\n"
    "</html>\n"
)

_COMMENT_SAFE = re.compile(r"[0-9A-Za-z .:_/]+")


def record_to_html_meta(record: Record) -> tuple[str, list[ReplacedCharacter]]:
    """The record's ``<meta name="DC.element" content="...">`` lines, after a comment naming
    the record by its control number when it has one."""
    replaced: list[ReplacedCharacter] = []
    control = next((f.data for f in record.fields if f.tag == "001" and f.data), "")
    label = control.strip() if _COMMENT_SAFE.fullmatch(control.strip() or "-") else ""
    lines = [f"<!-- record {label} -->" if label else "<!-- record -->"]
    for element, value in dublin_core(record):
        safe = replace_unsafe(value, f"DC.{element}", "", replaced)
        lines.append(f'<meta name="DC.{element}" content="{_html_attribute(safe)}">')
    return "\n".join(lines) + "\n", replaced


def _html_attribute(text: str) -> str:
    return html.escape(text, quote=False).replace('"', "&quot;")
