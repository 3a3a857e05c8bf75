"""Real records from ../shared/marc-corpus at level full.

The Library of Congress records pass with no errors, except for the exceptions listed here
(and explained in docs/validation.md): fields and subfields LoC uses locally that MARC 21 does
not define, and a few coding mistakes in the records themselves.
"""

from __future__ import annotations

from pathlib import Path

from app.core.validation import validate_record

# LoC's own local practice: not MARC 21, so any record carrying it has an error.
LOC_LOCAL_PRACTICE = {
    ("050", "$u"): "LoC shelving note, e.g. 'fol.'",
    ("249", None): "LoC SERLOC variant entry",
    ("859", None): "LoC local electronic location",
}
# Coding mistakes in particular records of the sample (control number -> (tag, where)).
LOC_CODING_MISTAKES = {
    ("008", "position 31"): {"271486", "5813357", "5813541", "5829353"},  # map index: blank
    ("007", "position 02"): {  # electronic resource, undefined position holds '_'
        "19831648",
        "4016947",
        "5578739",
        "5589804",
        "5760565",
        "5870828",
        "8217229",
        "8244135",
        "8702401",
    },
    ("008", "position 18-20"): {"11703477"},  # running time: blanks
    ("008", "position 22"): {"23433661"},  # music target audience: 'o'
    ("LDR", "position 18"): {"5881390", "7115963", "9925755"},  # fill character
    ("008", "position 19"): {"7115963", "9925755"},  # serial regularity: blank
    ("008", "position 29"): {"11738340"},  # serial conference publication: blank
    ("008", "position 34"): {"11738340"},  # serial entry convention: blank
}


def records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [piece + b"\x1d" for piece in data.split(b"\x1d") if piece.strip()]


def test_loc_bibliographic_records_pass_except_the_explained(corpus: Path) -> None:
    raws = records(corpus / "mrrc-testbed" / "lc-bibliographic-sample.mrc")
    assert len(raws) == 386
    unexplained = []
    seen_mistakes: set[tuple[str, str | None, str]] = set()
    for raw in raws:
        result = validate_record(raw, "full")
        assert result.record_type == "bib"
        for message in result.errors:
            key = (message.tag, message.where)
            if key in LOC_LOCAL_PRACTICE:
                continue
            if result.control_number in LOC_CODING_MISTAKES.get(key, ()):
                seen_mistakes.add((*key, str(result.control_number)))
                continue
            unexplained.append((result.control_number, message))
    assert unexplained == []
    expected = {
        (*key, number) for key, numbers in LOC_CODING_MISTAKES.items() for number in numbers
    }
    assert seen_mistakes == expected


def test_loc_local_subfield_9_is_only_a_warning(corpus: Path) -> None:
    raws = records(corpus / "mrrc-testbed" / "lc-bibliographic-sample.mrc")
    local = [
        message
        for raw in raws
        for message in validate_record(raw, "full").messages
        if (message.tag, message.where) == ("035", "$9")
    ]
    assert len(local) == 239
    assert {m.severity for m in local} == {"warning"}
    assert "taken as local data" in local[0].message


def test_loc_authority_records_pass(corpus: Path) -> None:
    for name in ("lc-authority-utf8.mrc", "lc-authority-marc8.mrc"):
        raws = records(corpus / "derived" / name)
        assert raws
        for raw in raws:
            result = validate_record(raw, "full")
            assert result.record_type == "auth"
            assert result.errors == [], (name, result.control_number, result.errors)


def test_clean_records_of_other_libraries_pass(corpus: Path) -> None:
    for name in ("pymarc/test.dat", "pymarc/one.dat", "marc4j/summerland.mrc"):
        for raw in records(corpus / name):
            assert validate_record(raw, "full").errors == [], name


def test_known_damage_is_found(corpus: Path) -> None:
    """Files the corpus README describes as damaged: every record has an error."""
    for name in (
        "mrrc-testbed/synthetic-malformed/bad_directory.mrc",
        "mrrc-testbed/synthetic-malformed/invalid_lengths.mrc",
        "mrrc-testbed/synthetic-malformed/truncated_leader.mrc",
        "pymarc/bad_indicator.dat",
        "pymarc/bad_marc8_escape.dat",
        "pymarc/utf8_invalid.mrc",
        "ruby-marc/utf8_with_bad_bytes.marc",
        "ruby-marc/marc8_accented_chars.marc",
        "marc4j/incomplete_esc_seq.mrc",
    ):
        raws = records(corpus / name)
        assert raws, name
        assert all(validate_record(raw, "structure").has_errors for raw in raws), name
