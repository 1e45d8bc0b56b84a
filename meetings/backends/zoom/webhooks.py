"""Zoom's webhooks: signature check, URL validation, idempotent handling.

Zoom signs ``v0:{x-zm-request-timestamp}:{body}`` with HMAC-SHA256 under the app's secret
token and sends ``v0=<hex>`` in ``x-zm-signature``. A delivery older than five minutes is
refused (a replay), the comparison takes constant time, and a delivery Zoom repeats (same
body) is handled once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.timezone import now

from meetings.backends import presence
from meetings.backends.zoom import services
from meetings.backends.zoom.models import ZoomMeeting, ZoomRegistrant, ZoomWebhookEvent

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
PARTICIPANT_EVENTS = ("meeting.participant_joined", "meeting.participant_left")


class WebhookRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(body: bytes, timestamp: str, *, secret: str | None = None) -> str:
    secret = settings.ZOOM_WEBHOOK_SECRET if secret is None else secret
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(*, body: bytes, timestamp: str | None, signature: str | None) -> None:
    if not settings.ZOOM_WEBHOOK_SECRET:
        raise WebhookRefused(503, "webhook secret not configured")
    if not timestamp or not signature or not timestamp.isdigit():
        raise WebhookRefused(401, "signature missing")
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        raise WebhookRefused(401, "timestamp too old")
    if not hmac.compare_digest(sign(body, timestamp).encode(), signature.encode()):
        raise WebhookRefused(401, "signature invalid")


def url_validation(plain_token: str) -> dict:
    encrypted = hmac.new(
        settings.ZOOM_WEBHOOK_SECRET.encode(), plain_token.encode(), hashlib.sha256
    ).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}


def receive(*, body: bytes, timestamp: str | None, signature: str | None) -> dict:
    """Verify, answer a URL validation, or store the event once and queue its handling."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused(413, "body too large")
    verify(body=body, timestamp=timestamp, signature=signature)
    try:
        data = json.loads(body)
    except ValueError:
        raise WebhookRefused(400, "body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise WebhookRefused(400, "no event")
    event = data["event"][:64]
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
    if event == "endpoint.url_validation":
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not plain:
            raise WebhookRefused(400, "no plainToken")
        return url_validation(plain)
    if event in PARTICIPANT_EVENTS and not _attendance_required(payload):
        # attendance only where the policy requires it: nothing of it is stored otherwise
        return {"status": "ignored"}
    digest = hashlib.sha256(body).hexdigest()
    stored = {"payload": payload}
    if "download_token" in data:
        stored["download_token"] = data["download_token"]
    try:
        with transaction.atomic():
            record = ZoomWebhookEvent.objects.create(digest=digest, event=event, payload=stored)
    except IntegrityError:
        logger.info("zoom webhook %s: repeated delivery ignored", event)
        return {"status": "duplicate"}
    from meetings.backends.zoom.tasks import handle_webhook_task

    transaction.on_commit(lambda: handle_webhook_task.delay(record.pk))
    logger.info("zoom webhook %s stored as %s", event, record.pk)
    return {"status": "accepted"}


def _attendance_required(payload: dict) -> bool:
    obj = payload.get("object") or {}
    try:
        zoom_id = int(obj.get("id"))
    except (TypeError, ValueError):
        return False
    return ZoomMeeting.objects.filter(
        zoom_meeting_id=zoom_id, meeting__attendance_required=True
    ).exists()


def handle_event(*, event_pk: int) -> str:
    """Act on one stored delivery; a handled one is left alone, its payload cleared."""
    record = ZoomWebhookEvent.objects.filter(pk=event_pk, handled_at__isnull=True).first()
    if record is None:
        return "done"
    payload = record.payload.get("payload") or {}
    obj = payload.get("object") or {}
    outcome = "ignored"
    try:
        zoom_id = int(obj.get("id"))
    except (TypeError, ValueError):
        zoom_id = None
    if record.event == "meeting.updated" and zoom_id:
        changed = services.restore_policy(zoom_meeting_id=zoom_id, source="meeting.updated")
        outcome = "restored" if changed else "in policy"
    elif record.event == "meeting.deleted" and zoom_id:
        changed = services.restore_policy(zoom_meeting_id=zoom_id, source="meeting.deleted")
        outcome = "recreated" if changed else "ignored"
    elif record.event == "recording.started" and zoom_id:
        outcome = "stopped" if services.recording_started_at_zoom(zoom_meeting_id=zoom_id) else "ok"
    elif record.event in PARTICIPANT_EVENTS and zoom_id:
        outcome = _report_presence(zoom_id, obj.get("participant") or {}, record.event)
    elif record.event == "recording.completed":
        outcome = services.handle_cloud_recording(
            payload=payload, download_token=record.payload.get("download_token")
        )
    ZoomWebhookEvent.objects.filter(pk=record.pk).update(
        handled_at=now(), outcome=outcome, payload={}
    )
    return outcome


def _report_presence(zoom_id: int, person: dict, event: str) -> str:
    """Pass a participant event on to the attendance list, for people the portal admitted
    (their registration is the portal's); anyone else at Zoom (the host through the start
    link) is not on it through this path."""
    registrant_id = str(person.get("registrant_id") or "")[:64]
    registrant = (
        ZoomRegistrant.objects.select_related("zoom_meeting__meeting")
        .filter(zoom_meeting__zoom_meeting_id=zoom_id, registrant_id=registrant_id)
        .exclude(registrant_id="")
        .first()
    )
    if registrant is None:
        return "not a registrant"
    joined = event == "meeting.participant_joined"
    stamp = person.get("join_time" if joined else "leave_time")
    at = parse_datetime(stamp) if isinstance(stamp, str) else None
    presence.report_presence(
        meeting=registrant.zoom_meeting.meeting,
        participant_pk=registrant.participant_ref,
        joined=joined,
        at=at or now(),
    )
    return "joined" if joined else "left"
