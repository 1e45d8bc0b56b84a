"""The consent app's answer to meetings' question "may this recording start?"."""

from consent.models import RecordingConsentBasis
from consent.selectors import consent_of_participants
from meetings.models import Meeting, Participant, RecordingSession


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
