"""Manual registration of learning platforms, and the tool's keys, in the admin."""

from django.contrib import admin

from integrations.lti.models import LtiAccount, LtiCourse, LtiPlatform, LtiToolKey


@admin.register(LtiPlatform)
class LtiPlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "issuer", "client_id")


@admin.register(LtiToolKey)
class LtiToolKeyAdmin(admin.ModelAdmin):
    """The public half is shown; the private key never leaves the database."""

    list_display = ("pk", "active", "created_at")
    readonly_fields = ("public_key", "created_at")
    exclude = ("private_key",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(LtiCourse)
class LtiCourseAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "series", "meeting")
    raw_id_fields = ("series", "meeting")


@admin.register(LtiAccount)
class LtiAccountAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "last_launch_at")
    raw_id_fields = ("user",)
