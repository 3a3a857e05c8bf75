"""Hostile bytes for every reader (ISO 2709, MARCXML, mnemonic text, and the format detection
in front of them): whatever a file holds, a reader yields records and ReadErrors and nothing
else, within a bounded time; ``parse_record`` raises only StructureError.

Two kinds of cases: hypothesis-generated input (arbitrary bytes, and bytes shaped like each
format so the readers get past their first checks), and seeded mutations of real files (bit
flips, truncations, insertions, deletions, copied stretches) of tests/data and of the corpus.
Every record read must also take the steps an import takes next (summary, display text).

EXPORTDESK_FUZZ_SCALE=N runs N times as many cases (a deeper search than the suite's default).
"""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.marc import (
    ReadError,
    RecordRead,
    StructureError,
    display_lines,
    parse_record,
    read_stream,
    summarize,
)
from app.core.marc.iso2709 import build_record, read_iso2709
from app.core.marc.marcxml import read_marcxml
from app.core.marc.mnemonic import read_mnemonic
from app.core.marc.record import Field

Reader = Callable[[BinaryIO, str], Iterator[object]]
READERS: dict[str, Reader] = {
    "detected": read_stream,
    "iso2709": read_iso2709,
    "marcxml": read_marcxml,
    "mnemonic": read_mnemonic,
}
# Far more than any case here takes (milliseconds): a reader still busy after this is hung.
HANG_SECONDS = 10.0
SCALE = int(os.environ.get("EXPORTDESK_FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=150 * SCALE,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow],
)


def read_bounded(reader: Reader, data: bytes) -> list[object]:
    """Everything ``reader`` yields for ``data``, read in a thread that must end in time."""
    results: list[object] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            results.extend(reader(io.BytesIO(data), "fuzzed.dat"))
        except BaseException as error:  # handed to the test's thread below
            failure.append(error)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    if thread.is_alive():
        pytest.fail(f"{reader.__name__} hung on {len(data)} bytes: {data[:200]!r}")
    if failure:
        raise failure[0]
    return results


def check_every_reader(data: bytes) -> int:
    """Read ``data`` with each reader and check what came out; the records read."""
    read = 0
    for name, reader in READERS.items():
        numbers = []
        for item in read_bounded(reader, data):
            assert isinstance(item, RecordRead | ReadError), (name, item)
            if isinstance(item, ReadError):
                assert item.reason and item.record >= 0 and item.offset >= 0, (name, item)
                numbers.append(item.record)
                continue
            read += 1
            numbers.append(item.number)
            # What an import does with each record next.
            assert parse_record(item.raw) == item.parsed, name
            summarize(item.parsed)
            display_lines(item.parsed)
        counted = [n for n in numbers if n]
        assert counted == sorted(counted), (name, numbers)
    return read


def check_parse_record(data: bytes) -> None:
    try:
        parsed = parse_record(data)
    except StructureError as error:
        assert str(error)
        return
    summarize(parsed)
    display_lines(parsed)


# --- hypothesis: arbitrary and format-shaped input ------------------------------------------

tags = st.one_of(
    st.sampled_from(["001", "003", "005", "008", "035", "100", "245", "260", "650", "880"]),
    st.text(min_size=0, max_size=4),
)
field_bytes = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda ind, parts: ind + b"".join(b"\x1f" + part for part in parts),
        st.binary(min_size=2, max_size=2),
        st.lists(st.binary(max_size=12), max_size=4),
    ),
    # MARC-8 escapes and ANSEL marks, whole and broken.
    st.lists(
        st.sampled_from([b"\x1b(N", b"\x1b$1", b"\x1bs", b"\x1bb", b"\xe2", b"\xeb", b"a"])
    ).map(b"".join),
)


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few edits that hypothesis can shrink."""
    edited = bytearray(data)
    for position, kind, value in draw(
        st.lists(
            st.tuples(
                st.integers(0, 1 << 20),
                st.sampled_from(["flip", "set", "insert", "delete", "cut", "copy"]),
                st.binary(min_size=1, max_size=6),
            ),
            max_size=6,
        )
    ):
        at = position % (len(edited) + 1)
        if kind == "flip" and at < len(edited):
            edited[at] ^= 1 << (value[0] % 8)
        elif kind == "set" and at < len(edited):
            edited[at] = value[0]
        elif kind == "insert":
            edited[at:at] = value
        elif kind == "delete":
            del edited[at : at + value[0] % 32 + 1]
        elif kind == "cut":
            del edited[at:]
        elif kind == "copy":
            edited[at:at] = edited[at // 2 : at // 2 + value[0]]
    return bytes(edited)


@st.composite
def iso2709_files(draw: st.DrawFn) -> bytes:
    """One to three records built right, then edited: leaders, directories and terminators
    that are almost right are what gets a reader furthest."""
    records = []
    for _ in range(draw(st.integers(1, 3))):
        fields = [
            Field(tag, data)
            for tag, data in draw(
                st.lists(
                    st.tuples(st.sampled_from(["001", "008", "100", "245", "650"]), field_bytes),
                    min_size=1,
                    max_size=5,
                )
            )
        ]
        leader = draw(st.sampled_from(["00000nam a2200000 a 4500", "00000cz   2200000n  4500"]))
        records.append(build_record(leader, fields))
    return draw(mutations(b"".join(records)))


xml_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12).map(
    lambda text: text.replace("&", "&amp;").replace("<", "&lt;")
)
xml_attribute = st.one_of(st.sampled_from(["245", "001", "a", "1", " ", ""]), xml_text)
xml_pieces = st.one_of(
    st.sampled_from(
        [
            '<collection xmlns="http://www.loc.gov/MARC21/slim">',
            "</collection>",
            "<record>",
            "</record>",
            '<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim">',
            "</marc:record>",
            '<other:record xmlns:other="urn:x">',
            "<leader>00000nam a2200000 a 4500</leader>",
            "<leader>",
            "</leader>",
            "</controlfield>",
            "</datafield>",
            "</subfield>",
            "&amp;",
            "&#x1D;",
            "&#0;",
            "&undefined;",
            "<![CDATA[<x>]]>",
            "<!-- a comment -->",
            "<?pi data?>",
            "\n",
        ]
    ),
    st.builds(lambda tag: f'<controlfield tag="{tag}">', xml_attribute),
    st.builds(
        lambda tag, one, two: f'<datafield tag="{tag}" ind1="{one}" ind2="{two}">',
        xml_attribute,
        xml_attribute,
        xml_attribute,
    ),
    st.builds(lambda code: f'<subfield code="{code}">', xml_attribute),
    xml_text,
)
encoding_names = st.one_of(
    st.sampled_from(
        [
            "UTF-8",
            "utf8",
            "ISO-8859-1",
            "latin1",
            "windows-1252",
            "UTF-16",
            "utf-32",
            "shift_jis",
            "x-bogus",
            "rot13",
            "base64",
            "idna",
            "punycode",
            "undefined",
            "",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", max_size=12),
)


@st.composite
def marcxml_files(draw: st.DrawFn) -> bytes:
    declaration = draw(
        st.one_of(
            st.just(""),
            st.builds(lambda name: f'<?xml version="1.0" encoding="{name}"?>\n', encoding_names),
        )
    )
    text = declaration + "".join(draw(st.lists(xml_pieces, max_size=30)))
    encoded = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), "replace")
    return draw(mutations(encoded))


mnemonic_lines = st.one_of(
    st.sampled_from(
        [
            "=LDR  00000nam a2200000 i 4500",
            "=LDR  00000cz  a2200000n  4500",
            "=001  ocm00012345",
            "=008  240101s2024\\\\\\\\nyu",
            "=245  10$aA title /$cby someone.",
            "=650  \\0$aSubject$xHistory.",
            "=500  \\\\$a{dollar}5 and {copy} and {",
            "",
            "=",
            "=LDR",
            "=24",
            "no equals sign here",
        ]
    ),
    st.builds(
        lambda tag, rest: f"={tag}  {rest}",
        st.text(max_size=4),
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30),
    ),
)


@st.composite
def mnemonic_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(mnemonic_lines, max_size=20))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = draw(st.sampled_from(["", "\ufeff"])) + ending.join(lines)
    return draw(mutations(text.encode("utf-8")))


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    check_every_reader(data)
    check_parse_record(data)


@FUZZ
@given(iso2709_files())
def test_bytes_shaped_like_iso2709(data: bytes) -> None:
    check_every_reader(data)
    check_parse_record(data)


@FUZZ
@given(marcxml_files())
def test_bytes_shaped_like_marcxml(data: bytes) -> None:
    check_every_reader(data)


@FUZZ
@given(mnemonic_files())
def test_bytes_shaped_like_mnemonic_text(data: bytes) -> None:
    check_every_reader(data)


# --- seeded mutations of real files ---------------------------------------------------------

INSERTS = [b"\x1d", b"\x1e", b"\x1f", b"\x1b(N", b"<", b"&", b"=LDR  ", b"$", b"{", b"\x00"]


def mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to eight random edits."""
    edited = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(edited) + 1)
        kind = rng.randrange(6)
        if kind == 0 and edited:
            edited[at % len(edited)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            edited[at:at] = rng.choice(INSERTS) if rng.random() < 0.5 else rng.randbytes(3)
        elif kind == 2:
            del edited[at : at + rng.randint(1, 64)]
        elif kind == 3:
            del edited[at:]
        elif kind == 4 and edited:
            start = rng.randrange(len(edited))
            edited[at:at] = edited[start : start + rng.randint(1, 300)]
        else:  # a number where the structure wants digits, or none
            edited[at : at + 5] = str(rng.randint(0, 99_999)).zfill(5).encode()
    return bytes(edited)


def check_mutations(path: Path, cases: int) -> int:
    """``cases`` seeded mutations of the file; the records they still held."""
    data = path.read_bytes()
    rng = random.Random(f"{path.name}-{len(data)}-{SCALE}")
    read = 0
    for case in range(cases):
        variant = mutated(data, rng)
        try:
            read += check_every_reader(variant)
        except BaseException as error:
            error.add_note(f"case {case} of {path.name}: {len(variant)} bytes")
            raise
    return read


TEST_DATA_FILES = [
    "pymarc-test.dat",
    "pymarc-marc8.dat",
    "pymarc-bad-records.mrc",
    "pymarc-batch.xml",
    "loc-authority-marc8.mrc",
    "sample.mrk",
    "sample-no-namespace.xml",
    "broken-collection.xml",
]


@pytest.mark.parametrize("name", TEST_DATA_FILES)
def test_mutated_test_data_files(test_data: Path, name: str) -> None:
    assert (
        check_mutations(test_data / name, 120 * SCALE) > 0
    )  # the mutations left some records whole


CORPUS_FILES = [
    "marc4j/brkrtest.mrc",
    "marc4j/cyrillic_capital_e.mrc",
    "marc-perl/marc-charset/cjk1.marc",
    "marc-perl/marc-record/badldr.usmarc",
    "marc-perl/marc-xml/batch-ns.xml",
    "marc4j/OCLC_814388508.xml",
    "pymarc/regression45.dat",
    "edge-connexion/manden.marc",
]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_mutated_corpus_files(corpus: Path, name: str) -> None:
    assert check_mutations(corpus / name, 80 * SCALE) > 0
