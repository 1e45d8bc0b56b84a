"""Signals identity sends so that higher layers can follow its decisions without identity
importing them (docs/ARCHITECTURE.md, layers).

``licence_decided`` (keyword ``user_pk``) is sent after the transaction that decided a user's
licence commits: at every SSO login, an admin's assignment or revocation, deprovisioning.
The Zoom backend pushes the decision to the institution's Zoom account.
"""

from django.db import transaction
from django.dispatch import Signal

licence_decided = Signal()


def announce_licence_decision(*, user_pk: int) -> None:
    transaction.on_commit(lambda: licence_decided.send(sender=None, user_pk=user_pk))
