"""WorldCat targets: the WorldCat Metadata API (2.0) through bookops-worldcat.

bookops-worldcat (pinned in pyproject.toml: this module overrides two of its private methods)
asks OCLC's OAuth server for a token with the WSKey and its secret (client credentials), and
sends the Metadata API's requests. ExportDesk adds what the library leaves out: the token and
API URLs of the target (OCLC's sandbox, a test double), the target's certificate authority,
its own retries (429 and 5xx, honouring Retry-After, at most 3 tries in 30 s), one silent
renewal of the token when the API says 401, messages that name the target and never the
secret, and a cancel that stops a request while it waits (abandon.py: with a cancel event,
each try runs in a thread of its own whose connection a cancel shuts).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from bookops_worldcat.authorize import WorldcatAccessToken
from bookops_worldcat.errors import WorldcatAuthorizationError, WorldcatRequestError
from bookops_worldcat.metadata_api import MetadataSession

from app.core.marc.marcxml import read_marcxml
from app.core.marc.readresults import ReadError, RecordRead
from app.core.marc.summary import oclc_number
from app.core.settings.targets import Target, TargetKind
from app.core.sources.abandon import run_cancellable, watched
from app.core.sources.faults import (
    TargetAuthorization,
    TargetCancelled,
    TargetDiagnostic,
    TargetError,
    TargetResponseError,
)
from app.core.sources.hits import Hit, SearchPage, SearchQuery
from app.core.sources.holdings import HoldingAction, HoldingResult
from app.core.sources.http import (
    USER_AGENT,
    call,
    malformed,
    status_failure,
    transport_failure,
    verify_for,
)
from app.core.sources.retry import RetryPolicy

T = TypeVar("T")

MAX_PAGE = 50  # the brief-bibs search's largest limit
# WorldCat's index labels (as Connexion's and the Metadata API's q use them).
INDEX_LABELS = {
    "oclc": "no",
    "isbn": "bn",
    "issn": "in",
    "lccn": "nl",
    "title": "ti",
    "author": "au",
    "keyword": "kw",
}
_NUMBER_INDEXES = ("oclc", "isbn", "issn", "lccn")


def query_for(query: SearchQuery) -> str:
    """WorldCat's q: ``bn:9780262033848``, ``ti:perl AND ti:reference``."""
    if query.raw:
        return query.text.strip()
    label = INDEX_LABELS[query.index]
    if query.index in _NUMBER_INDEXES:
        return f"{label}:{query.text.strip().replace('-', '').replace(' ', '')}"
    words = [w.replace('"', "") for w in query.text.split()]
    return " AND ".join(f"{label}:{word}" for word in words if word)


def check_oclc_number(text: str) -> str:
    """The number without prefix or leading zeros; UsageError-free: ValueError for the caller."""
    stripped = text.strip()
    if stripped.startswith("(OCoLC)"):
        stripped = stripped[len("(OCoLC)") :]
    number = oclc_number(stripped)
    if number is None or number == "0":
        raise ValueError(f"'{text}' is not an OCLC number")
    return number


class TooDeep(ValueError):
    """JSON nested deeper than Python's reader goes (which raises RecursionError, not
    ValueError): no API answers so."""

    def __init__(self) -> None:
        super().__init__("the JSON is nested far too deeply")


def json_of(response: requests.Response) -> Any:
    """The answer's JSON. Raises ValueError when it is not JSON (TooDeep when it nests
    without end)."""
    try:
        return response.json()
    except RecursionError:
        raise TooDeep() from None


def api_message(response: requests.Response) -> str:
    """What OCLC's error body says (its JSON's detail, title or message), short."""
    try:
        data: Any = json_of(response)
    except ValueError:
        text = response.text.strip().splitlines()[0] if response.text.strip() else ""
        return text[:200]
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    for key in ("title", "message", "error_description", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
            break
    detail = data.get("detail")
    if isinstance(detail, dict):
        detail = detail.get("description") or detail.get("summary")
    if isinstance(detail, str) and detail.strip() and detail.strip() not in parts:
        parts.append(detail.strip())
    return ": ".join(parts)[:300]


class TokenRefused(WorldcatAuthorizationError):
    """The OAuth server answered, but not with a token; ``response`` says why."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class _Token(WorldcatAccessToken):
    """bookops-worldcat's token, asked of the target's OAuth server (``BASE/token``) and
    checked against the target's certificate authority. The library keeps the URL in
    ``_token_url`` and the request in ``_post_token_request`` (version 1.2)."""

    def __init__(self, target: Target, secret: str, http: requests.Session) -> None:
        self._target = target
        self._http = http
        super().__init__(
            key=target.key,
            secret=secret,
            scopes=target.scope,
            agent=USER_AGENT,
            timeout=target.timeout,
        )

    def _token_url(self) -> str:
        return f"{self._target.oauth_url}/token"

    def _post_token_request(self) -> requests.Response:
        # As the library's, without its catch-all: a failure must keep its kind.
        response: requests.Response = self._http.post(
            self._token_url(),
            auth=self._auth(),
            headers=self._token_headers(),
            params=self._payload(),
            timeout=self.timeout,
            verify=verify_for(self._target),
        )
        return response

    def _parse_server_response(self, response: requests.Response) -> None:
        if response.status_code != 200:
            self.server_response = response
            raise TokenRefused(response)
        try:
            super()._parse_server_response(response)  # bookops reads the JSON itself
        except RecursionError:
            raise TooDeep() from None


class WorldCatClient:
    """One WorldCat target with its secret; the token is asked for at the first request."""

    def __init__(self, target: Target, secret: str, policy: RetryPolicy | None = None) -> None:
        if target.kind is not TargetKind.WORLDCAT:
            raise ValueError(f"{target.describe()} is not a WorldCat target")
        self.target = target
        self.policy = policy or RetryPolicy()
        self._secret = secret
        self._session: MetadataSession | None = None
        self._http = watched(requests.Session())  # for the token requests

    def __enter__(self) -> WorldCatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop_session()
        self._http.close()

    def _drop_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _call(self, attempt: Callable[[], T], cancel: threading.Event | None) -> T:
        """``attempt()`` with retries, each try stopped by a cancel even while it waits; a
        cancelled try's session is not used again (its thread may not have ended yet)."""
        try:
            result: T = call(
                self.target, lambda: run_cancellable(attempt, cancel), self.policy, cancel
            )
        except TargetCancelled:
            self._drop_session()
            raise
        return result

    # -- the token ------------------------------------------------------------------------

    def _token_failure(self, error: Exception) -> Exception:
        """A token request that failed: a retry, or an error naming what OCLC said."""
        if isinstance(error, requests.RequestException):
            return transport_failure(self.target, error)
        if isinstance(error, TooDeep):
            return malformed(self.target, "the token request", str(error))
        if isinstance(error, KeyError | ValueError | TypeError):
            return malformed(self.target, "the token request", f"{type(error).__name__} {error}")
        if not isinstance(error, TokenRefused):
            return TargetAuthorization(self.target, "no token could be obtained")
        response = error.response
        retry = status_failure(self.target, response, "the token request")
        if retry is not None:
            return retry
        said = self._scrubbed(api_message(response))
        if response.status_code in (400, 401, 403):
            return TargetAuthorization(
                self.target,
                f"OCLC refused the WSKey or its secret (HTTP {response.status_code}"
                f"{': ' + said if said else ''}); check the key ({self.target.key}) and set "
                "the secret again with: exportdesk password set --target",
            )
        return TargetAuthorization(
            self.target, f"the token request failed (HTTP {response.status_code}: {said})"
        )

    def _scrubbed(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _new_session(self, cancel: threading.Event | None) -> MetadataSession:
        def attempt() -> MetadataSession:
            try:
                token = _Token(self.target, self._secret, self._http)
            except (requests.RequestException, WorldcatAuthorizationError) as error:
                raise self._token_failure(error) from None
            except (KeyError, ValueError, TypeError) as error:
                raise self._token_failure(error) from None
            session = MetadataSession(
                authorization=token, agent=USER_AGENT, timeout=self.target.timeout
            )
            session.BASE_URL = self.target.api_url
            session.verify = verify_for(self.target)
            session.trust_env = False
            watched(session)
            return session

        return self._call(attempt, cancel)

    def _ensure(self, cancel: threading.Event | None) -> MetadataSession:
        if self._session is None:
            self._session = self._new_session(cancel)
        return self._session

    # -- requests -------------------------------------------------------------------------

    def _request(
        self,
        send: Callable[[MetadataSession], requests.Response],
        what: str,
        cancel: threading.Event | None,
        not_found: str | None = None,
    ) -> requests.Response:
        renewed = False

        session = self._ensure(cancel)

        def attempt() -> requests.Response:
            nonlocal renewed
            while True:
                try:
                    return send(session)
                except (WorldcatAuthorizationError, requests.RequestException) as error:
                    raise self._token_failure(error) from None  # renewing an expired token
                except WorldcatRequestError as error:
                    context = error.__context__
                    if isinstance(context, requests.HTTPError) and context.response is not None:
                        response = context.response
                        if response.status_code == 401 and not renewed:
                            renewed = True  # the token was revoked or expired early: once
                            self._renew(session)
                            continue
                        retry = status_failure(self.target, response, what)
                        if retry is not None:
                            raise retry from None
                        raise self._api_failure(response, what, not_found) from None
                    if isinstance(context, requests.RequestException):
                        raise transport_failure(self.target, context) from None
                    raise malformed(self.target, what, "the request failed unexpectedly") from None

        return self._call(attempt, cancel)

    def _renew(self, session: MetadataSession) -> None:
        try:
            session._get_new_access_token()
        except (
            requests.RequestException,
            WorldcatAuthorizationError,
            KeyError,
            ValueError,
        ) as error:
            raise self._token_failure(error) from None

    def _api_failure(
        self, response: requests.Response, what: str, not_found: str | None
    ) -> TargetError:
        said = self._scrubbed(api_message(response))
        status = response.status_code
        if status == 404 and not_found:
            return TargetDiagnostic(self.target, not_found)
        if status in (401, 403):
            return TargetAuthorization(
                self.target,
                f"OCLC refused {what} (HTTP {status}{': ' + said if said else ''}); the WSKey "
                "may not have the WorldCat Metadata API's scope",
            )
        if 400 <= status < 500:
            return TargetDiagnostic(
                self.target, f"OCLC refused {what} (HTTP {status}{': ' + said if said else ''})"
            )
        return TargetResponseError(
            self.target, f"{what} failed (HTTP {status}{': ' + said if said else ''})"
        )

    def search(
        self,
        query: SearchQuery,
        start: int = 1,
        count: int = 10,
        cancel: threading.Event | None = None,
    ) -> SearchPage:
        q = query_for(query)
        limit = max(1, min(count, MAX_PAGE))
        response = self._request(
            lambda s: s.brief_bibs_search(q=q, offset=start, limit=limit, inCatalogLanguage=None),
            "the search",
            cancel,
        )
        try:
            data = json_of(response)
            total = int(data.get("numberOfRecords", 0))
            entries = data.get("briefRecords") or []
            if not isinstance(entries, list):
                raise TypeError("briefRecords is not a list")
            hits = [self._hit(entry, start + n) for n, entry in enumerate(entries)]
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            raise malformed(self.target, "the search", str(error) or type(error).__name__) from None
        return SearchPage(total=total, start=start, hits=hits)

    def _hit(self, entry: dict[str, Any], position: int) -> Hit:
        def text(key: str) -> str:
            value = entry.get(key)
            return str(value).strip() if isinstance(value, str | int) else ""

        number = text("oclcNumber")
        if not number:
            raise KeyError("a brief record has no oclcNumber")
        isbns = entry.get("isbns")
        details = [
            ("Publisher", ", ".join(p for p in (text("publicationPlace"), text("publisher")) if p)),
            ("Edition", text("edition")),
            ("Format", " / ".join(p for p in (text("generalFormat"), text("specificFormat")) if p)),
            ("Language", text("language")),
            ("ISBN", ", ".join(str(i) for i in isbns) if isinstance(isbns, list) else ""),
            ("OCLC number", number),
        ]
        return Hit(
            target=self.target.name,
            position=position,
            id=number,
            title=text("title"),
            author=text("creator"),
            date=text("date"),
            details=tuple((label, value) for label, value in details if value),
        )

    def retrieve(self, record_id: str, cancel: threading.Event | None = None) -> RecordRead:
        number = check_oclc_number(record_id)
        what = f"the request for OCLC number {number}"
        response = self._request(
            lambda s: s.bib_get(number),
            what,
            cancel,
            not_found=f"no record with OCLC number {number}",
        )
        origin = f"{self.target.describe()}, OCLC number {number}"
        for result in read_marcxml(io.BytesIO(response.content), origin):
            if isinstance(result, ReadError):
                raise malformed(self.target, what, result.reason)
            return RecordRead(result.raw, result.parsed, "marcxml", origin, 1, 0, result.notes)
        raise malformed(self.target, what, "it holds no record")

    def holdings(
        self, action: HoldingAction, record_id: str, cancel: threading.Event | None = None
    ) -> HoldingResult:
        """Set or unset the institution's holdings on one OCLC number. A failure for this
        number (not found, refused) is a "failed" result; a failure of the target raises."""
        try:
            number = check_oclc_number(record_id)
        except ValueError as problem:
            return HoldingResult(record_id, "failed", str(problem))
        what = f"{'setting' if action == 'set' else 'unsetting'} holdings on {number}"

        def send(session: MetadataSession) -> requests.Response:
            if action == "set":
                return session.holdings_set(number)
            return session.holdings_unset(number, cascadeDelete=False)

        try:
            response = self._request(
                send, what, cancel, not_found=f"no record with OCLC number {number}"
            )
        except TargetDiagnostic as refused:
            return HoldingResult(number, "failed", refused.problem)
        try:
            data = json_of(response)
        except ValueError as error:
            raise malformed(self.target, what, str(error) or "not JSON") from None
        if not isinstance(data, dict):
            raise malformed(self.target, what, "not a JSON object")
        message = str(data.get("message") or "")
        if data.get("success") is False:
            return HoldingResult(number, "failed", message or "OCLC did not change the holdings")
        return HoldingResult(number, action, message or f"holdings {action}")
