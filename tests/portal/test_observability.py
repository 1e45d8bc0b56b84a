"""Request ids, JSON logs, and Sentry reports with personal data scrubbed before sending
(captured by a local transport: nothing leaves the machine)."""

import json
import logging

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from portal.observability import JsonFormatter, RequestIdFilter, init_sentry, scrub_event


class CapturingTransport(Transport):
    """Keeps the envelopes the SDK would send."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


@pytest.fixture
def sent():
    transport = CapturingTransport()
    init_sentry("http://public@127.0.0.1:9/1", environment="test", transport=transport)
    yield transport.envelopes
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the SDK is off again


def events(envelopes):
    return [item.payload.json for env in envelopes for item in env.items if item.type == "event"]


@pytest.mark.django_db
def test_an_error_in_a_view_reaches_sentry_without_personal_data(client, sent, settings):
    from django.urls import path

    from portal import urls

    def failing(request):
        anna_email = "anna.schmidt@uni.example"  # noqa: F841 -- a local that must not leak
        raise ValueError(
            "duplicate key (email)=(anna.schmidt@uni.example) from 192.168.10.4\nDETAIL: row"
        )

    settings.ROOT_URLCONF = type(
        "Urls", (), {"urlpatterns": [path("boom", failing), *urls.urlpatterns]}
    )
    client.raise_request_exception = False
    user = __import__("tests.factories", fromlist=["make_user"]).make_user(
        "anna", email="anna.schmidt@uni.example"
    )
    client.force_login(user)
    response = client.get(
        "/boom?passcode=Kx7mQ2vR&email=anna.schmidt@uni.example",
        HTTP_COOKIE="sessionid=abc",
        HTTP_USER_AGENT="Anna's browser",
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = events(sent)
    text = json.dumps(event)
    for personal in ("anna", "Anna", "192.168.10.4", "Kx7mQ2vR", "sessionid", "DETAIL"):
        assert personal not in text, personal
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert "[e-mail]" in event["exception"]["values"][0]["value"]


def test_scrub_event_keeps_what_helps_and_drops_the_rest():
    event = {
        "user": {"id": "7", "email": "x@y.example", "ip_address": "10.0.0.1"},
        "request": {"url": "https://p/x?a=b", "method": "GET", "headers": {"Cookie": "c"}},
        "extra": {"participant": "Anna"},
        "breadcrumbs": {"values": [{"message": "Anna joined"}]},
        "contexts": {"runtime": {"name": "CPython"}, "person": {"name": "Anna"}},
        "logentry": {"message": "mail to %s failed", "params": ["x@y.example"]},
        "server_name": "ws-17.uni.example",
    }
    scrubbed = scrub_event(event)
    assert scrubbed == {
        "request": {"method": "GET", "url": "https://p/x"},
        "contexts": {"runtime": {"name": "CPython"}},
        "logentry": {"message": "mail to %s failed"},
    }


@pytest.mark.django_db
def test_each_response_carries_a_request_id_that_the_logs_share(client, caplog):
    first = client.get("/healthz?deep=0", HTTP_HOST="example.invalid")  # through the stack
    second = client.get("/")
    assert len(second["X-Request-ID"]) == 32
    assert second["X-Request-ID"] != client.get("/")["X-Request-ID"]
    assert first.status_code == 400


@pytest.mark.django_db
def test_a_proxys_request_id_is_taken_only_from_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXY = False
    assert client.get("/", HTTP_X_REQUEST_ID="proxy-id-12345678")["X-Request-ID"] != (
        "proxy-id-12345678"
    )
    settings.TRUSTED_PROXY = True
    assert client.get("/", HTTP_X_REQUEST_ID="proxy-id-12345678")["X-Request-ID"] == (
        "proxy-id-12345678"
    )
    # not a plain token: a new id instead
    assert client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_json_lines_carry_the_request_id_and_only_the_exception_type():
    from portal.observability import request_id

    record = logging.LogRecord("portal.x", logging.ERROR, "/p.py", 3, "failed %s", (42,), None)
    try:
        raise KeyError("anna@uni.example")
    except KeyError:
        import sys

        record.exc_info = sys.exc_info()
    token = request_id.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc123"
    assert line["message"] == "failed 42"
    assert line["exception"] == "KeyError"
    assert "anna" not in json.dumps(line)
