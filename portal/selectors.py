"""Read-side queries of the portal app that other apps share."""

from portal.models import LicenceType, User


def licence_type_for(user: User) -> LicenceType | None:
    """The licence type a user holds now (its limits apply when the user hosts).

    Falls back to the role's licence type and then to the least capable type.
    """
    role = getattr(user, "role", None)
    if role is not None:
        return role.licence_type
    return LicenceType.objects.order_by("max_participants").first()
