import pytest
from guardian.shortcuts import get_perms

from meetings.scheduling import services
from meetings.scheduling.models import Meeting, MeetingUserObjectPermission
from tests.meetings.conftest import details, form_data

pytestmark = pytest.mark.django_db

MANAGER_URLS = ["/meetings/{id}/", "/meetings/{id}/calendar.ics"]
HOST_URLS = ["/meetings/{id}/edit/", "/meetings/{id}/delete/", "/meetings/{id}/edit-series/"]


@pytest.mark.parametrize("url", [*MANAGER_URLS, *HOST_URLS, "/meetings/{id}/invite/"])
def test_another_users_meeting_answers_404(client, member, meeting, url):
    client.force_login(member)
    method = client.post if url.endswith("invite/") else client.get
    assert method(url.format(id=meeting.meeting_id)).status_code == 404


@pytest.mark.parametrize("url", [*HOST_URLS, "/meetings/{id}/invite/"])
def test_another_user_cannot_post_changes(client, member, meeting, url):
    client.force_login(member)
    data = form_data(topic="Hijacked", addresses="x@uni.example")
    assert client.post(url.format(id=meeting.meeting_id), data).status_code == 404
    meeting.refresh_from_db()
    assert meeting.topic == "Seminar"
    assert not meeting.invitations.exists()


@pytest.mark.parametrize("url", [*MANAGER_URLS, *HOST_URLS])
def test_anonymous_visitors_are_sent_to_login(client, meeting, url):
    response = client.get(url.format(id=meeting.meeting_id))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_an_unknown_meeting_answers_404(host_client):
    assert host_client.get("/meetings/12345678901/").status_code == 404


def test_the_host_chooses_co_hosts_stored_as_object_permissions(host_client, member):
    host_client.post("/meetings/new/", form_data(co_hosts=[str(member.pk)]))
    meeting = Meeting.objects.get()
    assert get_perms(member, meeting) == ["host_meeting"]
    assert member.has_perm("meetings.host_meeting", meeting)


def test_alternative_hosts_get_both_permissions(host_client, member):
    host_client.post("/meetings/new/", form_data(alternative_hosts=[str(member.pk)]))
    meeting = Meeting.objects.get()
    assert sorted(get_perms(member, meeting)) == ["alternative_host_meeting", "host_meeting"]


@pytest.mark.parametrize("url", MANAGER_URLS)
def test_a_co_host_reaches_the_meeting_pages(client, host, member, url):
    meeting = services.schedule_meeting(host=host, details=details(), co_hosts=[member])
    client.force_login(member)
    assert client.get(url.format(id=meeting.meeting_id)).status_code == 200


@pytest.mark.parametrize("url", HOST_URLS)
def test_a_co_host_may_not_edit_or_delete(client, host, member, url):
    meeting = services.schedule_meeting(host=host, details=details(), co_hosts=[member])
    client.force_login(member)
    assert client.get(url.format(id=meeting.meeting_id)).status_code == 404
    assert client.post(url.format(id=meeting.meeting_id), form_data()).status_code == 404
    assert Meeting.objects.filter(pk=meeting.pk, topic="Seminar").exists()


def test_a_co_host_who_is_not_a_member_is_refused(host_client, outsider):
    response = host_client.post(
        "/meetings/new/", form_data(co_hosts=[str(outsider.pk)]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Co-hosts must be members of the institution." in response.content.decode()
    assert not Meeting.objects.exists()
    assert not MeetingUserObjectPermission.objects.exists()


def test_the_service_refuses_a_non_member_as_co_host(host, outsider):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.schedule_meeting(host=host, details=details(), co_hosts=[outsider])
    assert not Meeting.objects.exists()


def test_editing_replaces_the_co_hosts(host_client, host, member):
    meeting = services.schedule_meeting(host=host, details=details(), co_hosts=[member])
    host_client.post(f"/meetings/{meeting.meeting_id}/edit/", form_data())
    assert get_perms(member, meeting) == []


def test_deleting_a_meeting_removes_its_permission_rows(host_client, host, member):
    meeting = services.schedule_meeting(
        host=host, details=details(), co_hosts=[member], alternative_hosts=[member]
    )
    assert MeetingUserObjectPermission.objects.filter(content_object=meeting).count() == 2
    host_client.post(f"/meetings/{meeting.meeting_id}/delete/")
    assert not MeetingUserObjectPermission.objects.exists()
    # a new meeting never inherits an old grant
    new = services.schedule_meeting(host=host, details=details())
    assert get_perms(member, new) == []


@pytest.mark.parametrize("url", MANAGER_URLS)
def test_read_only_pages_reject_post(host_client, meeting, url):
    assert host_client.post(url.format(id=meeting.meeting_id)).status_code == 405


def test_a_co_host_may_invite(client, host, member, mailoutbox, after_commit):
    meeting = services.schedule_meeting(host=host, details=details(), co_hosts=[member])
    client.force_login(member)
    with after_commit():
        response = client.post(
            f"/meetings/{meeting.meeting_id}/invite/", {"addresses": "student@uni.example"}
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert meeting.invitations.get().email == "student@uni.example"
