"""Admin of identity providers and licences: IdPs from metadata, licence actions with a reason.

Every licence change made here is an audit event (who, what, when, why).
"""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.identity import selectors, services
from portal.identity.models import LicenceAssignment, LicencePool, LicenceType, TermsVersion
from portal.identity.sso.idp import (
    DEFAULT_ATTRIBUTE_MAPPING,
    MetadataError,
    parse_idp_metadata,
    register_idp,
)
from retention.admin import ReadOnlyAdmin


class IdentityProviderForm(forms.ModelForm):
    metadata = forms.CharField(
        label=_("IdP metadata (XML or URL)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Paste the metadata XML or its https URL; leave empty to keep the current."),
    )
    attribute_mapping = forms.JSONField(
        label=_("attribute mapping"),
        required=False,
        help_text=_("Portal field → SAML attribute names, first present wins."),
    )
    scopes = forms.CharField(
        label=_("allowed scopes"),
        required=False,
        help_text=_(
            "Scopes of eduPersonScopedAffiliation, comma-separated (default: the "
            "institution's mail domains)."
        ),
    )

    class Meta:
        model = SocialApp
        fields = ["name", "client_id"]
        labels = {"client_id": _("key (used in URLs)")}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        current = (self.instance.settings or {}) if self.instance.pk else {}
        self.fields["attribute_mapping"].initial = current.get(
            "attribute_mapping", DEFAULT_ATTRIBUTE_MAPPING
        )
        self.fields["scopes"].initial = ", ".join(current.get("portal", {}).get("scopes", []))
        if not self.instance.pk:
            self.fields["metadata"].required = True

    def clean_metadata(self) -> str:
        metadata = self.cleaned_data.get("metadata", "").strip()
        if metadata:
            try:
                parse_idp_metadata(metadata)
            except MetadataError as error:
                raise forms.ValidationError(
                    _("This metadata cannot be used: %(error)s"), params={"error": error}
                ) from error
        return metadata

    def clean_attribute_mapping(self) -> dict | None:
        mapping = self.cleaned_data.get("attribute_mapping")
        if mapping in (None, ""):
            return None
        if not isinstance(mapping, dict) or not all(
            isinstance(v, str | list) for v in mapping.values()
        ):
            raise forms.ValidationError(_("Give a JSON object of names to lists of attributes."))
        return mapping

    def save(self, commit: bool = True) -> SocialApp:
        metadata = self.cleaned_data.get("metadata", "").strip()
        scopes = [s.strip() for s in self.cleaned_data.get("scopes", "").split(",") if s.strip()]
        mapping = self.cleaned_data.get("attribute_mapping")
        if not metadata:
            metadata = _metadata_from_settings(self.instance)
        app, _created = register_idp(
            slug=self.cleaned_data["client_id"],
            name=self.cleaned_data["name"],
            metadata=metadata,
            attribute_mapping=mapping,
            scopes=scopes,
        )
        self.instance = app
        return app

    def save_m2m(self) -> None:
        pass


def _metadata_from_settings(app: SocialApp) -> str:
    """A minimal metadata document rebuilt from the stored IdP settings (for edits)."""
    idp = (app.settings or {}).get("idp", {})
    slo = (
        f'<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{idp["slo_url"]}"/>'
        if idp.get("slo_url")
        else ""
    )
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{idp.get("entity_id", "")}"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{idp.get('x509cert', '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        f"</md:KeyDescriptor>{slo}"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{idp.get("sso_url", "")}"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    list_display = ("name", "client_id", "provider_id")
    search_fields = ("name", "client_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(provider="saml")

    def save_model(self, request: HttpRequest, obj: SocialApp, form, change: bool) -> None:  # noqa: ANN001
        services.record_audit_event(
            actor=request.user,
            action="idp.changed" if change else "idp.added",
            target=obj,
            slug=obj.client_id,
        )


class LicenceActionForm(forms.Form):
    licence_type = forms.ModelChoiceField(
        queryset=LicenceType.objects.all(), label=_("licence type"), required=False
    )
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea)


def _licence_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, revoke: bool
) -> HttpResponse | None:
    form = LicenceActionForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        licence_type = form.cleaned_data["licence_type"]
        if not revoke and licence_type is None:
            form.add_error("licence_type", _("Choose a licence type."))
        else:
            done = refused = 0
            for user in queryset.order_by("pk"):
                if revoke:
                    done += services.revoke_licence(
                        user=user, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    continue
                try:
                    services.assign_licence(
                        user=user,
                        licence_type=licence_type,
                        source=LicenceAssignment.Source.ADMIN,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        fallback_when_full=False,
                    )
                    done += 1
                except services.PoolFullError:
                    refused += 1
            modeladmin.message_user(
                request,
                ngettext("%(count)d licence changed.", "%(count)d licences changed.", done)
                % {"count": done},
                messages.SUCCESS,
            )
            if refused:
                modeladmin.message_user(
                    request,
                    ngettext(
                        "%(count)d user not changed: the pool is full.",
                        "%(count)d users not changed: the pool is full.",
                        refused,
                    )
                    % {"count": refused},
                    messages.ERROR,
                )
            return None
    return render(
        request,
        "portal/sso/admin_licence_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Revoke licences") if revoke else _("Assign a licence type"),
            "form": form,
            "users": queryset,
            "action": request.POST.get("action"),
            "revoke": revoke,
            "opts": modeladmin.model._meta,
        },
    )


@admin.action(description=_("Assign a licence type (upgrade, downgrade, bulk)"))
def assign_licence_action(modeladmin, request, queryset):  # noqa: ANN001, ANN201
    return _licence_action(modeladmin, request, queryset, revoke=False)


@admin.action(description=_("Revoke the licence"))
def revoke_licence_action(modeladmin, request, queryset):  # noqa: ANN001, ANN201
    return _licence_action(modeladmin, request, queryset, revoke=True)


class LicenceAssignmentAdmin(ReadOnlyAdmin):
    # Changes go through the user actions so that each one is audited with a reason.
    list_display = (
        "user",
        "licence_type",
        "in_pool",
        "wanted_licence_type",
        "source",
        "assigned_at",
    )
    list_filter = ("licence_type", "in_pool", "source")
    search_fields = ("user__username", "user__email")
    readonly_fields = [f.name for f in LicenceAssignment._meta.fields]


class LicencePoolAdmin(admin.ModelAdmin):
    list_display = ("licence_type", "quota", "seats_used", "seats_free", "shortfall")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.pools_with_use(super().get_queryset(request))

    @admin.display(description=_("seats used"))
    def seats_used(self, pool: LicencePool) -> int:
        return pool.used

    @admin.display(description=_("free seats"))
    def seats_free(self, pool: LicencePool) -> int:
        return max(pool.quota - pool.used, 0)

    @admin.display(description=_("shortfall"))
    def shortfall(self, pool: LicencePool) -> int:
        return pool.shortfall


class TermsVersionAdmin(admin.ModelAdmin):
    """New versions are added here; a published version is never edited (users accepted it)."""

    list_display = ("version", "published_at", "title_en")
    ordering = ("-published_at",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:  # noqa: ANN001
        if obj is not None and obj.published_at <= timezone.now():
            return ["version", "published_at", "title_de", "title_en", "text_de", "text_en"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # noqa: ANN001
        return False


def register(site: admin.AdminSite) -> None:
    if site.is_registered(SocialApp):
        site.unregister(SocialApp)
    site.register(SocialApp, IdentityProviderAdmin)
    site.register(LicenceAssignment, LicenceAssignmentAdmin)
    site.register(TermsVersion, TermsVersionAdmin)
    if site.is_registered(LicencePool):
        site.unregister(LicencePool)
    site.register(LicencePool, LicencePoolAdmin)
