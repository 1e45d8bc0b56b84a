"""The one place tests make their rows: people, meetings, participants, polls, consent, recordings.

Plain functions with keyword-only options; every one saves real rows through the models or the
feature's services (no mocks). Defaults are the dull, valid case; tests pass what they are about.
Fixtures (``conftest.py``) call these; feature helpers modules keep only what is specific to
their feature (for example a poll's answer data).
"""

import datetime
import itertools

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.utils.timezone import now

from consent.models import ConsentDecision, ConsentText, Scope
from consent.selectors import subject_of_participant
from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.polls import services as poll_services
from meetings.polls.models import Poll
from meetings.recordings.models import Recording, RecordingSession
from meetings.scheduling.models import Meeting
from portal.identity.models import User

PASSCODE = "K7M2Q9XP"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"

_numbers = itertools.count(1)


def make_user(username: str = "", *, email: str | None = None, **fields: object) -> User:
    """A user; without a name ``person<n>``, with the mail address ``<username>@uni.example``
    unless ``email`` says otherwise (``""`` for none)."""
    username = username or f"person{next(_numbers)}"
    email = f"{username}@uni.example" if email is None else email
    return User.objects.create_user(username, email=email, **fields)


def backdate(user: User, **moments: datetime.datetime | None) -> User:
    """Set moments an account only gets over time (``last_login``, ``date_joined``,
    ``deletion_due_at``) straight in the database, as if they had passed."""
    User.objects.filter(pk=user.pk).update(**moments)
    for field, moment in moments.items():
        setattr(user, field, moment)
    return user


def make_meeting(
    host: User | None = None,
    *,
    topic: str = "Seminar",
    start: datetime.datetime | None = None,
    duration_minutes: int = 60,
    status: str = Meeting.Status.RUNNING,
    passcode: str | None = None,
    **fields: object,
) -> Meeting:
    """A meeting of ``host`` (a new user if none) starting now and running, unless told
    otherwise; with ``passcode`` the meeting asks for it."""
    meeting = Meeting(
        host=host if host is not None else make_user(),
        topic=topic,
        start=start if start is not None else now(),
        duration_minutes=duration_minutes,
        status=status,
        **fields,
    )
    if passcode is not None:
        meeting.set_passcode(passcode)
    meeting.save()
    return meeting


def grant_cohost(user: User, meeting: Meeting) -> None:
    """Co-host through guardian's ``meetings.host_meeting`` (defined by scheduling)."""
    from guardian.shortcuts import assign_perm

    Permission.objects.get_or_create(
        codename="host_meeting",
        content_type=ContentType.objects.get_for_model(Meeting),
        defaults={"name": "Can host this meeting"},
    )
    assign_perm("meetings.host_meeting", user, meeting)


def make_participant(
    meeting: Meeting,
    *,
    user: User | None = None,
    name: str = "",
    guest_key: str | None = None,
    state: str = Participant.State.WAITING,
    **fields: object,
) -> Participant:
    """Someone in ``meeting`` (waiting unless ``state`` says otherwise): the member ``user``, or
    else a guest whose key defaults to the name."""
    display_name = name or (user.shown_name if user is not None else "Guest")
    if guest_key is None:
        guest_key = "" if user is not None else display_name
    return Participant.objects.create(
        meeting=meeting,
        user=user,
        display_name=display_name,
        guest_key=guest_key,
        state=state,
        **fields,
    )


def admit(
    meeting: Meeting, user: User | None = None, *, name: str = "", **fields: object
) -> Participant:
    """A member admitted to ``meeting`` (a new user if none), shown under ``name`` or their
    own name."""
    user = user if user is not None else make_user()
    return make_participant(
        meeting, user=user, name=name, state=Participant.State.ADMITTED, **fields
    )


def admit_guest(
    meeting: Meeting, guest_key: str, *, name: str = "Guest", **fields: object
) -> Participant:
    """A guest (no account) admitted to ``meeting``; ``guest_key`` ties them to a session."""
    fields.setdefault("state", Participant.State.ADMITTED)
    return make_participant(meeting, name=name, guest_key=guest_key, **fields)


def remember_guest(participant: Participant, session: SessionBase | None = None) -> SessionBase:
    """``session`` (a new one if none), saved with the key that makes it ``participant``'s."""
    session = session if session is not None else SessionStore()
    session[guest_session_key(participant.meeting)] = participant.guest_key
    session.save()
    return session


def make_guest(
    meeting: Meeting,
    name: str,
    *,
    state: str = Participant.State.WAITING,
    session: SessionBase | None = None,
) -> tuple[Participant, SessionBase]:
    """A guest called ``name`` in ``meeting`` (waiting unless told) and the session they
    browse with (``session`` if given, saved with their key)."""
    participant = make_participant(meeting, name=name, guest_key=f"key-{name}", state=state)
    return participant, remember_guest(participant, session)


def make_poll(
    meeting: Meeting, *, launch: bool = True, kind: str = Poll.Kind.ANONYMOUS, **fields: object
) -> Poll:
    """The poll "Budget 2027": a single-choice question and, unless secret, a multiple-choice
    (1 to 2 of 4) and a free-text question; launched unless ``launch`` is false."""
    poll = poll_services.create_poll(meeting=meeting, title="Budget 2027", kind=kind, **fields)
    poll_services.add_question(
        poll=poll, text="Adopt the budget?", type="single", options=["Yes", "No", "Abstain"]
    )
    if kind != Poll.Kind.SECRET:
        poll_services.add_question(
            poll=poll,
            text="Which projects?",
            type="multiple",
            options=["Library", "Lab", "Canteen", "Sports"],
            min_choices=1,
            max_choices=2,
        )
        poll_services.add_question(poll=poll, text="Comments", type="text", max_length=200)
    if launch:
        poll_services.launch_poll(poll=poll)
        poll.refresh_from_db()
    return poll


def published_text(*, scope: str = Scope.STORAGE, audience: str = "") -> ConsentText:
    """A published consent text (German and English) for ``scope``."""
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
    participant: Participant, text: ConsentText, *, given: bool = True, **fields: object
) -> ConsentDecision:
    """``participant``'s decision on ``text`` made in the web form (given unless told)."""
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
        **fields,
    )


def start_recording(meeting: Meeting, *, started_by: User | None = None) -> RecordingSession:
    """A recording session running in ``meeting``, started by the host unless told."""
    return RecordingSession.objects.create(
        meeting=meeting, started_by=started_by if started_by is not None else meeting.host
    )


def make_recording(meeting: Meeting, *, session: RecordingSession | None = None) -> Recording:
    """A small stored MP4 recording of ``meeting`` (from a finished session unless given)."""
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


def pass_second_factor(client, user: User) -> None:
    """Log ``client`` in as ``user`` the way the portal's login ends with a second factor:
    an enrolled authenticator app and a session whose login went through it (the admin
    requires both, portal/identity/second_factor.py)."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": 0.0, "username": user.username},
        {"method": "mfa", "at": 0.0, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
