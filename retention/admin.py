import re

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from retention.models import DeletionLogEntry, LegalHold, PurgeRun, RetentionRule
from retention.registry import registry
from retention.services import find_deletions

ITEM_KEY = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+:[A-Za-z0-9_-]+$")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: evidence and personal data are never added, edited or deleted through the
    admin (the retention engine deletes). Every app's read-only admins derive from this."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = (
        "category",
        "counts_from",
        "period_amount",
        "period_unit",
        "maximum_days",
        "action",
        "enabled",
        "registered",
    )
    list_editable = ("period_amount", "period_unit", "maximum_days", "action", "enabled")
    list_filter = ("category", "enabled", "action")

    @admin.display(boolean=True, description=_("category registered"))
    def registered(self, obj: RetentionRule) -> bool:
        return obj.category in registry


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ("reference", "created_at", "created_by", "released_at", "active")
    list_filter = ("released_at",)
    search_fields = ("reference",)
    readonly_fields = ("created_by", "created_at")
    actions = ["release"]

    @admin.display(boolean=True, description=_("active"))
    def active(self, obj: LegalHold) -> bool:
        return obj.is_active

    def save_model(self, request: HttpRequest, obj: LegalHold, form, change: bool) -> None:  # noqa: ANN001
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Release the selected holds"))
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(released_at__isnull=True).update(released_at=now())
        self.message_user(
            request,
            ngettext("%(count)d hold released.", "%(count)d holds released.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdmin):
    list_display = (
        "category",
        "started_at",
        "finished_at",
        "status_badge",
        "deleted_count",
        "anonymised_count",
        "held_count",
        "failure",
    )
    list_filter = ("status", "category")
    date_hierarchy = "started_at"

    class Media:
        css = {"all": ["retention/admin.css"]}

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: PurgeRun) -> str:
        # Failed and abandoned runs stand out: a failed purge must be visible, not silent.
        return format_html(
            '<span class="retention-status retention-status-{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )


@admin.register(DeletionLogEntry)
class DeletionLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "category", "rule_summary", "action", "count", "run")
    list_filter = ("category", "action")
    date_hierarchy = "created_at"
    search_fields = ("=category",)
    search_help_text = _(
        "An item key such as “meetings.chatmessage:17” finds the entry that logged its deletion."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The log keeps only keyed hashes: an item key is hashed and looked up, which proves
        # a deletion to whoever knows the key without the log naming anything.
        if ITEM_KEY.match(search_term.strip()):
            found = [entry.pk for entry in find_deletions(search_term.strip())]
            return queryset.filter(pk__in=found), False
        return super().get_search_results(request, queryset, search_term)
