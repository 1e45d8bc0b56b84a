"""Recording pages: the host's console fragment, start/stop, upload, list, download, viewers,
the live indicator page and the backends' ingest API. Thin: authorise, call a service, render.

Objects the user may not see answer 404, never 403 (no leak of what exists).
"""

import hmac
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings.live.broadcast import broadcast_to_meeting
from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.recordings import gate as recording_gate
from meetings.recordings.delivery import file_response
from meetings.recordings.forms import (
    RecordingRetentionForm,
    RecordingUploadForm,
    RecordingViewerForm,
)
from meetings.recordings.ingest import RecordingFileRejected, check_declared_file
from meetings.recordings.models import Recording, RecordingSession
from meetings.recordings.services import (
    DELETED_BY_HOST,
    RecordingNotAllowed,
    RecordingsHeld,
    ViewerRefused,
    admitted_participants,
    delete_recordings,
    grant_viewer,
    recording_kept_until,
    recording_retention_maximum,
    revoke_viewer,
    running_session,
    set_recording_retention,
    start_recording,
    stop_recording,
    store_recording,
    user_may_view_recording,
)
from meetings.scheduling.models import Meeting, MeetingPolicy
from meetings.scheduling.selectors import meeting_hosted_by
from retention.access import record_read

logger = logging.getLogger(__name__)


def _visible_recording(request: HttpRequest, pk: int) -> Recording:
    recording = get_object_or_404(Recording.objects.select_related("meeting"), pk=pk, purging=False)
    if not user_may_view_recording(user=request.user, recording=recording):
        raise Http404
    return recording


def _console_context(meeting: Meeting) -> dict:
    policy = MeetingPolicy.current()
    participants = admitted_participants(meeting=meeting)
    missing = recording_gate.participants_without_consent(
        meeting=meeting, participants=participants
    )
    return {
        "meeting": meeting,
        "session": running_session(meeting=meeting),
        "participants": participants,
        "missing": missing or [],
        "gate_missing": missing is None,
        "forbidden": policy.recording_forbidden_for(meeting.host),
        "forbidden_reason": policy.recording_forbidden_reason_text(),
    }


@login_required
@require_GET
@never_cache
def recording_console(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The host's recording console, linked from the room."""
    meeting = meeting_hosted_by(request.user, meeting_id)
    return render(request, "meetings/recordings/console_page.html", _console_context(meeting))


def _back(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Back to the room when the console there was used, else to the console page."""
    if request.POST.get("back") == "room":
        return redirect("meetings:live_room", meeting_id=meeting.meeting_id)
    return redirect("meetings:recording_console", meeting_id=meeting.meeting_id)


@login_required
@require_POST
def start_recording_view(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    try:
        start_recording(meeting=meeting, by=request.user)
    except RecordingNotAllowed as refusal:
        if refusal.reason == "consent_missing":
            names = ", ".join(p.display_name for p in refusal.missing)
            messages.error(
                request,
                _("Recording cannot start: not everyone has consented (%(names)s).")
                % {"names": names},
            )
        elif refusal.reason == "already_running":
            messages.error(request, _("A recording is already running."))
        elif refusal.reason == "meeting_ended":
            messages.error(request, _("The meeting has ended."))
        elif refusal.reason == "forbidden":
            messages.error(
                request,
                _("Recording cannot start: %(reason)s")
                % {"reason": MeetingPolicy.current().recording_forbidden_reason_text()},
            )
        elif refusal.reason == "not_announced":
            messages.error(
                request,
                _(
                    "Recording cannot start: this meeting did not announce a recording before "
                    "it began. Announce it when you schedule the next one."
                ),
            )
        else:
            messages.error(request, _("Recording is not available: consent cannot be checked."))
    else:
        messages.success(request, _("Recording started. Everyone in the meeting sees it."))
    return _back(request, meeting)


@login_required
@require_POST
def stop_recording_view(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    if stop_recording(meeting=meeting, by=request.user):
        messages.success(request, _("Recording stopped."))
    else:
        messages.error(request, _("No recording is running."))
    return _back(request, meeting)


@login_required
@require_POST
def ask_again_view(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Ask every admitted participant without consent once more (a prompt in their room)."""
    meeting = meeting_hosted_by(request.user, meeting_id)
    context = _console_context(meeting)
    ids = [p.pk for p in context["missing"]]
    if ids:
        broadcast_to_meeting(meeting.pk, "consent.requested", participant_ids=ids)
        messages.success(request, _("The participants without consent were asked again."))
    else:
        messages.info(request, _("Everyone admitted has consented."))
    return _back(request, meeting)


@require_GET
def recording_status(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The room's recording status with the live indicator (participants and hosts)."""
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id)
    if not user_may_follow_meeting(request, meeting):
        raise Http404
    return render(
        request,
        "meetings/recordings/status.html",
        {"meeting": meeting, "session": running_session(meeting=meeting)},
    )


def user_may_follow_meeting(request: HttpRequest, meeting: Meeting) -> bool:
    user = request.user
    if user.is_authenticated:
        if meeting.is_hosted_by(user):
            return True
        return Participant.objects.filter(
            meeting=meeting,
            user=user,
            state__in=[Participant.State.WAITING, Participant.State.ADMITTED],
        ).exists()
    guest_key = request.session.get(guest_session_key(meeting))
    return (
        bool(guest_key)
        and Participant.objects.filter(meeting=meeting, guest_key=guest_key, user__isnull=True)
        .exclude(state__in=[Participant.State.REMOVED, Participant.State.DECLINED])
        .exists()
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_recordings(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The host's list of a meeting's recordings, with the upload form."""
    meeting = meeting_hosted_by(request.user, meeting_id)
    form = RecordingUploadForm(meeting=meeting)
    if request.method == "POST":
        form = RecordingUploadForm(request.POST, request.FILES, meeting=meeting)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                recording = store_recording(
                    session=form.cleaned_data["session"],
                    stream=upload,
                    content_type=upload.content_type,
                    declared_size=upload.size,
                    source=Recording.Source.WEB_UPLOAD,
                    uploaded_by=request.user,
                )
            except RecordingFileRejected as refusal:
                form.add_error("file", refusal.message)
            else:
                messages.success(request, _("The recording was stored."))
                return redirect(recording.get_absolute_url())
    recordings = meeting.recordings.filter(purging=False).order_by("-created_at")
    # the host sees a recording that could not be processed, not only the live notice
    failed = meeting.recording_sessions.filter(
        conversion__in=[RecordingSession.Conversion.FAILED, RecordingSession.Conversion.DISCARDED]
    ).order_by("-started_at")
    return render(
        request,
        "meetings/recordings/list.html",
        {"meeting": meeting, "form": form, "recordings": recordings, "failed_sessions": failed},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def recording_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recording = _visible_recording(request, pk)
    is_host = recording.meeting.is_hosted_by(request.user)
    viewers = []
    if is_host:
        from guardian.shortcuts import get_users_with_perms

        viewers = get_users_with_perms(
            recording, only_with_perms_in=["view_recording_file"], with_superusers=False
        )
        record_read(user=request.user, kind="recording_viewers", obj=recording)
    audiences = recording_gate.viewer_audiences(session=recording.session) if is_host else None
    maximum = recording_retention_maximum() if is_host else None
    return render(
        request,
        "meetings/recordings/detail.html",
        {
            "recording": recording,
            "is_host": is_host,
            "may_share": audiences is not None,
            "audiences": audiences or [],
            "viewers": viewers,
            "viewer_form": RecordingViewerForm(),
            "retention_maximum": maximum,
            "retention_form": RecordingRetentionForm(
                initial={"keep_days": recording.keep_days}, maximum=maximum
            ),
            "kept_until": recording_kept_until(recording=recording),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def recording_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, only after the permission check: handed to nginx or streamed in chunks, with
    byte ranges and HEAD (meetings/recordings/delivery.py)."""
    recording = _visible_recording(request, pk)
    extension = recording.file.name.rsplit(".", 1)[-1]
    record_read(user=request.user, kind="recording_download", obj=recording)
    try:
        return file_response(
            request,
            storage=recording.file.storage,
            name=recording.file.name,
            content_type=recording.content_type,
            filename=f"recording-{recording.meeting.meeting_id}-{recording.pk}.{extension}",
            etag=recording.sha256 or f"{recording.token}-{recording.size}",
        )
    except FileNotFoundError as error:
        raise Http404 from error


@login_required
@require_POST
def recording_viewers(request: HttpRequest, pk: int) -> HttpResponse:
    """The host names (or removes) viewers of a recording."""
    recording = _visible_recording(request, pk)
    if not recording.meeting.is_hosted_by(request.user):
        raise Http404
    form = RecordingViewerForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("username", []):
            messages.error(request, error)
        return redirect(recording.get_absolute_url())
    viewer = form.cleaned_data["username"]
    if request.POST.get("action") == "remove":
        revoke_viewer(recording=recording, viewer=viewer)
        messages.success(request, _("The viewer was removed."))
    else:
        try:
            grant_viewer(recording=recording, viewer=viewer)
        except ViewerRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The viewer may now see this recording."))
    return redirect(recording.get_absolute_url())


def _backend_authorised(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return any(
        hmac.compare_digest(token.encode(), known.encode())
        for known in settings.RECORDING_INGEST_TOKENS
        if known
    )


@csrf_exempt
@require_POST
def ingest_api(request: HttpRequest) -> JsonResponse:
    """A conferencing backend delivers a recording: raw body, ``?session=<id>``, bearer token.

    The body is streamed in chunks to storage (never read whole); type by header and magic
    bytes, size limit, SHA-256 checksum returned.
    """
    if not _backend_authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    session_id = request.GET.get("session", "")
    session = (
        RecordingSession.objects.filter(pk=session_id).first() if session_id.isdigit() else None
    )
    if session is None:
        return JsonResponse({"error": "unknown recording session"}, status=404)
    length = request.META.get("CONTENT_LENGTH")
    try:
        declared = int(length) if length else None
        check_declared_file(content_type=request.content_type, size=declared)
        recording = store_recording(
            session=session,
            stream=request,
            content_type=request.content_type,
            declared_size=declared,
            source=Recording.Source.BACKEND,
        )
    except RecordingFileRejected as refusal:
        return JsonResponse({"error": refusal.message}, status=refusal.status)
    except ValueError:
        return JsonResponse({"error": "invalid Content-Length"}, status=400)
    return JsonResponse(
        {"recording": recording.pk, "size": recording.size, "sha256": recording.sha256},
        status=201,
    )


def _hosted_recording(request: HttpRequest, pk: int) -> Recording:
    """A recording of a meeting the user hosts (404 otherwise, like every object URL)."""
    recording = _visible_recording(request, pk)
    if not recording.meeting.is_hosted_by(request.user):
        raise Http404
    return recording


@login_required
@require_POST
def recording_retention(request: HttpRequest, pk: int) -> HttpResponse:
    """The host chooses how long the recording is kept, within the institution's maximum."""
    recording = _hosted_recording(request, pk)
    form = RecordingRetentionForm(request.POST, maximum=recording_retention_maximum())
    if not form.is_valid():
        for error in form.errors.get("keep_days", []):
            messages.error(request, error)
        return redirect(recording.get_absolute_url())
    try:
        set_recording_retention(recording=recording, keep_days=form.cleaned_data["keep_days"])
    except ValidationError as refusal:
        for message in refusal.messages:
            messages.error(request, message)
        return redirect(recording.get_absolute_url())
    messages.success(request, _("The recording's retention period was saved."))
    return redirect(recording.get_absolute_url())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recording_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The host deletes a recording (file and record) through the retention engine."""
    recording = _hosted_recording(request, pk)
    if request.method == "POST":
        meeting_id = recording.meeting.meeting_id
        try:
            delete_recordings(pks=[recording.pk], reason=DELETED_BY_HOST)
        except RecordingsHeld:
            messages.error(
                request,
                _("This recording is kept under a legal hold and cannot be deleted now."),
            )
            return redirect(recording.get_absolute_url())
        messages.success(request, _("The recording was deleted."))
        return redirect("meetings:meeting_recordings", meeting_id=meeting_id)
    return render(request, "meetings/recordings/delete.html", {"recording": recording})
