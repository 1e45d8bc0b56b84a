"""Scheduling pages: thin views that parse, authorise (404 for others' meetings), call a
service and render."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat
from django.utils.dates import MONTHS_3
from django.utils.formats import get_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings.scheduling import calendar, selectors, services
from meetings.scheduling import status as meeting_status
from meetings.scheduling.announcements import attendance_visible_to_hosts
from meetings.scheduling.forms import InvitationForm, MeetingForm
from meetings.scheduling.models import Meeting, MeetingPolicy
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from portal.identity.selectors import licence_type_for

# the addresses a host typed that were not invited, shown again in the meeting page's box
_REFUSED_KEY = "meetings_invitation_refused"


def _form_error(form: MeetingForm, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


class _LocalStart:
    """A meeting's start in its own time zone, formatted for "My meetings": the same output
    as the template's ``timezone`` tag and ``date`` filter, at a fraction of the cost (the
    template engine dominated the page: benchmarks/my_meetings.py --profile). The portal's
    formats (portal/formats/) use only day, month, year, hour and minute; those are put
    together here with the month's name translated once per page, any other format goes
    through Django's formatter."""

    FIELDS = {
        "j": lambda start, months: str(start.day),
        "d": lambda start, months: f"{start.day:02d}",
        "n": lambda start, months: str(start.month),
        "m": lambda start, months: f"{start.month:02d}",
        "M": lambda start, months: months[start.month],
        "Y": lambda start, months: f"{start.year:04d}",
        "H": lambda start, months: f"{start.hour:02d}",
        "i": lambda start, months: f"{start.minute:02d}",
    }

    def __init__(self, format_name: str) -> None:
        self.zones: dict[str, ZoneInfo] = {}
        self.format = get_format(format_name)
        self.parts: list[str] | None = list(self.format)
        if any(part.isalpha() and part not in self.FIELDS or part == "\\" for part in self.parts):
            self.parts = None  # a format this does not know: Django's formatter
        self.months = {}
        if "M" in self.format:
            self.months = {number: str(name).title() for number, name in MONTHS_3.items()}

    def __call__(self, meeting: Meeting) -> tuple[str, str]:
        zone = self.zones.get(meeting.timezone)
        if zone is None:
            zone = self.zones[meeting.timezone] = ZoneInfo(meeting.timezone)
        start = localtime(meeting.start, zone)
        if self.parts is None:
            return start.isoformat(), dateformat.format(start, self.format)
        fields = self.FIELDS
        text = "".join(
            fields[part](start, self.months) if part in fields else part for part in self.parts
        )
        return start.isoformat(), text


class _Durations(dict):
    """Each length's text ("30 minutes"), translated once per page."""

    def __missing__(self, minutes: int) -> str:
        text = ngettext("%(minutes)s minute", "%(minutes)s minutes", minutes) % {"minutes": minutes}
        self[minutes] = text
        return text


def _table_rows(page: Page, user_pk: int) -> list[dict[str, object]]:
    """The cells of each row of the past meetings, formatted here once."""
    detail = reverse("meetings:detail", args=["00000000000"])
    local_start = _LocalStart("SHORT_DATETIME_FORMAT")
    durations = _Durations()
    rows = []
    for meeting in page.object_list:
        iso, start = local_start(meeting)
        rows.append(
            {
                "iso": iso,
                "start": start,
                "timezone": meeting.timezone,
                "url": detail.replace("00000000000", meeting.meeting_id),
                "topic": meeting.topic,
                "series": meeting.series_id is not None,
                "co_host": meeting.host_id != user_pk,
                "duration": durations[meeting.duration_minutes],
                "meeting_id": meeting.meeting_id,
            }
        )
    return rows


def _cards(meetings: list[Meeting], user_pk: int, *, invited: bool) -> list[dict[str, object]]:
    """What each card of "My meetings" shows (upcoming or invited), formatted here once like
    the table's rows: a series shows how many of its meetings are still to come."""
    link = reverse("meetings:join_meeting" if invited else "meetings:detail", args=["00000000000"])
    local_start = _LocalStart("DATETIME_FORMAT")
    durations = _Durations()
    cards = []
    for meeting in meetings:
        iso, start = local_start(meeting)
        series = ""
        if meeting.series_id is not None:
            upcoming = getattr(meeting, "series_upcoming", None) or 0
            if upcoming > 1:
                series = ngettext(
                    "Series: this and %(counter)s more meeting",
                    "Series: this and %(counter)s more meetings",
                    upcoming - 1,
                ) % {"counter": upcoming - 1}
            else:
                series = _("Series: the last meeting")
            series = f"{series} ({meeting.series.get_frequency_display()})"
        cards.append(
            {
                "iso": iso,
                "start": start,
                "timezone": meeting.timezone,
                "url": link.replace("00000000000", meeting.meeting_id),
                "topic": meeting.topic,
                "duration": durations[meeting.duration_minutes],
                "running": meeting.status == Meeting.Status.RUNNING,
                "host": _("host: %(host)s") % {"host": meeting.host.shown_name} if invited else "",
                "co_host": not invited and meeting.host_id != user_pk,
                "series": series,
                "meeting_id": meeting.meeting_id,
            }
        )
    return cards


@login_required
@require_GET
def my_meetings(request: HttpRequest) -> HttpResponse:
    context = selectors.my_meetings(
        request.user,
        upcoming_page=request.GET.get("upcoming", 1),
        past_page=request.GET.get("past", 1),
    )
    user_pk = request.user.pk
    context["upcoming_cards"] = _cards(context["upcoming"].object_list, user_pk, invited=False)
    context["invited_cards"] = _cards(context["invited"], user_pk, invited=True)
    context["past_rows"] = _table_rows(context["past"], user_pk)
    role = request.user.role
    context["may_host"] = bool(role and role.may_host)
    return render(request, "meetings/scheduling/my_meetings.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def create_meeting(request: HttpRequest) -> HttpResponse:
    services.check_may_host(request.user)
    form = MeetingForm(
        request.POST or None,
        host=request.user,
        initial={"timezone": services.host_time_zone(request.user), "interval": 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.schedule_meeting(
                host=request.user,
                details=form.details(),
                passcode=form.cleaned_data["passcode"],
                co_hosts=form.cleaned_data["co_hosts"],
                alternative_hosts=form.cleaned_data["alternative_hosts"],
                rule=form.cleaned_data["rule"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The meeting is scheduled."))
            return redirect("meetings:detail", meeting_id=meeting.meeting_id)
    return _render_form(request, form, title=_("Schedule a meeting"))


def _render_form(request: HttpRequest, form: MeetingForm, **context) -> HttpResponse:  # noqa: ANN003
    policy = form.policy
    context.update(
        form=form,
        licence=form.licence,
        locked=[
            (form[name], form.lock_reasons.get(name) or policy.lock_reason(name))
            for name in form.locked_settings
        ],
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "meetings/scheduling/meeting_form.html", context, status=status)


def _invite_form(request: HttpRequest, meeting: Meeting) -> InvitationForm:
    kept = request.session.pop(_REFUSED_KEY, None)
    initial = {}
    if kept and kept.get("meeting") == meeting.meeting_id:
        initial["addresses"] = kept.get("addresses", "")
    return InvitationForm(meeting=meeting, initial=initial)


def _invitation_text(meeting: Meeting) -> str:
    """The invitation mail's text, for the host to paste into a chat or a mail of their own."""
    return render_to_string(
        "meetings/scheduling/invitation_email.txt",
        {
            "meeting": meeting,
            "join_url": meeting.join_url(),
            "privacy_url": f"{settings.PORTAL_BASE_URL}{reverse('portal_privacy_notice')}",
            "whole_series": False,
            "update": False,
        },
    ).strip()


@never_cache
@login_required
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_for_manager(request.user, meeting_id)
    policy = MeetingPolicy.current()
    settings_rows = [
        (MeetingForm.base_fields[name].label, getattr(meeting, name), policy.is_locked(name))
        for name in SECURITY_SETTINGS
    ]
    context = {
        "meeting": meeting,
        "is_host": meeting.host_id == request.user.pk,
        "licence": licence_type_for(meeting.host),
        "settings_rows": settings_rows,
        "invite_form": _invite_form(request, meeting),
        "invitations": meeting.invitations.all()[:200],
        "allowed_domains": services.allowed_invitation_domains(meeting=meeting),
        "backend_notices": meeting_status.notices(meeting),
        "attendance_visible": attendance_visible_to_hosts(meeting),
        "may_start": meeting.status != Meeting.Status.ENDED and meeting.is_hosted_by(request.user),
        "invitation_text": _invitation_text(meeting),
    }
    return render(request, "meetings/scheduling/meeting_detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit_meeting(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_for_host(request.user, meeting_id)
    if meeting.status == Meeting.Status.ENDED:
        messages.error(request, _("This meeting has ended and can no longer be changed."))
        return redirect("meetings:detail", meeting_id=meeting.meeting_id)
    form = MeetingForm(
        request.POST or None,
        host=request.user,
        meeting=meeting,
        with_recurrence=False,
        initial=MeetingForm.initial_for(meeting),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(
                meeting=meeting,
                details=form.details(),
                passcode=form.cleaned_data["passcode"],
                co_hosts=form.cleaned_data["co_hosts"],
                alternative_hosts=form.cleaned_data["alternative_hosts"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The meeting is changed."))
            return redirect("meetings:detail", meeting_id=meeting.meeting_id)
    title = _("Change this occurrence") if meeting.series_id else _("Change the meeting")
    return _render_form(request, form, title=title, meeting=meeting)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit_series(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_for_host(request.user, meeting_id)
    series = meeting.series
    if series is None:
        return redirect("meetings:edit", meeting_id=meeting.meeting_id)
    begun = services.series_has_begun(series)
    initial = MeetingForm.initial_for(meeting)
    initial.update(
        start=series.first_start_local,
        timezone=series.timezone,
        repeat=series.frequency,
        interval=series.interval,
        until=series.until,
        count=series.count,
    )
    form = MeetingForm(
        request.POST or None,
        host=request.user,
        meeting=meeting,
        schedule_fixed=begun,
        initial=initial,
    )
    form.fields["repeat"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_series(
                series=series,
                details=form.details(),
                passcode=form.cleaned_data["passcode"],
                co_hosts=form.cleaned_data["co_hosts"],
                alternative_hosts=form.cleaned_data["alternative_hosts"],
                rule=form.cleaned_data["rule"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("All future meetings of the series are changed."))
            first = series.occurrences.order_by("start").first()
            return redirect("meetings:detail", meeting_id=(first or meeting).meeting_id)
    return _render_form(request, form, title=_("Change the whole series"), meeting=meeting)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_meeting(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_for_host(request.user, meeting_id)
    whole_series = request.GET.get("scope") == "series" and meeting.series_id is not None
    if request.method == "POST":
        try:
            if whole_series:
                services.delete_series(series=meeting.series)
            else:
                services.delete_meeting(meeting=meeting)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("meetings:detail", meeting_id=meeting.meeting_id)
        messages.success(
            request,
            _("The series is deleted.") if whole_series else _("The meeting is deleted."),
        )
        return redirect("meetings:my_meetings")
    return render(
        request,
        "meetings/scheduling/meeting_delete.html",
        {
            "meeting": meeting,
            "whole_series": whole_series,
            "has_recordings": (
                Meeting.objects.filter(series=meeting.series)
                if whole_series
                else Meeting.objects.filter(pk=meeting.pk)
            )
            .filter(recordings__isnull=False)
            .exists(),
        },
    )


@never_cache
@login_required
@require_POST
def invite(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Send the valid addresses' invitations; the refused ones go back into the box with
    their reasons (kept in the session for the meeting page), so nothing typed is lost."""
    meeting = selectors.meeting_for_manager(request.user, meeting_id)
    form = InvitationForm(request.POST, meeting=meeting, partial=True)
    if not form.is_valid():
        for error in form.errors.get("addresses", []):
            messages.error(request, error)
        request.session[_REFUSED_KEY] = {
            "meeting": meeting.meeting_id,
            "addresses": request.POST.get("addresses", "")[:5000],
        }
        return redirect("meetings:detail", meeting_id=meeting.meeting_id)
    count = 0
    if form.cleaned_data["addresses"]:
        count = services.invite(
            meeting=meeting,
            addresses=form.cleaned_data["addresses"],
            whole_series=form.cleaned_data.get("whole_series", False),
        )
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", count)
            % {"count": count},
        )
    if form.refused:
        messages.error(
            request,
            ngettext(
                "This address was not invited: %(refused)s. It is still in the box below.",
                "These addresses were not invited: %(refused)s. They are still in the box below.",
                len(form.refused),
            )
            % {
                "refused": "; ".join(
                    _("%(address)s (%(reason)s)") % {"address": address, "reason": reason}
                    for address, reason in form.refused
                )
            },
        )
        request.session[_REFUSED_KEY] = {
            "meeting": meeting.meeting_id,
            "addresses": "\n".join(address for address, _reason in form.refused),
        }
    return redirect(reverse("meetings:detail", args=[meeting.meeting_id]) + "#invite-heading")


@never_cache
@login_required
@require_GET
def calendar_file(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_for_manager(request.user, meeting_id)
    if request.GET.get("scope") == "series" and meeting.series_id is not None:
        body = calendar.series_calendar(meeting.series)
        name = f"series-{meeting.meeting_id}.ics"
    else:
        body = calendar.meeting_calendar(meeting)
        name = f"meeting-{meeting.meeting_id}.ics"
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
