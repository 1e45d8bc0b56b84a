"""Recordings and recording sessions in the admin: read-only evidence; a recording is deleted
only through the retention engine (files too, legal holds respected, logged)."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as confirm_deletion
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.recordings.models import RawRecording, Recording, RecordingSession
from meetings.recordings.services import DELETED_BY_ADMINISTRATOR, RecordingsHeld, delete_recordings
from retention.admin import HoldThisMixin
from retention.services import held_items


@admin.register(RecordingSession)
class RecordingSessionAdmin(admin.ModelAdmin):
    list_display = ("pk", "meeting", "started_at", "stopped_at")
    list_select_related = ("meeting",)
    readonly_fields = ("meeting", "started_at", "stopped_at", "started_by")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(Recording)
class RecordingAdmin(HoldThisMixin, admin.ModelAdmin):
    """Recordings are read-only here: a deletion date once set is never cleared."""

    list_display = ("pk", "meeting", "created_at", "size", "state", "deletion_due_at")
    list_filter = ("state", "source")
    list_select_related = ("meeting",)
    readonly_fields = (
        "meeting",
        "session",
        "file",
        "size",
        "sha256",
        "content_type",
        "source",
        "uploaded_by",
        "created_at",
        "state",
        "deletion_due_at",
        "deletion_reason",
    )

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    actions = ["delete_selected"]

    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        """Through the engine: the file goes with the row, a hold refuses, the log records it."""
        try:
            delete_recordings(pks=[obj.pk], reason=DELETED_BY_ADMINISTRATOR)
        except RecordingsHeld:
            request._recording_deletion_refused = True  # noqa: SLF001 -- read by response_delete

    def response_delete(
        self, request: HttpRequest, obj_display: str, obj_id: object
    ) -> HttpResponse:
        if getattr(request, "_recording_deletion_refused", False):
            self.message_user(request, held_message(1), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:meetings_recording_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001
        delete_recordings(
            pks=list(queryset.values_list("pk", flat=True)), reason=DELETED_BY_ADMINISTRATOR
        )

    @admin.action(
        permissions=["delete"],
        description=_("Delete selected recordings with their files (legal holds respected)"),
    )
    def delete_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:  # noqa: ANN001
        """Django's confirmation page, then the engine: the held recordings stay (and are
        named by count), the others go with their files."""
        if not request.POST.get("post"):
            return confirm_deletion(self, request, queryset)
        pks = list(queryset.values_list("pk", flat=True))
        held = set(held_items(identifier="recordings", ids=pks))
        free = [pk for pk in pks if pk not in held]
        deleted = delete_recordings(pks=free, reason=DELETED_BY_ADMINISTRATOR) if free else 0
        if deleted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d recording was deleted with its file.",
                    "%(count)d recordings were deleted with their files.",
                    deleted,
                )
                % {"count": deleted},
                messages.SUCCESS,
            )
        if held:
            self.message_user(request, held_message(len(held)), messages.ERROR)
        return None


def held_message(count: int) -> str:
    return ngettext(
        "%(count)d recording is kept under a legal hold and was not deleted.",
        "%(count)d recordings are kept under a legal hold and were not deleted.",
        count,
    ) % {"count": count}


@admin.register(RawRecording)
class RawRecordingAdmin(admin.ModelAdmin):
    """Raw files the retention engine deletes (category ``raw_recordings``): read-only, so
    that nobody removes the row while the files stay."""

    list_display = ("pk", "meeting", "created_at", "stopped_at", "failed_at")
    list_select_related = ("meeting",)
    readonly_fields = ("meeting", "session", "location", "created_at", "stopped_at", "failed_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
