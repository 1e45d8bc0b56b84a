"""Read queries of scheduling: which meetings a user may manage, and "My meetings"."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.utils.timezone import now

from meetings.scheduling.models import Invitation, Meeting, MeetingUserObjectPermission
from portal.identity.models import User

PAGE_SIZE = 20


def meetings_managed_by(user: User) -> QuerySet[Meeting]:
    """Meetings the user hosts or co-hosts (guardian grant ``host_meeting``), in one query.

    The ids come from a ``UNION ALL`` of two index lookups (``host_id`` and the grants'
    ``user_id``): "host is X *or* a grant names X" written as ``OR`` made PostgreSQL read the
    whole meetings table (benchmarks/my_meetings.py: flat from 10,000 to 1,000,000 meetings).
    A meeting is listed once even if its host also holds a grant on it (``IN`` de-duplicates).
    """
    hosted = Meeting.objects.filter(host=user).order_by().values("pk")
    granted = (
        MeetingUserObjectPermission.objects.filter(user=user, permission__codename="host_meeting")
        .order_by()
        .values("content_object_id")
    )
    return Meeting.objects.filter(pk__in=hosted.union(granted, all=True))


def meeting_for_manager(user: User, meeting_id: str) -> Meeting:
    """The meeting if the user hosts or co-hosts it; 404 for everyone else (another user's
    meeting looks exactly like one that does not exist)."""
    meeting = (
        meetings_managed_by(user)
        .select_related("series", "host")
        .filter(meeting_id=meeting_id)
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def meeting_for_host(user: User, meeting_id: str) -> Meeting:
    """The meeting if the user is its host (editing and deleting are the host's); else 404."""
    meeting = (
        Meeting.objects.select_related("series", "host")
        .filter(meeting_id=meeting_id, host=user)
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def my_meetings(user: User, *, upcoming_page: str | int = 1, past_page: str | int = 1) -> dict:
    """Upcoming occurrences (soonest first) and past meetings (latest first), each paginated:
    three queries whatever the number of meetings (both counts in one, two pages)."""
    moment = now()
    base = (
        meetings_managed_by(user)
        .select_related("series")
        .only(
            "pk",
            "meeting_id",
            "topic",
            "start",
            "duration_minutes",
            "timezone",
            "status",
            "ends_at",
            "host_id",
            "series__id",
            "series__frequency",
            "series__interval",
        )
    )
    ended = Q(status=Meeting.Status.ENDED) | Q(ends_at__lt=moment)
    upcoming = _next_of_each_series(base.exclude(ended)).order_by("start", "pk")
    past = base.filter(ended).order_by("-start", "-pk")
    return {
        "upcoming": _page(upcoming, upcoming_page),
        "past": _page(past, past_page),
        "invited": invited_meetings(user, moment=moment),
    }


def _next_of_each_series(upcoming: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """One card per series (its next occurrence in ``upcoming``, with how many of it are in
    ``upcoming``) and every single meeting: a weekly seminar does not fill the page with
    identical rows.

    Window functions over the person's own meetings (each single meeting a partition of its
    own), so the cost follows the person's meetings, not the table's (a correlated subquery
    per row did not: benchmarks/my_meetings.py)."""
    partition = Coalesce(F("series_id"), -F("pk"))
    return upcoming.annotate(
        series_rank=Window(RowNumber(), partition_by=[partition], order_by=[F("start"), F("pk")]),
        series_upcoming=Window(Count("pk"), partition_by=[partition]),
    ).filter(series_rank=1)


INVITED_SHOWN = 50


def invited_meetings(user: User, *, moment: object = None) -> list[Meeting]:
    """Upcoming meetings the user's address was invited to (and does not manage), soonest
    first, a series once with its next occurrence; at most :data:`INVITED_SHOWN`."""
    if not getattr(user, "email", ""):
        return []
    moment = moment or now()
    ended = Q(status=Meeting.Status.ENDED) | Q(ends_at__lt=moment)
    invitations = Invitation.objects.filter(email__iexact=user.email)
    direct = invitations.values("meeting_id")
    series = invitations.filter(whole_series=True).values("meeting__series_id")
    invited = (
        Meeting.objects.filter(Q(pk__in=direct) | Q(series_id__in=series))
        .exclude(pk__in=meetings_managed_by(user).values("pk"))
        .exclude(ended)
        .select_related("host", "series")
    )
    return list(_next_of_each_series(invited).order_by("start", "pk")[:INVITED_SHOWN])


def _page(queryset: QuerySet, number: str | int) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(number)


def meeting_hosted_by(user: object, meeting_id: str) -> Meeting:
    """The meeting if ``user`` may run it in the room (host, co-host or alternative host, see
    :meth:`Meeting.is_hosted_by`); 404 for everyone else, as if it did not exist."""
    meeting = Meeting.objects.filter(meeting_id=meeting_id).first()
    if meeting is None or not meeting.is_hosted_by(user):
        raise Http404
    return meeting
