"""The administrator's dashboard on the admin's start page (templates/admin/index.html).

Wiring, because it links the tasks of every app: licences, policy, consent texts, retention,
holds, runs, data-subject requests and the access log. Each tile shows only to those who may
open it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()


@dataclass(frozen=True)
class Tile:
    title: Promise
    text: Promise
    url_name: str
    permission: str  # "" = every staff member


TILES = [
    Tile(
        _("Licence report"),
        _("Seats per licence pool: quota, assigned, free, shortfall."),
        "portal_licence_report",
        "",
    ),
    Tile(
        _("Licences and pools"),
        _("Assign or withdraw licences with a reason; set the pools' quotas."),
        "admin:portal_licencepool_changelist",
        "portal.view_licencepool",
    ),
    Tile(
        _("Meeting policy"),
        _("The institution's defaults and locks for every meeting."),
        "admin:meetings_meetingpolicy_changelist",
        "meetings.view_meetingpolicy",
    ),
    Tile(
        _("Consent texts"),
        _("The declaration of consent to recording, versioned in German and English."),
        "admin:consent_consenttext_changelist",
        "consent.view_consenttext",
    ),
    Tile(
        _("Retention rules"),
        _("How long recordings, chats, reports and accounts are kept."),
        "admin:retention_retentionrule_changelist",
        "retention.view_retentionrule",
    ),
    Tile(
        _("Legal holds"),
        _("Keep data from deletion while a matter is open."),
        "admin:retention_legalhold_changelist",
        "retention.view_legalhold",
    ),
    Tile(
        _("Purge runs"),
        _("The nightly deletions: what ran, what failed."),
        "admin:retention_purgerun_changelist",
        "retention.view_purgerun",
    ),
    Tile(
        _("Erasure requests and exports"),
        _("People's requests to erase their data; their exports."),
        "portal_erasure_queue",
        "portal.handle_erasure_request",
    ),
    Tile(
        _("Access log"),
        _("Who read whose personal data in the administration."),
        "admin:retention_accesslogentry_changelist",
        "retention.view_accesslogentry",
    ),
    Tile(
        _("Administrators by IdP group"),
        _("Let a group of the identity provider administer the portal."),
        "admin:portal_admingrouprule_changelist",
        "portal.view_admingrouprule",
    ),
    Tile(
        _("Roles and affiliations"),
        _("Which affiliation gives which role and licence."),
        "admin:portal_role_changelist",
        "portal.view_role",
    ),
    Tile(
        _("Audit trail"),
        _("Who changed what, when and why."),
        "admin:portal_auditevent_changelist",
        "portal.view_auditevent",
    ),
]


@register.inclusion_tag("admin/includes/dashboard.html", takes_context=True)
def admin_dashboard(context: template.Context) -> dict:
    """The tiles this user may open, and what needs doing first (no consent text)."""
    from consent.models import ConsentText

    user = context["request"].user
    tiles = [
        {"title": tile.title, "text": tile.text, "url": reverse(tile.url_name)}
        for tile in TILES
        if not tile.permission or user.has_perm(tile.permission)
    ]
    missing_consent_text = (
        user.has_perm("consent.add_consenttext")
        and not ConsentText.objects.filter(published_at__isnull=False).exists()
    )
    return {
        "tiles": tiles,
        "missing_consent_text": missing_consent_text,
        "consent_text_add_url": reverse("admin:consent_consenttext_add"),
    }
