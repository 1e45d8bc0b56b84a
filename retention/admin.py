import csv
import io
import re
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from retention import access, holds
from retention.models import AccessLogEntry, DeletionLogEntry, LegalHold, PurgeRun, RetentionRule
from retention.registry import registry
from retention.services import find_deletions, is_default_rule, item_reference
from retention.subjects import subjects

ITEM_KEY = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+:[A-Za-z0-9_-]+$")


class LabelledListEditableMixin:
    """Fields edited in the change list carry a name of their own: the column and the row
    ("period: chat messages"), for screen readers and voice control (WCAG 4.1.2; the change
    list shows them in a table cell without a label). Every app's list-editable admins use it.
    """

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        base = super().get_changelist_form(request, **kwargs)  # type: ignore[misc]

        class LabelledForm(base):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                row = str(self.instance) if self.instance.pk else ""
                for field in self.fields.values():
                    name = f"{field.label}: {row}" if row else str(field.label)
                    # a related field's select sits inside the admin's wrapper widget
                    widget = getattr(field.widget, "widget", field.widget)
                    widget.attrs = {**widget.attrs, "aria-label": name}

        return LabelledForm


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
class RetentionRuleAdmin(LabelledListEditableMixin, admin.ModelAdmin):
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


class NewLegalHoldForm(forms.ModelForm):
    """A new hold names its object the way the portal shows it (``retention/holds.py``):
    a meeting ID, a user name, a recording's or series' number. A name that matches nothing
    is refused, so that no hold silently protects nothing."""

    held_object = forms.CharField(label=_("held object"), max_length=200)

    class Meta:
        model = LegalHold
        fields = ["reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_object"].help_text = _(
            "A meeting ID (e.g. “meeting:54597762388” or just the ID), a user name "
            "(“user:alice”), a recording (“recording:17”) or a series (“series:5”)."
        )
        self.order_fields(["held_object", "reason"])

    def clean_held_object(self) -> str:
        self.resolved = holds.resolve(self.cleaned_data["held_object"])
        return self.resolved.entered_as

    def save(self, commit: bool = True) -> LegalHold:
        hold = super().save(commit=False)
        hold.reference = self.resolved.reference
        hold.entered_as = self.resolved.entered_as
        if commit:
            hold.save()
        return hold


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = (
        "held_object",
        "covers",
        "reason",
        "created_at",
        "created_by",
        "released_at",
        "active",
        "reference_check",
    )
    list_filter = ("released_at", "problem")
    search_fields = ("reference", "entered_as")
    readonly_fields = (
        "held_object",
        "covers",
        "reference",
        "reference_check",
        "created_by",
        "created_at",
    )
    actions = ["release"]

    class Media:
        css = {"all": ["retention/admin.css"]}

    @admin.display(description=_("check"), ordering="problem")
    def reference_check(self, obj: LegalHold) -> str:
        """The last check of the reference (``manage.py check_holds``, nightly, after
        ``migrate``): an invalid hold says so plainly."""
        text = holds.problem_text(obj)
        if not text:
            return "✓"
        css = "failed" if obj.is_invalid else "succeeded"
        return format_html(
            '<span class="retention-status retention-status-{}">{}</span>', css, text
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        invalid = LegalHold.objects.filter(
            released_at__isnull=True,
            problem__in=[LegalHold.Problem.NOTHING, LegalHold.Problem.SEVERAL],
        ).count()
        if invalid and request.method == "GET":
            self.message_user(
                request,
                ngettext(
                    "%(count)d active legal hold matches nothing or more than one object: it "
                    "protects nothing reliably until fixed (see the column “check”).",
                    "%(count)d active legal holds match nothing or more than one object: they "
                    "protect nothing reliably until fixed (see the column “check”).",
                    invalid,
                )
                % {"count": invalid},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(boolean=True, description=_("active"))
    def active(self, obj: LegalHold) -> bool:
        return obj.is_active

    @admin.display(description=_("held object"))
    def held_object(self, obj: LegalHold) -> str:
        return holds.describe(obj.reference)

    @admin.display(description=_("keeps"))
    def covers(self, obj: LegalHold) -> str:
        """What the hold keeps now, per category: the proof that it protects something."""
        counts = holds.coverage(obj.reference)
        if not counts:
            return str(_("nothing stored at present"))
        return "; ".join(f"{name}: {count}" for name, count in counts)

    def get_form(self, request: HttpRequest, obj: LegalHold | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = NewLegalHoldForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> list[str]:
        if obj is None:
            return ["held_object", "reason"]
        return [
            "held_object",
            "covers",
            "reference",
            "reference_check",
            "reason",
            "created_by",
            "created_at",
            "released_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> tuple:
        if obj is None:
            return ()
        return self.readonly_fields

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


def hold_this_url(obj: Any) -> str:
    """The new-hold form with ``obj`` filled in (the "hold this" action and link)."""
    query = urlencode({"held_object": holds.reference_for_object(obj)})
    return f"{reverse('admin:retention_legalhold_add')}?{query}"


@admin.action(description=_("Hold this: keep its data under a legal hold"))
def hold_this(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
    """An admin action for the models a hold may name: one object at a time, to the hold form
    with the object filled in (a hold needs its own reason)."""
    objects = list(queryset[:2])
    if len(objects) != 1:
        modeladmin.message_user(
            request, _("Choose exactly one object to put under a legal hold."), messages.ERROR
        )
        return None
    return HttpResponseRedirect(hold_this_url(objects[0]))


class HoldThisMixin:
    """Adds the "hold this" action and a "Hold this" link on the object's change page."""

    change_form_template = "admin/retention/hold_this_change_form.html"

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)  # type: ignore[misc]
        if request.user.has_perm("retention.add_legalhold"):
            actions["hold_this"] = (hold_this, "hold_this", hold_this.short_description)
        return actions

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> Any:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None and request.user.has_perm("retention.add_legalhold"):
            extra_context["hold_this_url"] = hold_this_url(obj)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


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


class LoggedReadsAdmin(admin.ModelAdmin):
    """An admin whose pages show personal data: each object listed or opened is logged in the
    access log under ``access_kind`` (docs/POLICY.md, retention)."""

    access_kind = ""
    #: False where the list shows no personal data (e.g. chat without the message texts)
    log_list_reads = True

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and self.log_list_reads:
            access.record_reads(
                user=request.user,
                kind=self.access_kind or self.model._meta.model_name,
                objects=changelist.result_list,
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if obj is not None:
            access.record_read(
                user=request.user, kind=self.access_kind or self.model._meta.model_name, obj=obj
            )
        return response


def holds_personal_data(model: type) -> bool:
    """Whether ``model`` (or the model a proxy shows) is covered by a registered kind of
    personal data (``retention/subjects.py``)."""
    return model._meta.concrete_model._meta.label_lower in subjects.covered_models()


def access_kind_for(model: type) -> str:
    """The access log's kind for reads of ``model``: the identifier of the kind of personal
    data covering it (its model name where none does)."""
    label = model._meta.concrete_model._meta.label_lower
    for kind in subjects:
        if label in {m.lower() for m in kind.models}:
            return kind.identifier
    return model._meta.model_name


def logs_reads(model_admin: admin.ModelAdmin) -> bool:
    """Whether ``model_admin``'s list and change pages write the access log."""
    return isinstance(model_admin, LoggedReadsAdmin) or getattr(
        model_admin, "logs_reads_itself", False
    )


def log_personal_data_reads(site: admin.AdminSite) -> list[str]:
    """Make every admin of ``site`` whose model holds personal data (the registry of
    ``retention/subjects.py``) log its list and change pages in the access log: its class is
    replaced by one with :class:`LoggedReadsAdmin` in front, so that no app has to remember
    it. Called by the root URLconf before the admin's URLs are built (every app has
    registered its admins by then; the views are bound when the URLs are). Returns the
    labels of the admins it changed."""
    changed = []
    for model, model_admin in site._registry.items():
        if not holds_personal_data(model) or logs_reads(model_admin):
            continue
        original = type(model_admin)
        model_admin.__class__ = type(
            f"Logged{original.__name__}",
            (LoggedReadsAdmin, original),
            {"__module__": original.__module__, "access_kind": access_kind_for(model)},
        )
        changed.append(model._meta.label_lower)
    return changed


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """The access log, for the data-protection officer (group "Data protection officer":
    view and export). Every page of it and every export is itself logged."""

    list_display = ("created_at", "actor", "kind", "reference")
    list_filter = ("kind",)
    date_hierarchy = "created_at"
    search_fields = ("=kind",)
    search_help_text = _("An object key (“app.model:id”) finds who read that object.")
    actions = ["export_as_csv"]
    #: its pages log themselves (one entry per page, not one per entry read)
    logs_reads_itself = True

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if ITEM_KEY.match(search_term.strip()):
            return queryset.filter(reference=item_reference(search_term.strip())), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        access.record_read(user=request.user, kind="access_log", obj="retention.accesslog:list")
        return super().changelist_view(request, extra_context)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("retention.export_accesslogentry")

    @admin.action(permissions=["export"], description=_("Export the selected entries as CSV"))
    def export_as_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        access.record_read(user=request.user, kind="access_log", obj="retention.accesslog:export")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["time", "read by", "kind", "object (keyed hash)"])
        for entry in queryset.select_related("actor").order_by("created_at", "pk"):
            actor = entry.actor.get_username() if entry.actor else ""
            writer.writerow([entry.created_at.isoformat(), actor, entry.kind, entry.reference])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
