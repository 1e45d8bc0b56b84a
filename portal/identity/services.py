"""Services of the portal app that other apps call."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from portal.identity.models import (
    AdminGroupRule,
    AffiliationRule,
    AuditEvent,
    LicenceType,
    Role,
    User,
)
from portal.identity.signals import announce_licence_decision

if TYPE_CHECKING:
    from portal.identity.models import TermsVersion

logger = logging.getLogger(__name__)


def record_audit_event(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    **details: Any,
) -> AuditEvent:
    """Record who did what to which object and why.

    ``details`` must hold no personal data beyond references (ids); the audit trail is kept
    longer than the data it speaks about.
    """
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        details=details,
    )


# --- SSO login and licences -------------------------------------------------------------------
# The rules of the licence rows of the policy (docs/POLICY.md): employees get Business, students
# Basic, whoever does not log in by SSO gets Basic outside the quota; licences are linked at
# every SSO login; only members get institution licences; the quota is never exceeded.


class LicenceOutcome(StrEnum):
    ASSIGNED = "assigned"
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    KEPT = "kept"
    SHORTFALL = "shortfall"  # the role's pool was full: the least capable type outside it
    REVOKED = "revoked"


class PoolFullError(Exception):
    """The pool of a licence type has no free seat (an admin's assignment is refused)."""


def least_capable_licence_type() -> LicenceType | None:
    """The licence type users without SSO (and those over quota) get: Basic by default."""
    return LicenceType.objects.order_by("max_participants", "pk").first()


def role_for_affiliations(affiliations: Iterable[str]) -> Role | None:
    """The role of the first affiliation rule (by position) whose affiliation is asserted.

    Policy: licences by SSO affiliation (``employee``/``staff``/``faculty`` → staff, ``student``
    → student); no match means the IdP asserts no membership.
    """
    asserted = {value.strip().lower() for value in affiliations if value}
    for rule in AffiliationRule.objects.select_related("role__licence_type").order_by(
        "position", "pk"
    ):
        if rule.affiliation.strip().lower() in asserted:
            return rule.role
    return None


def sync_admin_groups(*, user: User, idp_groups: Iterable[str]) -> bool:
    """Staff status and permission groups of an SSO account from the IdP's groups.

    Policy (administration by IdP group, docs/POLICY.md): a member of the institution whose IdP
    asserts a group of an :class:`AdminGroupRule` is staff with that rule's permission group;
    at a login without any such group the account loses staff status and every permission
    group that a rule grants (groups given by hand stay). Superusers are never made here.
    Returns whether staff status changed (recorded as an audit event).
    """
    from django.contrib.auth.models import Group

    asserted = {value.strip().lower() for value in idp_groups if value}
    rules = list(AdminGroupRule.objects.all())
    granted = {rule.group_id for rule in rules if rule.idp_group.strip().lower() in asserted}
    if not user.is_institution_member:
        granted = set()
    managed = {rule.group_id for rule in rules}
    current = set(user.groups.filter(pk__in=managed).values_list("pk", flat=True))
    if current - granted:
        user.groups.remove(*(current - granted))
    if granted - current:
        user.groups.add(*Group.objects.filter(pk__in=granted - current))
    if user.has_usable_password() or user.is_superuser:
        return False  # a local (break-glass) account: its staff status is set by hand
    was_staff, user.is_staff = user.is_staff, bool(granted)
    if was_staff == user.is_staff:
        return False
    user.save(update_fields=["is_staff"])
    record_audit_event(
        actor=None,
        action="admin_granted_by_idp_group" if user.is_staff else "admin_revoked_by_idp_group",
        target=user,
        reason="SSO login",
        groups=sorted(granted),
    )
    return True


def _rank(licence_type: LicenceType | None) -> tuple[int, int]:
    if licence_type is None:
        return (-1, -1)
    return (licence_type.max_participants, -(licence_type.time_limit_minutes or 10**9))


def assign_licence(
    *,
    user: User,
    licence_type: LicenceType,
    source: str,
    actor: User | None = None,
    reason: str = "",
    fallback_when_full: bool = True,
) -> LicenceOutcome:
    """Give ``user`` a licence of ``licence_type`` within its pool's quota.

    Rule (policy rows "licences"): the quota of a pool is never exceeded, also when many first
    logins arrive at once: the pool row is locked (``SELECT … FOR UPDATE``) while the seats
    are counted and taken, so concurrent assignments to one pool queue behind each other.
    A licence type without a pool is not limited. When the pool is full, SSO logins get the
    least capable type outside the quota and the wanted type is kept as the shortfall admins
    see; an admin's assignment is refused instead (``PoolFullError``).
    """
    from portal.identity.models import LicenceAssignment, LicencePool

    with transaction.atomic():
        current = (
            LicenceAssignment.objects.select_for_update()
            .select_related("licence_type")
            .filter(user=user)
            .first()
        )
        if (
            current is not None
            and current.licence_type_id == licence_type.pk
            and (
                current.in_pool
                or not LicencePool.objects.filter(licence_type=licence_type).exists()
            )
        ):
            if current.wanted_licence_type_id != licence_type.pk or current.source != source:
                current.wanted_licence_type = licence_type
                current.source = source
                current.save(update_fields=["wanted_licence_type", "source"])
            return LicenceOutcome.KEPT
        pool = LicencePool.objects.select_for_update().filter(licence_type=licence_type).first()
        granted, in_pool = licence_type, pool is not None
        if pool is not None:
            used = (
                LicenceAssignment.objects.filter(licence_type=licence_type, in_pool=True)
                .exclude(user=user)
                .count()
            )
            if used >= pool.quota:
                if not fallback_when_full:
                    raise PoolFullError(licence_type.slug)
                granted, in_pool = least_capable_licence_type(), False
        previous = current.licence_type if current is not None else None
        if current is None:
            current = LicenceAssignment(user=user)
        current.licence_type = granted
        current.in_pool = in_pool
        current.wanted_licence_type = licence_type
        current.source = source
        current.assigned_at = timezone.now()
        current.save()
        if granted != licence_type:
            outcome = LicenceOutcome.SHORTFALL
        elif previous is None:
            outcome = LicenceOutcome.ASSIGNED
        elif previous.pk == granted.pk:
            outcome = LicenceOutcome.KEPT
        else:
            outcome = (
                LicenceOutcome.PROMOTED
                if _rank(granted) > _rank(previous)
                else LicenceOutcome.DEMOTED
            )
        record_audit_event(
            actor=actor,
            action=f"licence.{outcome.value}",
            target=user,
            reason=reason,
            licence_type=granted.slug,
            previous_licence_type=previous.slug if previous else None,
            wanted_licence_type=licence_type.slug,
            in_pool=in_pool,
            source=source,
        )
        announce_licence_decision(user_pk=user.pk)
    logger.info("licence %s for user %s (%s)", outcome.value, user.pk, granted.slug)
    return outcome


def assign_default_licence(*, user: User) -> None:
    """Users who do not log in by SSO get the least capable licence outside the quota.

    Policy: "whoever does not log in by SSO gets a Basic licence outside the institution's
    quota". An existing assignment (e.g. from an earlier SSO login or an admin) is kept.
    A former member (``membership_ended_at`` set) gets none: leaving is final until the IdP
    asserts membership again (docs/POLICY.md, licences), so a login that merely asserts
    nothing never hands a licence back.
    """
    from portal.identity.models import LicenceAssignment

    if getattr(user, "membership_ended_at", None) is not None:
        return
    basic = least_capable_licence_type()
    if basic is None:
        return
    LicenceAssignment.objects.get_or_create(
        user=user,
        defaults={
            "licence_type": basic,
            "in_pool": False,
            "source": LicenceAssignment.Source.DEFAULT,
        },
    )


def revoke_licence(*, user: User, actor: User | None = None, reason: str = "") -> bool:
    """Take a user's licence away (the seat returns to the pool); audited."""
    from portal.identity.models import LicenceAssignment

    with transaction.atomic():
        assignment = (
            LicenceAssignment.objects.select_for_update()
            .select_related("licence_type")
            .filter(user=user)
            .first()
        )
        if assignment is None:
            return False
        slug = assignment.licence_type.slug
        assignment.delete()
        record_audit_event(
            actor=actor,
            action="licence.revoked",
            target=user,
            reason=reason,
            previous_licence_type=slug,
        )
        announce_licence_decision(user_pk=user.pk)
    return True


def has_accepted_current_terms(*, user: User) -> bool:
    from portal.identity.models import TermsAcceptance, TermsVersion

    current = TermsVersion.current()
    if current is None:
        return True
    return TermsAcceptance.objects.filter(user=user, terms_version=current).exists()


def accept_terms(*, user: User, terms_version: "TermsVersion") -> None:  # noqa: UP037
    """Record the acceptance (version, time) and activate the account: assign the licence.

    Policy: using the service needs the user's consent to the terms of use and privacy
    notice; activation is voluntary. Until then no licence seat is taken.
    """
    from portal.identity.models import TermsAcceptance

    TermsAcceptance.objects.get_or_create(user=user, terms_version=terms_version)
    sync_licence_from_role(user=user)


def sync_licence_from_role(*, user: User) -> LicenceOutcome | None:
    """Assign the licence of the user's role (members) or the default (everyone else)."""
    if user.is_institution_member and user.role_id is not None:
        role = Role.objects.select_related("licence_type").get(pk=user.role_id)
        return assign_licence(
            user=user, licence_type=role.licence_type, source="sso", reason="SSO login"
        )
    assign_default_licence(user=user)
    return None


def apply_sso_login(
    *,
    user: User,
    affiliations: list[str],
    profile: dict[str, str],
    idp_groups: Iterable[str] = (),
) -> LicenceOutcome | None:
    """At every SSO login (see :func:`_apply_sso_login`, then :func:`sync_admin_groups`); the
    decision is announced (``portal/identity/signals.py``) even when nothing changed, so that
    systems following the portal (Zoom) are brought back in line at every login."""
    outcome = _apply_sso_login(user=user, affiliations=affiliations, profile=profile)
    sync_admin_groups(user=user, idp_groups=idp_groups)
    announce_licence_decision(user_pk=user.pk)
    return outcome


def _apply_sso_login(
    *, user: User, affiliations: list[str], profile: dict[str, str]
) -> LicenceOutcome | None:
    """At every SSO login: refresh the profile, derive the role, assign or withdraw the licence.

    Policy: licences are linked automatically at SSO login (promoted, demoted or kept as the
    attributes now say); only members get institution licences; a user whose IdP no longer
    asserts membership loses the licence and the account is queued for deletion. The licence
    is assigned only once the current terms are accepted (the account's activation).
    """
    role = role_for_affiliations(affiliations)
    for field in ("first_name", "last_name", "email"):
        if profile.get(field):
            setattr(user, field, profile[field][: User._meta.get_field(field).max_length])
    was_member = user.is_institution_member
    if role is not None:
        user.role = role
        user.is_institution_member = True
        user.deletion_due_at = None
        user.membership_ended_at = None
        user.save()
        if not has_accepted_current_terms(user=user):
            return None
        return sync_licence_from_role(user=user)
    user.is_institution_member = False
    user.role = Role.objects.filter(slug="guest").first()
    if was_member and user.membership_ended_at is None:
        user.membership_ended_at = timezone.now()
    user.save()
    if was_member:
        deprovision_user(user=user, reason="membership no longer asserted by the IdP")
        return LicenceOutcome.REVOKED
    if user.membership_ended_at is not None:
        # a former member: no licence until the IdP asserts membership again; one that an
        # admin or an old path left is taken away at this login too
        revoke_licence(user=user, reason="membership still not asserted by the IdP")
        return None
    if has_accepted_current_terms(user=user):
        assign_default_licence(user=user)
    return None


def deprovision_user(*, user: User, reason: str, now: datetime | None = None) -> None:
    """Remove the licence and queue the account for deletion under the retention rules.

    Policy: "the account is deleted when no longer needed, at the latest when the person
    leaves". The retention engine deletes accounts whose ``deletion_due_at`` has passed.
    """
    now = now or timezone.now()
    revoke_licence(user=user, reason=reason)
    if user.membership_ended_at is None:
        user.membership_ended_at = now
        user.save(update_fields=["membership_ended_at"])
    if user.deletion_due_at is None:
        user.deletion_due_at = now + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
        user.is_institution_member = False
        user.save(update_fields=["deletion_due_at", "is_institution_member"])
        record_audit_event(actor=None, action="account.deletion_queued", target=user, reason=reason)
        announce_licence_decision(user_pk=user.pk)


def deprovision_stale_accounts(*, now: datetime | None = None) -> int:
    """Deprovision SSO users who are no longer members or have not logged in for long.

    The inactivity limit is ``settings.SSO_INACTIVE_DAYS``; break-glass admins (accounts
    without an SSO identity) are never touched. Returns the number of accounts queued.
    """
    from allauth.socialaccount.models import SocialAccount

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SSO_INACTIVE_DAYS)
    sso_users = SocialAccount.objects.values("user_id")
    stale = (
        User.objects.filter(pk__in=sso_users, deletion_due_at__isnull=True)
        .filter(
            models.Q(last_login__lt=cutoff)
            | models.Q(is_institution_member=False, licence_assignment__in_pool=True)
        )
        .order_by("pk")
    )
    count = 0
    for user in stale.iterator(chunk_size=500):
        deprovision_user(
            user=user,
            reason="no longer a member" if not user.is_institution_member else "inactive",
            now=now,
        )
        count += 1
    return count


def remember_language(sender: object, request: object, user: User, **_kwargs: object) -> None:
    """Keep the language the person uses the portal in (their browser's, or the one they
    chose), so that mails to them are written in it, not in the sender's (receiver of
    ``user_logged_in``)."""
    from django.utils import translation

    language = (getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or "")[:2]
    if language in dict(settings.LANGUAGES) and user.language != language:
        type(user).objects.filter(pk=user.pk).update(language=language)
        user.language = language
