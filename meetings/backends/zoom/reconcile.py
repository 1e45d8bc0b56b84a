"""The nightly reconciliation: Zoom's users and seats against the portal's licence decisions.

Zoom's list (``GET /users``, 300 per page, rate-limit label Medium) is read once per status;
the portal's decision for every user who has or should have a Zoom account is computed from
the database. Every difference is written to the run (shown in the licence report) and put
right: the portal's decision wins. Seats are freed (downgrades, deactivations, deletions)
before any are taken. Zoom accounts of the owner and admins that the portal does not know are
reported, never changed. Requests are paced below the account's limit (``ZOOM_BULK_QPS``) and
a 429 is waited out as Zoom's ``Retry-After`` says.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Q
from django.utils.timezone import now

from meetings.backends.zoom import services
from meetings.backends.zoom.client import ZoomClient, ZoomError, ZoomNotFound, ZoomRefused
from meetings.backends.zoom.models import SyncState, ZoomMeeting, ZoomReconciliation, ZoomUser
from portal.identity.models import LicencePool, User

logger = logging.getLogger(__name__)

ADMIN_ROLES = {"0", "1"}  # Zoom's owner and admin roles


def bulk_client() -> ZoomClient:
    qps = float(getattr(settings, "ZOOM_BULK_QPS", 40.0) or 0)
    return ZoomClient(
        min_interval=1 / qps if qps else 0.0, max_inline_wait=120, max_inline_retries=30
    )


def reconcile(*, api: ZoomClient | None = None) -> ZoomReconciliation:
    api = api or bulk_client()
    run = ZoomReconciliation.objects.create()
    moment = now()
    zoom_users: dict[str, dict] = {}
    for status in ("active", "inactive", "pending"):
        for item in api.paginate("/users", "users", status=status):
            item.setdefault("status", status)
            zoom_users[(item.get("email") or "").lower()] = item
    listed = len(zoom_users)

    differences: list[dict] = []
    frees: list[tuple] = []  # actions that free seats run first
    takes: list[tuple] = []
    portal_licensed = 0
    known_ids = {
        row[0]: row[1]
        for row in ZoomUser.objects.exclude(zoom_user_id="").values_list("user_id", "zoom_user_id")
    }
    users = (
        User.objects.filter(
            Q(is_institution_member=True)
            | Q(zoom_account__isnull=False)
            | Q(deletion_due_at__isnull=False)
        )
        .select_related("licence_assignment__licence_type")
        .order_by("pk")
    )
    for user in users.iterator(chunk_size=2000):
        wanted = services.desired_account(user, moment=moment)
        email = (user.email or "").lower()
        found = zoom_users.pop(email, None) if email else None
        if found is None and user.pk in known_ids:
            found = next(
                (z for k, z in list(zoom_users.items()) if z.get("id") == known_ids[user.pk]),
                None,
            )
            if found is not None:
                zoom_users.pop((found.get("email") or "").lower(), None)
        if wanted is None:
            continue
        zoom_type, status = wanted
        if status == "active" and zoom_type == services.LICENSED:
            portal_licensed += 1
        if found is None:
            if status == "active":
                differences.append({"kind": "missing at Zoom", "user": user.pk})
                takes.append(("apply", (user, None, wanted), len(differences) - 1))
            continue
        if status == "deleted":
            differences.append({"kind": "left the portal", "user": user.pk})
            frees.append(("apply", (user, found, wanted), len(differences) - 1))
            continue
        if found.get("type") != zoom_type:
            kind = (
                "licensed at Zoom only" if found.get("type") == 2 else "licensed in the portal only"
            )
            differences.append({"kind": kind, "user": user.pk})
            (frees if zoom_type < (found.get("type") or 0) else takes).append(
                ("apply", (user, found, wanted), len(differences) - 1)
            )
        elif found.get("status") != status:
            differences.append({"kind": f"{found.get('status')} at Zoom", "user": user.pk})
            (frees if status != "active" else takes).append(
                ("apply", (user, found, wanted), len(differences) - 1)
            )
    # Zoom accounts of people the portal does not know (or whose portal account is gone)
    for item in zoom_users.values():
        if item.get("role_id") in ADMIN_ROLES:
            differences.append(
                {"kind": "Zoom administrator unknown to the portal", "zoom_user": item.get("id")}
            )
            continue
        if item.get("type") == services.LICENSED:
            differences.append(
                {"kind": "unknown to the portal, licensed", "zoom_user": item.get("id")}
            )
            frees.append(("basic", item.get("id"), len(differences) - 1))
        elif item.get("status") == "active":
            differences.append({"kind": "unknown to the portal", "zoom_user": item.get("id")})
    zoom_licensed = _licensed_count(api)

    with services.using_client(api):
        for action, key, index in [*frees, *takes]:
            differences[index]["fixed"] = _fix(api, action, key)
        # portal accounts already gone: their Zoom accounts go too
        for zoom_user in ZoomUser.objects.filter(user__isnull=True).exclude(
            state=SyncState.DELETED
        ):
            services.push_user(zoom_user=zoom_user)
        # deletions at Zoom that could not be done at the time
        for cloud_pk in services.pending_cloud_deletions():
            _attempt(services.delete_cloud_recording, cloud_pk=cloud_pk)
        for pk in services.meetings_to_delete():
            _attempt(services.delete_remote_meeting, zoom_meeting=ZoomMeeting.objects.get(pk=pk))

    quota = sum(
        pool.quota
        for pool in LicencePool.objects.select_related("licence_type")
        if services.zoom_type_for(pool.licence_type) == services.LICENSED
    )
    ZoomReconciliation.objects.filter(pk=run.pk).update(
        finished_at=now(),
        zoom_users=listed,
        zoom_licensed=zoom_licensed,
        portal_licensed=portal_licensed,
        portal_quota=quota,
        requests=api.requests_made,
        differences=differences,
    )
    run.refresh_from_db()
    logger.info(
        "zoom reconciliation %s: %d differences, %d requests",
        run.pk,
        len(differences),
        api.requests_made,
    )
    return run


def _attempt(function, **kwargs) -> None:  # noqa: ANN001, ANN003
    try:
        function(**kwargs)
    except ZoomError as error:
        logger.warning("zoom reconciliation: a deletion failed again: %s", error)


def _licensed_count(api: ZoomClient) -> int:
    return int((api.get("/users/summary") or {}).get("licensed_users_count", 0))


def _fix(api: ZoomClient, action: str, key: object) -> bool:
    """One request per difference where Zoom's state is known from the list (the nightly run
    stays within a daily budget even when every user differs)."""
    try:
        if action == "basic":
            api.request("PATCH", f"/users/{key}", json={"type": services.BASIC})
            return True
        user, found, (zoom_type, status) = key
        if found is None:
            found = api.request(
                "POST",
                "/users",
                json={
                    "action": "ssoCreate",
                    "user_info": {
                        "email": user.email,
                        "type": zoom_type,
                        "first_name": user.first_name[:64],
                        "last_name": user.last_name[:64],
                    },
                },
            ).data
            found["status"] = "active"
        elif status == "deleted":
            api.request("DELETE", f"/users/{found['id']}", params={"action": "delete"})
            ZoomUser.objects.filter(user=user).update(
                state=SyncState.DELETED, zoom_status="deleted", user=None
            )
            return True
        if found.get("type") != zoom_type:
            api.request("PATCH", f"/users/{found['id']}", json={"type": zoom_type})
        if found.get("status") != status and found.get("status") in ("active", "inactive"):
            action = "activate" if status == "active" else "deactivate"
            api.request("PUT", f"/users/{found['id']}/status", json={"action": action})
        ZoomUser.objects.update_or_create(
            user=user,
            defaults={
                "zoom_user_id": found["id"],
                "zoom_type": zoom_type,
                "zoom_status": status,
                "state": SyncState.SECURED,
                "last_error": "",
            },
        )
        return True
    except (ZoomRefused, ZoomNotFound):
        return False
