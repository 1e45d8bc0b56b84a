"""Services of the portal app that other apps call."""

from typing import Any

from django.db import models

from portal.models import AuditEvent, User


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
