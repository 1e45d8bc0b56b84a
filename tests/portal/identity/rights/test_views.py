"""The pages: "My data", the download, the erasure request, self-deletion, the DPO's queue."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client

from meetings.live.models import ChatMessage
from portal.identity.models import DataExport, ErasureRequest, User
from retention.access import find_reads
from tests.factories import make_user, pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice.user)
    return client


@pytest.fixture
def dpo(db) -> User:
    officer = make_user("officer", is_institution_member=True)
    officer.user_permissions.add(Permission.objects.get(codename="handle_erasure_request"))
    return officer


@pytest.fixture
def dpo_client(dpo) -> Client:
    client = Client()
    client.force_login(dpo)
    return client


def test_my_data_needs_a_login(client):
    response = client.get("/my-data/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_my_data_lists_the_persons_data_by_kind(alice_client, alice, bob):
    response = alice_client.get("/my-data/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kind="chat_messages"' in page
    assert "Prepare a download of all my data" in page or "Download" in page


def test_the_download_is_prepared_and_holds_own_data_only(
    alice_client, alice, bob, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/my-data/export/", {"prepare": "yes"})
    assert response.status_code == 302
    export = DataExport.objects.get(user=alice.user)
    assert export.state == DataExport.State.READY

    status = alice_client.get(f"/my-data/export/{export.token}/")
    assert "download" in status.content.decode()
    download = alice_client.get(f"/my-data/export/{export.token}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "no-store" in download["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    content = "".join(archive.read(name).decode() for name in archive.namelist())
    assert alice.marker in content
    assert bob.marker not in content
    [read] = find_reads(f"portal.dataexport:{export.pk}")
    assert (read.actor, read.kind) == (alice.user, "data_export")


def test_another_persons_download_answers_404(alice, bob):
    export = DataExport.objects.create(user=bob.user, state=DataExport.State.READY)
    client = Client()
    client.force_login(alice.user)
    assert client.get(f"/my-data/export/{export.token}/").status_code == 404
    assert client.get(f"/my-data/export/{export.token}/download/").status_code == 404


def test_the_export_page_rejects_get(alice_client):
    assert alice_client.get("/my-data/export/").status_code == 405


def test_a_stray_post_prepares_nothing(alice_client, alice):
    response = alice_client.post("/my-data/export/", follow=True)
    assert "Use the button" in response.content.decode()
    assert not DataExport.objects.exists()


def test_asking_for_erasure_needs_the_confirmation(alice_client, alice):
    response = alice_client.post("/my-data/erasure/", follow=True)
    assert "Please confirm" in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_asking_for_erasure_files_a_request_for_the_dpo(alice_client, alice):
    response = alice_client.post("/my-data/erasure/", {"confirm": "yes"}, follow=True)
    request = ErasureRequest.objects.get()
    assert request.user == alice.user
    assert request.notify_email == "alice@uni.example"
    assert "data-protection officer" in response.content.decode()
    assert 'id="erasure-request-status"' in response.content.decode()


def test_the_queue_is_the_dpos_alone(alice_client, alice):
    assert alice_client.get("/privacy/erasure-requests/").status_code == 403
    request = ErasureRequest.objects.create(
        user=alice.user, subject_ref="x", due_at="2030-01-01T00:00:00Z"
    )
    assert alice_client.get(f"/privacy/erasure-requests/{request.pk}/").status_code == 403


def test_the_dpo_sees_the_preview_and_carries_out(
    dpo, dpo_client, alice, bob, django_capture_on_commit_callbacks, eager_celery
):
    alice_client = Client()
    alice_client.force_login(alice.user)
    alice_client.post("/my-data/erasure/", {"confirm": "yes"})
    request = ErasureRequest.objects.get()

    queue = dpo_client.get("/privacy/erasure-requests/").content.decode()
    assert f"/privacy/erasure-requests/{request.pk}/" in queue
    preview = dpo_client.get(f"/privacy/erasure-requests/{request.pk}/").content.decode()
    assert 'data-kind="consent_decisions"' in preview
    assert "Evidence of consent" in preview
    [read] = find_reads(f"portal.erasurerequest:{request.pk}")
    assert (read.actor, read.kind) == (dpo, "erasure_preview")

    with django_capture_on_commit_callbacks(execute=True):
        dpo_client.post(f"/privacy/erasure-requests/{request.pk}/", {"action": "carry_out"})

    request.refresh_from_db()
    assert request.state == ErasureRequest.State.DONE
    assert not ChatMessage.objects.filter(text__contains=alice.marker).exists()
    assert ChatMessage.objects.filter(text__contains=bob.marker).exists()
    assert mail.outbox[0].to == ["alice@uni.example"]
    outcome = dpo_client.get(f"/privacy/erasure-requests/{request.pk}/").content.decode()
    assert 'id="erasure-outcome"' in outcome
    assert "alice" not in outcome.lower()


def test_the_dpo_refuses_with_a_reason(dpo_client, alice):
    request = ErasureRequest.objects.create(
        user=alice.user,
        subject_ref="x",
        notify_email=alice.user.email,
        due_at="2030-01-01T00:00:00Z",
    )
    response = dpo_client.post(
        f"/privacy/erasure-requests/{request.pk}/", {"action": "refuse", "reason": ""}, follow=True
    )
    assert "Give the reason" in response.content.decode()
    dpo_client.post(
        f"/privacy/erasure-requests/{request.pk}/",
        {"action": "refuse", "reason": "Examination records"},
    )
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.REFUSED
    assert "Examination records" in mail.outbox[0].body


def test_an_unknown_action_changes_nothing(dpo_client, alice):
    request = ErasureRequest.objects.create(
        user=alice.user, subject_ref="x", due_at="2030-01-01T00:00:00Z"
    )
    response = dpo_client.post(f"/privacy/erasure-requests/{request.pk}/", {"action": "x"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.PENDING


def test_a_local_guest_account_deletes_itself_and_is_logged_out(alice_client, alice):
    response = alice_client.post("/my-data/delete-account/", {"confirm": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert alice_client.get("/my-data/").status_code == 302  # logged out


def test_a_member_cannot_delete_the_account_at_once(alice_client, alice):
    User.objects.filter(pk=alice.user.pk).update(is_institution_member=True)
    page = alice_client.get("/my-data/").content.decode()
    assert "/my-data/delete-account/" not in page
    alice_client.post("/my-data/delete-account/", {"confirm": "yes"})
    assert User.objects.filter(username="alice").exists()


def test_an_admin_erases_a_person_on_request(
    alice, bob, django_capture_on_commit_callbacks, eager_celery
):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    pass_second_factor(client, admin)  # the admin needs it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/portal/user/",
            {"action": "erase_people_action", "_selected_action": [alice.user.pk]},
        )
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.by_administrator and request.state == ErasureRequest.State.DONE
    assert request.handled_by == admin
    assert not User.objects.filter(username="alice").exists()
    assert User.objects.filter(username="bob").exists()
