"""Zoom's REST API v2 through a Server-to-Server OAuth app: token cache, errors, pacing.

Why this shape:

- The access token (one hour at Zoom) is kept in the shared cache, so every process and
  worker uses the same one, and it is refreshed ``TOKEN_REFRESH_MARGIN`` seconds before it
  expires, never after a failed call. Tokens and client secrets are never logged or put into
  an exception's text.
- Errors are split by what the caller must do: :class:`ZoomUnavailable` (network error, HTTP
  429, 5xx: try again later, ``retry_after`` says when, from Zoom's ``Retry-After``) and
  :class:`ZoomRefused` (any other 4xx: Zoom said no; retrying the same request will not help).
  Interactive paths never wait inside a request: a Celery task retries with backoff.
- Bulk work (the nightly reconciliation) paces itself below the account's rate limit
  (``min_interval``) and may wait inline for a 429's ``Retry-After`` (``max_inline_wait``).
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from meetings.backends.base import BackendError, BackendUnavailable

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = 300  # seconds before expiry at which a new token is fetched
TIMEOUT = (5, 30)  # connect, read (seconds)
MAX_PAGE_SIZE = 300  # Zoom's maximum for GET /users


class ZoomError(BackendError):
    """A call to Zoom failed. The text holds the status and Zoom's error code, no data."""

    def __init__(self, message: str, *, status: int = 0, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ZoomUnavailable(ZoomError, BackendUnavailable):
    """Zoom could not be reached, rate-limited us (429) or failed (5xx): try again later."""

    def __init__(
        self, message: str, *, status: int = 0, code: int | None = None, retry_after: float = 0
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ZoomRefused(ZoomError):
    """Zoom refused the request (4xx other than 429)."""


class ZoomNotFound(ZoomRefused):
    """The object does not exist at Zoom (404)."""


class ZoomNotConfigured(ZoomError):
    """The Zoom credentials are missing from the environment."""


@dataclass
class Response:
    status: int
    data: Any


def parse_retry_after(value: str | None, *, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header: Zoom sends seconds for its per-second
    limit and a UTC time (ISO 8601 or HTTP date) for its daily limit."""
    if not value:
        return 0.0
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    now = time.time() if now is None else now
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 60.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, moment.timestamp() - now)


class ZoomClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        oauth_url: str | None = None,
        account_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        min_interval: float = 0.0,
        max_inline_wait: float = 0.0,
        max_inline_retries: int = 0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url or settings.ZOOM_API_BASE_URL).rstrip("/")
        self.oauth_url = oauth_url or settings.ZOOM_OAUTH_URL
        self.account_id = account_id if account_id is not None else settings.ZOOM_ACCOUNT_ID
        self.client_id = client_id if client_id is not None else settings.ZOOM_CLIENT_ID
        self._secret = client_secret if client_secret is not None else settings.ZOOM_CLIENT_SECRET
        self.min_interval = min_interval
        self.max_inline_wait = max_inline_wait
        self.max_inline_retries = max_inline_retries
        self.session = session or requests.Session()
        self.requests_made = 0
        self.rate_limited = 0
        self._last_request = 0.0
        self._pace_lock = threading.Lock()

    # --- token ----------------------------------------------------------------------------
    @property
    def _token_key(self) -> str:
        digest = hashlib.sha256(f"{self.oauth_url}|{self.account_id}|{self.client_id}".encode())
        return f"zoom:token:{digest.hexdigest()[:24]}"

    def access_token(self, *, force: bool = False) -> str:
        """The cached token, or a new one when it expires within ``TOKEN_REFRESH_MARGIN``."""
        if not (self.account_id and self.client_id and self._secret):
            raise ZoomNotConfigured("ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
        cached = None if force else cache.get(self._token_key)
        if cached and cached["expires_at"] - TOKEN_REFRESH_MARGIN > time.time():
            return cached["token"]
        try:
            response = self.session.post(
                self.oauth_url,
                params={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=(self.client_id, self._secret),
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise ZoomUnavailable(f"token endpoint unreachable ({type(error).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise ZoomUnavailable(
                f"token endpoint answered {response.status_code}",
                status=response.status_code,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code != 200:
            raise ZoomRefused(
                f"token endpoint refused the credentials ({response.status_code})",
                status=response.status_code,
            )
        data = response.json()
        token = data["access_token"]
        expires_at = time.time() + int(data.get("expires_in", 3600))
        cache.set(
            self._token_key,
            {"token": token, "expires_at": expires_at},
            timeout=max(1, int(data.get("expires_in", 3600)) - TOKEN_REFRESH_MARGIN),
        )
        logger.info("zoom: new access token, valid %ss", data.get("expires_in"))
        return token

    # --- requests -------------------------------------------------------------------------
    def _pace(self) -> None:
        if not self.min_interval:
            return
        with self._pace_lock:
            wait = self._last_request + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
    ) -> Response:
        """One API call; refreshes the token once on 401, waits inline for a 429 only when
        this client allows it, raises :class:`ZoomUnavailable` or :class:`ZoomRefused`."""
        refreshed = False
        retries = 0
        while True:
            self._pace()
            token = self.access_token()
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=TIMEOUT,
                )
            except requests.RequestException as error:
                raise ZoomUnavailable(
                    f"{method} {_shape(path)} unreachable ({type(error).__name__})"
                ) from None
            status = response.status_code
            if status == 401 and not refreshed:
                cache.delete(self._token_key)
                refreshed = True
                continue
            if status < 300:
                data = response.json() if response.content else None
                return Response(status=status, data=data)
            code = _error_code(response)
            if status == 429 or status >= 500:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if status == 429:
                    self.rate_limited += 1
                    retry_after = retry_after or 1.0
                if (
                    retries < self.max_inline_retries
                    and retry_after <= self.max_inline_wait
                    and (status == 429 or retries < 3)
                ):
                    retries += 1
                    time.sleep(retry_after or min(2**retries, self.max_inline_wait))
                    continue
                raise ZoomUnavailable(
                    f"{method} {_shape(path)} answered {status}",
                    status=status,
                    code=code,
                    retry_after=retry_after,
                )
            error_class = ZoomNotFound if status == 404 else ZoomRefused
            raise error_class(
                f"{method} {_shape(path)} refused: {status} code {code}", status=status, code=code
            )

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None).data

    def paginate(self, path: str, key: str, **params: Any) -> Iterator[dict]:
        """Every item of a paged list (``next_page_token``)."""
        params = {"page_size": MAX_PAGE_SIZE, **params}
        while True:
            data = self.request("GET", path, params=params).data or {}
            yield from data.get(key, [])
            token = data.get("next_page_token")
            if not token:
                return
            params["next_page_token"] = token

    def download(self, url: str, *, token: str | None = None) -> requests.Response:
        """Stream a cloud-recording file (``download_url``) with the webhook's download token
        or, without one, the API token. The caller closes the response."""
        bearer = token or self.access_token()
        try:
            response = self.session.get(
                url, headers={"Authorization": f"Bearer {bearer}"}, stream=True, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            raise ZoomUnavailable(f"download unreachable ({type(error).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            response.close()
            raise ZoomUnavailable(
                f"download answered {response.status_code}",
                status=response.status_code,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code != 200:
            response.close()
            raise ZoomRefused(
                f"download refused: {response.status_code}", status=response.status_code
            )
        return response


_PATH_WORDS = {
    "users",
    "meetings",
    "registrants",
    "status",
    "recordings",
    "live_meetings",
    "events",
    "summary",
    "accounts",
    "settings",
    "lock_settings",
    "",
}


def _shape(path: str) -> str:
    """The path with identifiers replaced, so logs and errors carry no user IDs or e-mails."""
    return "/".join(part if part in _PATH_WORDS else "{id}" for part in path.split("/"))


def _error_code(response: requests.Response) -> int | None:
    try:
        code = response.json().get("code")
    except ValueError:
        return None
    return code if isinstance(code, int) else None
