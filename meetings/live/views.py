"""Join flow, waiting page and live room (thin views over :mod:`meetings.live.services`)."""

import functools
import secrets

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings.backends import BackendError, get_backend
from meetings.live import admission, join_limits
from meetings.live import selectors as selectors_live
from meetings.live import services as services_live
from meetings.live.forms import JoinForm, normalise_meeting_id
from meetings.live.models import Participant
from meetings.live.services import JoinRefused
from meetings.scheduling import passcodes
from meetings.scheduling.models import Meeting, MeetingPolicy


@functools.cache
def _no_meeting_token() -> str:
    """A real passcode token of this process that nobody knows: a missing meeting costs the
    same decryption and comparison as a real one, so time tells nothing either."""
    return passcodes.encrypt_passcode(secrets.token_urlsafe(24))


def _refusal_texts() -> dict[str, tuple[str, str]]:
    return {
        JoinRefused.NOT_STARTED: (
            _("The meeting has not started yet"),
            _("The host has not opened this meeting yet. Please try again a little later."),
        ),
        JoinRefused.ENDED: (
            _("The meeting has ended"),
            _("This meeting is over. You cannot join it any more."),
        ),
        JoinRefused.LOGIN_REQUIRED: (
            _("Please log in first"),
            _(
                "Only members of the institution who have logged in with their institutional "
                "account may join this meeting."
            ),
        ),
        JoinRefused.DOMAIN_NOT_ALLOWED: (
            _("Your account may not join this meeting"),
            _(
                "The host allows only participants with e-mail addresses of certain domains, "
                "and yours is not among them."
            ),
        ),
        JoinRefused.LOCKED: (
            _("The meeting is locked"),
            _("The host has locked this meeting: nobody new may join at the moment."),
        ),
        JoinRefused.FULL: (
            _("The meeting is full"),
            _("The meeting has reached the number of participants its host's licence allows."),
        ),
        JoinRefused.REMOVED: (
            _("You cannot rejoin this meeting"),
            _("The host removed you from this meeting."),
        ),
        "rate_limited": (
            _("Too many attempts"),
            _(
                "There were too many wrong attempts to join. For your security, please wait an "
                "hour before trying again."
            ),
        ),
    }


def _refused(
    request: HttpRequest, reason: str, *, status: int = 403, join_path: str = ""
) -> HttpResponse:
    title, text = _refusal_texts()[reason]
    login_url = ""
    if reason == JoinRefused.LOGIN_REQUIRED:
        login_url = f"{reverse('account_login')}?next={join_path or reverse('meetings:join')}"
    return render(
        request,
        "meetings/live/refused.html",
        {"title": title, "text": text, "reason": reason, "login_url": login_url},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, meeting_id: str | None = None) -> HttpResponse:
    """Ask for meeting ID (unless in the link), passcode and display name; run the checks."""
    guest = not request.user.is_authenticated
    fixed = normalise_meeting_id(meeting_id) if meeting_id is not None else None
    if request.method == "POST":
        data = request.POST.copy()
        if fixed is not None:
            data["meeting_id"] = fixed
        form = JoinForm(data, guest=guest, fixed_meeting_id=fixed)
        if form.is_valid():
            ref = form.cleaned_data["meeting_id"]
            if join_limits.is_blocked(request, meeting_ref=ref):
                return _refused(request, "rate_limited", status=429)
            meeting = Meeting.objects.select_related("host").filter(meeting_id=ref).first()
            try:
                if meeting is None:
                    passcodes.passcode_matches(_no_meeting_token(), form.cleaned_data["passcode"])
                    raise JoinRefused(JoinRefused.WRONG_CREDENTIALS)
                guest_key = request.session.get(selectors_live.guest_session_key(meeting))
                result = services_live.join_meeting(
                    meeting=meeting,
                    user=request.user,
                    passcode=form.cleaned_data["passcode"],
                    display_name=form.cleaned_data["display_name"],
                    guest_key=guest_key,
                    age_confirmed=guest,  # the form asks guests to confirm it
                )
            except JoinRefused as refusal:
                if refusal.reason == JoinRefused.NOT_STARTED:
                    return _not_started(request, meeting, form)
                if refusal.reason != JoinRefused.WRONG_CREDENTIALS:
                    return _refused(request, refusal.reason, join_path=request.path)
                # the same answer whether the meeting ID or the passcode was wrong
                join_limits.count_failure(request, meeting_ref=ref)
                form.add_error(None, _("The meeting ID or the passcode is not right."))
            else:
                if result.guest_key:
                    request.session[selectors_live.guest_session_key(meeting)] = result.guest_key
                return redirect("meetings:live_room", meeting_id=meeting.meeting_id)
    else:
        initial = {} if guest else {"display_name": request.user.shown_name}
        form = JoinForm(initial=initial, guest=guest, fixed_meeting_id=fixed)
    # Nothing about the meeting shows before its passcode is right (not even whether it
    # exists); a planned recording is announced in the invitation, the calendar file, the
    # waiting page and the room.
    return render(
        request,
        "meetings/live/join.html",
        {"form": form, "fixed_meeting_id": fixed, "guest": guest},
    )


_STARTED_CHECK_KEY = "meetings_join_not_started"


def _not_started(request: HttpRequest, meeting: Meeting, form: JoinForm) -> HttpResponse:
    """The passcode was right but the host has not opened the room: the join form stays
    filled in, shows the start time, and asks :func:`join_started` every few seconds; once
    the meeting runs, the page sends the form again by itself (``join.js``)."""
    request.session[_STARTED_CHECK_KEY] = meeting.meeting_id
    title, text = _refusal_texts()[JoinRefused.NOT_STARTED]
    return render(
        request,
        "meetings/live/join.html",
        {
            "form": form,
            "fixed_meeting_id": normalise_meeting_id(meeting.meeting_id),
            "guest": not request.user.is_authenticated,
            "not_started": {"title": title, "text": text, "meeting": meeting},
        },
    )


@never_cache
@require_GET
def join_started(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """204 while the meeting has not started, 200 with ``HX-Trigger: meeting-started`` once
    it runs. Only for a browser that gave the right passcode (marked in its session):
    everyone else gets 404, so the answer tells nothing about meetings one has no passcode
    for."""
    if request.session.get(_STARTED_CHECK_KEY) != meeting_id:
        raise Http404
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id)
    if meeting.status == Meeting.Status.SCHEDULED:
        return HttpResponse(status=204)
    response = HttpResponse("")
    response["HX-Trigger"] = "meeting-started"
    return response


def _participant_or_404(request: HttpRequest, meeting: Meeting) -> Participant:
    participant = selectors_live.participant_for(
        meeting=meeting,
        user=request.user,
        guest_key=request.session.get(selectors_live.guest_session_key(meeting)),
    )
    if participant is None:
        raise Http404
    return participant


def _live_strings() -> dict[str, str]:
    """Texts the room's script shows (the script itself holds none, for translation)."""
    return {
        "connected": _("Connected: updates arrive live."),
        "reconnecting": _("Connection lost, reconnecting…"),
        "queued": _(
            "Connection lost, reconnecting… What you send now is sent once the connection is back."
        ),
        "dropped": _("connection lost"),
        "declined": _("The host has declined your request to join."),
        "removed": _("The host removed you from this meeting. You cannot rejoin it."),
        "admit": _("Admit"),
        "decline": _("Decline"),
        "remove": _("Remove"),
        "host": _("host"),
        "you": _("you"),
        "everyone": _("Everyone"),
        "to": _("to"),
        "private": _("private"),
        "nobody_waiting": _("Nobody is waiting."),
        "nobody_matches": _("Nobody here matches."),
        "filter_names": _("Find by name"),
        "previous_page": _("Previous page"),
        "next_page": _("Next page"),
        "page_range": _("{from}–{to} of {total}"),
        "roster_pages": _("Pages of the participant list"),
        "waiting_pages": _("Pages of the waiting list"),
        "confirm_remove": _("Remove {name} from the meeting? They cannot rejoin it."),
        "lock": _("Lock meeting"),
        "unlock": _("Unlock meeting"),
        "locked": _("Locked: nobody new may join."),
        "unlocked": _("Open: participants may join."),
        "confirm_end": _("End the meeting for everyone?"),
        "time_warning": _("The meeting ends in {minutes} minutes (licence time limit)."),
        "error_not_allowed": _("You may not do that."),
        "error_bad_request": _("That did not work. Please check your input."),
        "error_slow_down": _("You are sending messages too quickly. Please wait a moment."),
        "error_too_large": _("That message is too long to send."),
        "error_chat_off": _("The host has switched the chat off."),
        "error_chat_hosts_only": _("In this meeting you may write only to the hosts."),
        "error_unavailable": _("The service is briefly unavailable. Please try again in a moment."),
        "recording_on": _("Recording: this meeting is being recorded."),
        "recording_off": _("Not recording."),
        "held": _("Waiting for consent to the recording: {names}"),
        "recording_stopped_withdrawn": _(
            "The recording stopped: a participant withdrew their consent. What was recorded "
            "is deleted under the withdrawal rule."
        ),
        "conversion_retry": _("The recording could not be processed yet; it is tried again."),
        "conversion_failed": _(
            "The recording could not be processed. Its raw files are deleted at the end of the "
            "retention period."
        ),
    }


def _media_strings() -> dict[str, str]:
    """Texts of the media script (audio, video, screen sharing)."""
    return {
        "you": _("You"),
        "participant": _("Participant"),
        "muted": _("muted"),
        "camera_off": _("camera off"),
        "sharing_screen": _("sharing the screen"),
        "mute": _("Mute microphone"),
        "unmute": _("Unmute microphone"),
        "camera_stop": _("Turn camera off"),
        "camera_start": _("Turn camera on"),
        "screen_start": _("Share screen"),
        "screen_stop": _("Stop sharing the screen"),
        "screen_failed": _("The screen could not be shared."),
        "device": _("Device"),
        "device_failed": _("This device could not be used."),
        "talking": _("{name} is talking"),
        "muted_name": _("{name} muted their microphone"),
        "unmuted_name": _("{name} unmuted their microphone"),
        "all_muted": _("The host muted everyone's microphone. You may unmute yourself."),
        "connecting": _("Connecting audio and video…"),
        "connected": _("Audio and video connected."),
        "reconnecting": _("Audio and video interrupted, reconnecting…"),
        "refused": _("The media server refused the connection."),
        "unavailable": _("Audio and video are unavailable at the moment; the room works without."),
        "no_devices": _("You are in the meeting without camera or microphone."),
    }


@never_cache
@require_GET
def live_room(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The waiting page or the room, depending on where this participant stands."""
    meeting = get_object_or_404(Meeting.objects.select_related("host"), meeting_id=meeting_id)
    participant = _participant_or_404(request, meeting)
    if services_live.enforce_time_limit(meeting=meeting) == "ended":
        return redirect("meetings:live_ended")
    context = {
        "meeting": meeting,
        "participant": participant,
        "live_strings": _live_strings(),
        "socket_path": f"/ws/meetings/{meeting.meeting_id}/",
    }
    if participant.is_removed:
        return redirect("meetings:live_removed")
    if participant.state in (Participant.State.DECLINED, Participant.State.LEFT):
        return render(request, "meetings/live/outside.html", context)
    context.update(admission.room_context(meeting=meeting, participant=participant))
    if participant.is_waiting:
        return render(request, "meetings/live/waiting.html", context)
    backend = get_backend()
    try:
        room = backend.create_room(meeting=meeting)
    except BackendError:
        room = None
    media = (
        services_live.media_credentials(meeting=meeting, participant=participant) if room else None
    )
    context.update(
        room=room,
        media=media,
        media_unavailable=room is None or bool(media and media.get("unavailable")),
        media_strings=_media_strings() if media else {},
        media_url=backend.join_url(meeting=meeting, participant=participant),
        roster=selectors_live.roster(meeting.pk),
        waiting=selectors_live.waiting_list(meeting.pk) if participant.is_host else [],
        chat=selectors_live.visible_chat(participant=participant),
        deadline=services_live.time_limit_deadline(meeting=meeting),
        recording_forbidden=participant.is_host
        and MeetingPolicy.current().recording_forbidden_for(meeting.host),
    )
    return render(request, "meetings/live/room.html", context)


@login_required
@require_POST
def live_start(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The host or a co-host opens the room (and so starts the meeting)."""
    meeting = get_object_or_404(Meeting.objects.select_related("host"), meeting_id=meeting_id)
    if not meeting.is_hosted_by(request.user):
        raise Http404
    try:
        services_live.host_enters(meeting=meeting, user=request.user)
    except JoinRefused as refusal:
        return _refused(request, refusal.reason)
    return redirect("meetings:live_room", meeting_id=meeting.meeting_id)


@require_POST
def live_leave(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Leave the room or the waiting room."""
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id)
    participant = _participant_or_404(request, meeting)
    services_live.leave_meeting(participant=participant)
    return redirect("meetings:live_room", meeting_id=meeting.meeting_id)


@require_GET
def live_ended(request: HttpRequest) -> HttpResponse:
    """Where browsers go when their meeting ends (no meeting ID: nothing to enumerate)."""
    return render(request, "meetings/live/ended.html")


@require_GET
def live_removed(request: HttpRequest) -> HttpResponse:
    """Where a removed participant lands: nothing of the meeting (no topic, roster or chat),
    and no meeting ID in the address."""
    return render(request, "meetings/live/removed.html")
