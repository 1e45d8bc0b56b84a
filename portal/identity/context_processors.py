from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """Values every page needs: the institution's name and the user's kind (for navigation)."""
    user = getattr(request, "user", None)
    role_slug = getattr(getattr(user, "role", None), "slug", "") if user else ""
    return {
        "INSTITUTION_NAME": settings.INSTITUTION_NAME,
        "user_is_admin": bool(user and user.is_authenticated and user.is_staff),
        "user_may_host": bool(
            user
            and user.is_authenticated
            and getattr(getattr(user, "role", None), "may_host", False)
        ),
        "user_role_slug": role_slug,
    }
