"""An SRU server's answer that is not what SRU promises is a clear error naming the catalogue,
never a traceback, a process filling its memory, or a file of this computer read into a
record: entities that multiply, an external entity, a web page, and an answer cut short."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.sources.faults import TargetResponseError
from app.core.sources.hits import SearchQuery
from tests.core.sources.sru_answers import sru_answer, sru_answering


def search_answered_with(body: bytes) -> TargetResponseError:
    with (
        sru_answering(body, "Hostile") as client,
        pytest.raises(TargetResponseError) as raised,
    ):
        client.search(SearchQuery("perl"))
    return raised.value


def test_entities_that_multiply_are_a_bad_answer() -> None:
    levels = ['<!ENTITY e0 "laugh">']
    levels += [f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 11)]
    doctype = f"<!DOCTYPE searchRetrieveResponse [{''.join(levels)}]>"
    body = sru_answer(title="&e10;", doctype=doctype)
    error = search_answered_with(body)
    assert str(error).startswith("Target 'Hostile' (SRU): ")
    assert "can't be read: not XML" in str(error) and "amplification" in str(error)


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the contents of another file")
    doctype = f'<!DOCTYPE searchRetrieveResponse [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    with sru_answering(sru_answer(title="Title &x;", doctype=doctype), "Hostile") as client:
        try:
            found = client.search(SearchQuery("perl"))
        except TargetResponseError as error:  # refusing it is as good
            assert "another file" not in str(error)
            return
    shown = repr(found)
    assert "another file" not in shown
    for hit in found.hits:
        assert b"another file" not in hit.record.raw


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
        b"Service unavailable",
        sru_answer()[:-40],  # cut short
    ],
    ids=["web page", "plain text", "cut short"],
)
def test_an_answer_that_is_not_sru_names_the_catalogue(body: bytes) -> None:
    error = search_answered_with(body)
    assert str(error).startswith("Target 'Hostile' (SRU): ")
    assert "can't be read" in str(error)
