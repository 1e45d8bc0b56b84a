"""Admin of scheduling: the institution's meeting policy (one row), meetings, series."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as confirm_deletion
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import ValidationError
from django.db import router
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from meetings.scheduling import services
from meetings.scheduling.models import Meeting, MeetingPolicy, MeetingSeries
from retention.admin import HoldThisMixin


class DeletionThroughServicesMixin:
    """Meetings and series are deleted by the scheduling services, as when their host deletes
    them: their recordings go first through the retention engine (files, legal holds, deletion
    log), registered by the recordings feature; a refusal is shown, nothing half-done."""

    actions = ["delete_selected"]

    def _delete(self, obj: object) -> None:
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):  # noqa: ANN001, ANN201
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            # recordings protect their sessions; they are deleted first, by the engine
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(list(objs))
            if all(o._meta.label_lower == "meetings.recording" for o in collector.protected):
                protected = []
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: object) -> None:
        try:
            self._delete(obj)
        except ValidationError as refusal:
            request._deletion_refusal = refusal.messages  # noqa: SLF001 -- for response_delete

    def response_delete(
        self, request: HttpRequest, obj_display: str, obj_id: object
    ) -> HttpResponse:
        refusal = getattr(request, "_deletion_refusal", None)
        if refusal:
            for message in refusal:
                self.message_user(request, message, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001
        for obj in queryset:
            self._delete(obj)

    @admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:  # noqa: ANN001
        if not request.POST.get("post"):
            return confirm_deletion(self, request, queryset)
        deleted = 0
        for obj in queryset:
            try:
                self._delete(obj)
            except ValidationError as refusal:
                for message in refusal.messages:
                    self.message_user(request, f"{obj}: {message}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(
                request, _("%(count)d deleted.") % {"count": deleted}, messages.SUCCESS
            )
        return None


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
        (
            _("Polls"),
            {
                "fields": [
                    "polls_need_announcement",
                    "polls_announced",
                    "polls_announced_locked",
                    "polls_announced_reason",
                ]
            },
        ),
        (_("Attendance list for hosts"), {"fields": ["attendance_visible_to_hosts"]}),
        (
            _("Forbid recording"),
            {
                "fields": [
                    "recording_forbidden",
                    "recording_forbidden_roles",
                    "recording_forbidden_reason",
                ]
            },
        ),
        (_("Passcodes"), {"fields": ["minimum_passcode_length"]}),
    ]
    filter_horizontal = ["recording_forbidden_roles"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not MeetingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MeetingAdmin(DeletionThroughServicesMixin, HoldThisMixin, admin.ModelAdmin):
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
        "polls_announced",
        "chat",
        "series",
    ]
    readonly_fields = ["meeting_id", "series"]
    raw_id_fields = ["series"]

    def _delete(self, obj: Meeting) -> None:
        services.delete_meeting(meeting=obj)


class MeetingSeriesAdmin(DeletionThroughServicesMixin, HoldThisMixin, admin.ModelAdmin):
    list_display = ["topic", "frequency", "interval", "first_start", "until", "count"]
    readonly_fields = ["first_start", "frequency", "interval", "until", "count", "timezone"]
    exclude = ["host"]

    def _delete(self, obj: MeetingSeries) -> None:
        services.delete_series(series=obj)


admin.site.register(MeetingPolicy, MeetingPolicyAdmin)
admin.site.register(Meeting, MeetingAdmin)
admin.site.register(MeetingSeries, MeetingSeriesAdmin)
