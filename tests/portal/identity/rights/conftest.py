"""Two people with data of every registered kind: the one whose rights are exercised
(``alice``) and another (``bob``) whose data must never show up in hers, nor be touched."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from celery import current_app
from django.utils.timezone import now

from consent.models import RecordingConsentBasis
from integrations.api.models import ApiToken
from integrations.lti.models import LtiAccount, LtiPlatform
from meetings.live.models import AttendanceRecord, ChatMessage
from meetings.polls.models import NamedBallot, Poll
from meetings.scheduling.models import Invitation, Meeting
from portal.identity.models import AuditEvent, LicenceType, Role, User
from tests.factories import (
    admit,
    decide,
    make_meeting,
    make_poll,
    make_recording,
    make_user,
    published_text,
)


@dataclass
class Person:
    user: User
    marker: str  # a word that appears only in this person's records

    @property
    def identifiers(self) -> list[str]:
        user = self.user
        return [user.username, user.email, user.first_name, user.last_name, user.display_name]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path, recordings_storage):
    """Archives go to a temporary folder (the default storage) per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    from django.core.files.storage import default_storage, storages

    storages._storages.pop("default", None)
    default_storage._wrapped = storages["default"]
    return tmp_path / "media"


@pytest.fixture
def eager_celery():
    """Celery runs the tasks inline (the worker itself is proven in ``test_worker.py``)."""
    saved = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager = current_app.conf.task_eager_propagates = True
    yield
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = saved


def give_data(user: User, marker: str, *, host: User) -> None:
    """Records of every kind for ``user`` in a meeting of ``host`` (and one of their own)."""
    own = make_meeting(user, topic=f"Own meeting {marker}")
    meeting = make_meeting(host, topic="Shared seminar", attendance_required=True)
    plain = make_meeting(host, topic="Plain seminar", status=Meeting.Status.ENDED)
    participant = admit(meeting, user, name=f"Nick {marker}")
    ChatMessage.objects.create(
        meeting=meeting,
        sender=participant,
        sender_user=user,
        sender_name=participant.display_name,
        text=f"chat text {marker}",
    )
    AttendanceRecord.objects.create(
        meeting=meeting, user=user, name=user.get_full_name(), joined_at=now()
    )
    AttendanceRecord.objects.create(
        meeting=plain, user=user, name=user.get_full_name(), joined_at=now()
    )
    Invitation.objects.create(meeting=meeting, email=user.email)
    poll = make_poll(meeting, kind=Poll.Kind.NAMED)
    question = poll.questions.order_by("position").last()
    NamedBallot.objects.create(
        poll=poll,
        question=question,
        participant=participant,
        voter_user=user,
        voter_name=participant.display_name,
        text=f"ballot {marker}",
    )
    text = published_text()
    decision = decide(participant, text)
    recording = make_recording(meeting)
    RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name=participant.display_name
    )
    AuditEvent.objects.create(
        actor=user,
        action="licence.assigned",
        target_type="portal.user",
        target_id=str(user.pk),
        reason=f"asked for by {user.get_full_name()} ({user.email}) {marker}",
        details={"note": user.get_full_name()},
    )
    make_recording(own)
    ApiToken.objects.create(
        user=user,
        name=f"Timetable {marker}",
        scopes=["meetings:read"],
        token_hash=f"{marker:0<64}"[:64],
        prefix=marker[:8],
        expires_at=now() + datetime.timedelta(days=30),
    )
    licence, _ = LicenceType.objects.get_or_create(
        slug="lti", defaults={"name": "LTI", "max_participants": 100}
    )
    role, _ = Role.objects.get_or_create(
        slug="lti", defaults={"name": "LTI", "licence_type": licence}
    )
    platform, _ = LtiPlatform.objects.get_or_create(
        name="Moodle",
        defaults={
            "issuer": "https://moodle.uni.example",
            "client_id": "portal",
            "auth_login_url": "https://moodle.uni.example/auth",
            "auth_token_url": "https://moodle.uni.example/token",
            "key_set_url": "https://moodle.uni.example/jwks",
            "instructor_role": role,
            "learner_role": role,
        },
    )
    LtiAccount.objects.create(platform=platform, subject=f"lti-{marker}", user=user)


@pytest.fixture
def alice(db) -> Person:
    host = make_user("hostess", first_name="Hanna", last_name="Host")
    user = make_user(
        "alice",
        first_name="Alice",
        last_name="Liddell",
        display_name="Wonder",
        email="alice@uni.example",
    )
    give_data(user, "alicemark", host=host)
    return Person(user, "alicemark")


@pytest.fixture
def bob(db, alice) -> Person:
    host = User.objects.get(username="hostess")
    user = make_user(
        "bob",
        first_name="Robert",
        last_name="Builder",
        display_name="Bobby",
        email="bob@uni.example",
    )
    give_data(user, "bobmark", host=host)
    return Person(user, "bobmark")


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English texts (the portal's default language is German)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
