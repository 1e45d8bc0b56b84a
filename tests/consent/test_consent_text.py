"""Consent texts: versioned, immutable once published, never changing earlier decisions."""

import pytest
from django.core.exceptions import ValidationError

from consent.models import ConsentDecision, ConsentText, Scope
from tests.factories import admit, decide, make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


def draft(**extra):
    extra.setdefault("scope", Scope.STORAGE)
    return ConsentText.objects.create(
        title_de="Einwilligung", title_en="Consent", body_de="Text", body_en="Text", **extra
    )


def test_versions_count_up():
    assert [draft().version, draft().version, draft().version] == [1, 2, 3]


def test_a_published_text_cannot_be_changed():
    text = published_text()
    text.body_en = "Something else entirely."
    with pytest.raises(ValidationError):
        text.save()
    text.refresh_from_db()
    assert text.body_en == "I consent to the recording of this event."


def test_a_published_text_cannot_be_deleted():
    text = published_text()
    with pytest.raises(ValidationError):
        text.delete()
    assert ConsentText.objects.filter(pk=text.pk).exists()


def test_a_draft_can_be_edited_and_deleted():
    text = draft()
    text.body_en = "Better wording."
    text.save()
    text.delete()
    assert not ConsentText.objects.exists()


def test_a_new_version_never_changes_what_earlier_decisions_referred_to():
    first = published_text()
    meeting = make_meeting(make_user("host"))
    decision = decide(admit(meeting, make_user("anna")), first)

    second = draft(scope=Scope.PUBLICATION, audience="Students of the course")
    second.publish()

    decision.refresh_from_db()
    assert decision.text == first
    assert decision.text.body_en == "I consent to the recording of this event."
    assert decision.scope == Scope.STORAGE
    from consent.selectors import current_consent_text

    assert current_consent_text() == second
    # and the earlier consent still counts for its meeting
    assert ConsentDecision.objects.get(pk=decision.pk).is_effective_consent


def test_publication_needs_a_named_audience():
    text = draft(scope=Scope.PUBLICATION)
    with pytest.raises(ValidationError):
        text.publish()
    text.refresh_from_db()
    assert text.published_at is None


def test_the_text_page_shows_a_published_version(client):
    text = published_text(scope=Scope.PUBLICATION, audience="Students of the course")
    body = client.get(f"/consent/text/{text.version}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert text.body_en in body
    assert "Students of the course" in body


def test_the_text_page_hides_drafts(client):
    text = draft()
    assert client.get(f"/consent/text/{text.version}/").status_code == 404


def test_the_text_page_rejects_post(client):
    text = published_text()
    assert client.post(f"/consent/text/{text.version}/").status_code == 405


def test_the_admin_shows_a_published_text_read_only(admin_client):
    text = published_text()
    body = admin_client.get(f"/admin/consent/consenttext/{text.pk}/change/").content.decode()
    assert 'name="body_en"' not in body
    assert text.body_en in body


def test_the_admin_starts_a_new_version_from_a_published_one(admin_client):
    text = published_text()
    admin_client.post(
        "/admin/consent/consenttext/",
        {"action": "new_version", "_selected_action": [text.pk]},
    )
    new = ConsentText.objects.get(version=2)
    assert new.published_at is None
    assert new.body_en == text.body_en
