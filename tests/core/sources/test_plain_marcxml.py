"""Plainly written MARCXML read from its bytes gives exactly what the general way (ElementTree,
then marcxml.record_from_element) gives; anything else is left to the general way."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pymarc
import pytest

from app.core.export.demo import demo_samples
from app.core.marc.marcxml import record_from_element
from app.core.marc.reading import read_records
from app.core.marc.readresults import RecordRead
from app.core.marc.to_marcxml import fields_to_marcxml
from app.core.sources.plain_marcxml import plain_record

DATA = Path(__file__).resolve().parents[2] / "data"
UTF8_FILES = (DATA / "pymarc-utf8.dat", DATA / "loc-authority-utf8.mrc", demo_samples())


def general(xml: bytes) -> RecordRead | None:
    """What the general way gives for one <record> element's bytes (None: not a record it
    reads from elements alone)."""
    result = record_from_element(ET.fromstring(xml), "T", 3)
    assert result is None or isinstance(result, RecordRead)
    return result


def same(plain: RecordRead, reference: RecordRead | None) -> bool:
    return reference is not None and (
        plain.raw,
        plain.parsed,
        plain.parsed.well_formed,
        plain.source_format,
        plain.file,
        plain.number,
        plain.notes,
    ) == (
        reference.raw,
        reference.parsed,
        reference.parsed.well_formed,
        reference.source_format,
        reference.file,
        reference.number,
        reference.notes,
    )


def written_plainly() -> list[bytes]:
    """Records of the test data as the project's writer and pymarc write MARCXML."""
    found: list[bytes] = []
    for path in UTF8_FILES:
        for result in read_records(path):
            if not isinstance(result, RecordRead):
                continue
            found.append(fields_to_marcxml(result.parsed.leader, result.parsed.fields))
            record = pymarc.Record(leader=result.raw[:24].decode("ascii"))
            reader = pymarc.MARCReader(result.raw, to_unicode=True, force_utf8=True)
            record = next(iter(reader))
            assert record is not None
            found.append(pymarc.record_to_xml(record, namespace=True))
    return found


PLAIN = written_plainly()


def test_records_written_plainly_read_as_the_general_way_reads_them() -> None:
    assert len(PLAIN) > 40
    for xml in PLAIN:
        plain = plain_record(xml, "T", 3)
        assert plain is not None, xml[:200]
        assert same(plain, general(xml))


def record(*fields: str, leader: str = "00000nam a2200000 i 4500", head: str = "") -> bytes:
    opening = head or '<record xmlns="http://www.loc.gov/MARC21/slim">'
    return f"{opening}\n  <leader>{leader}</leader>\n{''.join(fields)}</record>\n".encode()


TITLE = '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">T</subfield></datafield>'


MARC = 'xmlns="http://www.loc.gov/MARC21/slim"'
EMPTY_500 = '<datafield tag="500" ind1=" " ind2=" ">'


@pytest.mark.parametrize(
    "xml",
    [
        record('<controlfield tag="001">a &amp; &lt;c&gt; &quot;d&quot; &apos;e</controlfield>'),
        record('<controlfield tag="001">&amp;lt;</controlfield>', TITLE),
        record('<controlfield tag="001">a&#768;&#x301;&#13;&#x9;&#65536;</controlfield>'),
        record(TITLE, f"{EMPTY_500}</datafield>"),
        record(TITLE, f'{EMPTY_500}\n\t<subfield code="a"></subfield>\n</datafield>'),
        record('<datafield ind1="#" ind2="\'" tag="5X0"><subfield code="=">x > y</subfield>'
               "</datafield>"),
        record(TITLE, leader="00000cam a2200000 a 4500"),
        record(TITLE, head=f'<record {MARC} type="Bibliographic" xml:id="r1">'),
        record(TITLE, head=f'<record\n xmlns:m=\'x:y\'  m:a="1" {MARC} >'),
        record('<controlfield tag="001">Müller, Война и мир, 書名</controlfield>', TITLE),
    ],
)  # fmt: skip
def test_what_the_plain_reader_takes_it_reads_as_the_general_way(xml: bytes) -> None:
    plain = plain_record(xml, "T", 3)
    assert plain is not None
    assert same(plain, general(xml))


@pytest.mark.parametrize(
    "xml",
    [
        record(TITLE, leader="00000nam a2200000 i 450"),  # the general way notes it
        record('<controlfield tag="1">x</controlfield>', TITLE),  # a tag to check
        record('<controlfield tag="001">&nbsp;</controlfield>', TITLE),  # from a DTD
        record('<controlfield tag="001">&#0;</controlfield>', TITLE),  # not XML
        record('<controlfield tag="001">&#xD800;</controlfield>', TITLE),
        record('<controlfield tag="001">&#xFFFE;</controlfield>', TITLE),
        record('<controlfield tag="001">&#1114112;</controlfield>', TITLE),
        record('<controlfield tag="001">a & b</controlfield>', TITLE),
        record('<controlfield tag="001">a\rb</controlfield>', TITLE),  # normalized by XML
        record('<controlfield tag="001">a\x01b</controlfield>', TITLE),  # not XML
        record('<controlfield tag="001">a]]>b</controlfield>', TITLE),  # not XML
        record("<!-- a comment -->", TITLE),
        record('<controlfield tag=\'001\'>x</controlfield>', TITLE),  # another quoting
        record('<controlfield tag="001"/>', TITLE),
        record(TITLE.replace('ind1="1"', 'ind1="é"')),
        record(TITLE.replace('ind1="1"', 'ind1="12"')),
        record(TITLE.replace('code="a"', 'code=""')),
        record(TITLE, head="<record>"),  # its namespace is the document's
        record(TITLE, head='<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim">'),
        record(TITLE, head='<record xmlns="http://www.loc.gov/MARC21/slim" xsi:a="1">'),
        record(TITLE, head='<record xmlns="http://www.loc.gov/MARC21/slim" a="1" a="2">'),
        record(TITLE, head='<record xmlns="http://www.loc.gov/MARC21/slim" xmlns:p="">'),
        record(TITLE, "<leader>00000nam a2200000 i 4500</leader>"),
        record(TITLE, "text"),
        record(TITLE).replace(b"</record>", b"</record><record/>"),
        record(TITLE).replace(b"T</sub", b"\xff</sub"),  # not UTF-8
        record(TITLE).replace(b"T</sub", "\ufffe</sub".encode()),
    ],
)  # fmt: skip
def test_anything_else_is_left_to_the_general_way(xml: bytes) -> None:
    assert plain_record(xml, "T", 3) is None


def test_mutated_records_are_read_as_the_general_way_reads_them_or_left_to_it() -> None:
    """Random edits of plainly written records: whatever the plain reader still takes must
    be well-formed XML that the general way reads the same."""
    chosen = random.Random(20240611)
    alphabet = [*b"<>&;\"'=/ \t\n\r#x1a", *"é".encode()]
    bases = PLAIN[::7][:12]
    taken = 0
    for _ in range(5000):
        xml = bytearray(chosen.choice(bases))
        for _ in range(chosen.randint(1, 3)):
            at = chosen.randrange(len(xml))
            edit = chosen.randrange(3)
            if edit == 0:
                del xml[at]
            elif edit == 1:
                xml.insert(at, chosen.choice(alphabet))
            else:
                xml[at] = chosen.choice(alphabet)
        plain = plain_record(bytes(xml), "T", 3)
        if plain is None:
            continue
        taken += 1
        try:
            reference = general(bytes(xml))
        except ET.ParseError as error:
            pytest.fail(f"taken, but not XML ({error}): {bytes(xml)!r}")
        assert same(plain, reference), bytes(xml)
    assert taken > 300  # edits in text keep many records plain
