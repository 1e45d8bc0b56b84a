import pytest
from django.template import Context, Template
from django.test import RequestFactory

from tests.factories import make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db

TEMPLATE = Template("{% load consent_tags %}{% recording_announcement meeting %}")


def test_it_announces_a_planned_recording_with_a_link_to_the_text():
    text = published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)
    request = RequestFactory().get("/")
    html = TEMPLATE.render(Context({"meeting": meeting, "request": request}))
    assert "planned to be recorded" in html or "aufgezeichnet" in html
    assert f'href="/consent/text/{text.version}/"' in html
    assert f'href="/consent/meetings/{meeting.meeting_id}/"' in html


def test_invitations_get_absolute_links(settings):
    settings.PORTAL_BASE_URL = "https://meet.uni.example"
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)
    html = TEMPLATE.render(Context({"meeting": meeting}))
    assert 'href="https://meet.uni.example/consent/text/1/"' in html


def test_it_says_nothing_without_a_planned_recording():
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=False)
    assert TEMPLATE.render(Context({"meeting": meeting})).strip() == ""
