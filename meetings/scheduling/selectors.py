"""Read queries of scheduling: which meetings a user may manage, and "My meetings"."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.utils.timezone import now

from meetings.scheduling.models import (
    Invitation,
    Meeting,
    MeetingSeries,
    MeetingUserObjectPermission,
)
from portal.identity.models import User

PAGE_SIZE = 20
CO_HOST_PERMISSION = "host_meeting"


def meetings_managed_by(user: User) -> QuerySet[Meeting]:
    """Meetings the user hosts or co-hosts (guardian grant ``host_meeting``), in one query.

    The ids come from a ``UNION ALL`` of two index lookups (``host_id`` and the grants'
    ``user_id``): "host is X *or* a grant names X" written as ``OR`` made PostgreSQL read the
    whole meetings table (benchmarks/my_meetings.py: flat from 10,000 to 1,000,000 meetings).
    A meeting is listed once even if its host also holds a grant on it (``IN`` de-duplicates).
    """
    hosted = Meeting.objects.filter(host=user).order_by().values("pk")
    granted = (
        MeetingUserObjectPermission.objects.filter(
            user=user, permission__codename=CO_HOST_PERMISSION
        )
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


# --- "My meetings" ---------------------------------------------------------------------------
#
# Two queries whatever the number of meetings (docs/ARCHITECTURE.md, "My meetings"):
#
# 1. the summary: one aggregate per series and host over the person's meetings, read from the
#    covering index ``meeting_host_start_cover`` without the table's rows: how many are past,
#    how many single meetings and series are still to come, where in the index they begin and
#    when each series' next meeting starts; and the co-hosted meetings (grants, read whole,
#    once: a person co-hosts few meetings of others) the requested pages may show;
# 2. the two pages: the ids of each page in the page's order, read from the index and stopped
#    after the page (``LIMIT`` page × 20), merged in order with those co-hosted meetings and
#    each series' next meeting (found in the index by its host and start); then the 40 rows
#    shown.
#
# Before, window functions numbered all of the person's upcoming meetings and every query
# joined all of their ids (hosted UNION granted): 105 ms at 10,000 meetings, 18× the home page
# (benchmarks/my_meetings.py).
#
# A meeting is upcoming until it ended or its scheduled end passed; one without a scheduled
# end stays upcoming. Only the fixed fragments below, table names and ids read from the
# database are put together; every other value is a query parameter.

_UPCOMING = "{t}.status <> %(ended)s AND ({t}.ends_at IS NULL OR {t}.ends_at >= %(moment)s)"

# the meetings the person co-hosts (a grant) and does not host
_GRANTED = """
    SELECT m.id, m.start, m.series_id, m.status, m.ends_at, m.host_id
    FROM {meeting} m
    JOIN {grant} g ON g.content_object_id = m.id
    JOIN {permission} p ON p.id = g.permission_id
    WHERE g.user_id = %(user)s AND p.codename = %(codename)s AND m.host_id <> %(user)s
"""

_SUMMARY = """
    {with_granted}
    SELECT 'group' AS part, m.series_id, m.host_id,
        SUM(CASE WHEN {upcoming_m} THEN 1 ELSE 0 END) AS upcoming,
        SUM(CASE WHEN {upcoming_m} THEN 0 ELSE 1 END) AS past,
        MIN(CASE WHEN {upcoming_m} THEN m.start END) AS first_start,
        MAX(CASE WHEN {upcoming_m} THEN NULL ELSE m.start END) AS last_start,
        CAST(NULL AS BIGINT) AS id
    FROM {meeting} m WHERE m.host_id = %(user)s
    GROUP BY m.series_id, m.host_id
    {granted}
"""
# the co-hosted meetings, read once: their groups, and the single upcoming and the past ones
# the requested pages may show (in order, as many as the pages reach)
_GRANTED_SUMMARY = """
    UNION ALL
    SELECT 'group', granted.series_id, granted.host_id,
        SUM(CASE WHEN {upcoming_granted} THEN 1 ELSE 0 END),
        SUM(CASE WHEN {upcoming_granted} THEN 0 ELSE 1 END),
        MIN(CASE WHEN {upcoming_granted} THEN granted.start END),
        MAX(CASE WHEN {upcoming_granted} THEN NULL ELSE granted.start END),
        NULL
    FROM granted
    GROUP BY granted.series_id, granted.host_id
    UNION ALL
    SELECT 'upcoming', NULL, NULL, NULL, NULL, singles.start, NULL, singles.id FROM (
        SELECT granted.id, granted.start FROM granted
        WHERE granted.series_id IS NULL AND {upcoming_granted}
        ORDER BY granted.start, granted.id LIMIT %(granted_upcoming)s
    ) singles
    UNION ALL
    SELECT 'past', NULL, NULL, NULL, NULL, past.start, NULL, past.id FROM (
        SELECT granted.id, granted.start FROM granted WHERE NOT ({upcoming_granted})
        ORDER BY granted.start DESC, granted.id DESC LIMIT %(granted_past)s
    ) past
"""

# the parts of the upcoming page: single meetings the person hosts, single meetings they
# co-host (from the summary's ids), each series' next meeting
_HOSTED_SINGLES = """
    SELECT id, start FROM (
        SELECT m.id, m.start FROM {meeting} m
        WHERE m.host_id = %(user)s AND m.start >= %(first_hosted_single)s
            AND m.series_id IS NULL AND {upcoming_m}
        ORDER BY m.start, m.id LIMIT %(upcoming_limit)s
    ) hosted_singles
"""
_GRANTED_IDS = "SELECT m.id, m.start FROM {meeting} m WHERE m.id IN ({ids})"
_GRANT_OF_M = """
    SELECT 1 FROM {grant} g JOIN {permission} p ON p.id = g.permission_id
    WHERE g.content_object_id = m.id AND g.user_id = %(user)s AND p.codename = %(codename)s
"""
_SERIES_NEXT = """
    SELECT MIN(m.id) AS id, m.start FROM {meeting} m
    WHERE ({probes}) AND {upcoming_m} AND ({managed})
    GROUP BY m.series_id, m.start
"""
_SERIES_PROBE = (
    "(m.host_id = %(host_{n})s AND m.start = %(start_{n})s AND m.series_id = %(series_{n})s)"
)
# the parts of the past page
_HOSTED_PAST = """
    SELECT id, start FROM (
        SELECT m.id, m.start FROM {meeting} m
        WHERE m.host_id = %(user)s AND m.start <= %(last_hosted_past)s AND NOT ({upcoming_m})
        ORDER BY m.start DESC, m.id DESC LIMIT %(past_limit)s
    ) hosted_past
"""
_UPCOMING_PAGE = """
    SELECT 'upcoming' AS listed, shown.id FROM (
        SELECT cards.id, cards.start FROM ({parts}) cards
        ORDER BY cards.start, cards.id LIMIT %(size)s OFFSET %(upcoming_offset)s
    ) shown
"""
_PAST_PAGE = """
    SELECT 'past' AS listed, shown.id FROM (
        SELECT meetings.id, meetings.start FROM ({parts}) meetings
        ORDER BY meetings.start DESC, meetings.id DESC LIMIT %(size)s OFFSET %(past_offset)s
    ) shown
"""
_PAGES = """
    SELECT page.listed, m.id, m.meeting_id, m.topic, m.start, m.duration_minutes, m.timezone,
        m.status, m.ends_at, m.host_id, m.series_id,
        s.frequency AS series_frequency, s.interval AS series_interval
    FROM ({pages}) page
    JOIN {meeting} m ON m.id = page.id
    LEFT JOIN {series} s ON s.id = m.series_id
"""


@dataclass
class _Series:
    upcoming: int = 0
    first_start: object = None
    hosts_at_first: list[int] = field(default_factory=list)


@dataclass
class _Summary:
    """What the summary found. Starts are the database's own values (a ``datetime`` on
    PostgreSQL, text on SQLite), handed back to it unchanged as bounds."""

    past: int = 0
    singles: int = 0
    first_hosted_single: object = None
    last_hosted_past: object = None
    granted: bool = False
    series: dict[int, _Series] = field(default_factory=dict)
    # the ids of the co-hosted single upcoming and past meetings the requested pages may show
    granted_upcoming: list[int] = field(default_factory=list)
    granted_past: list[int] = field(default_factory=list)

    @property
    def cards(self) -> int:
        return self.singles + len(self.series)


def _sql(template: str, **parts: str) -> str:
    """``template`` with the table names and the fixed fragments above filled in."""
    quote = connection.ops.quote_name
    return template.format(
        meeting=quote(Meeting._meta.db_table),
        grant=quote(MeetingUserObjectPermission._meta.db_table),
        permission=quote(Permission._meta.db_table),
        series=quote(MeetingSeries._meta.db_table),
        upcoming_m=_UPCOMING.format(t="m"),
        upcoming_granted=_UPCOMING.format(t="granted"),
        **parts,
    )


def _summary(params: dict[str, object]) -> _Summary:
    summary = _Summary()
    with connection.cursor() as cursor:
        sql = _sql(
            _SUMMARY,
            with_granted=f"WITH granted AS ({_sql(_GRANTED)})",
            granted=_sql(_GRANTED_SUMMARY),
        )
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    user = params["user"]
    for part, series_id, host_id, upcoming, past, first_upcoming, last_past, pk in rows:
        if part == "upcoming":
            summary.granted_upcoming.append(pk)
            continue
        if part == "past":
            summary.granted_past.append(pk)
            continue
        summary.past += past
        summary.granted |= host_id != user
        if (
            host_id == user
            and last_past is not None
            and (summary.last_hosted_past is None or last_past > summary.last_hosted_past)
        ):
            summary.last_hosted_past = last_past
        if not upcoming:
            continue
        if series_id is None:
            summary.singles += upcoming
            if host_id == user:
                summary.first_hosted_single = first_upcoming
            continue
        series = summary.series.setdefault(series_id, _Series())
        series.upcoming += upcoming
        if series.first_start is None or first_upcoming < series.first_start:
            series.first_start, series.hosts_at_first = first_upcoming, [host_id]
        elif first_upcoming == series.first_start:
            series.hosts_at_first.append(host_id)
    return summary


def _pages_sql(summary: _Summary, params: dict[str, object]) -> str:
    """The query of both pages' rows, with only the parts there is something for; the
    parameters it needs besides the page's are added to ``params``."""
    upcoming, past = [], []
    if summary.first_hosted_single is not None:
        params["first_hosted_single"] = summary.first_hosted_single
        upcoming.append(_sql(_HOSTED_SINGLES))
    # the co-hosted meetings by the ids the summary found (integers from the database)
    if summary.granted_upcoming:
        ids = ",".join(str(int(pk)) for pk in summary.granted_upcoming)
        upcoming.append(_sql(_GRANTED_IDS, ids=ids))
    if summary.granted_past:
        ids = ",".join(str(int(pk)) for pk in summary.granted_past)
        past.append(_sql(_GRANTED_IDS, ids=ids))
    if summary.last_hosted_past is not None:
        params["last_hosted_past"] = summary.last_hosted_past
        past.append(_sql(_HOSTED_PAST))
    probes = []
    for series_id, series in summary.series.items():
        for host_id in series.hosts_at_first:  # several only if two hosts' meetings tie
            n = len(probes)
            params.update({f"series_{n}": series_id, f"host_{n}": host_id})
            params[f"start_{n}"] = series.first_start
            probes.append(_SERIES_PROBE.format(n=n))
    if probes:
        managed = "m.host_id = %(user)s"
        if summary.granted:
            managed += " OR EXISTS (" + _sql(_GRANT_OF_M) + ")"
        upcoming.append(_sql(_SERIES_NEXT, probes=" OR ".join(probes), managed=managed))
    pages = []
    if summary.cards:
        pages.append(_UPCOMING_PAGE.format(parts=" UNION ALL ".join(upcoming)))
    if summary.past:
        pages.append(_PAST_PAGE.format(parts=" UNION ALL ".join(past)))
    return _sql(_PAGES, pages=" UNION ALL ".join(pages))


def _pages(
    summary: _Summary, params: dict[str, object], upcoming_number: int, past_number: int
) -> tuple[list[Meeting], list[Meeting]]:
    if not summary.cards and not summary.past:
        return [], []
    params.update(
        size=PAGE_SIZE,
        upcoming_offset=(upcoming_number - 1) * PAGE_SIZE,
        upcoming_limit=upcoming_number * PAGE_SIZE,
        past_offset=(past_number - 1) * PAGE_SIZE,
        past_limit=past_number * PAGE_SIZE,
    )
    upcoming: list[Meeting] = []
    past: list[Meeting] = []
    for meeting in Meeting.objects.raw(_pages_sql(summary, params), params):
        if meeting.series_id is not None:
            meeting.series = MeetingSeries.from_db(
                connection.alias,
                ["id", "frequency", "interval"],
                [meeting.series_id, meeting.series_frequency, meeting.series_interval],
            )
        if meeting.listed == "upcoming":
            if meeting.series_id is not None:
                meeting.series_upcoming = summary.series[meeting.series_id].upcoming
            upcoming.append(meeting)
        else:
            past.append(meeting)
    upcoming.sort(key=lambda meeting: (meeting.start, meeting.pk))
    past.sort(key=lambda meeting: (meeting.start, meeting.pk), reverse=True)
    return upcoming, past


def _reach(number: str | int) -> int:
    """How many meetings in order a requested page may need: up to its end, or all of them for
    a number the paginator turns into the last page (below 1); not a number: the first page."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        return PAGE_SIZE
    return number * PAGE_SIZE if number >= 1 else 2**31 - 1


def my_meetings(user: User, *, upcoming_page: str | int = 1, past_page: str | int = 1) -> dict:
    """Upcoming meetings (soonest first; a series as one card: its next meeting, with how
    many are still to come) and past meetings (latest first), 20 a page: two queries, each
    reading about what the pages show (see above)."""
    moment = now()
    params: dict[str, object] = {
        "user": user.pk,
        "codename": CO_HOST_PERMISSION,
        "ended": Meeting.Status.ENDED.value,
        "moment": connection.ops.adapt_datetimefield_value(moment),
    }
    params["granted_upcoming"] = _reach(upcoming_page)
    params["granted_past"] = _reach(past_page)
    summary = _summary(params)
    upcoming_pages = Paginator(range(summary.cards), PAGE_SIZE)
    past_pages = Paginator(range(summary.past), PAGE_SIZE)
    upcoming_number = upcoming_pages.get_page(upcoming_page).number
    past_number = past_pages.get_page(past_page).number
    upcoming, past = _pages(summary, params, upcoming_number, past_number)
    return {
        "upcoming": Page(upcoming, upcoming_number, upcoming_pages),
        "past": Page(past, past_number, past_pages),
        "invited": invited_meetings(user, moment=moment),
    }


def _next_of_each_series(upcoming: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """One card per series (its next occurrence in ``upcoming``, with how many of it are in
    ``upcoming``) and every single meeting: a weekly seminar does not fill the page with
    identical rows."""
    partition = Coalesce(F("series_id"), -F("pk"))
    return upcoming.annotate(
        series_rank=Window(RowNumber(), partition_by=[partition], order_by=[F("start"), F("pk")]),
        series_upcoming=Window(Count("pk"), partition_by=[partition]),
    ).filter(series_rank=1)


INVITED_SHOWN = 50


def invited_meetings(user: User, *, moment: datetime.datetime | None = None) -> list[Meeting]:
    """Upcoming meetings the user's address was invited to (and does not manage), soonest
    first, a series once with its next occurrence; at most :data:`INVITED_SHOWN`."""
    if not getattr(user, "email", ""):
        return []
    moment = moment or now()
    ended = Q(status=Meeting.Status.ENDED) | Q(ends_at__lt=moment)
    invitations = Invitation.objects.filter(email__iexact=user.email)
    direct = invitations.values("meeting_id")
    series = invitations.filter(whole_series=True).values("meeting__series_id")
    co_hosted = MeetingUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=CO_HOST_PERMISSION
    )
    invited = (
        Meeting.objects.filter(Q(pk__in=direct) | Q(series_id__in=series))
        .exclude(host=user)
        .exclude(Exists(co_hosted))
        .exclude(ended)
        .select_related("host", "series")
    )
    return list(_next_of_each_series(invited).order_by("start", "pk")[:INVITED_SHOWN])


def meeting_hosted_by(user: object, meeting_id: str) -> Meeting:
    """The meeting if ``user`` may run it in the room (host, co-host or alternative host, see
    :meth:`Meeting.is_hosted_by`); 404 for everyone else, as if it did not exist."""
    meeting = Meeting.objects.filter(meeting_id=meeting_id).first()
    if meeting is None or not meeting.is_hosted_by(user):
        raise Http404
    return meeting
