"""Rules of other features that keep a participant in the waiting room.

The live room decides who waits and who is in; other features may add a reason to keep someone
waiting without the room knowing about them. While a recording runs, the recordings feature
keeps out whoever has not consented (docs/POLICY.md, recording). It registers an
:class:`AdmissionRule` here from ``MeetingsConfig.ready()``, so the dependency points from
recordings to the live room and never back (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from meetings.live.models import Participant
    from meetings.scheduling.models import Meeting


class AdmissionRule(Protocol):
    def is_active(self, *, meeting: Meeting) -> bool:
        """Whether the rule may keep anyone out of ``meeting`` now (one cheap query)."""

    def may_admit(self, participant: Participant) -> bool:
        """May ``participant`` enter now? Called right before admitting; may record evidence."""

    def announce_held(self, *, meeting: Meeting, held: list[Participant]) -> None:
        """Tell the held participants why they wait (after the transaction commits)."""

    def room_context(self, *, meeting: Meeting, participant: Participant) -> dict[str, Any]:
        """Template values for the waiting page and the room (e.g. a recording's indicator)."""


_rules: list[AdmissionRule] = []


def register_admission_rule(rule: AdmissionRule) -> None:
    """Add a rule (from an ``AppConfig.ready()``); registering the same rule twice is a no-op."""
    if not any(type(existing) is type(rule) for existing in _rules):
        _rules.append(rule)


def may_admit(participant: Participant) -> bool:
    """True when no active rule keeps ``participant`` waiting."""
    meeting = participant.meeting
    return all(rule.may_admit(participant) for rule in _rules if rule.is_active(meeting=meeting))


def split(
    *, meeting: Meeting, participants: list[Participant]
) -> tuple[list[Participant], list[Participant]]:
    """(admitted, held) of ``participants``, asking the active rules once each."""
    active = [rule for rule in _rules if rule.is_active(meeting=meeting)]
    if not active:
        return participants, []
    admitted: list[Participant] = []
    held: list[Participant] = []
    for participant in participants:
        participant.meeting = meeting
        allowed = all(rule.may_admit(participant) for rule in active)
        (admitted if allowed else held).append(participant)
    if held:
        for rule in active:
            rule.announce_held(meeting=meeting, held=held)
    return admitted, held


def room_context(*, meeting: Meeting, participant: Participant) -> dict[str, Any]:
    """The template values of every rule for ``participant``'s page."""
    context: dict[str, Any] = {}
    for rule in _rules:
        context.update(rule.room_context(meeting=meeting, participant=participant))
    return context
