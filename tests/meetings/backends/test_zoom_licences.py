"""Licences on Zoom: the portal's decision at every login is pushed; deprovisioned users are
deactivated, then deleted after the grace period; the nightly reconciliation reports every
difference and puts it right (the portal's decision wins)."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.backends.zoom import reconcile
from meetings.backends.zoom.models import SyncState, ZoomUser
from portal.identity import services as identity
from portal.identity.models import LicencePool, Role, TermsAcceptance, TermsVersion, User
from tests.factories import pass_second_factor

pytestmark = pytest.mark.django_db


def member(username: str, role: str = "staff") -> User:
    return User.objects.create_user(
        username,
        email=f"{username}@uni.example",
        role=Role.objects.get(slug=role),
        is_institution_member=True,
    )


def at_zoom(zoom, email: str) -> dict | None:
    return next((u for u in zoom.state()["users"] if u["email"] == email), None)


def login(user: User, affiliations: list[str], commit) -> None:  # noqa: ANN001
    terms = TermsVersion.current()
    if terms is not None:
        TermsAcceptance.objects.get_or_create(user=user, terms_version=terms)
    with commit():
        identity.apply_sso_login(user=user, affiliations=affiliations, profile={})


def test_every_login_pushes_the_licence_decision(zoom, commit):
    user = member("ada")
    login(user, ["employee"], commit)
    assert at_zoom(zoom, "ada@uni.example")["type"] == 2  # Business → Licensed

    login(user, ["student"], commit)  # the IdP now says student: Basic
    assert at_zoom(zoom, "ada@uni.example")["type"] == 1

    # a change made at Zoom is undone at the next login
    zoom_id = ZoomUser.objects.get(user=user).zoom_user_id
    zoom.call("users", {"users": [{"id": zoom_id, "email": "ada@uni.example", "type": 2}]})
    assert at_zoom(zoom, "ada@uni.example")["type"] == 2
    login(user, ["student"], commit)
    assert at_zoom(zoom, "ada@uni.example")["type"] == 1


def test_a_full_pool_gives_basic_at_zoom_too(zoom, commit):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=1)
    first, second = member("first"), member("second")
    login(first, ["employee"], commit)
    login(second, ["employee"], commit)
    assert at_zoom(zoom, "first@uni.example")["type"] == 2
    assert at_zoom(zoom, "second@uni.example")["type"] == 1  # shortfall: Basic outside quota


def test_deprovisioning_deactivates_then_deletes_after_the_grace_period(zoom, commit, settings):
    user = member("leaver")
    login(user, ["employee"], commit)
    with commit():
        identity.deprovision_user(user=user, reason="left")
    found = at_zoom(zoom, "leaver@uni.example")
    assert found["status"] == "inactive"
    assert found["type"] == 1  # the seat is free at once

    User.objects.filter(pk=user.pk).update(deletion_due_at=now() - datetime.timedelta(minutes=1))
    run = reconcile.reconcile()
    assert at_zoom(zoom, "leaver@uni.example") is None
    assert {"kind": "left the portal", "user": user.pk, "fixed": True} in run.differences
    assert ZoomUser.objects.get(zoom_user_id__gt="").state == SyncState.DELETED


def test_reconciliation_reports_every_difference_and_the_portal_wins(zoom, commit, client):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=2)
    kept, changed, missing = member("kept"), member("changed"), member("missing")
    for user in (kept, changed, missing):
        login(user, ["employee"], commit)
    # changes made at Zoom behind the portal's back
    changed_id = ZoomUser.objects.get(user=changed).zoom_user_id
    missing_id = ZoomUser.objects.get(user=missing).zoom_user_id
    state = {u["id"]: u for u in zoom.state()["users"]}
    assert state[missing_id]["type"] == 1  # the pool was full: Basic
    zoom.call(
        "users",
        {
            "users": [
                {"id": changed_id, "email": "changed@uni.example", "type": 1},
                {"email": "stranger@else.example", "type": 2},
                {"email": "owner@uni.example", "type": 2, "role_id": "0"},
            ]
        },
    )

    run = reconcile.reconcile()

    kinds = {(d["kind"], d.get("user")) for d in run.differences}
    assert ("licensed in the portal only", changed.pk) in kinds
    assert ("unknown to the portal, licensed", None) in kinds
    assert ("Zoom administrator unknown to the portal", None) in kinds
    assert all(d.get("fixed", True) for d in run.differences if "administrator" not in d["kind"])
    users = {u["email"]: u for u in zoom.state()["users"]}
    assert users["changed@uni.example"]["type"] == 2
    assert users["stranger@else.example"]["type"] == 1
    assert users["owner@uni.example"]["type"] == 2  # administrators are reported, not changed
    assert run.portal_licensed == 2
    assert run.portal_quota == 2

    pass_second_factor(client, User.objects.create_superuser("admin2", "a@uni.example", "x"))
    page = client.get("/admin/licences/report/").content.decode()
    assert "licensed in the portal only" in page
    assert "changed@uni.example" not in page


def test_the_reconciliation_waits_out_zoom_rate_limits(zoom, commit):
    for index in range(3):
        login(member(f"user{index}"), ["employee"], commit)
    zoom.fault(path=r"^/users$", status=429, count=2, method="GET", retry_after=0)
    run = reconcile.reconcile()
    assert run.finished_at is not None
    assert [e["status"] for e in zoom.requests("GET", "/users") if e["path"] == "/users"][:3] == [
        429,
        429,
        200,
    ]
