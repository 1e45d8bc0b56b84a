"""The portal as control plane of the institution's Zoom account (README, Zoom).

Every function reads the portal's decision from the database and makes Zoom match it, so a
call can be repeated after any failure (Celery retries it, Zoom retries webhooks). Nothing is
called "secured" before Zoom's answer confirmed it. Logs carry ids, counts and Zoom's error
codes only: no names, addresses, passcodes, links or tokens.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.timezone import now

from meetings.backends import delivery
from meetings.backends.zoom import policy
from meetings.backends.zoom.client import (
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomRefused,
    ZoomUnavailable,
)
from meetings.backends.zoom.models import (
    SyncState,
    ZoomCloudRecording,
    ZoomMeeting,
    ZoomRegistrant,
    ZoomUser,
)
from meetings.scheduling import passcodes
from meetings.scheduling.models import Meeting
from portal.identity.models import LicenceType, User
from portal.identity.services import record_audit_event
from retention.keyring import RotationReport, rotate_field

if TYPE_CHECKING:
    from meetings.live.models import Participant

logger = logging.getLogger(__name__)

ZOOM_BACKEND = "meetings.backends.zoom.ZoomBackend"
ZOOM_PASSCODE = re.compile(r"^[A-Za-z0-9@_*-]{1,10}$")
BASIC, LICENSED = 1, 2


def is_enabled() -> bool:
    """Zoom is governed only when ``MEETINGS_BACKEND`` names the Zoom backend."""
    return getattr(settings, "MEETINGS_BACKEND", "") == ZOOM_BACKEND


_override = threading.local()


def client() -> ZoomClient:
    """A client for one call path; bulk work lends its paced client (:func:`using_client`)."""
    return getattr(_override, "client", None) or ZoomClient()


@contextlib.contextmanager
def using_client(api: ZoomClient) -> Iterator[None]:
    _override.client = api
    try:
        yield
    finally:
        _override.client = None


def _on_commit(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: task.delay(*args))


def _short(error: Exception) -> str:
    return str(error)[:200]


# --- licences ---------------------------------------------------------------------------------
def zoom_type_for(licence_type: LicenceType) -> int:
    """Licensed for a licence type without time limit (Business), Basic otherwise; the
    ``ZOOM_USER_TYPES`` setting overrides per licence type slug."""
    overrides = getattr(settings, "ZOOM_USER_TYPES", {}) or {}
    if licence_type.slug in overrides:
        return int(overrides[licence_type.slug])
    return LICENSED if licence_type.time_limit_minutes is None else BASIC


def desired_account(user: User | None, *, moment: Any = None) -> tuple[int, str] | None:
    """What Zoom should hold for ``user``: (type, status) with status ``active``,
    ``inactive`` (deprovisioned, within the grace period) or ``deleted``; None: no account.
    """
    moment = moment or now()
    if user is None or not user.email or not user.is_active:
        return (BASIC, "deleted")
    if user.deletion_due_at is not None:
        return (BASIC, "deleted") if user.deletion_due_at <= moment else (BASIC, "inactive")
    assignment = getattr(user, "licence_assignment", None)
    if not user.is_institution_member or assignment is None:
        return (BASIC, "inactive")
    return (zoom_type_for(assignment.licence_type), "active")


def request_user_push(*, user_pk: int) -> None:
    """Queue the push of one user's licence decision (after the transaction commits)."""
    if not is_enabled():
        return
    from meetings.backends.zoom.tasks import push_user_task

    _on_commit(push_user_task, user_pk)


def push_user(*, user_pk: int | None = None, zoom_user: ZoomUser | None = None) -> str:
    """Make the user's Zoom account match the portal's licence decision. Returns what it did.

    Pre-provisions SSO users (``ssoCreate``), sets the type (Licensed/Basic), deactivates the
    deprovisioned and deletes them after the grace period. Raises ``ZoomUnavailable`` for the
    task to retry; a refusal is stored on the row (shown in the licence report).
    """
    if zoom_user is None:
        user = (
            User.objects.select_related("licence_assignment__licence_type")
            .filter(pk=user_pk)
            .first()
        )
        zoom_user = ZoomUser.objects.filter(user_id=user_pk).first() if user else None
    else:
        user = zoom_user.user
    wanted = desired_account(user)
    needs_account = wanted is not None and wanted[1] == "active"
    if zoom_user is None:
        if not needs_account or user is None:
            return "none"
        zoom_user, _ = ZoomUser.objects.get_or_create(user=user)
    api = client()
    try:
        result = _push(api, zoom_user, user, wanted)
    except ZoomRefused as error:
        ZoomUser.objects.filter(pk=zoom_user.pk).update(
            state=SyncState.FAILED, last_error=_short(error)
        )
        logger.warning("zoom: user push refused zoom_user=%s: %s", zoom_user.pk, error)
        return "refused"
    except ZoomUnavailable as error:
        ZoomUser.objects.filter(pk=zoom_user.pk).update(last_error=_short(error))
        raise
    logger.info("zoom: user push zoom_user=%s %s", zoom_user.pk, result)
    return result


def _push(api: ZoomClient, zoom_user: ZoomUser, user: User | None, wanted: tuple) -> str:
    zoom_type, status = wanted
    current = None
    if zoom_user.zoom_user_id:
        try:
            current = api.get(f"/users/{zoom_user.zoom_user_id}")
        except ZoomNotFound:
            current = None
    elif user is not None and user.email:
        try:
            current = api.get(f"/users/{urllib.parse.quote(user.email)}")
        except ZoomNotFound:
            current = None
    if status == "deleted":
        if current is not None:
            api.request("DELETE", f"/users/{current['id']}", params={"action": "delete"})
        ZoomUser.objects.filter(pk=zoom_user.pk).update(
            state=SyncState.DELETED, zoom_status="deleted", last_error="", user=None
        )
        return "deleted"
    if current is None:
        if status != "active":
            ZoomUser.objects.filter(pk=zoom_user.pk).update(
                state=SyncState.SECURED, zoom_status="absent", last_error=""
            )
            return "absent"
        current = api.request(
            "POST",
            "/users",
            json={
                "action": "ssoCreate",
                "user_info": {
                    "email": user.email,
                    "type": zoom_type,
                    "first_name": user.first_name[:64],
                    "last_name": user.last_name[:64],
                },
            },
        ).data
        current.setdefault("status", "active")
        done = "created"
    else:
        done = "kept"
    zoom_id = current["id"]
    # free a seat before anything else asks for one
    if current.get("type") != zoom_type:
        api.request("PATCH", f"/users/{zoom_id}", json={"type": zoom_type})
        done = "type" if done == "kept" else done
    if current.get("status") != status and current.get("status") in ("active", "inactive"):
        action = "activate" if status == "active" else "deactivate"
        api.request("PUT", f"/users/{zoom_id}/status", json={"action": action})
        done = action if done == "kept" else done
    ZoomUser.objects.filter(pk=zoom_user.pk).update(
        zoom_user_id=zoom_id,
        zoom_type=zoom_type,
        zoom_status=status,
        state=SyncState.SECURED,
        last_error="",
    )
    return done


# --- meetings ---------------------------------------------------------------------------------
def request_meeting_sync(*, meeting: Meeting) -> ZoomMeeting | None:
    """Record that the meeting must (again) be secured at Zoom and queue the task."""
    if not is_enabled() or meeting.status == Meeting.Status.ENDED:
        return None
    zoom_meeting, created = ZoomMeeting.objects.get_or_create(meeting=meeting)
    if not created:
        ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(
            desired_version=F("desired_version") + 1,
            state=SyncState.PENDING,
            requested_at=now(),
        )
    from meetings.backends.zoom.tasks import sync_meeting_task

    _on_commit(sync_meeting_task, zoom_meeting.pk)
    return zoom_meeting


def sync_meeting(*, zoom_meeting_pk: int) -> str:
    """Create or update the Zoom meeting with the policy applied, then confirm it from
    Zoom's answer. Raises ``ZoomUnavailable`` for the task to retry."""
    zoom_meeting = ZoomMeeting.objects.select_related("meeting__host").get(pk=zoom_meeting_pk)
    meeting = zoom_meeting.meeting
    if meeting is None:
        return delete_remote_meeting(zoom_meeting=zoom_meeting)
    if meeting.status == Meeting.Status.ENDED:
        return "ended"
    version = zoom_meeting.desired_version
    if not ZOOM_PASSCODE.match(meeting.passcode):
        return _fail(
            zoom_meeting,
            "Zoom accepts passcodes of at most 10 letters, digits and @ - _ *.",
        )
    api = client()
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(attempts=F("attempts") + 1)
    try:
        if zoom_meeting.zoom_meeting_id is None:
            host = _host_account(meeting)
            # a try before this one may have created the meeting at Zoom and lost the answer
            # (a timeout): find it by its marker instead of creating a second one
            found = _created_before(api, host, meeting) if zoom_meeting.attempts else None
            if found is None:
                confirmed = api.request(
                    "POST", f"/users/{host}/meetings", json=policy.meeting_body(meeting)
                ).data
            else:
                api.request("PATCH", f"/meetings/{found['id']}", json=policy.meeting_body(meeting))
                confirmed = api.get(f"/meetings/{found['id']}")
            # keep Zoom's id at once: a retry must update this meeting, not create another
            ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(
                zoom_meeting_id=confirmed["id"], zoom_uuid=confirmed.get("uuid", "")
            )
        else:
            try:
                api.request(
                    "PATCH",
                    f"/meetings/{zoom_meeting.zoom_meeting_id}",
                    json=policy.meeting_body(meeting),
                )
            except ZoomNotFound:
                # deleted at Zoom: create it again (the portal decides that it exists)
                ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(zoom_meeting_id=None)
                return sync_meeting(zoom_meeting_pk=zoom_meeting_pk)
            confirmed = api.get(f"/meetings/{zoom_meeting.zoom_meeting_id}")
    except ZoomUnavailable as error:
        ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(last_error=_short(error))
        raise
    except ZoomRefused as error:
        return _fail(zoom_meeting, _short(error))
    changed = policy.drift(meeting, confirmed)
    if changed:
        return _fail(zoom_meeting, "Zoom did not apply: " + ", ".join(changed))
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk, desired_version=version).update(
        state=SyncState.SECURED, confirmed_version=version, confirmed_at=now(), last_error=""
    )
    logger.info("zoom: meeting=%s secured (version %s)", meeting.pk, version)
    return "secured"


def _created_before(api: ZoomClient, host: str, meeting: Meeting) -> dict | None:
    """The host's upcoming Zoom meeting that carries this meeting's marker, if any."""
    marker = policy.portal_marker(meeting)
    for candidate in api.paginate(f"/users/{host}/meetings", "meetings", type="upcoming"):
        if (candidate.get("agenda") or "").startswith(marker):
            return candidate
    return None


def _fail(zoom_meeting: ZoomMeeting, reason: str) -> str:
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(state=SyncState.FAILED, last_error=reason)
    logger.warning("zoom: meeting=%s not secured: %s", zoom_meeting.meeting_id, reason)
    return "failed"


def _host_account(meeting: Meeting) -> str:
    """The host's Zoom user id; pushes the host's licence first when Zoom does not know it."""
    account = ZoomUser.objects.filter(user_id=meeting.host_id).first()
    if account is None or not account.zoom_user_id or account.state != SyncState.SECURED:
        push_user(user_pk=meeting.host_id)
        account = ZoomUser.objects.filter(user_id=meeting.host_id).first()
    if account is None or not account.zoom_user_id:
        raise ZoomRefused("the host has no Zoom account (licence not pushed)")
    return account.zoom_user_id


def delete_remote_meeting(*, zoom_meeting: ZoomMeeting) -> str:
    if zoom_meeting.zoom_meeting_id is not None:
        with contextlib.suppress(ZoomNotFound):
            client().request("DELETE", f"/meetings/{zoom_meeting.zoom_meeting_id}")
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(state=SyncState.DELETED)
    return "deleted"


def meetings_to_delete() -> list[int]:
    return list(
        ZoomMeeting.objects.filter(meeting__isnull=True)
        .exclude(state=SyncState.DELETED)
        .values_list("pk", flat=True)
    )


def restore_policy(*, zoom_meeting_id: int, source: str) -> list[str]:
    """A change made at Zoom (webhook ``meeting.updated``): compare with the portal's meeting,
    put back what differs and write it to the audit log. Returns the fields put back."""
    zoom_meeting = ZoomMeeting.objects.filter(zoom_meeting_id=zoom_meeting_id).first()
    if zoom_meeting is None or zoom_meeting.meeting is None:
        return []
    meeting = zoom_meeting.meeting
    if meeting.status == Meeting.Status.ENDED:
        return []
    api = client()
    try:
        current = api.get(f"/meetings/{zoom_meeting_id}")
    except ZoomNotFound:
        request_meeting_sync(meeting=meeting)
        return ["deleted"]
    changed = policy.drift(meeting, current)
    if not changed:
        return []
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(state=SyncState.PENDING)
    api.request("PATCH", f"/meetings/{zoom_meeting_id}", json=policy.meeting_body(meeting))
    confirmed = api.get(f"/meetings/{zoom_meeting_id}")
    still = policy.drift(meeting, confirmed)
    ZoomMeeting.objects.filter(pk=zoom_meeting.pk).update(
        state=SyncState.FAILED if still else SyncState.SECURED,
        last_error=("Zoom did not apply: " + ", ".join(still)) if still else "",
        confirmed_at=now(),
    )
    record_audit_event(
        actor=None,
        action="zoom.policy_restored",
        target=meeting,
        reason=f"changed at Zoom ({source})",
        fields=changed,
        restored=not still,
    )
    logger.warning("zoom: meeting=%s policy restored: %s", meeting.pk, ",".join(changed))
    return changed


def end_remote_meeting(*, meeting: Meeting) -> None:
    zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
    if zoom_meeting is None:
        return
    # the personal links die with the meeting
    ZoomRegistrant.objects.filter(zoom_meeting=zoom_meeting).delete()
    if zoom_meeting.zoom_meeting_id is not None:
        from meetings.backends.zoom.tasks import end_meeting_task

        _on_commit(end_meeting_task, zoom_meeting.zoom_meeting_id)


def end_at_zoom(*, zoom_meeting_id: int) -> None:
    try:
        client().request("PUT", f"/meetings/{zoom_meeting_id}/status", json={"action": "end"})
    except ZoomNotFound:
        return


# --- admission --------------------------------------------------------------------------------
def _encrypt(value: str) -> str:
    return passcodes.encrypt_passcode(value)


def admit(*, meeting: Meeting, participants: list[Participant]) -> None:
    """The portal admitted these people: register each at Zoom and approve the registration,
    so that each gets a join link that works for them alone."""
    zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
    if zoom_meeting is None:
        zoom_meeting = request_meeting_sync(meeting=meeting)
        if zoom_meeting is None:
            return
    from meetings.backends.zoom.tasks import register_participant_task

    for participant in participants:
        user = participant.user
        email = (user.email if user is not None else "") or (
            f"guest-{participant.pk}-{secrets.token_hex(4)}@{settings.ZOOM_GUEST_EMAIL_DOMAIN}"
        )
        details = {
            "email": email,
            "first_name": (participant.display_name or "Guest")[:64],
        }
        registrant, created = ZoomRegistrant.objects.get_or_create(
            zoom_meeting=zoom_meeting,
            participant_ref=participant.pk,
            defaults={"join_url_encrypted": _encrypt(_json(details))},
        )
        if not created and registrant.state == SyncState.SECURED and not registrant.cancelled:
            continue
        if not created:
            ZoomRegistrant.objects.filter(pk=registrant.pk).update(
                cancelled=False,
                state=SyncState.PENDING,
                join_url_encrypted=_encrypt(_json(details)),
            )
        _on_commit(register_participant_task, registrant.pk)


def _json(value: dict) -> str:
    import json

    return json.dumps(value)


def register_participant(*, registrant_pk: int) -> str:
    import json

    registrant = (
        ZoomRegistrant.objects.select_related("zoom_meeting").filter(pk=registrant_pk).first()
    )
    if registrant is None or registrant.cancelled or registrant.state == SyncState.SECURED:
        return "skipped"
    zoom_meeting = registrant.zoom_meeting
    if zoom_meeting.zoom_meeting_id is None:
        raise ZoomUnavailable("the meeting is not yet at Zoom")
    details = json.loads(passcodes.decrypt_passcode(registrant.join_url_encrypted))
    api = client()
    try:
        data = api.request(
            "POST",
            f"/meetings/{zoom_meeting.zoom_meeting_id}/registrants",
            json={"email": details["email"], "first_name": details["first_name"]},
        ).data
        api.request(
            "PUT",
            f"/meetings/{zoom_meeting.zoom_meeting_id}/registrants/status",
            json={
                "action": "approve",
                "registrants": [{"id": data["registrant_id"], "email": details["email"]}],
            },
        )
    except ZoomRefused as error:
        ZoomRegistrant.objects.filter(pk=registrant.pk).update(
            state=SyncState.FAILED, last_error=_short(error)
        )
        return "refused"
    updated = ZoomRegistrant.objects.filter(pk=registrant.pk, cancelled=False).update(
        registrant_id=data["registrant_id"],
        join_url_encrypted=_encrypt(data["join_url"]),
        state=SyncState.SECURED,
        last_error="",
    )
    if not updated:  # removed meanwhile: cancel what was just approved
        cancel_registrant(registrant_pk=registrant.pk)
    return "approved"


def personal_join_url(*, meeting: Meeting, participant: Participant) -> str | None:
    registrant = ZoomRegistrant.objects.filter(
        zoom_meeting__meeting=meeting,
        participant_ref=participant.pk,
        state=SyncState.SECURED,
        cancelled=False,
    ).first()
    if registrant is None or not registrant.registrant_id:
        return None
    return passcodes.decrypt_passcode(registrant.join_url_encrypted)


def remove(*, meeting: Meeting, participant: Participant) -> None:
    """The portal removed someone: their registration (and so their link) is cancelled."""
    registrant = ZoomRegistrant.objects.filter(
        zoom_meeting__meeting=meeting, participant_ref=participant.pk
    ).first()
    if registrant is None:
        return
    ZoomRegistrant.objects.filter(pk=registrant.pk).update(cancelled=True)
    from meetings.backends.zoom.tasks import cancel_registrant_task

    _on_commit(cancel_registrant_task, registrant.pk)


def cancel_registrant(*, registrant_pk: int) -> str:
    registrant = (
        ZoomRegistrant.objects.select_related("zoom_meeting").filter(pk=registrant_pk).first()
    )
    if registrant is None or not registrant.registrant_id:
        return "nothing"
    zoom_id = registrant.zoom_meeting.zoom_meeting_id
    with contextlib.suppress(ZoomNotFound):
        client().request(
            "PUT",
            f"/meetings/{zoom_id}/registrants/status",
            json={"action": "cancel", "registrants": [{"id": registrant.registrant_id}]},
        )
    ZoomRegistrant.objects.filter(pk=registrant.pk).update(
        state=SyncState.DELETED, join_url_encrypted=""
    )
    return "cancelled"


# --- recording --------------------------------------------------------------------------------
def recording_control(*, meeting: Meeting, method: str) -> None:
    """Zoom's in-meeting recording control (``recording.start``/``recording.stop``)."""
    zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
    if zoom_meeting is None or zoom_meeting.zoom_meeting_id is None:
        raise ZoomRefused("the meeting is not at Zoom")
    client().request(
        "PATCH",
        f"/live_meetings/{zoom_meeting.zoom_meeting_id}/events",
        json={"method": method},
    )


def recording_started_at_zoom(*, zoom_meeting_id: int) -> bool:
    """Zoom reports a recording the portal did not start (the host pressed Record in Zoom):
    stop it at once and log it. Returns whether it was stopped."""
    zoom_meeting = ZoomMeeting.objects.filter(zoom_meeting_id=zoom_meeting_id).first()
    sink = delivery.recording_sink()
    meeting = zoom_meeting.meeting if zoom_meeting else None
    if meeting is not None and sink is not None and sink.is_recording(meeting=meeting):
        return False
    client().request(
        "PATCH", f"/live_meetings/{zoom_meeting_id}/events", json={"method": "recording.stop"}
    )
    record_audit_event(
        actor=None,
        action="zoom.recording_stopped",
        target=meeting,
        reason="recording started at Zoom without the portal's consent check",
    )
    return True


def _quote_uuid(uuid: str) -> str:
    once = urllib.parse.quote(uuid, safe="")
    # Zoom: a UUID starting with "/" or containing "//" is encoded twice
    return urllib.parse.quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def handle_cloud_recording(*, payload: dict, download_token: str | None) -> str:
    """A finished cloud recording: import it where every consent holds, delete it at Zoom
    in every case. Idempotent per Zoom meeting instance (UUID)."""
    obj = payload.get("object") or {}
    uuid = str(obj.get("uuid") or "")
    if not uuid:
        return "ignored"
    zoom_meeting = ZoomMeeting.objects.filter(zoom_meeting_id=obj.get("id")).first()
    cloud, _created = ZoomCloudRecording.objects.get_or_create(
        meeting_uuid=uuid, defaults={"zoom_meeting": zoom_meeting}
    )
    if cloud.outcome:
        if cloud.state != SyncState.DELETED:
            _delete_cloud_copy(cloud.pk)
        return cloud.outcome
    meeting = zoom_meeting.meeting if zoom_meeting else None
    sink = delivery.recording_sink()
    files = [
        f
        for f in obj.get("recording_files") or []
        if f.get("file_type") in ("MP4", "M4A") and f.get("status", "completed") == "completed"
    ]
    session = None
    if meeting is not None and sink is not None and files:
        starts = [policy._parse(f.get("recording_start", "")) for f in files]
        ends = [policy._parse(f.get("recording_end", "")) for f in files]
        if all(starts) and all(ends):
            session = sink.session_for(meeting=meeting, started_at=min(starts), ended_at=max(ends))
    if session is None:
        ZoomCloudRecording.objects.filter(pk=cloud.pk).update(outcome="refused")
        _delete_cloud_copy(cloud.pk)
        record_audit_event(
            actor=None,
            action="zoom.recording_deleted",
            target=meeting,
            reason="cloud recording without the consent of everyone recorded",
            files=len(obj.get("recording_files") or []),
        )
        return "refused"
    api = client()
    stored = []
    for file in files:
        content_type = "video/mp4" if file["file_type"] == "MP4" else "audio/mp4"
        response = api.download(file["download_url"], token=download_token)
        try:
            response.raw.decode_content = True
            recording = sink.store(
                session=session,
                stream=response.raw,
                content_type=content_type,
                size=file.get("file_size"),
            )
        finally:
            response.close()
        if file.get("file_size") and recording.size != file["file_size"]:
            raise ZoomUnavailable("download incomplete")
        stored.append(recording.pk)
    ZoomCloudRecording.objects.filter(pk=cloud.pk).update(outcome="imported", recording_refs=stored)
    delete_cloud_recording(cloud_pk=cloud.pk)
    record_audit_event(
        actor=None,
        action="zoom.recording_imported",
        target=meeting,
        reason="cloud recording with the consent of everyone recorded",
        recordings=stored,
    )
    return "imported"


def _delete_cloud_copy(cloud_pk: int) -> None:
    """Delete Zoom's copy now; while Zoom cannot be reached, a task tries again later (and
    the nightly run sweeps whatever is left), without undoing the import."""
    try:
        delete_cloud_recording(cloud_pk=cloud_pk)
    except ZoomUnavailable as error:
        from celery import current_app

        from meetings.backends.zoom.tasks import delete_cloud_recording_task

        logger.warning("zoom: cloud recording %s not yet deleted at Zoom: %s", cloud_pk, error)
        if not current_app.conf.task_always_eager:
            delete_cloud_recording_task.apply_async(
                args=[cloud_pk], countdown=max(60, error.retry_after)
            )


def pending_cloud_deletions() -> list[int]:
    return list(
        ZoomCloudRecording.objects.exclude(state=SyncState.DELETED)
        .exclude(outcome="")
        .values_list("pk", flat=True)
    )


def delete_cloud_recording(*, cloud_pk: int) -> str:
    cloud = ZoomCloudRecording.objects.get(pk=cloud_pk)
    if cloud.state == SyncState.DELETED:
        return "deleted"
    ZoomCloudRecording.objects.filter(pk=cloud.pk).update(state=SyncState.DELETING)
    with contextlib.suppress(ZoomNotFound):
        client().request(
            "DELETE",
            f"/meetings/{_quote_uuid(cloud.meeting_uuid)}/recordings",
            params={"action": "delete"},
        )
    ZoomCloudRecording.objects.filter(pk=cloud.pk).update(state=SyncState.DELETED, deleted_at=now())
    logger.info("zoom: cloud recording %s deleted at Zoom", cloud.pk)
    return "deleted"


def discard_recordings(*, meeting: Meeting) -> int:
    """Retention or a withdrawn consent: whatever copy remains at Zoom goes too."""
    from meetings.backends.zoom.tasks import delete_cloud_recording_task

    pks = list(
        ZoomCloudRecording.objects.filter(zoom_meeting__meeting=meeting)
        .exclude(state=SyncState.DELETED)
        .values_list("pk", flat=True)
    )
    for pk in pks:
        _on_commit(delete_cloud_recording_task, pk)
    return len(pks)


__all__ = ["ZoomError", "is_enabled"]


def rotate_join_link_encryption(batch_size: int = 500) -> RotationReport:
    """Re-encrypt the registrants' stored join links under the current passcode key."""

    def rewrite(values: dict) -> dict | None:
        token = values["join_url_encrypted"]
        if not token or passcodes.is_under_current_key(token):
            return None
        return {"join_url_encrypted": passcodes.rotate_token(token)}

    return rotate_field(
        name="Zoom join links",
        queryset=ZoomRegistrant.objects.all(),
        fields=["join_url_encrypted"],
        rewrite=rewrite,
        batch_size=batch_size,
    )
