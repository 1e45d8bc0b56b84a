"""Recordings and recording sessions in the admin: read-only evidence."""

from django.contrib import admin

from meetings.recordings.models import RawRecording, Recording, RecordingSession


@admin.register(RecordingSession)
class RecordingSessionAdmin(admin.ModelAdmin):
    list_display = ("pk", "meeting", "started_at", "stopped_at")
    list_select_related = ("meeting",)
    readonly_fields = ("meeting", "started_at", "stopped_at", "started_by")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
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
