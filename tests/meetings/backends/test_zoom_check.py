"""``manage.py zoom_check`` reads the account and changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_it_checks_credentials_and_settings_read_only(zoom):
    out = io.StringIO()
    call_command("zoom_check", stdout=out)
    assert "The Zoom account is ready for the portal." in out.getvalue()
    assert {entry["method"] for entry in zoom.state()["log"]} == {"GET"}
    assert "double-secret" not in out.getvalue()


def test_it_fails_plainly_with_wrong_credentials(zoom, settings):
    settings.ZOOM_CLIENT_SECRET = "wrong"
    with pytest.raises(CommandError, match="refused the credentials"):
        call_command("zoom_check", stdout=io.StringIO())


def test_it_speaks_german_for_a_german_operator(zoom):
    out = io.StringIO()
    call_command("zoom_check", "--language", "de", stdout=out)
    assert "Das Zoom-Konto ist bereit für das Portal." in out.getvalue()
    assert "Token: erhalten" in out.getvalue()
