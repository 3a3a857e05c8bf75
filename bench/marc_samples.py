"""Records for the benchmarks: every ISO 2709 record of ../shared/marc-corpus, and generated
bibliographic records that look like ordinary cataloging (a few with mistakes)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = next(
    (
        p / "shared" / "marc-corpus"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT.parent / "shared" / "marc-corpus",
)
ISO2709_SUFFIXES = (".mrc", ".dat", ".marc", ".usmarc")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        raise SystemExit(f"The MARC corpus is not at {CORPUS} (../shared beside the checkout).")
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in ISO2709_SUFFIXES)


def split_records(data: bytes) -> Iterator[bytes]:
    """Records as the validate command reads them: split on the record terminator."""
    pieces = data.split(b"\x1d")
    for index, piece in enumerate(pieces):
        piece = piece.lstrip(b"\r\n\x00\x1a \t")
        if piece:
            yield piece if index == len(pieces) - 1 else piece + b"\x1d"


def corpus_records() -> list[bytes]:
    records: list[bytes] = []
    for path in corpus_files():
        records.extend(split_records(path.read_bytes()))
    return records


# --- generated records ----------------------------------------------------------------------------

SURNAMES = ["Smith", "García", "Müller", "Nguyen", "Kowalski", "Okafor", "Rossi", "Dubois", "Sato"]
FORENAMES = ["Anna", "José", "Li", "Fatima", "Pieter", "Søren", "Chloé", "Ravi", "Maria"]
WORDS = [
    "history",
    "theory",
    "practice",
    "libraries",
    "metadata",
    "river",
    "city",
    "winter",
    "music",
    "children",
    "science",
    "art",
    "language",
    "war",
    "peace",
    "economics",
    "garden",
    "ocean",
    "letters",
    "travels",
    "memory",
    "machines",
    "design",
]
SUBJECTS = ["Cataloging", "Libraries", "Music", "Rivers", "Economics", "Poetry", "Gardening"]
SUBDIVISIONS = ["History", "Juvenile literature", "Periodicals", "Handbooks, manuals, etc."]
PLACES = ["New York", "London", "Paris", "Berlin", "Chicago", "Toronto"]
PUBLISHERS = ["Example Press", "Harbor Books", "Éditions du Nord", "Lakeside Publishing"]


def _field(*pairs: str, ind: str = "  ") -> bytes:
    body = ind
    for code, value in zip(pairs[::2], pairs[1::2], strict=True):
        body += "\x1f" + code + value
    return body.encode("utf-8")


def _assemble(leader: str, fields: list[tuple[str, bytes]]) -> bytes:
    directory = bytearray()
    data = bytearray()
    for tag, body in fields:
        body += b"\x1e"
        directory += tag.encode() + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    head = b"%05d" % length + leader[5:12].encode() + b"%05d" % base + leader[17:].encode()
    return bytes(head + directory + b"\x1e" + data + b"\x1d")


def generated_record(number: int, rng: random.Random) -> bytes:
    year = rng.randint(1950, 2025)
    title_words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    article = rng.random() < 0.2
    title = ("The " if article else "") + title_words.capitalize()
    surname, forename = rng.choice(SURNAMES), rng.choice(FORENAMES)
    serial = rng.random() < 0.08
    leader = "00000cas a2200000 i 4500" if serial else "00000cam a2200000 i 4500"
    if serial:
        f008 = f"240101c{year}9999nyuqr p       0   a0eng d"
    else:
        f008 = f"240101s{year}    nyua     b    001 0 eng d"
    fields: list[tuple[str, bytes]] = [
        ("001", f"gen{number:08d}".encode()),
        ("003", b"ExD"),
        ("005", b"20240101120000.0"),
        ("008", f008.encode()),
        ("020", _field("a", f"97801{rng.randint(10000000, 99999999)}", "q", "(paperback)")),
        ("035", _field("a", f"(OCoLC){rng.randint(1000000, 999999999)}")),
        ("040", _field("a", "DLC", "b", "eng", "e", "rda", "c", "DLC")),
        (
            "050",
            _field(
                "a",
                f"QA{rng.randint(1, 999)}",
                "b",
                f".{surname[0]}{rng.randint(1, 99)} {year}",
                ind="00",
            ),
        ),
        (
            "082",
            _field("a", f"{rng.randint(0, 999):03d}.{rng.randint(1, 99)}", "2", "23", ind="04"),
        ),
        ("100", _field("a", f"{surname}, {forename},", "d", "1950-", "e", "author.", ind="1 ")),
        (
            "245",
            _field(
                "a",
                f"{title} :",
                "b",
                "a study /",
                "c",
                f"{forename} {surname}.",
                ind="14" if article else "10",
            ),
        ),
        (
            "264",
            _field(
                "a",
                f"{rng.choice(PLACES)} :",
                "b",
                f"{rng.choice(PUBLISHERS)},",
                "c",
                f"{year}.",
                ind=" 1",
            ),
        ),
        (
            "300",
            _field("a", f"{rng.randint(50, 900)} pages :", "b", "illustrations ;", "c", "24 cm"),
        ),
        ("336", _field("a", "text", "b", "txt", "2", "rdacontent")),
        ("337", _field("a", "unmediated", "b", "n", "2", "rdamedia")),
        ("338", _field("a", "volume", "b", "nc", "2", "rdacarrier")),
    ]
    if rng.random() < 0.4:
        fields.append(
            (
                "490",
                _field(
                    "a",
                    f"{rng.choice(WORDS).capitalize()} series ;",
                    "v",
                    str(rng.randint(1, 40)),
                    ind="1 ",
                ),
            )
        )
    for _ in range(rng.randint(1, 3)):
        fields.append(
            ("500", _field("a", f"Includes {rng.choice(WORDS)} and {rng.choice(WORDS)}."))
        )
    fields.append(("504", _field("a", "Includes bibliographical references and index.")))
    if rng.random() < 0.5:
        fields.append(("520", _field("a", " ".join(rng.choice(WORDS) for _ in range(40)) + ".")))
    for _ in range(rng.randint(2, 4)):
        fields.append(
            (
                "650",
                _field(
                    "a",
                    rng.choice(SUBJECTS),
                    "x",
                    rng.choice(SUBDIVISIONS),
                    "v",
                    "Fiction.",
                    ind=" 0",
                ),
            )
        )
    fields.append(("655", _field("a", "Handbooks and manuals.", "2", "lcgft", ind=" 7")))
    for _ in range(rng.randint(0, 3)):
        fields.append(
            (
                "700",
                _field(
                    "a",
                    f"{rng.choice(SURNAMES)}, {rng.choice(FORENAMES)},",
                    "e",
                    "editor.",
                    ind="1 ",
                ),
            )
        )
    if rng.random() < 0.3:
        fields.append(
            ("776", _field("i", "Online version:", "t", title, "w", "(DLC)  2024000001", ind="08"))
        )
    if rng.random() < 0.3:
        fields.append(
            (
                "856",
                _field("u", f"https://example.org/{number}", "z", "Table of contents", ind="42"),
            )
        )
    if rng.random() < 0.1:
        # A title in a second script with its 880.
        fields[10] = ("245", _field("6", "880-01", "a", f"{title} :", "b", "a study", ind="10"))
        fields.append(
            ("880", _field("6", "245-01/(N", "a", "Исследование :", "b", "очерк", ind="10"))
        )
    fields.append(("994", _field("a", "C0", "b", "DLC")))
    if rng.random() < 0.05:
        # Mistakes catalogers make: an undefined indicator, an unknown tag, a repeated 245 $a.
        mistake = rng.randint(0, 2)
        if mistake == 0:
            fields.append(("500", _field("a", "Note with a bad indicator.", ind="5 ")))
        elif mistake == 1:
            fields.append(("859", _field("u", "https://example.org", ind="40")))
        else:
            fields.append(("245", _field("a", "Second title", ind="10")))
    fields.sort(key=lambda pair: pair[0])
    return _assemble(leader, fields)


def generated_records(count: int, seed: int = 5) -> list[bytes]:
    rng = random.Random(seed)
    return [generated_record(number, rng) for number in range(1, count + 1)]
