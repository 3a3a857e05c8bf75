"""Roll-out for administrators: accounts from a CSV file, profiles between machines, the
report of what each account uses, and the institution URL, all through the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core.settings.accounts import AccountRegistry
from app.core.settings.layers import account_file
from app.core.settings.secrets import SERVICE, SecretKind, entry_name
from tests.fixtures.exporting import ACCOUNT

OTHER = "100-222-333"
THIRD = "100-444-555"
NZ_HOST = "i-share-network.alma.exlibrisgroup.com"
CONTACT = "CARLI Support Center, support@carli.illinois.edu"
LOCKED_HOST = {
    "format_version": 2,
    "contact": CONTACT,
    "options": {"format": "marc", "destination": "tcpip"},
    "locked": ["host", "destination"],
    "connections": [
        {
            "id": "nz",
            "name": "CARLI Network Zone",
            "options": {"host": NZ_HOST, "logon_id": "01CARLI"},
        },
    ],
}


def write_institution(data: dict) -> None:
    Path(os.environ["EXPORTDESK_INSTITUTION_FILE"]).write_text(json.dumps(data), encoding="utf-8")


def write_csv(tmp_path: Path, text: str, *, bom: bool = False, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def show(cli, account: str, *extra: str) -> dict:
    run = cli("options", "show", "--account", account, "--json", *extra)
    assert run.status == 0, run.err
    return json.loads(run.out)


def known_accounts() -> list[str]:
    return AccountRegistry.load().accounts


# account import


@pytest.mark.parametrize("bom", [False, True])
def test_import_adds_updates_and_reports_each_row(cli, tmp_path, monkeypatch, memory_keyring, bom):
    monkeypatch.setenv("NZ_PASSWORD_UIU", "s3cret-uiu")
    csv = write_csv(
        tmp_path,
        "account,connection,active_connection,password_env,host,logon_id,timeout,format,"
        "destination\n"
        f"{ACCOUNT},CARLI NZ,CARLI NZ,NZ_PASSWORD_UIU,{NZ_HOST},01CARLI_UIU,90,marc,tcpip\n"
        f"{OTHER},CARLI NZ,CARLI NZ,,{NZ_HOST},01CARLI_ISU,,marc,tcpip\n",
        bom=bom,
    )  # fmt: skip
    run = cli("account", "import", "--json", str(csv))
    assert run.status == 0, run.err
    rows = json_lines(run.out)
    assert [(r["row"], r["account"], r["outcome"]) for r in rows] == [
        (1, ACCOUNT, "added"),
        (2, OTHER, "added"),
    ]
    assert set(rows[0]) == {"row", "account", "outcome", "message"}
    assert "password saved in the keyring" in rows[0]["message"]
    assert "s3cret" not in run.out + run.err
    assert known_accounts() == [ACCOUNT, OTHER]
    shown = show(cli, ACCOUNT)
    assert shown["connection"] == "CARLI NZ"
    assert shown["options"]["host"] == NZ_HOST
    assert shown["options"]["logon_id"] == "01CARLI_UIU"
    assert shown["sources"]["timeout"] == "account"  # written, though the default
    assert shown["password_stored"] is True
    assert show(cli, OTHER)["password_stored"] is False
    assert show(cli, OTHER)["sources"]["timeout"] == "factory"  # an empty cell: not written
    for path in Path.home().rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes(), path

    # Again: nothing to change; then one value changed, an empty cell keeping the rest.
    again = cli("account", "import", "--json", str(csv))
    assert [r["outcome"] for r in json_lines(again.out)] == ["unchanged", "unchanged"]
    change = write_csv(
        tmp_path, f"account,connection,logon_id,host\n{OTHER},CARLI NZ,01CARLI_NEW,\n"
    )
    run = cli("account", "import", str(change))
    assert run.status == 0 and "row 1: 100-222-333: updated" in run.out
    assert show(cli, OTHER)["options"]["logon_id"] == "01CARLI_NEW"
    assert show(cli, OTHER)["options"]["host"] == NZ_HOST


def test_a_row_is_all_or_nothing(cli, tmp_path, monkeypatch, memory_keyring, account):
    before = account_file(ACCOUNT).read_bytes() if account_file(ACCOUNT).exists() else None
    monkeypatch.setenv("PW", "never-stored")
    csv = write_csv(
        tmp_path,
        "account,connection,password_env,host,port,logon_id\n"
        f"{ACCOUNT},Sandbox,PW,sandbox.example.org,70000,01X\n"  # a bad port
        f"{OTHER},Sandbox,MISSING_VARIABLE,sandbox.example.org,5500,01X\n"  # no such variable
        f"not-an-account,,,,,\n"
        f"{THIRD},Sandbox,,sandbox.example.org,5500,01X\n",
    )
    run = cli("account", "import", "--json", str(csv))
    assert run.status == 1
    rows = json_lines(run.out)
    assert [r["outcome"] for r in rows] == ["failed", "failed", "failed", "added"]
    assert "port" in rows[0]["message"] and "nothing was saved" in rows[0]["message"]
    assert "MISSING_VARIABLE is not set" in rows[1]["message"]
    assert "is not an authorization" in rows[2]["message"]
    # Nothing of the failed rows was written: not the file, not the password, not the list.
    after = account_file(ACCOUNT).read_bytes() if account_file(ACCOUNT).exists() else None
    assert after == before
    assert memory_keyring.entries == {}
    assert known_accounts() == [ACCOUNT, THIRD]
    assert "never-stored" not in run.out + run.err


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("account,hots\n", "'hots' is not a column"),
        ("account,password\n", "passwords are never read from files"),
        ("connection,host\n", "no 'account' column"),
        ("account,host,host\n", "repeated"),
        ("", "no header"),
    ],
)
def test_a_file_that_cannot_be_imported_exits_2_before_anything_is_written(
    cli, tmp_path, header, said
):
    csv = write_csv(tmp_path, header + (f"{ACCOUNT},x\n" if header else ""))
    run = cli("account", "import", str(csv))
    assert run.status == 2 and said in run.err, run.err
    assert known_accounts() == []
    assert not account_file(ACCOUNT).exists()


def test_a_locked_value_in_the_csv_fails_its_row(cli, tmp_path):
    write_institution(LOCKED_HOST)
    csv = write_csv(
        tmp_path,
        "account,connection,host,logon_id\n"
        f"{ACCOUNT},CARLI Network Zone,sandbox.example.org,01CARLI_UIU\n"
        f"{OTHER},CARLI Network Zone,,01CARLI_ISU\n",
    )
    run = cli("account", "import", "--json", str(csv))
    rows = json_lines(run.out)
    assert [r["outcome"] for r in rows] == ["failed", "added"]
    assert (
        "host (connection 'CARLI Network Zone'): set by your institution and locked"
        in rows[0]["message"]
    )
    assert CONTACT in rows[0]["message"]
    assert known_accounts() == [OTHER]
    assert show(cli, OTHER)["options"]["host"] == NZ_HOST
    assert show(cli, OTHER)["sources"]["host"] == "institution (locked)"


# profile export / import


def test_a_profile_moves_settings_and_connections_never_secrets(
    cli, tmp_path, monkeypatch, memory_keyring, account
):
    assert cli("connection", "add", "--account", ACCOUNT, "Sandbox", "--use").status == 0
    assert cli(
        "options", "set", "--account", ACCOUNT, "destination=tcpip", "format=marc",
        "host=sandbox.example.org", "logon_id=01SANDBOX", "fields_to_delete=9XX",
    ).status == 0  # fmt: skip
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("profile-pw\n"))
    assert cli("password", "set", "--account", ACCOUNT, "--connection", "Sandbox").status == 0
    profile = tmp_path / "profile.json"
    run = cli("profile", "export", "--account", ACCOUNT, str(profile))
    assert run.status == 0, run.err
    assert b"profile-pw" not in profile.read_bytes()
    data = json.loads(profile.read_text())
    assert data["kind"] == "exportdesk-profile"
    assert [c["id"] for c in data["connections"]] == ["sandbox"]

    # Another machine: another home, the same keyring entry already set up there.
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    monkeypatch.setenv("HOME", str(other_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(other_home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(other_home / ".local" / "share"))
    assert known_accounts() == []
    run = cli("profile", "import", "--account", ACCOUNT, str(profile))
    assert run.status == 0, run.err
    assert "added to this machine" in run.out
    shown = show(cli, ACCOUNT)
    assert shown["connection"] == "Sandbox"
    assert shown["options"]["host"] == "sandbox.example.org"
    assert shown["options"]["fields_to_delete"] == ["9XX"]
    # The id is kept, so the keyring entry (set on this machine) still matches.
    assert (SERVICE, entry_name(ACCOUNT, "sandbox")) in memory_keyring.entries
    assert shown["password_stored"] is True


def test_profile_import_merges_by_connection_id_and_replaces_account_settings(
    cli, tmp_path, account
):
    for args in (
        ("connection", "add", "--account", ACCOUNT, "Sandbox"),
        ("connection", "add", "--account", ACCOUNT, "Kept"),
        ("options", "set", "--account", ACCOUNT, "--connection", "Sandbox", "host=old.example.org"),
        ("options", "set", "--account", ACCOUNT, "--connection", "Kept", "host=kept.example.org"),
        ("options", "set", "--account", ACCOUNT, "charset=marc8"),
    ):
        assert cli(*args).status == 0
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({
        "kind": "exportdesk-profile", "format_version": 1, "options": {"validate_auth": "full"},
        "connections": [
            {"id": "sandbox", "name": "Sandbox", "options": {"host": "new.example.org"}},
        ],
    }))  # fmt: skip
    assert cli("profile", "import", "--account", ACCOUNT, str(profile)).status == 0
    assert show(cli, ACCOUNT, "--connection", "Sandbox")["options"]["host"] == "new.example.org"
    assert show(cli, ACCOUNT, "--connection", "Kept")["options"]["host"] == "kept.example.org"
    shown = show(cli, ACCOUNT)
    assert shown["options"]["charset"] == "utf8"  # the account settings replaced
    assert shown["options"]["validate_auth"] == "full"


def test_profile_import_never_changes_a_locked_value(cli, tmp_path, account):
    write_institution(LOCKED_HOST)
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({
        "kind": "exportdesk-profile", "options": {"destination": "file", "charset": "marc8"},
        "connections": [{"id": "nz", "options": {"host": "sandbox.example.org", "port": 6000}}],
    }))  # fmt: skip
    run = cli("profile", "import", "--account", ACCOUNT, str(profile))
    assert run.status == 0, run.err
    assert "host (connection 'CARLI Network Zone'): set by your institution" in run.out
    assert "destination: set by your institution" in run.out
    shown = show(cli, ACCOUNT)
    assert shown["options"]["host"] == NZ_HOST and shown["options"]["destination"] == "tcpip"
    assert shown["options"]["port"] == 6000 and shown["options"]["charset"] == "marc8"


def test_profile_import_refuses_a_file_that_is_not_a_profile(cli, tmp_path, account):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    run = cli("profile", "import", "--account", ACCOUNT, str(bad))
    assert run.status == 2 and "not an ExportDesk profile" in run.err


# account report


def test_report_lists_every_account_with_the_exact_shape(cli, tmp_path, memory_keyring, flagged):
    write_institution(LOCKED_HOST)
    assert cli("account", "add", OTHER).status == 0
    assert cli("options", "set", "--account", OTHER, "logon_id=01CARLI_ISU").status == 0
    secret_logon_id = (SERVICE, entry_name(ACCOUNT, "nz", SecretKind.LOGON_ID))
    memory_keyring.entries[secret_logon_id] = "tenant-api-key"
    assert cli("options", "set", "--account", ACCOUNT, "--connection", "CARLI Network Zone",
               "logon_id_secret=on").status == 0  # fmt: skip
    run = cli("account", "report", "--json")
    assert run.status == 0, run.err
    lines = json_lines(run.out)
    assert [line["account"] for line in lines] == [ACCOUNT, OTHER]
    first, second = lines
    assert list(first) == [
        "account", "connection", "host", "port", "logon_id", "sources", "password_stored",
        "last_export",
    ]  # fmt: skip
    assert first["connection"] == "CARLI Network Zone"
    assert first["host"] == NZ_HOST and first["port"] == 5500
    assert first["logon_id"] is None  # a secret logon ID is never shown
    assert first["sources"] == {
        "connection": "institution",
        "host": "institution (locked)",
        "port": "factory",
        "logon_id": "keyring",
    }
    assert first["password_stored"] is False and first["last_export"] is None
    assert "tenant-api-key" not in run.out + cli("account", "report").out
    assert second["logon_id"] == "01CARLI_ISU" and second["sources"]["logon_id"] == "account"


def test_report_gives_the_last_export_time_and_counts(cli, flagged, receiver, account):
    from tests.fixtures.exporting import tcpip_settings

    flagged(2)
    tcpip_settings(receiver)
    assert cli("export", "--account", ACCOUNT).status == 0
    line = json_lines(cli("account", "report", "--json").out)[0]
    assert line["last_export"]["counts"]["exported"] == 2
    assert sum(line["last_export"]["counts"].values()) == 2
    assert line["last_export"]["time"][:4].isdigit()
    text = cli("account", "report").out
    assert "last export" in text and "2 exported" in text


# institution URL


def test_institution_url_from_the_command_line(cli, institution_server, site_folder, tls_files):
    institution_server.files["/i.json"] = json.dumps(LOCKED_HOST).encode()
    assert cli("account", "add", ACCOUNT).status == 0
    run = cli(
        "institution",
        "set-url",
        institution_server.url("/i.json"),
        "--ca-file",
        str(tls_files.ca_file),
    )
    assert run.status == 0, run.err
    run = cli("institution", "refresh")
    assert run.status == 0, run.err
    assert "applies now" in run.out
    assert show(cli, ACCOUNT)["sources"]["host"] == "institution (locked)"
    status = json.loads(cli("institution", "show", "--json").out)
    assert status["chosen_by"] == "url" and status["contact"] == CONTACT
    assert status["format_version"] == 2
    assert "every connection: host" in status["locks"]
    # The server gone: refresh fails (exit 1), the cached copy stays in force.
    del institution_server.files["/i.json"]
    run = cli("institution", "refresh")
    assert run.status == 1 and "stays in force" in run.err
    assert show(cli, ACCOUNT)["sources"]["host"] == "institution (locked)"
    assert cli("institution", "clear-url").status == 0
    assert show(cli, ACCOUNT)["sources"]["host"] == "factory"
