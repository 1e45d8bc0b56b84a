"""LTI 1.3 endpoints: OIDC login, launch, the tool's key set, deep linking, inviting the
course's members, dynamic registration. Refusals render one translated page."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.lti import services
from integrations.lti.forms import DynamicRegistrationForm
from meetings.scheduling import selectors as scheduling_selectors
from meetings.scheduling import services as scheduling


def refusal_texts() -> dict[str, tuple[str, str]]:
    """Title and explanation per reason; nothing in them comes from the request."""
    return {
        "unregistered": (
            _("This learning platform is not registered"),
            _(
                "The portal accepts launches only from learning platforms its administrators "
                "registered. Ask your platform's administrator to register the portal."
            ),
        ),
        "signature": (
            _("The launch could not be verified"),
            _(
                "Its signature does not match the keys of the registered learning platform. "
                "Start again from the course page."
            ),
        ),
        "expired": (
            _("The launch has expired"),
            _("Launches are valid only briefly. Start again from the course page."),
        ),
        "replayed": (
            _("This launch was already used"),
            _("Each launch can be used once. Start again from the course page."),
        ),
        "invalid": (
            _("The launch is not valid"),
            _(
                "The learning platform sent an incomplete or unknown launch. Start again from "
                "the course page; if it happens again, tell the platform's administrator."
            ),
        ),
        "inactive": (
            _("Your account is deactivated"),
            _("Your portal account is no longer active."),
        ),
        "not_member": (
            _("Only members of the institution host meetings"),
            _("Your account is not a member of the institution, so it cannot co-host."),
        ),
        "not_instructor": (
            _("Only instructors choose the course's meetings"),
            _("Ask an instructor of the course to add a meeting."),
        ),
        "not_found": (
            _("Not found"),
            _("The meeting or series does not exist or is not yours."),
        ),
        "expired_session": (
            _("The launch has expired"),
            _("Start again from the course page."),
        ),
        "no_nrps": (
            _("The course's member list is not available"),
            _("The learning platform did not offer its names and roles service."),
        ),
        "nrps_failed": (
            _("The course's member list could not be read"),
            _("The learning platform did not answer. Try again later."),
        ),
        "registration_failed": (
            _("The registration failed"),
            _("The learning platform did not accept the registration. Try again."),
        ),
    }


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    title, text = refusal_texts().get(reason, refusal_texts()["invalid"])
    status = 400 if reason in {"invalid", "expired", "expired_session"} else 403
    return render(
        request, "integrations/lti/refused.html", {"title": title, "text": text}, status=status
    )


def _tool_urls(request: HttpRequest) -> services.ToolUrls:
    return services.ToolUrls(
        login=request.build_absolute_uri(reverse("integrations_lti:login")),
        launch=request.build_absolute_uri(reverse("integrations_lti:launch")),
        jwks=request.build_absolute_uri(reverse("integrations_lti:jwks")),
        deep_link=request.build_absolute_uri(reverse("integrations_lti:launch")),
        domain=request.get_host(),
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    try:
        return services.login_redirect(request, launch_url=_tool_urls(request).launch)
    except services.LaunchRefused as refusal:
        return refused(request, refusal.reason)


@csrf_exempt
@xframe_options_exempt
@require_POST
@never_cache
def launch(request: HttpRequest) -> HttpResponse:
    """A resource-link or deep-linking launch from a registered platform."""
    try:
        message, platform = services.validate_launch(request)
        data = message.get_launch_data()
        user = services.user_for_launch(platform=platform, data=data)
        course = services.course_for_launch(platform=platform, data=data)
        instructor = services.is_instructor(data)
        if message.is_deep_link_launch() and not instructor:
            raise services.LaunchRefused("not_instructor")
        if instructor:
            services.make_course_host(course=course, user=user)
    except services.LaunchRefused as refusal:
        return refused(request, refusal.reason)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["integrations.lti.launch"] = message.get_launch_id()
    if message.is_deep_link_launch():
        return redirect("integrations_lti:deep_link", launch_id=message.get_launch_id())
    if instructor:
        return redirect("integrations_lti:course", launch_id=message.get_launch_id())
    meeting = services.next_meeting(course)
    if meeting is None:
        return render(request, "integrations/lti/no_meeting.html", {"course": course})
    # the learner goes through the join page like everyone: passcode, waiting room, consent
    return redirect(meeting.join_url())


def _restored(request: HttpRequest, launch_id: str):  # noqa: ANN202
    """This browser's own launch (another's launch id is not found)."""
    if request.session.get("integrations.lti.launch") != launch_id:
        raise Http404
    message = services.restore_launch(request, launch_id)
    data = message.get_launch_data()
    platform = services.PortalToolConf()._platform(
        str(data.get("iss", "")), str(message.get_client_id())
    )
    if platform is None:
        raise services.LaunchRefused("unregistered")
    course = services.course_for_launch(platform=platform, data=data)
    return message, data, course


@never_cache
@require_GET
def course_page(request: HttpRequest, launch_id: str) -> HttpResponse:
    """The instructor's landing page: the course's meetings and inviting its members."""
    try:
        message, data, course = _restored(request, launch_id)
    except services.LaunchRefused as refusal:
        return refused(request, refusal.reason)
    return render(
        request,
        "integrations/lti/course.html",
        {
            "course": course,
            "meetings": services.course_meetings(course),
            "next_meeting": services.next_meeting(course),
            "launch_id": launch_id,
            "has_nrps": message.has_nrps(),
        },
    )


@require_POST
def invite_members(request: HttpRequest, launch_id: str) -> HttpResponse:
    """Invite the course's members (names and roles service) to the next meeting, through the
    same invitation service as the web (the allowed domains apply)."""
    try:
        message, data, course = _restored(request, launch_id)
        if not services.is_instructor(data):
            raise services.LaunchRefused("not_instructor")
        meeting = services.next_meeting(course)
        if meeting is None or not meeting.is_hosted_by(request.user):
            raise services.LaunchRefused("not_found")
        addresses = services.course_member_addresses(message)
    except services.LaunchRefused as refusal:
        return refused(request, refusal.reason)
    sent = 0
    try:
        for start in range(0, len(addresses), scheduling.MAX_INVITEES_AT_ONCE):
            batch = addresses[start : start + scheduling.MAX_INVITEES_AT_ONCE]
            sent += scheduling.invite(
                meeting=meeting, addresses=batch, whole_series=meeting.series_id is not None
            )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    if sent:
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )
    return redirect("integrations_lti:course", launch_id=launch_id)


@never_cache
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest, launch_id: str) -> HttpResponse:
    """Deep linking: the instructor picks a meeting or series of theirs for the course; the
    answer goes back to the platform as a signed message (a form the instructor submits)."""
    try:
        message, data, course = _restored(request, launch_id)
        if not services.is_instructor(data):
            raise services.LaunchRefused("not_instructor")
        if request.method == "POST":
            series_id = request.POST.get("series")
            course = services.link_course(
                course=course,
                user=request.user,
                meeting_id=request.POST.get("meeting", ""),
                series_id=int(series_id) if series_id and series_id.isdigit() else None,
            )
            services.make_course_host(course=course, user=request.user)
            meeting = services.next_meeting(course)
            title = course.series.topic if course.series_id else meeting.topic
            resource = (
                services.WindowLink()
                .set_url(_tool_urls(request).launch)
                .set_title(title)
                .set_custom_params({"meeting_id": meeting.meeting_id})
            )
            deep_link_message = message.get_deep_link()
            token = deep_link_message.get_response_jwt([resource])
            return_url = deep_link_message._deep_link_settings["deep_link_return_url"]
            response = render(
                request,
                "integrations/lti/deep_link_return.html",
                {"return_url": return_url, "jwt": token, "title": title},
            )
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
            response._csp_update = {"form-action": [origin]}
            return response
    except Http404:
        return refused(request, "not_found")
    except services.LaunchRefused as refusal:
        return refused(request, refusal.reason)
    upcoming = scheduling_selectors.my_meetings(request.user)["upcoming"]
    series = {meeting.series_id: meeting for meeting in upcoming if meeting.series_id}
    return render(
        request,
        "integrations/lti/deep_link.html",
        {
            "course": course,
            "meetings": [meeting for meeting in upcoming if meeting.series_id is None],
            "series": list(series.values()),
            "launch_id": launch_id,
        },
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    services.tool_key()
    return JsonResponse(services.tool_jwks())


@staff_member_required
@require_http_methods(["GET", "POST"])
def dynamic_registration(request: HttpRequest) -> HttpResponse:
    """LTI Dynamic Registration, started by the platform's administrator (who must also be an
    administrator of the portal): the platform opens this page with its configuration URL."""
    form = DynamicRegistrationForm(
        request.POST or None,
        initial={
            "openid_configuration": request.GET.get("openid_configuration", ""),
            "registration_token": request.GET.get("registration_token", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            platform = services.register_dynamically(
                openid_configuration=form.cleaned_data["openid_configuration"],
                registration_token=form.cleaned_data["registration_token"],
                urls=_tool_urls(request),
                name=form.cleaned_data["name"],
                roles={
                    "instructor_role": form.cleaned_data["instructor_role"],
                    "learner_role": form.cleaned_data["learner_role"],
                },
            )
        except services.LaunchRefused as refusal:
            return refused(request, refusal.reason)
        return render(request, "integrations/lti/registered.html", {"platform": platform})
    return render(request, "integrations/lti/register.html", {"form": form})
