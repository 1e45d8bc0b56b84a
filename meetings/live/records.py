"""What the hosts may read of a meeting after the fact: its attendance list, where the meeting
keeps one and the institution's policy lets hosts see it, and its stored chat, where storing it
was announced, within its retention period (docs/POLICY.md, chat and attendance). Every read is
written to the access log (``retention/access.py``)."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.timezone import localtime, now
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from meetings.live.models import AttendanceRecord, ChatMessage
from meetings.live.retention import StoredChat
from meetings.scheduling.announcements import attendance_visible_to_hosts
from meetings.scheduling.models import Meeting
from meetings.scheduling.selectors import meeting_for_manager
from retention.access import record_reads
from retention.models import RetentionRule


def _time(value: object) -> str:
    return localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _csv_response(filename: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        # a cell starting with =, +, - or @ would be a formula in a spreadsheet
        writer.writerow(["'" + cell if cell[:1] in "=+-@" else cell for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _refused(request: HttpRequest, meeting: Meeting, text: str) -> HttpResponse:
    return render(
        request,
        "meetings/live/records_refused.html",
        {"meeting": meeting, "text": text},
        status=403,
    )


@never_cache
@login_required
@require_GET
def attendance(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The meeting's attendance list for its host and co-hosts (``?format=csv`` downloads it)."""
    meeting = meeting_for_manager(request.user, meeting_id)
    if not meeting.attendance_required:
        return _refused(request, meeting, _("This meeting keeps no attendance list."))
    if not attendance_visible_to_hosts(meeting):
        return _refused(
            request,
            meeting,
            _("The institution's policy does not let hosts see attendance lists."),
        )
    records = list(AttendanceRecord.objects.filter(meeting=meeting).order_by("joined_at", "pk"))
    record_reads(user=request.user, kind="attendance", objects=records)
    if request.GET.get("format") == "csv":
        return _csv_response(
            f"attendance-{meeting.meeting_id}.csv",
            [_("Name"), _("Guest"), _("Joined at"), _("Left at")],
            [
                [r.name, _("yes") if r.is_guest else _("no"), _time(r.joined_at), _time(r.left_at)]
                for r in records
            ],
        )
    return render(
        request, "meetings/live/attendance.html", {"meeting": meeting, "records": records}
    )


def stored_chat(meeting: Meeting, user: object) -> QuerySet[ChatMessage]:
    """The meeting's stored chat a host may read: messages to everyone and the host's own
    private ones (never private messages between others), without what the chat's retention
    rules already let go."""
    messages = ChatMessage.objects.filter(meeting=meeting).filter(
        Q(recipient_name="") | Q(sender_user_id=user.pk) | Q(recipient_user_id=user.pk)
    )
    category = StoredChat()
    moment = now()
    for rule in RetentionRule.objects.filter(category=category.identifier, enabled=True):
        messages = messages.exclude(pk__in=category.expired(rule, moment).values("pk"))
    return messages.order_by("created_at", "pk")


@never_cache
@login_required
@require_GET
def chat_download(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The stored chat of a meeting that announced storing it, for its host and co-hosts, as
    CSV (default) or plain text (``?format=txt``)."""
    meeting = meeting_for_manager(request.user, meeting_id)
    if not meeting.chat_stored:
        return _refused(
            request, meeting, _("This meeting did not announce storing its chat: none is kept.")
        )
    messages = list(stored_chat(meeting, request.user))
    record_reads(user=request.user, kind="chat", objects=messages)
    if request.GET.get("format") == "txt":
        lines = [
            f"[{_time(m.created_at)}] {m.sender_name}"
            + (f" → {m.recipient_name}" if m.recipient_name else "")
            + f": {m.text}"
            for m in messages
        ]
        response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chat-{meeting.meeting_id}.txt"'
        response["Cache-Control"] = "private, no-store"
        return response
    return _csv_response(
        f"chat-{meeting.meeting_id}.csv",
        [_("Sent at"), _("From"), _("To"), _("Message")],
        [
            [_time(m.created_at), m.sender_name, m.recipient_name or _("everyone"), m.text]
            for m in messages
        ],
    )
