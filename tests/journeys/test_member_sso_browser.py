"""A member invited with a link logs in through the institution's IdP (the development IdP of
``scripts/run``, real SAML) and accepts the terms on the way: the passcode from the link
survives the detour (it stays in the tab, never in a URL the server sees) and the join form
sends itself, so the member lands in the waiting room without typing anything."""

import datetime

import pytest
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.live.models import Participant
from portal.identity.models import User
from tests.factories import make_meeting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSCODE = "Kq7-2mZp"


def test_the_passcode_in_the_link_survives_sso_and_the_terms(
    live_server, new_page, dev_idp_on_live_server
):
    host = make_user("host.sso", is_institution_member=True)
    meeting = make_meeting(
        host=host,
        start=now() - datetime.timedelta(minutes=5),
        started_at=now(),
        passcode=PASSCODE,
        authenticated_only=True,
        waiting_room=True,
    )
    page = new_page("en-GB")
    page.goto(f"{live_server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    expect(page.locator("#id_passcode")).to_have_value(PASSCODE)
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.get_by_role("link", name="log in first").click()
    page.get_by_role("button", name="Log in with Demo University").click()
    page.get_by_label("Demo person").select_option("s.yilmaz")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("I accept the terms of use and the privacy notice.").check()
    page.get_by_role("button", name="Accept and continue").click()

    # back on the join page, the form went off by itself: the member waits to be admitted
    expect(page.locator("#live-root[data-kind='waiting']")).to_be_visible()
    member = User.objects.get(email="s.yilmaz@uni.example")
    assert Participant.objects.filter(meeting=meeting, user=member).exists()
    assert not any(PASSCODE in url for url in requested)
