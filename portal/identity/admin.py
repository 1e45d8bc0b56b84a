from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.identity.models import (
    AdminGroupRule,
    AffiliationRule,
    AuditEvent,
    ErasureRequest,
    Institution,
    LicenceType,
    Role,
    User,
)
from portal.identity.rights.admin import (
    ErasureRequestAdmin,
    erase_people_action,
    has_erase_permission,
)
from portal.identity.sso.admin import assign_licence_action, revoke_licence_action
from portal.identity.sso.admin import register as register_sso_admin
from retention.admin import HoldThisMixin, LabelledListEditableMixin, ReadOnlyAdmin


@admin.register(User)
class PortalUserAdmin(HoldThisMixin, UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            _("Portal"),
            {"fields": ("display_name", "role", "is_institution_member", "deletion_due_at")},
        ),
    )
    list_display = ("username", "display_name", "role", "is_institution_member", "is_staff")
    list_filter = ("role", "is_institution_member", "is_staff", "is_active")
    actions = [assign_licence_action, revoke_licence_action, erase_people_action]

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return has_erase_permission(request)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name",)


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "max_participants", "time_limit_minutes")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "licence_type", "may_host")


@admin.register(AffiliationRule)
class AffiliationRuleAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("position", "affiliation", "role")
    list_editable = ("affiliation", "role")
    ordering = ("position",)


@admin.register(AdminGroupRule)
class AdminGroupRuleAdmin(admin.ModelAdmin):
    """Administration by IdP group: which group of the identity provider makes its members
    administrators, with which permissions (the change list explains how to grant it)."""

    list_display = ("idp_group", "group")
    search_fields = ("idp_group", "group__name")
    change_list_template = "admin/portal/admingrouprule/change_list.html"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    # The audit trail is evidence: nobody edits or deletes it through the admin.
    list_display = ("created_at", "action", "actor", "target_type", "target_id")
    list_filter = ("action", "target_type")
    date_hierarchy = "created_at"


admin.site.register(ErasureRequest, ErasureRequestAdmin)
register_sso_admin(admin.site)  # identity providers, licence assignments, pools with shortfall
