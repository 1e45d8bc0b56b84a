"""The REST API under /api/v1/ (django-ninja; OpenAPI 3 in docs/openapi.json).

Every operation authenticates a token (``services.authenticate``), counts the request against
the token's limit, checks the token's scope, then acts as the token's owner through the same
forms, selectors and services as the web pages: meetings through ``MeetingForm`` and
``meetings/scheduling/services.py`` (so the licence, the policy's locks and the passcode rules
apply exactly as in the web form), another user's meeting through the selectors' 404.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user
from ninja import NinjaAPI, Query, Router, Status
from ninja.security import HttpBearer

from integrations.api import problems, schemas, services
from integrations.api.models import ApiToken
from meetings.live import selectors as live_selectors
from meetings.polls import selectors as poll_selectors
from meetings.recordings.models import Recording
from meetings.recordings.services import user_may_view_recording
from meetings.scheduling import selectors
from meetings.scheduling import services as scheduling
from meetings.scheduling.forms import InvitationForm, MeetingForm
from meetings.scheduling.models import (
    Meeting,
    MeetingPolicy,
    MeetingSeries,
    MeetingUserObjectPermission,
)
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from portal.identity import selectors as identity_selectors
from portal.identity.models import User


class RateLimited(problems.Problem):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate-limited", problems.titles()["rate-limited"])
        self.headers["Retry-After"] = str(retry_after)


class TokenAuth(HttpBearer):
    """A bearer token of the portal (personal access or service token) with ``scope``."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = services.authenticate(token)
        if found is None:
            return None
        retry_after = services.take_request(found)
        if retry_after is not None:
            raise RateLimited(retry_after)
        if self.scope not in found.scopes:
            raise PermissionDenied(
                _("This token lacks the scope %(scope)s.") % {"scope": self.scope}
            )
        request.user = found.user
        return found


class PortalApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any) -> dict:
        """The generated description, with errors as ``application/problem+json`` and each
        operation's scope as OAuth-style scopes of its bearer requirement."""
        schema = super().get_openapi_schema(**kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses: dict[str, dict] = {}
                for status, response in operation.get("responses", {}).items():
                    responses.setdefault(str(status), {}).update(response)
                operation["responses"] = dict(sorted(responses.items()))
                for status, response in operation["responses"].items():
                    if int(status) >= 400 and "content" in response:
                        response["content"] = {
                            problems.PROBLEM_CONTENT_TYPE: response["content"]["application/json"]
                        }
                scope = operation.pop("x-scope", None)
                if scope:
                    operation["security"] = [{"TokenAuth": [scope]}]
        return schema


api = PortalApi(
    title="Meeting portal API",
    version="1",
    description=(
        "Meetings, series, invitations, participants, poll results, recordings and the licence "
        "report of the meeting portal. Authenticate with a personal access token or a service "
        "token created in the portal (Authorization: Bearer …). Errors are RFC 9457 problem "
        "details."
    ),
    docs_url=None,
    urls_namespace="integrations_api_v1",
)
problems.install(api)
# every answer to a token: missing or unknown token, lacking scope, over the rate limit
COMMON = {401: schemas.Problem, 403: schemas.Problem, 429: schemas.Problem}
NOT_FOUND = {404: schemas.Problem}
INVALID = {422: schemas.Problem}


def scoped(scope: str) -> dict:
    return {"auth": TokenAuth(scope), "openapi_extra": {"x-scope": scope}}


def owner(request: HttpRequest) -> User:
    return request.auth.user


# --- meetings -----------------------------------------------------------------------------
meetings_router = Router(tags=["meetings"])


def _usernames(users: QuerySet[User] | list[User]) -> list[str]:
    return sorted(user.username for user in users)


def _summary(meeting: Meeting) -> dict:
    return {
        "meeting_id": meeting.meeting_id,
        "topic": meeting.topic,
        "start": meeting.start,
        "duration_minutes": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "status": meeting.status,
        "series_id": meeting.series_id,
    }


def _meeting(meeting: Meeting) -> dict:
    grants = MeetingUserObjectPermission.objects.filter(content_object=meeting).values_list(
        "user__username", "permission__codename"
    )
    alternative = {name for name, codename in grants if codename == "alternative_host_meeting"}
    co_hosts = {name for name, codename in grants if codename == "host_meeting"} - alternative
    return {
        **_summary(meeting),
        "description": meeting.description,
        "expected_participants": meeting.expected_participants,
        "host": meeting.host.username,
        "passcode": meeting.passcode,
        "join_url": meeting.join_url(),
        "security": {name: getattr(meeting, name) for name in SECURITY_SETTINGS},
        "allowed_domains": list(meeting.allowed_domains),
        "co_hosts": sorted(co_hosts),
        "alternative_hosts": sorted(alternative),
    }


def _form_data(payload: schemas.MeetingChange, base: dict) -> dict:
    """What the web form would have posted: ``base`` (the stored meeting, or the policy's
    defaults for a new one) with the fields the client sent laid over it."""
    data = dict(base)
    given = payload.model_dump(exclude_unset=True)
    recurrence = given.pop("recurrence", None)
    for name in ("co_hosts", "alternative_hosts"):
        if name in given:
            names = given.pop(name) or []
            known = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
            # an unknown name stays a name: the form refuses it with its own message
            data[name] = [known.get(username, username) for username in names]
    if "allowed_domains" in given:
        data["allowed_domains"] = ", ".join(given.pop("allowed_domains") or [])
    for name, value in given.items():
        data[name] = "" if value is None else value
    if recurrence:
        data.update(
            repeat=recurrence["frequency"],
            interval=recurrence.get("interval") or 1,
            until=recurrence["until"].isoformat() if recurrence.get("until") else "",
            count=recurrence.get("count") or "",
        )
    return data


def _valid(form: MeetingForm) -> MeetingForm:
    if not form.is_valid():
        raise DjangoValidationError(
            {field: [str(message) for message in errors] for field, errors in form.errors.items()}
        )
    return form


def _new_meeting_base() -> dict:
    policy = MeetingPolicy.current()
    return {
        "description": "",
        "expected_participants": "",
        "passcode": "",
        "allowed_domains": "",
        "repeat": "",
        "interval": 1,
        "until": "",
        "count": "",
        **{name: getattr(policy, name) for name in SECURITY_SETTINGS},
    }


def _schedule(request: HttpRequest, payload: schemas.MeetingCreate) -> Meeting:
    """What ``meetings/scheduling/views.py::create_meeting`` does with a valid form."""
    user = owner(request)
    scheduling.check_may_host(user)
    form = _valid(MeetingForm(_form_data(payload, _new_meeting_base()), host=user))
    return scheduling.schedule_meeting(
        host=user,
        details=form.details(),
        passcode=form.cleaned_data["passcode"],
        co_hosts=form.cleaned_data["co_hosts"],
        alternative_hosts=form.cleaned_data["alternative_hosts"],
        rule=form.cleaned_data["rule"],
    )


@meetings_router.get(
    "/meetings",
    response={200: schemas.MeetingPage, **COMMON},
    summary="List your meetings",
    description="Upcoming (soonest first) or past (latest first) meetings you host or co-host, "
    "20 a page, as on the page My meetings. Scope: meetings:read.",
    **scoped("meetings:read"),
)
def list_meetings(
    request: HttpRequest, when: str = Query("upcoming", pattern="^(upcoming|past)$"), page: int = 1
) -> dict:
    pages = selectors.my_meetings(owner(request), upcoming_page=page, past_page=page)
    chosen = pages[when]
    return {
        "items": [_summary(meeting) for meeting in chosen.object_list],
        "page": chosen.number,
        "pages": chosen.paginator.num_pages,
        "count": chosen.paginator.count,
    }


@meetings_router.post(
    "/meetings",
    response={201: schemas.Meeting, **COMMON, **INVALID},
    summary="Schedule a meeting (or a series, with recurrence)",
    description="The same rules as the web form: your role must allow hosting, your licence's "
    "limits apply, the institution's locked settings win, a passcode of your own must meet "
    "the policy (none: one is generated). Scope: meetings:write.",
    **scoped("meetings:write"),
)
def create_meeting(request: HttpRequest, payload: schemas.MeetingCreate) -> Status:
    return Status(201, _meeting(_schedule(request, payload)))


@meetings_router.get(
    "/meetings/{meeting_id}",
    response={200: schemas.Meeting, **COMMON, **NOT_FOUND},
    summary="Read a meeting you host or co-host",
    description="Another user's meeting is not found. Scope: meetings:read.",
    **scoped("meetings:read"),
)
def get_meeting(request: HttpRequest, meeting_id: str) -> dict:
    return _meeting(selectors.meeting_for_manager(owner(request), meeting_id))


@meetings_router.patch(
    "/meetings/{meeting_id}",
    response={200: schemas.Meeting, **COMMON, **NOT_FOUND, **INVALID},
    summary="Change a meeting (or one occurrence of a series)",
    description="Fields left out stay as they are; the host only. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def update_meeting(request: HttpRequest, meeting_id: str, payload: schemas.MeetingChange) -> dict:
    user = owner(request)
    meeting = selectors.meeting_for_host(user, meeting_id)
    base = MeetingForm.initial_for(meeting)
    form = _valid(
        MeetingForm(
            _form_data(payload, base),
            host=user,
            meeting=meeting,
            with_recurrence=False,
            initial=base,
        )
    )
    scheduling.update_meeting(
        meeting=meeting,
        details=form.details(),
        passcode=form.cleaned_data["passcode"],
        co_hosts=form.cleaned_data["co_hosts"],
        alternative_hosts=form.cleaned_data["alternative_hosts"],
    )
    return _meeting(meeting)


@meetings_router.delete(
    "/meetings/{meeting_id}",
    response={204: None, **COMMON, **NOT_FOUND, **INVALID},
    summary="Delete a meeting (or one occurrence)",
    description="The host only; a running meeting is ended first. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def delete_meeting(request: HttpRequest, meeting_id: str) -> Status:
    meeting = selectors.meeting_for_host(owner(request), meeting_id)
    scheduling.delete_meeting(meeting=meeting)
    return Status(204, None)


# --- series -------------------------------------------------------------------------------
def _series_visible_to(user: User) -> QuerySet[MeetingSeries]:
    managed = selectors.meetings_managed_by(user).values("series_id")
    return MeetingSeries.objects.filter(Q(host=user) | Q(pk__in=managed)).select_related("host")


def _series(series: MeetingSeries) -> dict:
    occurrences = series.occurrences.order_by("start", "pk")
    return {
        "id": series.pk,
        "topic": series.topic,
        "frequency": series.frequency,
        "interval": series.interval,
        "until": series.until,
        "count": series.count,
        "first_start": series.first_start,
        "timezone": series.timezone,
        "host": series.host.username,
        "occurrences": [_summary(meeting) for meeting in occurrences],
    }


@meetings_router.get(
    "/series",
    response={200: list[schemas.Series], **COMMON},
    summary="List your series",
    description="Series you host or co-host an occurrence of. Scope: meetings:read.",
    **scoped("meetings:read"),
)
def list_series(request: HttpRequest) -> list[dict]:
    rows = _series_visible_to(owner(request)).order_by("first_start", "pk")[:200]
    return [_series(series) for series in rows]


@meetings_router.post(
    "/series",
    response={201: schemas.Series, **COMMON, **INVALID},
    summary="Schedule a series",
    description="As scheduling a meeting, with a recurrence. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def create_series(request: HttpRequest, payload: schemas.SeriesCreate) -> Status:
    return Status(201, _series(_schedule(request, payload).series))


@meetings_router.get(
    "/series/{series_id}",
    response={200: schemas.Series, **COMMON, **NOT_FOUND},
    summary="Read a series",
    description="Another user's series is not found. Scope: meetings:read.",
    **scoped("meetings:read"),
)
def get_series(request: HttpRequest, series_id: int) -> dict:
    return _series(get_object_or_404(_series_visible_to(owner(request)), pk=series_id))


def _hosted_series(user: User, series_id: int) -> MeetingSeries:
    return get_object_or_404(MeetingSeries, pk=series_id, host=user)


@meetings_router.patch(
    "/series/{series_id}",
    response={200: schemas.Series, **COMMON, **NOT_FOUND, **INVALID},
    summary="Change every future meeting of a series",
    description="As changing the whole series on the web: the schedule only while the series "
    "has not begun. The host only. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def update_series(request: HttpRequest, series_id: int, payload: schemas.SeriesChange) -> dict:
    user = owner(request)
    series = _hosted_series(user, series_id)
    meeting = series.occurrences.order_by("-start").first()
    if meeting is None:
        raise Http404
    begun = scheduling.series_has_begun(series)
    base = MeetingForm.initial_for(meeting)
    base.update(
        start=series.first_start_local,
        timezone=series.timezone,
        repeat=series.frequency,
        interval=series.interval,
        until=series.until or "",
        count=series.count or "",
    )
    form = MeetingForm(
        _form_data(payload, base), host=user, meeting=meeting, schedule_fixed=begun, initial=base
    )
    form.fields["repeat"].required = True
    _valid(form)
    scheduling.update_series(
        series=series,
        details=form.details(),
        passcode=form.cleaned_data["passcode"],
        co_hosts=form.cleaned_data["co_hosts"],
        alternative_hosts=form.cleaned_data["alternative_hosts"],
        rule=form.cleaned_data["rule"],
    )
    series.refresh_from_db()
    return _series(series)


@meetings_router.delete(
    "/series/{series_id}",
    response={204: None, **COMMON, **NOT_FOUND, **INVALID},
    summary="Delete a series with all its meetings",
    description="The host only. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def delete_series(request: HttpRequest, series_id: int) -> Status:
    scheduling.delete_series(series=_hosted_series(owner(request), series_id))
    return Status(204, None)


# --- invitations --------------------------------------------------------------------------
@meetings_router.get(
    "/meetings/{meeting_id}/invitations",
    response={200: list[schemas.Invitation], **COMMON, **NOT_FOUND},
    summary="List a meeting's invitations",
    description="Hosts and co-hosts. Scope: meetings:read.",
    **scoped("meetings:read"),
)
def list_invitations(request: HttpRequest, meeting_id: str) -> list:
    meeting = selectors.meeting_for_manager(owner(request), meeting_id)
    return list(meeting.invitations.order_by("-sent_at", "pk")[:500])


@meetings_router.post(
    "/meetings/{meeting_id}/invitations",
    response={201: schemas.InvitationsSent, **COMMON, **NOT_FOUND, **INVALID},
    summary="Invite people",
    description="One mail per address with the join link, the passcode and a calendar file; "
    "only addresses of the allowed domains, as on the web. Scope: meetings:write.",
    **scoped("meetings:write"),
)
def send_invitations(
    request: HttpRequest, meeting_id: str, payload: schemas.InvitationRequest
) -> Status:
    meeting = selectors.meeting_for_manager(owner(request), meeting_id)
    data = {"addresses": ", ".join(payload.addresses)}
    if payload.whole_series:
        data["whole_series"] = True
    form = InvitationForm(data, meeting=meeting)
    if not form.is_valid():
        raise DjangoValidationError(
            {field: [str(message) for message in errors] for field, errors in form.errors.items()}
        )
    count = scheduling.invite(
        meeting=meeting,
        addresses=form.cleaned_data["addresses"],
        whole_series=form.cleaned_data.get("whole_series", False),
    )
    return Status(201, {"sent": count})


# --- the running meeting --------------------------------------------------------------------
live_router = Router(tags=["running meetings"])


def _participants(entries: list[dict]) -> list[dict]:
    return [
        {"id": entry["id"], "display_name": entry["name"], "is_host": entry["host"]}
        for entry in entries
    ]


@live_router.get(
    "/meetings/{meeting_id}/participants",
    response={200: schemas.Participants, **COMMON, **NOT_FOUND, 409: schemas.Problem},
    summary="Who is in a running meeting and who waits",
    description="Hosts, co-hosts and alternative hosts; chosen display names only. "
    "Scope: participants:read.",
    **scoped("participants:read"),
)
def list_participants(request: HttpRequest, meeting_id: str) -> dict:
    meeting = selectors.meeting_hosted_by(owner(request), meeting_id)
    if meeting.status != Meeting.Status.RUNNING:
        raise problems.Problem(
            409, "conflict", problems.titles()["conflict"], _("The meeting is not running.")
        )
    return {
        "admitted": _participants(live_selectors.roster(meeting.pk)),
        "waiting": _participants(live_selectors.waiting_list(meeting.pk)),
    }


@live_router.get(
    "/meetings/{meeting_id}/polls",
    response={200: list[schemas.PollResult], **COMMON, **NOT_FOUND},
    summary="Aggregate results of a meeting's polls",
    description="Totals as the results page shows them (small counts hidden, secret ballots "
    "without texts), for the polls whose results are visible; never who voted what. Hosts "
    "only. Scope: polls:read.",
    **scoped("polls:read"),
)
def list_poll_results(request: HttpRequest, meeting_id: str) -> list[dict]:
    meeting = selectors.meeting_hosted_by(owner(request), meeting_id)
    rows = []
    for poll in meeting.polls.order_by("created_at", "pk"):
        if not poll.results_visible:
            continue
        results = poll_selectors.poll_results(poll=poll)
        rows.append(
            {
                "id": poll.pk,
                "title": poll.title,
                "kind": poll.kind,
                "status": poll.status,
                "voters": results.voters,
                "questions": [
                    {
                        "text": question.text,
                        "is_text": question.is_text,
                        "options": [
                            {
                                "text": option.text,
                                "count": None if option.hidden else option.count,
                                "shown": str(option.shown),
                            }
                            for option in question.options
                        ],
                        "answers": question.answers,
                        "answer_count": question.answer_count,
                        "answers_hidden": question.answers_hidden,
                    }
                    for question in results.questions
                ],
            }
        )
    return rows


# --- recordings ---------------------------------------------------------------------------
recordings_router = Router(tags=["recordings"])


def _recording(request: HttpRequest, recording: Recording) -> dict:
    return {
        "id": recording.pk,
        "meeting_id": recording.meeting.meeting_id,
        "topic": recording.meeting.topic,
        "created_at": recording.created_at,
        "size": recording.size,
        "content_type": recording.content_type,
        "sha256": recording.sha256,
        "state": recording.state,
        "deletion_due_at": recording.deletion_due_at,
        "download_url": request.build_absolute_uri(
            reverse("integrations_api_v1:download_recording", args=[recording.pk])
        ),
    }


def _visible_recording(user: User, recording_id: int) -> Recording:
    recording = get_object_or_404(
        Recording.objects.select_related("meeting"), pk=recording_id, purging=False
    )
    if not user_may_view_recording(user=user, recording=recording):
        raise Http404
    return recording


@recordings_router.get(
    "/recordings",
    response={200: list[schemas.Recording], **COMMON},
    summary="Recordings you may view",
    description="Of meetings you host or co-host, and those whose host named you a viewer. "
    "Scope: recordings:read.",
    **scoped("recordings:read"),
)
def list_recordings(request: HttpRequest) -> list[dict]:
    user = owner(request)
    viewer_of = get_objects_for_user(
        user, "meetings.view_recording_file", klass=Recording, accept_global_perms=False
    ).values("pk")
    rows = (
        Recording.objects.filter(purging=False)
        .filter(Q(meeting__in=selectors.meetings_managed_by(user)) | Q(pk__in=viewer_of))
        .select_related("meeting")
        .order_by("-created_at", "-pk")[:500]
    )
    return [_recording(request, recording) for recording in rows]


@recordings_router.get(
    "/recordings/{recording_id}",
    response={200: schemas.Recording, **COMMON, **NOT_FOUND},
    summary="A recording's metadata and download link",
    description="Scope: recordings:read.",
    **scoped("recordings:read"),
)
def get_recording(request: HttpRequest, recording_id: int) -> dict:
    return _recording(request, _visible_recording(owner(request), recording_id))


@recordings_router.get(
    "/recordings/{recording_id}/file",
    response={**COMMON, **NOT_FOUND},
    url_name="download_recording",
    summary="Download a recording",
    description="The file, streamed after the same permission check as the web's download. "
    "Scope: recordings:read.",
    openapi_extra={
        "x-scope": "recordings:read",
        "responses": {
            "200": {
                # OpenAPI 3.1: binary content has no schema, only its media types
                "description": "The recording file.",
                "content": {
                    "video/*": {},
                    "audio/*": {},
                },
            }
        },
    },
    auth=TokenAuth("recordings:read"),
)
def download_recording(request: HttpRequest, recording_id: int) -> FileResponse:
    recording = _visible_recording(owner(request), recording_id)
    try:
        handle = recording.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = recording.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"recording-{recording.meeting.meeting_id}-{recording.pk}.{extension}",
        content_type=recording.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- administrators -----------------------------------------------------------------------
admin_router = Router(tags=["administration"])


@admin_router.get(
    "/licences/report",
    response={200: schemas.LicenceReport, **COMMON},
    summary="The licence report",
    description="Utilisation per licence pool, aggregates only. Administrators only. "
    "Scope: licences:read.",
    **scoped("licences:read"),
)
def licence_report(request: HttpRequest) -> dict:
    if not owner(request).is_staff:
        raise PermissionDenied(_("Only administrators may read the licence report."))
    return {
        "pools": [
            {**row, "licence_type": row["licence_type"].name}
            for row in identity_selectors.pool_utilisation()
        ],
        "outside_quota": identity_selectors.outside_quota_count(),
    }


api.add_router("", meetings_router)
api.add_router("", live_router)
api.add_router("", recordings_router)
api.add_router("", admin_router)
