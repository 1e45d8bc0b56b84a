"""Zoom's webhooks: signature, replay window, URL validation, repeated deliveries, garbage."""

import hashlib
import hmac
import json
import time

import pytest

from meetings.backends.zoom.models import ZoomWebhookEvent
from tests.meetings.backends.conftest import deliver
from tests.zoom_double.control import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/meetings/zoom/webhook/"


def signed(body: str, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {"HTTP_X_ZM_REQUEST_TIMESTAMP": str(timestamp), "HTTP_X_ZM_SIGNATURE": f"v0={digest}"}


def post(client, body: str, **headers):  # noqa: ANN001, ANN202
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_it_answers_zoom_url_validation(zoom, client):
    body = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "abc123"}})
    response = post(client, body, **signed(body))
    assert response.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"abc123", hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "abc123", "encryptedToken": expected}


def test_a_forged_signature_is_refused(zoom, client):
    body = json.dumps({"event": "meeting.updated", "payload": {"object": {"id": 1}}})
    response = post(client, body, **signed(body, secret="guessed"))
    assert response.status_code == 401
    assert not ZoomWebhookEvent.objects.exists()


def test_a_changed_body_is_refused(zoom, client):
    body = json.dumps({"event": "meeting.updated", "payload": {"object": {"id": 1}}})
    headers = signed(body)
    response = post(client, body.replace("1", "2"), **headers)
    assert response.status_code == 401


def test_a_replay_older_than_five_minutes_is_refused(zoom, client):
    body = json.dumps({"event": "meeting.updated", "payload": {"object": {"id": 1}}})
    response = post(client, body, **signed(body, timestamp=int(time.time()) - 301))
    assert response.status_code == 401
    assert response.json() == {"error": "timestamp too old"}


def test_a_delivery_zoom_repeats_is_handled_once(zoom, client, commit):
    delivery = zoom.call(
        "sign",
        {
            "body": json.dumps(
                {"event": "meeting.updated", "event_ts": 1, "payload": {"object": {"id": 5}}}
            )
        },
    )
    with commit():
        first = deliver(client, delivery)
    second = deliver(client, delivery)
    assert first.json() == {"status": "accepted"}
    assert second.json() == {"status": "duplicate"}
    event = ZoomWebhookEvent.objects.get()
    assert event.handled_at is not None
    assert event.payload == {}  # nothing of the delivery is kept once handled


@pytest.mark.parametrize(
    "body",
    ["", "not json", "[]", '{"payload": {}}', '{"event": "endpoint.url_validation"}', "\x00\xff"],
)
def test_garbage_gets_a_clear_answer_never_a_500(zoom, client, body):
    response = post(client, body, **signed(body))
    assert response.status_code == 400


def test_missing_headers_are_refused(zoom, client):
    assert post(client, "{}").status_code == 401
    assert client.get(URL).status_code == 405


def test_the_endpoint_does_not_exist_without_the_zoom_backend(client, settings):
    body = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "x"}})
    assert post(client, body, **signed(body)).status_code == 404
