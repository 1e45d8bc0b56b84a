"""Request ids, JSON logs and error reports without personal data (docs/OPERATIONS.md).

- Every request gets an id (the proxy's ``X-Request-ID`` when ``TRUSTED_PROXY`` and it is a
  plain token, else a new one); it is in every log line written while the request runs and in
  the response's ``X-Request-ID``, so that a person's error report can be found in the logs
  without the logs naming the person.
- ``LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message, request
  id, exception type): the shape log collectors parse. Our log calls carry ids and counts only
  (docs/POLICY.md); the formatter adds nothing from the request.
- ``SENTRY_DSN`` sends errors to Sentry (or a compatible service the institution runs) after
  :func:`scrub_event` removed what could name a person: the user, cookies, headers, query
  strings, form data, local variables, and addresses or e-mail addresses in messages.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


class RequestIdMiddleware:
    """Give each request an id for the logs and the response (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "") if settings.TRUSTED_PROXY else ""
        value = given if _TOKEN.match(given) else uuid.uuid4().hex
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = value
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. The exception's type and our message only: a traceback's
    text can quote values (a database error's DETAIL line holds row values)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["where"] = f"{record.pathname}:{record.lineno}"
        return json.dumps(entry, ensure_ascii=False)


# -- Sentry ------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_IPV4 = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")
_IPV6 = re.compile(r"\b([0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")


def scrub_text(text: str) -> str:
    """``text`` with e-mail and IP addresses replaced."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _IPV4.sub("[address]", text)
    return _IPV6.sub("[address]", text)


def scrub_event(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Remove from a Sentry event everything that could name a person (``before_send``)."""
    event.pop("user", None)
    event.pop("server_name", None)
    request = event.get("request")
    if isinstance(request, dict):
        url = str(request.get("url", ""))
        event["request"] = {"method": request.get("method"), "url": url.split("?", 1)[0]}
    for name in ("extra", "breadcrumbs"):
        event.pop(name, None)
    contexts = event.get("contexts")
    if isinstance(contexts, dict):
        event["contexts"] = {
            key: value for key, value in contexts.items() if key in ("runtime", "os", "trace")
        }
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if exception.get("value"):
            # the first line only, addresses removed: a database error's DETAIL quotes values
            exception["value"] = scrub_text(str(exception["value"]).splitlines()[0])[:300]
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("message", "formatted"):
            if logentry.get(key):
                logentry[key] = scrub_text(str(logentry[key]))
        logentry.pop("params", None)
    if event.get("message"):
        event["message"] = scrub_text(str(event["message"]))
    return event


def init_sentry(dsn: str, *, environment: str, release: str = "", **options: Any) -> None:
    """Start the Sentry SDK with personal data off and :func:`scrub_event` before sending."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        include_local_variables=False,
        include_source_context=False,
        max_breadcrumbs=0,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        traces_sample_rate=0.0,
        **options,
    )
