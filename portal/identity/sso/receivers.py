"""Role and licence at every login (allauth's ``user_logged_in``, which fires at the first and
every later login after the user is saved; docs/ARCHITECTURE.md, facts about the stack)."""

from __future__ import annotations

import logging

from allauth.account.signals import user_logged_in, user_signed_up
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from portal.identity import services
from portal.identity.models import User
from portal.identity.sso import idp as idp_settings

logger = logging.getLogger(__name__)

TERMS_PENDING_SESSION_KEY = "portal_terms_pending"
AGE_PENDING_SESSION_KEY = "portal_age_pending"
SAML_SESSION_KEY = "portal_saml"


def released_attributes(account: SocialAccount) -> dict:
    """The attributes the IdP released at this login (``extra_data`` keeps only a few)."""
    return getattr(account, "released_attributes", None) or account.extra_data or {}


@receiver(user_logged_in, dispatch_uid="portal.identity.sso.assign_on_login")
def assign_on_login(
    sender: object,
    request: HttpRequest,
    user: User,
    sociallogin=None,
    **kwargs: object,  # noqa: ANN001
) -> None:
    if sociallogin is None:
        services.assign_default_licence(user=user)
        return
    app = getattr(sociallogin.provider, "app", None)
    attributes = released_attributes(sociallogin.account)
    mapping = idp_settings.mapping_for(app)
    affiliations = idp_settings.affiliations_from(attributes, mapping, idp_settings.scopes_for(app))
    profile = {
        field: (idp_settings.attribute_values(attributes, mapping.get(field, [])) or [""])[0]
        for field in ("first_name", "last_name", "email")
    }
    services.apply_sso_login(
        user=user,
        affiliations=affiliations,
        profile=profile,
        idp_groups=idp_settings.groups_from(attributes, mapping),
    )
    if not services.has_accepted_current_terms(user=user):
        request.session[TERMS_PENDING_SESSION_KEY] = True
    if not getattr(request, "portal_birth_date_released", True) and user.age_confirmed_at is None:
        # the IdP released no birth date: the person confirms the minimum age once
        request.session[AGE_PENDING_SESSION_KEY] = True
    facts = getattr(request, "portal_saml_assertion", None)
    if app is not None and facts is not None:
        # what single logout needs: the IdP, the subject's NameID (read after decryption,
        # with its qualifiers) and the session index
        request.session[SAML_SESSION_KEY] = {
            "slug": app.client_id,
            "name_id": facts.name_id,
            "name_id_format": facts.name_id_format,
            "name_id_nq": facts.name_id_nq,
            "name_id_spnq": facts.name_id_spnq,
            "session_index": facts.session_index,
        }


@receiver(user_signed_up, dispatch_uid="portal.identity.sso.default_licence_on_signup")
def default_licence_on_signup(
    sender: object,
    request: HttpRequest,
    user: User,
    sociallogin=None,
    **kwargs: object,  # noqa: ANN001
) -> None:
    if sociallogin is None:
        services.assign_default_licence(user=user)


@receiver(pre_save, sender=SocialAccount, dispatch_uid="portal.identity.sso.minimise_extra_data")
def minimise_extra_data(sender: type, instance: SocialAccount, **kwargs: object) -> None:
    """Store only the affiliations of the IdP's attributes (data minimisation).

    allauth keeps every released attribute in ``extra_data``; a birth date, for one, is only
    checked and must not be stored. The full attributes stay on the instance in memory for
    the checks of this login (``pre_social_login`` runs after allauth saved the account).
    """
    attributes = instance.extra_data or {}
    if not isinstance(attributes, dict):
        return
    if not hasattr(instance, "released_attributes"):
        instance.released_attributes = dict(attributes)
    app = SocialApp.objects.filter(provider="saml", provider_id=instance.provider).first()
    if app is None:
        return
    kept = set(idp_settings.mapping_for(app).get("affiliation", []))
    instance.extra_data = {name: values for name, values in attributes.items() if name in kept}
