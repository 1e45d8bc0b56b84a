"""SCIM 2.0 for leavers (docs/POLICY.md, account: "at the latest when the person leaves").

The institution's identity management tells the portal who left through SCIM 2.0
(django-scim2 at ``/scim/v2/``, bearer tokens in ``SCIM_BEARER_TOKENS``): a ``PATCH`` or ``PUT``
setting ``active`` to false, or a ``DELETE`` of the user, deprovisions the account the same day
(``portal.identity.leavers.deprovision_leaver``: licence revoked, account disabled, deletion
queued under the retention rules; the rules delete it, never SCIM directly).

Accounts are created and described by single sign-on, not by SCIM: creating users is refused,
and a user resource shows only the user name and whether the account is active (data
minimisation: nothing the identity management does not already know).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_scim import exceptions
from django_scim.adapters import SCIMUser
from django_scim.constants import SchemaURI

from portal.identity.leavers import deprovision_leaver


def _token_is_known(request: HttpRequest) -> bool:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return any(
        hmac.compare_digest(token.encode(), known.encode())
        for known in settings.SCIM_BEARER_TOKENS
        if known
    )


class ScimBearerTokenCheck:
    """Only the identity management (a bearer token of ``SCIM_BEARER_TOKENS``) reaches the
    SCIM views; everyone else gets 401 as SCIM describes it. django-scim2 wraps each of its
    views in this class (its ``AUTH_CHECK_MIDDLEWARE`` setting), so it guards exactly them."""

    def __init__(self, get_response: Callable[..., HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not _token_is_known(request):
            response = JsonResponse(
                {"schemas": [SchemaURI.ERROR], "status": "401", "detail": "Unauthorized"},
                status=401,
                content_type="application/scim+json",
            )
            response["WWW-Authenticate"] = 'Bearer realm="portal-scim"'
            return response
        return self.get_response(request, *args, **kwargs)


def _is_false(value: object) -> bool:
    # some identity managements send booleans as strings ("False")
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


class PortalSCIMUser(SCIMUser):
    """A portal account as a SCIM user: its user name and whether it is active; setting
    ``active`` to false or deleting the user deprovisions it (a leaver)."""

    id_field = "pk"

    def __init__(self, obj, request=None) -> None:  # noqa: ANN001
        super().__init__(obj, request)
        self._leaves = False

    @property
    def groups(self) -> list:
        return []

    def to_dict(self) -> dict:
        return {
            "schemas": [SchemaURI.USER],
            "id": self.id,
            "userName": self.obj.username,
            "active": self.obj.is_active,
            "meta": self.meta,
        }

    def from_dict(self, d: dict) -> None:
        """Only ``active`` is taken: names and addresses come from single sign-on."""
        if _is_false(d.get("active")):
            self._leaves = True

    def handle_replace(self, path, value, operation) -> None:  # noqa: ANN001
        items = value.items() if isinstance(value, dict) else [(path, value)]
        for item_path, item_value in items:
            name = getattr(item_path, "first_path", (item_path, None, None))[0]
            if name != "active":
                raise exceptions.NotImplementedError(
                    "Only 'active' can be changed here; the rest comes from single sign-on."
                )
            if _is_false(item_value):
                self._leaves = True
        self.save()

    def validate_op_replace(self, path, value, operation) -> None:  # noqa: ANN001
        """Checked by ``handle_replace`` (django-scim2's check refuses "False" as a string
        and fails on an operation without a path)."""

    validate_op_add = validate_op_replace

    def handle_add(self, path, value, operation) -> None:  # noqa: ANN001
        self.handle_replace(path, value, operation)

    def save(self) -> None:
        if self.obj.pk is None:
            raise exceptions.NotImplementedError(
                "Accounts are created by single sign-on, not by SCIM."
            )
        if self._leaves and not self.obj.is_superuser:
            deprovision_leaver(user=self.obj)
            self.obj.refresh_from_db()

    def delete(self) -> None:
        """A deleted user is a leaver: deprovisioned now, deleted by the retention rules."""
        if not self.obj.is_superuser:
            deprovision_leaver(user=self.obj)
