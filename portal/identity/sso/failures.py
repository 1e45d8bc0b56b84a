"""Refused SSO logins counted by reason, across every process (the shared cache), for the
Prometheus endpoint (portal/metrics.py): a rise in "replay" or "invalid" is an operator's
alarm. Only the reason is counted, never who."""

from django.core.cache import cache

KEY = "portal:sso-failures:{reason}"


def count_sso_failure(reason: str) -> None:
    key = KEY.format(reason=reason)
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception:  # noqa: BLE001 -- a metric never breaks a login page
        return


def sso_failures(reasons: list[str]) -> dict[str, int]:
    values = cache.get_many([KEY.format(reason=reason) for reason in reasons])
    return {reason: int(values.get(KEY.format(reason=reason), 0)) for reason in reasons}
