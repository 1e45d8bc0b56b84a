"""Fixtures of the API tests: hosts, tokens, and a client that checks every answer against
the committed OpenAPI description (openapi-core)."""

import datetime
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils.timezone import now
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.testing import MockResponse

from integrations.api import services
from portal.identity.models import Role, User
from tests.factories import make_user

DESCRIPTION = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
ALL_SCOPES = sorted(services.SCOPES)
BERLIN = ZoneInfo("Europe/Berlin")


def local_start(days: int = 7, hour: int = 10) -> str:
    day = (now().astimezone(BERLIN) + datetime.timedelta(days=days)).date()
    return datetime.datetime.combine(day, datetime.time(hour, 0)).strftime("%Y-%m-%dT%H:%M")


def meeting_body(**overrides: object) -> dict:
    body = {
        "topic": "Seminar",
        "start": local_start(),
        "timezone": "Europe/Berlin",
        "duration_minutes": 30,
        "expected_participants": 20,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    """The committed description; problem details are JSON (RFC 9457)."""
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(json.loads(DESCRIPTION.read_text()), config=config)


class ApiClient:
    """Django's test client with a bearer token; each answer is validated against the
    description, and ``called`` collects the documented operations reached."""

    def __init__(self, openapi: OpenAPI, raw_token: str) -> None:
        self.client = Client()
        self.openapi = openapi
        self.raw_token = raw_token
        self.called: set[tuple[str, str]] = set()

    def request(self, method: str, path: str, body: object = None, **headers: str):  # noqa: ANN201
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.raw_token}"} if self.raw_token else {}
        kwargs["HTTP_ACCEPT_LANGUAGE"] = "en"  # the portal's default is German
        kwargs.update({f"HTTP_{key.upper()}": value for key, value in headers.items()})
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method.lower())(path, **kwargs)
        openapi_request = DjangoOpenAPIRequest(response.wsgi_request)
        if response.streaming:
            content = b"".join(response.streaming_content)
            openapi_response = MockResponse(
                content, status_code=response.status_code, content_type=response["Content-Type"]
            )
            response.body = content
        else:
            openapi_response = DjangoOpenAPIResponse(response)
        self.openapi.validate_response(openapi_request, openapi_response)
        self.called.add(self._operation(method, path))
        return response

    def _operation(self, method: str, path: str) -> tuple[str, str]:
        from openapi_core.templating.paths.finders import APICallPathFinder

        path = path.split("?", 1)[0]
        finder = APICallPathFinder(self.openapi.spec)
        found = finder.find(method.lower(), f"http://testserver{path}")
        return method.upper(), found.path.parts[-1]

    def get(self, path: str, **headers: str):  # noqa: ANN201
        return self.request("GET", path, **headers)

    def post(self, path: str, body: object = None, **headers: str):  # noqa: ANN201
        return self.request("POST", path, body, **headers)

    def patch(self, path: str, body: object = None, **headers: str):  # noqa: ANN201
        return self.request("PATCH", path, body, **headers)

    def delete(self, path: str, **headers: str):  # noqa: ANN201
        return self.request("DELETE", path, **headers)


@pytest.fixture
def staff_role(demo_institution) -> Role:
    return Role.objects.get(slug="staff")


@pytest.fixture
def host(staff_role) -> User:
    return make_user("lecturer", role=staff_role, is_institution_member=True)


@pytest.fixture
def other_host(staff_role) -> User:
    return make_user("stranger", role=staff_role, is_institution_member=True)


@pytest.fixture
def administrator(staff_role) -> User:
    return make_user("admin-api", role=staff_role, is_institution_member=True, is_staff=True)


def token_for(user: User, scopes: list[str] | None = None, *, kind: str = "personal") -> str:
    scopes = scopes or [scope for scope in ALL_SCOPES if user.is_staff or scope != "licences:read"]
    _token, raw = services.create_token(
        user=user, name="tests", kind=kind, scopes=scopes, lifetime_days=30
    )
    return raw


@pytest.fixture
def api_for(openapi):  # noqa: ANN201
    def make(user: User | None, scopes: list[str] | None = None) -> ApiClient:
        return ApiClient(openapi, token_for(user, scopes) if user is not None else "")

    return make


@pytest.fixture
def api(api_for, host) -> ApiClient:
    return api_for(host)
