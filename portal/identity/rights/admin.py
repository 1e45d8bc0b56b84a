"""Admin pieces of data-subject rights: erase a person on request (an action on users), and
the erasure requests read-only (the DPO handles them on their own pages)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.identity.rights.services import RightsRefused, erase_person
from retention.admin import ReadOnlyAdmin


@admin.action(
    description=_("Erase the selected people (on their request)"),
    permissions=["erase"],
)
def erase_people_action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):  # noqa: ANN201
    """Files an erasure request per person and has it carried out at once, in the background;
    the person is told the outcome. Never the administrator themself."""
    erased = 0
    for user in queryset.exclude(pk=request.user.pk):
        try:
            erase_person(user=user, handled_by=request.user)
        except RightsRefused as refusal:
            modeladmin.message_user(request, refusal.message, messages.ERROR)
        else:
            erased += 1
    modeladmin.message_user(
        request,
        ngettext(
            "The erasure of %(count)d person is being carried out.",
            "The erasure of %(count)d people is being carried out.",
            erased,
        )
        % {"count": erased},
        messages.SUCCESS,
    )


def has_erase_permission(request: HttpRequest) -> bool:
    return request.user.has_perm("portal.handle_erasure_request")


class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "requested_at", "due_at", "state", "by_administrator", "handled_at")
    list_filter = ("state", "by_administrator")
    exclude = ("notify_email", "outcome")
