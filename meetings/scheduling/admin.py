"""Admin of scheduling: the institution's meeting policy (one row), meetings, series."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from meetings.scheduling.models import Meeting, MeetingPolicy, MeetingSeries


class MeetingPolicyAdmin(admin.ModelAdmin):
    fieldsets = [
        (
            _("Waiting room"),
            {"fields": ["waiting_room", "waiting_room_locked", "waiting_room_reason"]},
        ),
        (
            _("Only authenticated participants"),
            {
                "fields": [
                    "authenticated_only",
                    "authenticated_only_locked",
                    "authenticated_only_reason",
                ]
            },
        ),
        (
            _("Join before host"),
            {"fields": ["join_before_host", "join_before_host_locked", "join_before_host_reason"]},
        ),
        (
            _("Recording announced"),
            {
                "fields": [
                    "recording_announced",
                    "recording_announced_locked",
                    "recording_announced_reason",
                ]
            },
        ),
        (_("Chat"), {"fields": ["chat_stored", "chat_stored_locked", "chat_stored_reason"]}),
        (
            _("Attendance"),
            {
                "fields": [
                    "attendance_required",
                    "attendance_required_locked",
                    "attendance_required_reason",
                ]
            },
        ),
        (_("Passcodes"), {"fields": ["minimum_passcode_length"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not MeetingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MeetingAdmin(admin.ModelAdmin):
    # the passcode is never shown here: only the host reads it on the meeting page
    list_display = ["meeting_id", "topic", "start", "duration_minutes", "status"]
    list_filter = ["status"]
    search_fields = ["meeting_id"]
    fields = [
        "meeting_id",
        "topic",
        "start",
        "duration_minutes",
        "timezone",
        "status",
        "waiting_room",
        "authenticated_only",
        "join_before_host",
        "recording_announced",
        "chat_stored",
        "attendance_required",
        "series",
    ]
    readonly_fields = ["meeting_id", "series"]
    raw_id_fields = ["series"]


class MeetingSeriesAdmin(admin.ModelAdmin):
    list_display = ["topic", "frequency", "interval", "first_start", "until", "count"]
    readonly_fields = ["first_start", "frequency", "interval", "until", "count", "timezone"]
    exclude = ["host"]


admin.site.register(MeetingPolicy, MeetingPolicyAdmin)
admin.site.register(Meeting, MeetingAdmin)
admin.site.register(MeetingSeries, MeetingSeriesAdmin)
