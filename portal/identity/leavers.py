"""Leavers reported by the institution's identity management (docs/POLICY.md, account: "the
account is deleted when no longer needed, at the latest when the person leaves").

Without a report a leaver keeps the account until they log in again or the inactivity limit
passes. The identity management reports leavers through a CSV file
(``manage.py import_leavers``); each is deprovisioned the same day: the licence goes at once,
the account can no longer be used, and it is queued for deletion under the retention rules
(``deprovision_user``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from portal.identity.models import User
from portal.identity.services import deprovision_user

LEAVER_REASON = "left the institution (reported by the identity management)"


@dataclass
class LeaversReport:
    deprovisioned: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)
    superusers: list[str] = field(default_factory=list)


def deprovision_leaver(*, user: User) -> bool:
    """Deprovision one leaver today; False when already done. Superusers are never touched
    (the break-glass administrators)."""
    if user.deletion_due_at is not None and not user.is_active:
        return False
    with transaction.atomic():
        deprovision_user(user=user, reason=LEAVER_REASON)
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
    return True


def deprovision_leavers(*, usernames: list[str], dry_run: bool = False) -> LeaversReport:
    """Deprovision every account named in ``usernames`` (the institution's user names)."""
    report = LeaversReport()
    wanted = {name.strip() for name in usernames if name.strip()}
    found = {user.username: user for user in User.objects.filter(username__in=wanted)}
    report.unknown = sorted(wanted - set(found))
    for username in sorted(found):
        user = found[username]
        if user.is_superuser:
            report.superusers.append(username)
            continue
        if dry_run:
            report.deprovisioned += int(user.is_active or user.deletion_due_at is None)
            continue
        if deprovision_leaver(user=user):
            report.deprovisioned += 1
        else:
            report.already += 1
    return report


class LeaversFileInvalid(ValueError):
    """The CSV file cannot be read; the message says why (no personal data)."""


def usernames_from_csv(text: str) -> list[str]:
    """The user names of a leavers file: CSV with a header row holding a column "username"
    (also accepted: "eppn", "uid"); commas or semicolons."""
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {name.strip().lower(): name for name in (reader.fieldnames or [])}
    column = next((columns[c] for c in ("username", "eppn", "uid") if c in columns), None)
    if column is None:
        raise LeaversFileInvalid("the file needs a header row with a column 'username'")
    return [row[column] for row in reader if row.get(column)]
