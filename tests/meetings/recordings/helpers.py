"""Small factories for the consent and recording tests (real rows, no mocks)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils.timezone import now

from consent.models import ConsentDecision, ConsentText, Scope
from consent.selectors import subject_of_participant
from meetings.live.models import Participant
from meetings.recordings.models import Recording, RecordingSession
from meetings.scheduling.models import Meeting
from portal.identity.models import User

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def make_user(username: str, **extra) -> User:
    extra.setdefault("email", f"{username}@uni.example")
    return User.objects.create_user(username, **extra)


def make_meeting(host: User, **extra) -> Meeting:
    extra.setdefault("topic", "Lecture on data protection")
    extra.setdefault("start", now() + datetime.timedelta(hours=1))
    extra.setdefault("duration_minutes", 90)
    return Meeting.objects.create(host=host, **extra)


def admit(meeting: Meeting, user: User | None = None, name: str = "", **extra) -> Participant:
    extra.setdefault("state", "admitted")
    return Participant.objects.create(
        meeting=meeting,
        user=user,
        display_name=name or (user.username if user else "Guest"),
        **extra,
    )


def published_text(scope: str = Scope.STORAGE, audience: str = "") -> ConsentText:
    text = ConsentText.objects.create(
        title_de="Einwilligung in die Aufzeichnung",
        title_en="Consent to recording",
        body_de="Ich willige ein, dass die Veranstaltung aufgezeichnet wird.",
        body_en="I consent to the recording of this event.",
        scope=scope,
        audience=audience,
    )
    text.publish()
    return text


def decide(
    participant: Participant, text: ConsentText, given: bool = True, **extra
) -> ConsentDecision:
    meeting = participant.meeting
    return ConsentDecision.objects.create(
        subject_ref=subject_of_participant(participant),
        user_id=participant.user_id,
        meeting=meeting,
        meeting_ref=meeting.meeting_id,
        text=text,
        scope=text.scope,
        given=given,
        method=ConsentDecision.Method.WEB_FORM,
        **extra,
    )


def make_recording(meeting: Meeting, *, session: RecordingSession | None = None) -> Recording:
    session = session or RecordingSession.objects.create(
        meeting=meeting, stopped_at=now(), started_by=meeting.host
    )
    recording = Recording(
        meeting=meeting,
        session=session,
        size=len(MP4_HEAD) + 4,
        sha256="0" * 64,
        content_type="video/mp4",
        source=Recording.Source.WEB_UPLOAD,
    )
    recording.save()  # assigns the token the stored name is made from
    recording.file.save("recording.mp4", ContentFile(MP4_HEAD + b"data"), save=True)
    return recording


def grant_cohost(user: User, meeting: Meeting) -> None:
    """Co-host through guardian's ``meetings.host_meeting`` (defined by scheduling)."""
    from guardian.shortcuts import assign_perm

    Permission.objects.get_or_create(
        codename="host_meeting",
        content_type=ContentType.objects.get_for_model(Meeting),
        defaults={"name": "Can host this meeting"},
    )
    assign_perm("meetings.host_meeting", user, meeting)


@pytest.fixture
def recordings_storage(settings, tmp_path):
    """Recordings go to a temporary folder per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "recordings"},
        },
    }
    # the file field resolved its storage when the model was loaded: point it at the new one
    from django.core.files.storage import storages

    field = Recording._meta.get_field("file")
    previous, field.storage = field.storage, storages["recordings"]
    yield tmp_path / "recordings"
    field.storage = previous
