"""Services for recordings: start and stop, ingest, viewers, deletion.

Policy rows (docs/POLICY.md, recording): "a recording is made only with the express consent of the
participants concerned, announced in advance; its running is visible to all in real time",
"recordings are stored only on the institution's own storage", "deleted 7 days after a
required consent is revoked".
"""

import datetime
import hashlib
import logging
import secrets
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils.timezone import now
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from meetings.backends import BackendError, BackendUnavailable, RecordingNotSupported, get_backend
from meetings.live.broadcast import AUDIENCE_HOSTS, broadcast_to_meeting
from meetings.live.models import Participant
from meetings.recordings import gate as recording_gate
from meetings.recordings.ingest import (
    ALLOWED_CONTENT_TYPES,
    HashingStream,
    RecordingFileRejected,
    check_declared_file,
)
from meetings.recordings.models import RawRecording, Recording, RecordingSession
from meetings.scheduling.models import Meeting, MeetingPolicy
from retention.models import RetentionRule
from retention.services import ItemsHeld, delete_items, held_items

logger = logging.getLogger(__name__)


class RecordingNotAllowed(Exception):
    """Recording may not start; ``missing`` lists the participants without consent."""

    def __init__(self, reason: str, missing: list[Participant] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing or []


# permissions ---------------------------------------------------------------------------------
def user_may_view_recording(*, user: AbstractBaseUser, recording: Recording) -> bool:
    """Host, co-hosts and the viewers the host named, these only where the consents allow
    viewers (a "storage only" consent binds: docs/POLICY.md, recording); nobody else (404)."""
    if not user.is_authenticated:
        return False
    if recording.meeting.is_hosted_by(user):
        return True
    return user.has_perm("meetings.view_recording_file", recording) and (
        recording_gate.viewer_audiences(session=recording.session) is not None
    )


# running state -------------------------------------------------------------------------------
def running_session(*, meeting: Meeting) -> RecordingSession | None:
    return RecordingSession.objects.filter(meeting=meeting, stopped_at__isnull=True).first()


def admitted_participants(*, meeting: Meeting) -> list[Participant]:
    """Admitted participants whose consent recording needs (not the host who records)."""
    return list(
        Participant.objects.filter(meeting=meeting, state=Participant.State.ADMITTED)
        .exclude(user_id=meeting.host_id)
        .order_by("display_name", "pk")
    )


def recording_forbidden(*, meeting: Meeting, by: AbstractBaseUser | None = None) -> bool:
    """Whether the institution forbids recording this meeting: for everyone, for the role of
    its host or of the person who would start it (docs/POLICY.md, recording)."""
    policy = MeetingPolicy.current()
    return policy.recording_forbidden_for(meeting.host) or (
        by is not None and policy.recording_forbidden_for(by)
    )


def start_recording(*, meeting: Meeting, by: AbstractBaseUser) -> RecordingSession:
    """Start recording only when every admitted participant has consented.

    Raises :class:`RecordingNotAllowed` (with the participants who have not consented)
    otherwise; nothing is changed then. Everyone in the room is told live.
    """
    with transaction.atomic():
        # serialise starts of one meeting: two hosts clicking at once get one session
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if running_session(meeting=meeting) is not None:
            raise RecordingNotAllowed("already_running")
        if meeting.status == Meeting.Status.ENDED:
            raise RecordingNotAllowed("meeting_ended")
        if recording_forbidden(meeting=meeting, by=by):
            raise RecordingNotAllowed("forbidden")
        if not meeting.recording_announced:
            # nobody may be recorded in a meeting that did not announce it before it began
            # (docs/POLICY.md, recording): the invitation, the waiting page and the room say so
            raise RecordingNotAllowed("not_announced")
        participants = admitted_participants(meeting=meeting)
        missing = recording_gate.participants_without_consent(
            meeting=meeting, participants=participants
        )
        if missing is None:
            raise RecordingNotAllowed("no_gate")
        if missing:
            raise RecordingNotAllowed("consent_missing", missing)
        try:
            with transaction.atomic():
                session = RecordingSession.objects.create(meeting=meeting, started_by=by)
        except IntegrityError as error:
            raise RecordingNotAllowed("already_running") from error
        recording_gate.record_consent_basis(session=session, participants=participants)
        _start_on_backend(meeting, session)
        transaction.on_commit(
            lambda: broadcast_to_meeting(
                meeting.pk, "recording.started", started_at=session.started_at.isoformat()
            )
        )
    logger.info("recording session %s started for meeting %s", session.pk, meeting.pk)
    return session


def _start_on_backend(meeting: Meeting, session: RecordingSession) -> None:
    """Only here, after the gate has passed, does the media server start recording (its rooms
    are created with recording locked to the portal). A backend without media records
    nothing: the host uploads the file. A media server that does not answer: no session."""
    reference = f"session-{session.pk}"
    backend = get_backend()
    try:
        backend.start_recording(meeting=meeting, reference=reference)
    except RecordingNotSupported:
        return
    except BackendUnavailable as error:
        raise RecordingNotAllowed("backend_unavailable") from error
    except BackendError as error:
        raise RecordingNotAllowed("backend_refused") from error
    session.backend_ref = reference
    session.save(update_fields=["backend_ref"])
    location = backend.raw_recording_location(meeting=meeting, reference=reference)
    if location:
        # from now on raw files exist: kept track of until converted or purged
        RawRecording.objects.create(meeting=meeting, session=session, location=location)


def stop_recording(
    *,
    meeting: Meeting,
    by: AbstractBaseUser | None = None,
    reason: str = RecordingSession.StopReason.HOST,
) -> bool:
    """Stop the running recording (if any) and tell the room why; returns whether one ran.

    The media server stops at once; its files are then converted into one stored recording
    by a Celery task (:func:`meetings.recordings.tasks.convert_backend_recording`).
    """
    with transaction.atomic():
        session = (
            RecordingSession.objects.select_for_update()
            .filter(meeting=meeting, stopped_at__isnull=True)
            .first()
        )
        if session is None:
            return False
        session.stopped_at = now()
        session.stop_reason = reason
        backend = get_backend()
        # a media server's raw files are converted here; a service that hands over finished
        # files (Zoom's cloud recordings) announces them itself
        converts = bool(session.backend_ref) and backend.exports_recordings
        if converts:
            session.conversion = RecordingSession.Conversion.PENDING
        session.save(update_fields=["stopped_at", "stop_reason", "conversion"])
        RawRecording.objects.filter(session=session).update(stopped_at=session.stopped_at)
        if session.backend_ref:
            try:
                backend.stop_recording(meeting=meeting, reference=session.backend_ref)
            except BackendError:
                # a room the server lost records nothing more; the files it wrote are converted
                logger.warning("backend did not confirm the stop of session %s", session.pk)
        if converts:
            transaction.on_commit(lambda: _queue_conversion(session.pk))
        transaction.on_commit(
            lambda: broadcast_to_meeting(meeting.pk, "recording.stopped", reason=reason)
        )
    logger.info("recording session %s stopped (%s)", session.pk, reason)
    return True


def _queue_conversion(session_pk: int) -> None:
    from meetings.recordings.tasks import convert_backend_recording

    convert_backend_recording.delay(session_pk)


def convert_backend_recording_now(*, session: RecordingSession, workdir: Path) -> Recording:
    """Turn the backend's files of a stopped session into one stored, verified recording and
    delete the raw files. Raises on failure (the task retries); nothing half-done is kept."""
    backend = get_backend()
    meeting = session.meeting
    produced = backend.export_recording(
        meeting=meeting, reference=session.backend_ref, into=workdir
    )
    with open(produced, "rb") as stream:
        recording = store_recording(
            session=session,
            stream=stream,
            content_type="video/webm",
            declared_size=produced.stat().st_size,
            source=Recording.Source.BACKEND,
        )
    verify_stored_recording(recording=recording)
    backend.discard_recording(meeting=meeting, reference=session.backend_ref)
    RecordingSession.objects.filter(pk=session.pk).update(
        conversion=RecordingSession.Conversion.STORED, conversion_error=""
    )
    RawRecording.objects.filter(session=session).delete()  # its files are gone
    return recording


def verify_stored_recording(*, recording: Recording) -> None:
    """Read the stored file back: its checksum must match what was written."""
    digest = hashlib.sha256()
    with recording.file.storage.open(recording.file.name, "rb") as stored:
        for chunk in iter(lambda: stored.read(1024 * 1024), b""):
            digest.update(chunk)
    if digest.hexdigest() != recording.sha256:
        raise RecordingFileRejected("the stored recording does not match its checksum")


def conversion_failed(*, session: RecordingSession, error: str, final: bool) -> None:
    """Remember the failure (no personal data in it) and tell the hosts. A final failure
    starts the retention period of the raw files (category ``raw_recordings``)."""
    if final:
        RawRecording.objects.filter(session=session, failed_at__isnull=True).update(failed_at=now())
    RecordingSession.objects.filter(pk=session.pk).update(
        conversion=(
            RecordingSession.Conversion.FAILED if final else RecordingSession.Conversion.PENDING
        ),
        conversion_attempts=models.F("conversion_attempts") + 1,
        conversion_error=error[:200],
    )
    broadcast_to_meeting(
        session.meeting_id,
        "recording.conversion_failed",
        audience=AUDIENCE_HOSTS,
        final=final,
    )


def may_admit_during_recording(participant: Participant) -> bool:
    """May ``participant`` be admitted now? Call right before admitting.

    While a recording runs, a participant without consent stays in the waiting room (policy:
    recording only with the consent of those concerned). When admission is allowed during a
    recording, the participant's consent joins the evidence the recording rests on.
    """
    meeting = participant.meeting
    session = running_session(meeting=meeting)
    if session is None or participant.user_id == meeting.host_id:
        return True
    missing = recording_gate.participants_without_consent(
        meeting=meeting, participants=[participant]
    )
    if missing is None or missing:
        return False
    recording_gate.record_consent_basis(session=session, participants=[participant])
    return True


# ingest --------------------------------------------------------------------------------------
def store_recording(
    *,
    session: RecordingSession,
    stream: BinaryIO,
    content_type: str,
    declared_size: int | None,
    source: str,
    uploaded_by: AbstractBaseUser | None = None,
) -> Recording:
    """Stream a recording file onto the recordings storage, keeping its SHA-256 checksum.

    Refuses (``RecordingFileRejected``) a type outside the allowed list, content whose magic
    bytes do not match, and anything over ``RECORDING_MAX_UPLOAD_BYTES``; nothing is kept then.
    """
    content_type = check_declared_file(content_type=content_type, size=declared_size)
    extension, _check = ALLOWED_CONTENT_TYPES[content_type]
    wrapped = HashingStream(stream, content_type=content_type, name=f"recording.{extension}")
    recording = Recording(
        meeting_id=session.meeting_id,
        session=session,
        content_type=content_type,
        source=source,
        uploaded_by=uploaded_by if uploaded_by and uploaded_by.is_authenticated else None,
        size=0,
        sha256="",
    )
    recording.token = secrets.token_hex(16)  # the stored name is derived from it
    try:
        recording.file.save(wrapped.name, wrapped, save=False)
    except RecordingFileRejected:
        if recording.file.name:
            recording.file.storage.delete(recording.file.name)
        raise
    except BaseException:
        # a broken connection must not leave half a file behind
        _delete_partial(recording)
        raise
    recording.size = wrapped.bytes_read
    recording.sha256 = wrapped.digest.hexdigest()
    session.refresh_from_db(fields=["deletion_due_at"])
    if session.deletion_due_at is not None:
        # a consent it rests on was withdrawn while it was converted: the same date
        recording.schedule_deletion(due_at=session.deletion_due_at, reason="consent withdrawn")
    try:
        recording.save()
    except BaseException:
        recording.file.storage.delete(recording.file.name)
        raise
    logger.info(
        "recording %s stored (%s bytes) for meeting %s",
        recording.pk,
        recording.size,
        recording.meeting_id,
    )
    return recording


def _delete_partial(recording: Recording) -> None:
    name = recording.file.name
    if name:
        recording.file.storage.delete(name)


# viewers -------------------------------------------------------------------------------------
class ViewerRefused(Exception):
    """The recording may not be shown to more people; ``message`` is shown to the host."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def grant_viewer(*, recording: Recording, viewer: AbstractBaseUser) -> None:
    """Let ``viewer`` see and download the recording (the host names viewers), only where
    every consent it rests on allows publication (policy: "consent has a scope ("storage
    only" or "publication to a named audience"); viewers stay within it")."""
    if recording_gate.viewer_audiences(session=recording.session) is None:
        raise ViewerRefused(
            _("The consents this recording rests on allow storage only: only the hosts may see it.")
        )
    assign_perm("meetings.view_recording_file", viewer, recording)


def revoke_viewer(*, recording: Recording, viewer: AbstractBaseUser) -> None:
    remove_perm("meetings.view_recording_file", viewer, recording)


# deletion ------------------------------------------------------------------------------------
def schedule_recording_deletion(
    *, recording: Recording, due_at: datetime.datetime, reason: str
) -> bool:
    """Schedule the deletion (never postponing an earlier date); returns whether it changed."""
    with transaction.atomic():
        locked = Recording.objects.select_for_update().get(pk=recording.pk)
        changed = locked.schedule_deletion(due_at=due_at, reason=reason)
        if changed:
            locked.save(update_fields=["deletion_due_at", "deletion_reason", "state"])
            # whatever copy the backend still holds goes at once (docs/POLICY.md, recording)
            meeting = locked.meeting
            transaction.on_commit(lambda: get_backend().discard_recordings(meeting=meeting))
    recording.refresh_from_db()
    return changed


#: The retention category of recordings and its rule "end of the need" (whose maximum caps the
#: period a host chooses): ``meetings/recordings/retention.py``.
RECORDINGS_CATEGORY = "recordings"
NEED_ENDED_EVENT = "need_ended"
#: What the deletion log says of a deletion someone asked for (no personal data).
DELETED_BY_HOST = "deleted by a host"
DELETED_BY_ADMINISTRATOR = "deleted by an administrator"
DELETED_WITH_MEETING = "deleted with its meeting by a host"


class RecordingsHeld(Exception):
    """A legal hold keeps (some of) the recordings: none was deleted."""

    def __init__(self, pks: list[int]) -> None:
        super().__init__(f"{len(pks)} recording(s) kept by a legal hold")
        self.pks = pks


def delete_recordings(*, pks: list[int], reason: str) -> int:
    """Delete recordings someone asked to delete (a host, an administrator, the host of a
    deleted meeting) through the retention engine: files and rows together, legal holds
    respected, a deletion-log entry and a journal line (docs/POLICY.md, recording).

    The deletion date is set first (now, never postponing an earlier one): should the storage
    fail half-way, the nightly rule "withdrawal of a required consent", which deletes every
    recording whose date has passed, finishes the job. Raises :class:`RecordingsHeld` (nothing
    deleted) when a legal hold keeps any of them. Returns how many went.
    """
    pks = list(pks)
    held = held_items(identifier=RECORDINGS_CATEGORY, ids=pks)
    if held:
        raise RecordingsHeld(held)
    due = now()
    Recording.objects.filter(pk__in=pks).filter(
        Q(deletion_due_at__isnull=True) | Q(deletion_due_at__gt=due)
    ).update(deletion_due_at=due, deletion_reason=reason, state=Recording.State.DELETION_SCHEDULED)
    try:
        deleted = delete_items(identifier=RECORDINGS_CATEGORY, ids=pks, reason=reason)
    except ItemsHeld as held_now:  # a hold placed between the check and the deletion
        raise RecordingsHeld([int(key.rpartition(":")[2]) for key in held_now.references]) from None
    logger.info("recordings deleted on request: %d (%s)", deleted, reason)
    return deleted


def delete_recordings_of_meetings(meetings: list[Meeting]) -> None:
    """Before meetings are deleted: their recordings go through the engine (a host who deletes
    a meeting no longer needs its recordings). Registered with
    ``meetings.scheduling.services.register_before_meeting_deletion``; a legal hold on one of
    them refuses the meeting's deletion with a clear message."""
    pks = list(Recording.objects.filter(meeting__in=meetings).values_list("pk", flat=True))
    if not pks:
        return
    try:
        delete_recordings(pks=pks, reason=DELETED_WITH_MEETING)
    except RecordingsHeld:
        raise ValidationError(
            _(
                "A recording of this meeting is kept under a legal hold, so the meeting cannot "
                "be deleted now. Nothing was deleted."
            )
        ) from None


def recording_retention_maximum() -> int | None:
    """The institution's maximum for a period chosen per recording, in days (None: hosts may
    choose none), from the recordings' rule "end of the need"."""
    rule = RetentionRule.objects.filter(
        category=RECORDINGS_CATEGORY, counts_from=NEED_ENDED_EVENT, enabled=True
    ).first()
    return rule.maximum_days if rule is not None else None


def recording_kept_until(*, recording: Recording) -> datetime.datetime | None:
    """When the recording goes by the rules (None: no enabled rule deletes it by time): the
    deletion date of a withdrawal if earlier, else the host's period or the rule's, capped by
    the institution maximum."""
    rule = RetentionRule.objects.filter(
        category=RECORDINGS_CATEGORY, counts_from=NEED_ENDED_EVENT, enabled=True
    ).first()
    ends = [recording.deletion_due_at] if recording.deletion_due_at else []
    if rule is not None:
        if recording.keep_days is not None and rule.maximum_days is not None:
            ends.append(
                recording.created_at
                + datetime.timedelta(days=min(recording.keep_days, rule.maximum_days))
            )
        else:
            end = rule.expires_at(recording.created_at)
            if rule.maximum_days is not None:
                end = min(end, recording.created_at + datetime.timedelta(days=rule.maximum_days))
            ends.append(end)
    return min(ends) if ends else None


def set_recording_retention(*, recording: Recording, keep_days: int | None) -> None:
    """The host keeps a recording for ``keep_days`` days after it was stored (empty: the
    rule's period), never longer than the institution's maximum (docs/POLICY.md, recording:
    "only as long as needed"). A deletion date already set (a withdrawn consent) stays."""
    maximum = recording_retention_maximum()
    if keep_days is not None:
        if maximum is None:
            raise ValidationError(_("The institution allows no period chosen per recording."))
        if keep_days < 1 or keep_days > maximum:
            raise ValidationError(
                _("Choose between 1 and %(maximum)d days (the institution's maximum).")
                % {"maximum": maximum}
            )
    Recording.objects.filter(pk=recording.pk).update(keep_days=keep_days)
    recording.keep_days = keep_days


def mark_recordings_for_deletion(pks: list[int]) -> None:
    """Step 1 of a deletion: nobody is offered the files any more (lists and downloads hide
    recordings under deletion)."""
    Recording.objects.filter(pk__in=pks).update(purging=True)


def delete_recording_files(pks: list[int]) -> None:
    """Step 2: delete the files; a file already gone counts as deleted, a storage that cannot
    be reached raises (and the rows stay for the next run)."""
    for recording in Recording.objects.filter(pk__in=pks).only("pk", "file", "meeting"):
        get_backend().discard_recordings(meeting=recording.meeting)
        if recording.file.name:
            recording.file.storage.delete(recording.file.name)  # no error when already gone


def delete_recording_rows(pks: list[int]) -> int:
    """Step 3: the rows and the object permissions granted on them; returns how many rows."""
    content_type = ContentType.objects.get_for_model(Recording)
    with transaction.atomic():
        # guardian links permissions generically: remove them so that no grant outlives it
        UserObjectPermission.objects.filter(
            content_type=content_type, object_pk__in=[str(pk) for pk in pks]
        ).delete()
        deleted, _per_model = Recording.objects.filter(pk__in=pks).delete()
    return deleted


def recordings_due_for_deletion(*, until: datetime.datetime) -> QuerySet:
    """Recordings whose deletion date (set when a required consent was withdrawn: policy row
    "deleted 7 days after a required consent is revoked") has passed at ``until``.

    Used by the retention category ``recordings`` (rule "withdrawal of a required consent"),
    the only path by which such a recording is deleted: legal holds apply, the log records it.
    """
    return Recording.objects.filter(deletion_due_at__lte=until)


# raw files of the media server (retention category "raw_recordings") -------------------------
def raw_recordings_failed(*, until: datetime.datetime) -> QuerySet:
    """Raw files whose conversion failed for good at or before ``until``."""
    return RawRecording.objects.filter(failed_at__lte=until)


def raw_recordings_abandoned(*, until: datetime.datetime) -> QuerySet:
    """Raw files whose conversion neither stored the recording (that deletes the row) nor
    failed for good: the task was lost, counted from the stop at or before ``until``; or the
    session never stopped (the portal or the media server died while it ran), counted from
    the end of its meeting, or from its start when the meeting is gone. A session of a
    meeting that still runs is never touched."""
    never_stopped = Q(stopped_at__isnull=True) & (
        Q(meeting__ended_at__lte=until) | Q(meeting__isnull=True, created_at__lte=until)
    )
    return RawRecording.objects.filter(failed_at__isnull=True).filter(
        Q(stopped_at__lte=until) | never_stopped
    )


def mark_raw_recordings_for_deletion(pks: list[int]) -> None:
    """Step 1: a conversion that starts now finds nothing to convert."""
    RawRecording.objects.filter(pk__in=pks).update(deletion_started_at=now())
    RecordingSession.objects.filter(raw_recording__pk__in=pks).update(
        conversion=RecordingSession.Conversion.DISCARDED
    )


def delete_raw_recording_files(pks: list[int]) -> None:
    """Step 2: delete the folders on the media server's storage (already gone: deleted)."""
    backend = get_backend()
    for location in RawRecording.objects.filter(pk__in=pks).values_list("location", flat=True):
        backend.discard_raw_recording(location=location)


def delete_raw_recording_rows(pks: list[int]) -> int:
    deleted, _per_model = RawRecording.objects.filter(pk__in=pks).delete()
    return deleted
