"""The institution file at a URL: fetched over HTTPS from a local server with the test's own
certificate authority, cached, used from the cache when the server can't be reached, applied
from the next start (or at once with a refresh); a file that can't be used leaves the cached
one in force."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from app.core import paths
from app.core.errors import UsageError
from app.core.settings import files as settings_files
from app.core.settings import institution_url
from app.core.settings.account_settings import AccountSettings
from app.core.settings.institution_url import InstitutionFetchError
from app.core.settings.layers import Source

ACCOUNT = "100-123-456"


def body(data: dict) -> bytes:
    return json.dumps(data).encode("utf-8")


def fmt() -> str:
    return AccountSettings(ACCOUNT).effective().options["format"]


@pytest.fixture(autouse=True)
def no_leftover_notices():
    settings_files.take_notices()
    yield


@pytest.fixture
def served(institution_server, site_folder, tls_files):
    """The server holds a file locking MARC 21; the machine's URL names it."""
    institution_server.files["/institution.json"] = body(
        {"format_version": 2, "options": {"format": "marc"}, "locked": ["format"]}
    )
    institution_url.set_url(institution_server.url(), tls_files.ca_file)
    return institution_server


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_the_url_is_kept_beside_the_site_file(served, site_folder, tls_files) -> None:
    kept = json.loads((site_folder / "institution-url.json").read_text())
    assert kept["url"] == served.url()
    assert kept["ca_file"] == str(tls_files.ca_file.resolve())


def test_refresh_fetches_over_https_and_applies_at_once(served) -> None:
    assert fmt() == "none"  # nothing fetched yet: the (absent) site file applies
    fetched = institution_url.refresh()
    assert fetched.in_force and fetched.changed
    assert served.requests == ["/institution.json"]
    assert fetched.path.parent == paths.cache_dir() / "institution"
    assert str(paths.cache_dir()).startswith(str(Path.home()))  # the user's cache folder
    account = AccountSettings(ACCOUNT)
    assert account.effective().options["format"] == "marc"
    assert account.effective().source_of("format") is Source.LOCKED


def test_a_background_fetch_applies_from_the_next_start(served) -> None:
    institution_url.refresh()
    served.files["/institution.json"] = body({"options": {"format": "marcxml"}})
    thread = institution_url.fetch_in_background()
    assert thread is not None
    thread.join(10)
    assert fmt() == "marc"  # this run keeps the file it started with
    assert institution_url.status().waiting
    assert institution_url.put_fetched_in_force()  # the next start
    assert fmt() == "marcxml"


def test_the_cache_is_used_when_the_server_cannot_be_reached(served, tls_files) -> None:
    institution_url.refresh()
    institution_url.set_url(
        f"https://127.0.0.1:{closed_port()}/institution.json", tls_files.ca_file
    )
    # Another URL: its own cache (none yet), so the site file applies; the old URL's copy
    # never stands in for another's.
    assert fmt() == "none"
    institution_url.set_url(served.url(), tls_files.ca_file)
    served_port = served.port
    served.port = closed_port()  # the same URL, its server gone:
    del served.files["/institution.json"]
    with pytest.raises(InstitutionFetchError) as failed:
        institution_url.refresh()
    assert failed.value.exit_status == 1
    assert "answered 404" in failed.value.message
    assert fmt() == "marc"  # the cached copy stays in force
    served.port = served_port


def test_an_unreachable_server_in_the_background_leaves_a_notice(site_folder, tls_files) -> None:
    institution_url.set_url(f"https://127.0.0.1:{closed_port()}/i.json", tls_files.ca_file)
    thread = institution_url.fetch_in_background()
    thread.join(20)
    notices = settings_files.take_notices()
    assert any("could not be reached" in n and "No copy has been fetched yet" in n for n in notices)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"options": {"format": "marcxml"', "not valid JSON"),
        (b'["a list"]', "does not hold a JSON object"),
        (b'\xff\xfe{"x": 1}', "not UTF-8"),
        (
            body({"format_version": 3, "locked": [{"key": "host", "unless": "sandbox"}]}),
            "newer ExportDesk (format 3)",
        ),
    ],
)
def test_a_file_that_fails_to_parse_leaves_the_cached_one_in_force(served, content, said) -> None:
    institution_url.refresh()
    served.files["/institution.json"] = content
    with pytest.raises(InstitutionFetchError, match=said.replace("(", r"\(").replace(")", r"\)")):
        institution_url.refresh()
    assert fmt() == "marc"
    thread = institution_url.fetch_in_background()
    thread.join(10)
    assert any(said in n for n in settings_files.take_notices())
    institution_url.put_fetched_in_force()
    assert fmt() == "marc"  # nothing waits: the bad file was never kept


def test_a_server_whose_certificate_the_ca_file_does_not_vouch_for_is_refused(
    served, tls_files
) -> None:
    institution_url.set_url(served.url(), tls_files.other_ca_file)
    with pytest.raises(InstitutionFetchError, match="certificate could not be verified"):
        institution_url.refresh()
    assert served.requests == []


def test_a_file_url_on_a_shared_drive(site_folder, tmp_path) -> None:
    shared = tmp_path / "share" / "institution file.json"
    shared.parent.mkdir()
    shared.write_text(json.dumps({"options": {"format": "marcxml"}}))
    institution_url.set_url(shared.as_uri())
    institution_url.refresh()
    assert fmt() == "marcxml"


def test_the_environment_names_a_url(site_folder, tmp_path, monkeypatch) -> None:
    shared = tmp_path / "institution.json"
    shared.write_text(json.dumps({"options": {"format": "dc-rdf"}}))
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_URL", shared.as_uri())
    institution_url.refresh()
    assert fmt() == "dc-rdf"


def test_precedence_file_variable_then_url_then_site_file(
    served, site_folder, tmp_path, monkeypatch
) -> None:
    (site_folder / "institution.json").write_text(json.dumps({"options": {"format": "dc-html"}}))
    assert fmt() == "dc-html"  # the URL's file is not fetched yet: the site file
    institution_url.refresh()
    assert fmt() == "marc"  # the URL over the site file
    named = tmp_path / "named.json"
    named.write_text(json.dumps({"options": {"format": "marcxml"}}))
    monkeypatch.setenv("EXPORTDESK_INSTITUTION_FILE", str(named))
    assert fmt() == "marcxml"  # the named file over both
    with pytest.raises(UsageError, match="EXPORTDESK_INSTITUTION_FILE"):
        institution_url.refresh()


@pytest.mark.parametrize(
    "url", ["http://consortium.example.org/institution.json", "ftp://x/y", "institution.json"]
)
def test_only_https_and_file_urls(site_folder, url) -> None:
    with pytest.raises(UsageError, match="https:// or file:"):
        institution_url.set_url(url)


def test_a_url_carrying_a_password_is_refused_and_not_kept(site_folder) -> None:
    with pytest.raises(UsageError, match="without a user name or password") as refused:
        institution_url.set_url("https://admin:Hunter2@files.example.org/institution.json")
    assert "Hunter2" not in refused.value.message
    assert not (site_folder / "institution-url.json").exists()
