"""Read queries of the consent app shared by pages, the gate and the admin."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from consent.models import (
    ConsentDecision,
    ConsentText,
    RecordingConsentBasis,
    subject_reference,
    subject_reference_forms,
)
from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.recordings.gate import series_key_for
from meetings.recordings.models import Recording
from meetings.scheduling.models import Invitation, Meeting

# The join flow keeps a guest's key per meeting in the session under this name:
# {"<meeting pk>": "<guest_key>"}.


def current_consent_text() -> ConsentText | None:
    """The newest published declaration of consent, offered for new decisions."""
    return ConsentText.objects.filter(published_at__isnull=False).order_by("-version").first()


def subject_of_participant(participant: Participant) -> str:
    return subject_reference(
        user_id=participant.user_id,
        meeting_pk=participant.meeting_id,
        guest_key=participant.guest_key,
    )


def subject_forms_of_participant(participant: Participant) -> list[str]:
    """Every stored form of the participant's reference (key rotation), current first."""
    return subject_reference_forms(
        user_id=participant.user_id,
        meeting_pk=participant.meeting_id,
        guest_key=participant.guest_key,
    )


def participant_for_request(*, request: HttpRequest, meeting: Meeting) -> Participant | None:
    """The requesting person's participant row in ``meeting`` (member or guest), if any.

    Before the meeting, a logged-in person who was invited (an ``Invitation`` to their
    address) or who hosts it (host, co-host) may decide as well: they get an unsaved
    participant that names them for the decision (docs/POLICY.md, recording: consent "before or
    during the meeting").
    Anybody else gets ``None`` (a 404).
    """
    active = [Participant.State.WAITING, Participant.State.ADMITTED]
    if request.user.is_authenticated:
        participant = Participant.objects.filter(
            meeting=meeting, user=request.user, state__in=active
        ).first()
        if participant is None and _invited_or_hosting(user=request.user, meeting=meeting):
            participant = Participant(
                meeting=meeting, user=request.user, display_name=request.user.shown_name
            )
        return participant
    guest_key = request.session.get(guest_session_key(meeting))
    if not guest_key:
        return None
    return Participant.objects.filter(
        meeting=meeting, user__isnull=True, guest_key=guest_key, state__in=active
    ).first()


def _invited_or_hosting(*, user: AbstractBaseUser, meeting: Meeting) -> bool:
    if meeting.status == Meeting.Status.ENDED:
        return False
    if meeting.is_hosted_by(user):
        return True
    email = (getattr(user, "email", "") or "").strip()
    if not email:
        return False
    invitations = Invitation.objects.filter(email__iexact=email)
    scope = Q(meeting=meeting)
    if meeting.series_id:
        # a "whole series" invitation sent from one occurrence covers every occurrence
        scope |= Q(whole_series=True, meeting__series_id=meeting.series_id)
    return invitations.filter(scope).exists()


def decisions_for_meeting(*, meeting: Meeting, subject_refs: list[str]) -> QuerySet:
    scope = Q(meeting=meeting)
    series_key = series_key_for(meeting)
    if series_key:
        scope |= Q(series_key=series_key)
    return (
        ConsentDecision.objects.filter(scope, subject_ref__in=subject_refs)
        .select_related("text")
        .order_by("subject_ref", "-decided_at", "-pk")
    )


def latest_decisions(*, meeting: Meeting, subject_refs: list[str]) -> dict[str, ConsentDecision]:
    """The latest decision of each subject for the meeting or its series (one query)."""
    latest: dict[str, ConsentDecision] = {}
    for decision in decisions_for_meeting(meeting=meeting, subject_refs=subject_refs):
        latest.setdefault(decision.subject_ref, decision)
    return latest


def latest_decision_of_each(
    *, meeting: Meeting, participants: list[Participant]
) -> list[ConsentDecision | None]:
    """Each participant's latest decision for the meeting or its series, in the participants'
    order (one query), whichever key version their decisions' references were made under."""
    forms = [subject_forms_of_participant(p) for p in participants]
    owner = {ref: index for index, refs in enumerate(forms) for ref in refs}
    latest: list[ConsentDecision | None] = [None] * len(participants)
    for decision in decisions_for_meeting(meeting=meeting, subject_refs=list(owner)):
        index = owner[decision.subject_ref]
        known = latest[index]
        if known is None or (decision.decided_at, decision.pk) > (known.decided_at, known.pk):
            latest[index] = decision
    return latest


def consent_of_participants(
    *, meeting: Meeting, participants: list[Participant]
) -> dict[int, ConsentDecision | None]:
    """Each participant's effective decision (``None`` when undecided), in one query."""
    decisions = latest_decision_of_each(meeting=meeting, participants=participants)
    return {p.pk: decision for p, decision in zip(participants, decisions, strict=True)}


def decisions_of_user(user: AbstractBaseUser) -> QuerySet:
    """The person's own decisions, newest first, for "my consents"."""
    return (
        ConsentDecision.objects.filter(user=user)
        .select_related("text", "meeting")
        .order_by("-decided_at", "-pk")
    )


def consent_record_of(recording: Recording) -> QuerySet:
    """The decisions a recording rests on (its consent record), for the admin and export."""
    return (
        RecordingConsentBasis.objects.filter(session_id=recording.session_id)
        .select_related("decision", "decision__text")
        .order_by("added_at", "pk")
    )
