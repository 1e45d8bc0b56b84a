"""The consent app's answer to meetings' question "may this recording start?"."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from consent.models import RecordingConsentBasis, Scope
from consent.selectors import consent_of_participants, current_consent_text
from meetings.live.models import Participant
from meetings.recordings.models import RecordingSession
from meetings.scheduling.models import Meeting


class ConsentRecordingGate:
    """Recording needs an effective consent (given, not withdrawn) of every participant."""

    def participants_without_consent(
        self, *, meeting: Meeting, participants: list[Participant]
    ) -> list[Participant]:
        states = consent_of_participants(meeting=meeting, participants=participants)
        return [
            p for p in participants if states[p.pk] is None or not states[p.pk].is_effective_consent
        ]

    def record_consent_basis(
        self, *, session: RecordingSession, participants: list[Participant]
    ) -> None:
        states = consent_of_participants(meeting=session.meeting, participants=participants)
        RecordingConsentBasis.objects.bulk_create(
            [
                RecordingConsentBasis(
                    session=session, decision=states[p.pk], display_name=p.display_name
                )
                for p in participants
                if states[p.pk] is not None and states[p.pk].is_effective_consent
            ],
            ignore_conflicts=True,
        )

    def consent_basis_intact(self, *, session: RecordingSession) -> bool:
        """Every consent the session rests on still holds (none withdrawn since)."""
        return (
            not RecordingConsentBasis.objects.filter(session=session)
            .exclude(decision__given=True, decision__withdrawn_at__isnull=True)
            .exists()
        )

    def viewer_audiences(self, *, session: RecordingSession) -> list[str] | None:
        """None when a consent the session rests on is for storage only (policy row "consent
        has a scope … viewers stay within it"); else the audiences the consents name."""
        scopes = set(
            RecordingConsentBasis.objects.filter(session=session).values_list(
                "decision__scope", "decision__audience"
            )
        )
        if any(scope != Scope.PUBLICATION for scope, _audience in scopes):
            return None
        return sorted({audience for _scope, audience in scopes if audience})

    def consent_url(self, *, meeting: Meeting) -> str:
        """The consent page as linked from the live room: ``via=meeting`` records that the
        decision was made from inside the meeting (the room need not know the parameter)."""
        url = reverse("consent:meeting", kwargs={"meeting_id": meeting.meeting_id})
        return f"{url}?{urlencode({'via': 'meeting'})}"

    def announcement(self, *, meeting: Meeting, absolute: bool = False) -> str:
        """The announcement block (``consent/includes/recording_announcement.html``), or its
        text version for mails and calendar files (``absolute`` links)."""
        if not getattr(meeting, "recording_announced", False):
            return ""
        template = (
            "consent/includes/recording_announcement.txt"
            if absolute
            else "consent/includes/recording_announcement.html"
        )
        return render_to_string(
            template,
            {
                "meeting": meeting,
                "announced": True,
                "text": current_consent_text(),
                "base_url": settings.PORTAL_BASE_URL if absolute else "",
            },
        )
