import pytest

from tests.factories import admit, decide, make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


def test_it_lists_my_decisions_with_a_withdraw_button_for_consents(client):
    text = published_text()
    anna = make_user("anna")
    given = decide(admit(make_meeting(make_user("h1"), topic="Algebra"), anna), text)
    refused = decide(admit(make_meeting(make_user("h2"), topic="Biology"), anna), text, given=False)
    decide(admit(make_meeting(make_user("h3"), topic="Chemistry"), make_user("ben")), text)
    client.force_login(anna)

    body = client.get("/consent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Algebra" in body and "Biology" in body
    assert "Chemistry" not in body
    assert f"/consent/decisions/{given.pk}/withdraw/" in body
    assert f"/consent/decisions/{refused.pk}/withdraw/" not in body


def test_it_sends_anonymous_visitors_to_login(client):
    response = client.get("/consent/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_rejects_post(client):
    client.force_login(make_user("anna"))
    assert client.post("/consent/").status_code == 405
