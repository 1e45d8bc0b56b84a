"""Read-side queries of the portal app that other apps share."""

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When

from portal.identity.models import LicenceAssignment, LicencePool, LicenceType, User


def licence_type_for(user: User) -> LicenceType | None:
    """The licence type a user holds now (its limits apply when the user hosts).

    The user's licence assignment (made at SSO login, by an admin, or the default for users
    without SSO); for an account that has none yet (created by an admin or a fixture, never
    logged in), the role's licence type; else the least capable type.
    """
    if getattr(user, "pk", None) is None:
        return LicenceType.objects.order_by("max_participants", "pk").first()
    # one query: the assigned type ranks first, then the role's, then the least capable
    assigned = LicenceAssignment.objects.filter(user_id=user.pk, licence_type=OuterRef("pk"))
    role_id = getattr(user, "role_id", None)
    return (
        LicenceType.objects.annotate(
            rank=Case(
                When(Exists(assigned), then=Value(0)),
                When(pk__in=LicenceType.objects.filter(roles__pk=role_id).values("pk"), then=1)
                if role_id is not None
                else When(pk__isnull=True, then=1),
                default=Value(2),
            )
        )
        .order_by("rank", "max_participants", "pk")
        .first()
    )


def pools_with_use(pools: QuerySet[LicencePool] | None = None) -> QuerySet[LicencePool]:
    """Pools annotated with ``used`` (seats taken in the quota) and ``shortfall`` (people whose
    role asks for the pool's licence type but who got another because it was full), in one
    query; shared by the licence report and the pools' admin list."""
    pools = LicencePool.objects.all() if pools is None else pools
    return pools.select_related("licence_type").annotate(
        used=Count(
            "licence_type__assignments",
            filter=Q(licence_type__assignments__in_pool=True),
            distinct=True,
        ),
        shortfall=Count(
            "licence_type__wanted_assignments",
            filter=Q(licence_type__wanted_assignments__in_pool=False),
            distinct=True,
        ),
    )


def pool_utilisation() -> list[dict]:
    """Per pool: quota, seats used, free seats and the shortfall, as aggregates only.

    Policy: reports are aggregates only; there are no per-person usage statistics.
    """
    pools = pools_with_use()
    rows = []
    for pool in pools.order_by("licence_type__name"):
        rows.append(
            {
                "licence_type": pool.licence_type,
                "quota": pool.quota,
                "used": pool.used,
                "free": max(pool.quota - pool.used, 0),
                "shortfall": pool.shortfall,
                "percent": round(100 * pool.used / pool.quota) if pool.quota else 0,
            }
        )
    return rows


def outside_quota_count() -> int:
    """Licences held outside every quota (users without SSO, non-members, over quota)."""
    return LicenceAssignment.objects.filter(in_pool=False).count()
