import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from retention.models import DeletionLogEntry, LegalHold, PurgeRun, RetentionRule
from retention.registry import registry
from retention.services import find_deletions, is_default_rule

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


def _with_current(choices: list, current: str) -> list:
    """Keep a stored value selectable although nothing registered offers it (a rule whose
    category's app is gone): the form must not silently change it."""
    offered = set()
    for value, label in choices:
        if isinstance(label, list):  # a group: (group label, [(value, label), ...])
            offered.update(v for v, _label in label)
        else:
            offered.add(value)
    if current and current not in offered:
        return [(current, current), *choices]
    return choices


class RetentionRuleForm(forms.ModelForm):
    """Category and event chosen from what the registered categories declare, the events
    grouped by category with their labels; ``RetentionRule.clean`` checks the pair."""

    category = forms.ChoiceField(label=_("category"))
    counts_from = forms.ChoiceField(label=_("period counts from"))

    class Meta:
        model = RetentionRule
        fields = [
            "category",
            "counts_from",
            "period_amount",
            "period_unit",
            "maximum_days",
            "action",
            "enabled",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = [(c.identifier, f"{c.identifier} – {c}") for c in registry]
        events = [(str(c), [(e.identifier, str(e.label)) for e in c.events]) for c in registry]
        offered = {"category": categories, "counts_from": events}
        for name, choices in offered.items():
            if name in self.fields:  # not when read-only (an existing rule)
                field = self.fields[name]
                field.choices = _with_current(choices, getattr(self.instance, name))
                field.help_text = RetentionRule._meta.get_field(name).help_text


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    form = RetentionRuleForm
    list_display = (
        "category",
        "event",
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

    @admin.display(description=_("period counts from"), ordering="counts_from")
    def event(self, obj: RetentionRule) -> str:
        return obj.counts_from_label

    def get_fields(self, request: HttpRequest, obj: RetentionRule | None = None) -> list[str]:
        fields = list(RetentionRuleForm._meta.fields)
        if obj is not None:
            fields[fields.index("counts_from")] = "event"
        return fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: RetentionRule | None = None
    ) -> tuple[str, ...]:
        # A rule is its (category, event): moving an existing rule to another event would leave
        # its old place empty, where install_default_rules puts the default back. A rule for
        # another event is added as a new rule instead.
        if obj is not None:
            return ("category", "event")
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A category's default rule would come back at the next migrate
        # (services.install_default_rules): to stop its purge, the admin disables it.
        if isinstance(obj, RetentionRule) and is_default_rule(obj):
            return False
        return super().has_delete_permission(request, obj)


def hold_example() -> str:
    """A hold reference as this installation's categories understand it ("app.model:42"), so
    that the form's example names an object that holds really keep."""
    for category in registry:
        if category.hold_model:
            return f"{category.hold_model}:42"
    return "app.model:42"


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

    def get_form(self, request: HttpRequest, obj: LegalHold | None = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if "reference" in form.base_fields:
            form.base_fields["reference"].help_text = _(
                "The object whose data is kept, e.g. “%(example)s”."
            ) % {"example": hold_example()}
        return form

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
    search_help_text = _("An item key (“app.model:id”) finds the entry that logged its deletion.")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The log keeps only keyed hashes: an item key is hashed and looked up, which proves
        # a deletion to whoever knows the key without the log naming anything.
        if ITEM_KEY.match(search_term.strip()):
            found = [entry.pk for entry in find_deletions(search_term.strip())]
            return queryset.filter(pk__in=found), False
        return super().get_search_results(request, queryset, search_term)
