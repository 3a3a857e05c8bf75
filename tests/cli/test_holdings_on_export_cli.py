"""Holdings on export: a record exported with success gets its WorldCat holdings set, the result
noted beside the export's in the journal (the WorldCat double over HTTPS, a receiver)."""

from __future__ import annotations

import io
import json

from pymarc import Field, Subfield

from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, add_records, tcpip_settings, valid_bib
from tests.fixtures.worldcat import KEY, SECRET


def with_oclc(number: int, oclc: str) -> bytes:
    field = Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", f"(OCoLC){oclc}")])
    return valid_bib(number, field)


def setup_worldcat(cli, worldcat, tls_files, monkeypatch) -> None:
    run = cli("target", "add", "--account", ACCOUNT, "--name", "WorldCat", "--kind", "worldcat",
              "--key", KEY, "--api-url", worldcat.api_url, "--oauth-url", worldcat.oauth_url,
              "--ca-file", str(tls_files.ca_file))  # fmt: skip
    assert run.status == 0, run.err
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert cli("password", "set", "--account", ACCOUNT, "--target", "WorldCat").status == 0


def test_exported_records_get_their_holdings_set(
    cli, save_file: SaveFile, receiver, worldcat, tls_files, monkeypatch
) -> None:
    setup_worldcat(cli, worldcat, tls_files, monkeypatch)
    ids = add_records(save_file, [with_oclc(1, "22"), valid_bib(2)])
    tcpip_settings(receiver)
    run = cli("options", "set", "--account", ACCOUNT, "worldcat_holdings_on_export=on",
              "worldcat_holdings_target=WorldCat")  # fmt: skip
    assert run.status == 0, run.err
    run = cli("export", "--account", ACCOUNT, "--json")
    assert run.status == 0, run.err
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [line.get("outcome") for line in lines[:2]] == ["exported", "exported"]
    assert worldcat.holdings == {"22"}
    first, second = (save_file.journal(i)[0] for i in ids)
    assert first.outcome == "exported"
    assert "Note: WorldCat holdings set on 22 (target 'WorldCat' (WorldCat))" in (
        first.detail or ""
    )
    assert "WorldCat holdings not set" in (second.detail or "") and "no OCLC number" in (
        second.detail or ""
    )


def test_holdings_off_by_default_sends_nothing_to_worldcat(
    cli, save_file: SaveFile, receiver, worldcat, tls_files, monkeypatch
) -> None:
    setup_worldcat(cli, worldcat, tls_files, monkeypatch)
    add_records(save_file, [with_oclc(1, "22")])
    tcpip_settings(receiver)
    assert cli("export", "--account", ACCOUNT).status == 0
    assert worldcat.requests == []


def test_a_missing_holdings_target_stops_the_export_before_anything_is_sent(
    cli, save_file: SaveFile, receiver
) -> None:
    ids = add_records(save_file, [with_oclc(1, "22")])
    tcpip_settings(receiver)
    cli("options", "set", "--account", ACCOUNT, "worldcat_holdings_on_export=on",
        "worldcat_holdings_target=Nope")  # fmt: skip
    run = cli("export", "--account", ACCOUNT)
    assert run.status == 2
    assert "worldcat_holdings_target: account 100-123-456 has no target named 'Nope'" in run.err
    assert save_file.journal(ids[0]) == []
