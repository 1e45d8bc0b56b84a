"""Admin of what meetings leave behind: stored chat, meeting reports, attendance lists.

Read-only: these are evidence and personal data; they change only through the live room and
go only through the retention rules (a legal hold on "meetings.meeting:<id>" keeps them).
The chat list never shows message texts; a message's page does, for an admin who must look.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport
from retention.admin import LoggedReadsAdmin, ReadOnlyAdmin


class ChatMessageAdmin(LoggedReadsAdmin, ReadOnlyAdmin):
    access_kind = "chat"
    log_list_reads = False  # the list shows no message texts; a message's page is logged
    list_display = ["pk", "meeting_ref", "created_at", "to_everyone"]
    list_select_related = ["meeting"]
    list_filter = ["created_at"]
    search_fields = ["meeting__meeting_id"]
    search_help_text = _("Search by meeting ID.")
    date_hierarchy = "created_at"
    fields = ["meeting", "created_at", "sender_name", "recipient_name", "text"]

    @admin.display(description=_("meeting ID"), ordering="meeting__meeting_id")
    def meeting_ref(self, message: ChatMessage) -> str:
        return message.meeting.meeting_id

    @admin.display(description=_("to everyone"), boolean=True)
    def to_everyone(self, message: ChatMessage) -> bool:
        return not message.is_private


class MeetingReportAdmin(ReadOnlyAdmin):
    list_display = [
        "meeting_ref",
        "started_at",
        "ended_at",
        "participant_count",
        "ended_by_time_limit",
    ]
    list_filter = ["ended_by_time_limit"]
    search_fields = ["meeting_ref"]
    search_help_text = _("Search by meeting ID.")
    date_hierarchy = "ended_at"
    fields = [
        "meeting",
        "meeting_ref",
        "started_at",
        "ended_at",
        "participant_count",
        "ended_by_time_limit",
        "created_at",
    ]


class AttendanceRecordAdmin(LoggedReadsAdmin, ReadOnlyAdmin):
    access_kind = "attendance"
    list_display = ["name", "meeting_ref", "is_guest", "joined_at", "left_at"]
    list_select_related = ["meeting"]
    list_filter = ["is_guest"]
    search_fields = ["meeting__meeting_id"]
    search_help_text = _("Search by meeting ID.")
    fields = ["meeting", "name", "user", "is_guest", "joined_at", "left_at"]

    @admin.display(description=_("meeting ID"), ordering="meeting__meeting_id")
    def meeting_ref(self, record: AttendanceRecord) -> str:
        return record.meeting.meeting_id


admin.site.register(ChatMessage, ChatMessageAdmin)
admin.site.register(MeetingReport, MeetingReportAdmin)
admin.site.register(AttendanceRecord, AttendanceRecordAdmin)
