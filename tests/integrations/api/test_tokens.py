"""API tokens: created in the portal, shown once, stored hashed, scoped, revocable, expiring,
rate-limited per token, and purged by the retention engine once they no longer work."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils.timezone import now

from integrations.api import services
from integrations.api.models import ApiToken
from integrations.api.retention import ApiTokens
from retention.models import RetentionRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_client(host) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(host)
    return client


def test_the_page_creates_a_token_shows_it_once_and_stores_only_its_hash(host_client) -> None:
    response = host_client.post(
        "/api/tokens/",
        {"name": "Timetable", "kind": "personal", "scopes": ["meetings:read"], "lifetime_days": 30},
    )
    assert response.status_code == 200
    raw = response.context["created"]["raw"]
    assert raw.startswith("mgp_") and raw in response.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values().get())
    assert "no-store" in response["Cache-Control"]
    again = host_client.get("/api/tokens/").content.decode()
    assert raw not in again and token.prefix in again


def test_the_token_works_until_it_is_revoked_on_the_page(host_client, host) -> None:
    token, raw = services.create_token(
        user=host, name="t", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/meetings").status_code == 200
    assert host_client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/meetings").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_cannot_be_revoked(host_client, other_host) -> None:
    token, _raw = services.create_token(
        user=other_host, name="t", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    assert host_client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_needs_a_login() -> None:
    assert Client().get("/api/tokens/").status_code == 302


def test_the_form_refuses_a_missing_scope_with_a_message(host_client) -> None:
    response = host_client.post(
        "/api/tokens/", {"name": "x", "kind": "personal", "lifetime_days": 30}
    )
    assert response.status_code == 400
    assert "Choose at least one of the listed scopes." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_only_administrators_create_service_tokens_and_read_the_licence_report(
    host, administrator
) -> None:
    with pytest.raises(PermissionDenied):
        services.create_token(
            user=host, name="s", kind="service", scopes=["meetings:read"], lifetime_days=5
        )
    with pytest.raises(PermissionDenied):
        services.create_token(
            user=host, name="s", kind="personal", scopes=["licences:read"], lifetime_days=5
        )
    token, _raw = services.create_token(
        user=administrator,
        name="Indico",
        kind="service",
        scopes=["licences:read"],
        lifetime_days=365,
    )
    assert token.kind == "service"


@pytest.mark.parametrize(("kind", "days"), [("personal", 91), ("service", 366), ("personal", 0)])
def test_every_token_expires_within_its_kinds_limit(administrator, kind, days) -> None:
    with pytest.raises(ValidationError):
        services.create_token(
            user=administrator, name="s", kind=kind, scopes=["meetings:read"], lifetime_days=days
        )


def test_a_token_of_a_deactivated_account_stops_working(host) -> None:
    _token, raw = services.create_token(
        user=host, name="t", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    host.is_active = False
    host.save()
    assert services.authenticate(raw) is None


def test_requests_over_the_tokens_limit_are_refused_until_the_next_minute(
    api_for, host, settings
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    api = api_for(host)
    other = api_for(host)
    answers = [api.get("/api/v1/meetings").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = api.get("/api/v1/meetings")
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.get("/api/v1/meetings").status_code == 200  # the limit is per token


def test_tokens_that_no_longer_work_are_purged_after_the_rules_period(host) -> None:
    working, _ = services.create_token(
        user=host, name="a", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    revoked, _ = services.create_token(
        user=host, name="b", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    expired, _ = services.create_token(
        user=host, name="c", kind="personal", scopes=["meetings:read"], lifetime_days=5
    )
    long_ago = now() - datetime.timedelta(days=31)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=long_ago)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=long_ago)
    rule = RetentionRule.objects.get(category="api_tokens")
    assert rule.period_amount == 30
    assert set(ApiTokens().expired(rule, now()).values_list("pk", flat=True)) == {
        revoked.pk,
        expired.pk,
    }
    assert working.is_active


def test_the_reference_is_rendered_without_third_party_requests(client) -> None:
    response = client.get("/api/reference/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert "POST /api/v1/meetings" in body and "problem-rate-limited" in body
    assert "<script" not in body.split("<main", 1)[-1]
    assert "http://" not in body.replace("http://testserver", "") and "https://" not in body
