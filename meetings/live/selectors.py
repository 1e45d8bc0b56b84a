"""Read-side queries of the live room: rosters, waiting list, visible chat, who hosts."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from meetings.live.models import ChatMessage, Participant
from meetings.scheduling.models import Meeting


def guest_session_key(meeting: Meeting) -> str:
    """The session key under which a guest's browser keeps its key for this meeting."""
    return guest_session_key_for(meeting.pk)


def guest_session_key_for(meeting_pk: int) -> str:
    """:func:`guest_session_key` by the meeting's key."""
    return f"meetings.guest.{meeting_pk}"


def participant_for(
    *, meeting: Meeting, user: AbstractBaseUser | AnonymousUser | None, guest_key: str | None
) -> Participant | None:
    """The participant row of this browser in this meeting (by account, else guest key)."""
    if user is not None and user.is_authenticated:
        return Participant.objects.filter(meeting=meeting, user=user).first()
    if guest_key:
        return Participant.objects.filter(
            meeting=meeting, user__isnull=True, guest_key=guest_key
        ).first()
    return None


def roster(meeting_pk: int) -> list[dict]:
    """Who is in the room: ids, chosen names and host flags, hosts first."""
    rows = Participant.objects.filter(
        meeting_id=meeting_pk, state=Participant.State.ADMITTED
    ).order_by("-is_host", "display_name", "pk")
    return [row.as_roster_entry() for row in rows.only("pk", "display_name", "is_host")]


def waiting_list(meeting_pk: int) -> list[dict]:
    """Who is waiting to be admitted, in order of arrival (for hosts only)."""
    rows = Participant.objects.filter(
        meeting_id=meeting_pk, state=Participant.State.WAITING
    ).order_by("requested_at", "pk")
    return [row.as_roster_entry() for row in rows.only("pk", "display_name", "is_host")]


def seats_taken(meeting_pk: int, *, excluding: int | None = None) -> int:
    """Waiting and admitted participants: what counts against the licence's capacity."""
    rows = Participant.objects.filter(
        meeting_id=meeting_pk,
        state__in=[Participant.State.WAITING, Participant.State.ADMITTED],
    )
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.count()


def visible_chat(*, participant: Participant) -> list[ChatMessage]:
    """Messages to everyone, and private ones to or from this participant."""
    return list(
        ChatMessage.objects.filter(meeting_id=participant.meeting_id)
        .filter(Q(recipient_name="") | Q(sender_id=participant.pk) | Q(recipient_id=participant.pk))
        .order_by("created_at", "pk")
    )


def chat_since(*, participant: Participant, after: int) -> list[ChatMessage]:
    """The messages this participant may see that came after message ``after`` (a reconnecting
    page asks for those it missed)."""
    return list(
        ChatMessage.objects.filter(meeting_id=participant.meeting_id, pk__gt=after)
        .filter(Q(recipient_name="") | Q(sender_id=participant.pk) | Q(recipient_id=participant.pk))
        .order_by("pk")
    )
