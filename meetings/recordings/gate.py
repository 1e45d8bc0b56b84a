"""The hook through which meetings asks "may this recording start?".

``meetings`` owns recordings but not consent: the consent app sits above it and registers a
gate from ``ConsentConfig.ready()``. Without a registered gate nothing may be recorded (fail
closed: policy row "a recording is made only with the express consent of the participants
concerned").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from meetings.live.models import Participant
    from meetings.recordings.models import RecordingSession
    from meetings.scheduling.models import Meeting


class RecordingGate(Protocol):
    def participants_without_consent(
        self, *, meeting: Meeting, participants: list[Participant]
    ) -> list[Participant]:
        """Those of ``participants`` who have not (or no longer) consented to recording."""

    def record_consent_basis(
        self, *, session: RecordingSession, participants: list[Participant]
    ) -> None:
        """Keep, as evidence, which consents the recording of ``session`` rests on."""


_gates: list[RecordingGate] = []


def register_recording_gate(gate: RecordingGate) -> None:
    """Register a gate (called from an ``AppConfig.ready()``); registering twice is harmless."""
    if not any(type(existing) is type(gate) for existing in _gates):
        _gates.append(gate)


def registered_gates() -> list[RecordingGate]:
    return list(_gates)


def series_key_for(meeting: Meeting) -> str:
    """The generic reference of the meeting's lecture series, or "" without one.

    Meetings get a ``series`` later (scheduling); consent refers to series by this key only.
    """
    series_id = getattr(meeting, "series_id", None)
    return f"series:{series_id}" if series_id else ""


def participants_without_consent(
    *, meeting: Meeting, participants: list[Participant]
) -> list[Participant] | None:
    """Who of ``participants`` blocks recording; ``None`` when no gate is registered."""
    if not _gates:
        return None
    missing: dict[int, Participant] = {}
    for gate in _gates:
        for participant in gate.participants_without_consent(
            meeting=meeting, participants=participants
        ):
            missing[participant.pk] = participant
    return [p for p in participants if p.pk in missing]


def record_consent_basis(*, session: RecordingSession, participants: list[Participant]) -> None:
    for gate in _gates:
        gate.record_consent_basis(session=session, participants=participants)


def consent_basis_intact(*, session: RecordingSession) -> bool:
    """Whether every consent ``session`` rests on still holds. False without a gate that can
    tell (fail closed): a backend's recording is then not kept."""
    answers = [
        gate.consent_basis_intact(session=session)
        for gate in _gates
        if hasattr(gate, "consent_basis_intact")
    ]
    return bool(answers) and all(answers)


def viewer_audiences(*, session: RecordingSession) -> list[str] | None:
    """To whom the consents ``session`` rests on allow showing the recording beyond its hosts:
    ``None`` when one of them is for storage only (nobody but the hosts), else the audiences
    they name. Fail closed: a gate that cannot tell allows no viewers."""
    audiences: list[str] = []
    for gate in _gates:
        answer = getattr(gate, "viewer_audiences", None)
        if answer is None:
            return None
        named = answer(session=session)
        if named is None:
            return None
        audiences.extend(named)
    return sorted(set(audiences)) if _gates else None


def consent_url(*, meeting: Meeting) -> str:
    """Where a participant gives or refuses consent for ``meeting`` ("" without a gate that
    offers such a page). Lets the live room link the consent page without importing it."""
    for gate in _gates:
        url_of = getattr(gate, "consent_url", None)
        if url_of is not None:
            return url_of(meeting=meeting)
    return ""


def announcement(*, meeting: Meeting, absolute: bool = False) -> str:
    """The announcement of a planned recording as HTML (pages) or text (``absolute``: mails),
    rendered by the gates that offer one; "" when nothing is announced."""
    parts = []
    for gate in _gates:
        render = getattr(gate, "announcement", None)
        if render is not None:
            parts.append(render(meeting=meeting, absolute=absolute))
    return "".join(parts)


def calendar_announcement(meeting: Meeting) -> str:
    """The announcement of a planned recording in calendar files ("" when none is planned)."""
    if not meeting.recording_announced:
        return ""
    return announcement(meeting=meeting, absolute=True)
