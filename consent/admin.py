from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from consent.exports import consent_record_rows, export_csv, export_json
from consent.models import ConsentDecision, ConsentText, RecordingConsentRecord
from retention.access import record_reads
from retention.admin import ReadOnlyAdmin


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ("version", "title_en", "scope", "audience", "published_at")
    actions = ["publish", "new_version"]
    fields = ("title_de", "title_en", "body_de", "body_en", "scope", "audience")

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentText | None = None):  # noqa: ANN201
        # a published version is evidence of what people consented to: immutable
        if obj is not None and obj.is_published:
            return self.fields
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: ConsentText | None = None) -> bool:
        return obj is None or not obj.is_published

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001
        for text in queryset.filter(published_at__isnull=True):
            try:
                text.publish()
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Version %s published.") % text.version)

    @admin.action(description=_("Start a new version from the selected text"))
    def new_version(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001
        for text in queryset:
            draft = ConsentText.objects.create(
                title_de=text.title_de,
                title_en=text.title_en,
                body_de=text.body_de,
                body_en=text.body_en,
                scope=text.scope,
                audience=text.audience,
            )
            self.message_user(request, _("Draft version %s created.") % draft.version)


@admin.register(ConsentDecision)
class ConsentDecisionAdmin(ReadOnlyAdmin):
    """Evidence: readable by admins, never editable."""

    list_display = (
        "pk",
        "meeting_ref",
        "series_key",
        "text",
        "given",
        "decided_at",
        "method",
        "withdrawn_at",
    )
    list_filter = ("given", "method", "scope")
    search_fields = ("meeting_ref", "subject_ref")


@admin.register(RecordingConsentRecord)
class RecordingConsentRecordAdmin(ReadOnlyAdmin):
    """The consent record of each recording, with CSV/JSON export for the data-protection
    officer."""

    list_display = ("pk", "meeting", "created_at", "state", "deletion_due_at")
    list_select_related = ("meeting",)
    readonly_fields = (
        "meeting",
        "created_at",
        "sha256",
        "state",
        "deletion_due_at",
        "deletion_reason",
        "consent_record",
    )
    fields = readonly_fields
    actions = ["export_as_csv", "export_as_json"]

    @admin.display(description=_("consents it rests on"))
    def consent_record(self, obj: RecordingConsentRecord) -> str:
        rows = consent_record_rows([obj])
        if not rows:
            return _("none")
        header = format_html_join(
            "",
            "<th scope='col'>{}</th>",
            [
                (str(label),)
                for label in (
                    _("decision"),
                    _("subject (pseudonymous)"),
                    _("display name"),
                    _("text version"),
                    _("scope"),
                    _("given"),
                    _("decided at"),
                    _("how"),
                    _("withdrawn at"),
                )
            ],
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [
                (
                    r["decision"],
                    r["subject_ref"][:16],
                    r["display_name"],
                    r["text_version"],
                    r["scope"],
                    r["given"],
                    r["decided_at"],
                    r["method"],
                    r["withdrawn_at"] or "—",
                )
                for r in rows
            ],
        )
        return format_html_join(
            "", "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", [(header, body)]
        )

    def _download(self, content: str, content_type: str, extension: str) -> HttpResponse:
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="consent-records-{now():%Y%m%d-%H%M}.{extension}"'
        )
        return response

    @admin.action(description=_("Export the consent records (CSV)"))
    def export_as_csv(self, request: HttpRequest, queryset) -> HttpResponse:  # noqa: ANN001
        record_reads(user=request.user, kind="consent_export", objects=queryset)
        return self._download(export_csv(list(queryset)), "text/csv; charset=utf-8", "csv")

    @admin.action(description=_("Export the consent records (JSON)"))
    def export_as_json(self, request: HttpRequest, queryset) -> HttpResponse:  # noqa: ANN001
        record_reads(user=request.user, kind="consent_export", objects=queryset)
        return self._download(export_json(list(queryset)), "application/json", "json")
