"""“My data” in Debian's Chromium: the kinds listed, the download's progress, the archive, and
the erasure request (keyboard-operable form controls, live status region)."""

import zipfile

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from portal.identity.models import DataExport, ErasureRequest
from portal.identity.rights.services import build_export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page("en-GB")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_my_data_shows_progress_then_the_download(live_server, new_page, alice, bob, tmp_path):
    page = logged_in_page(new_page, live_server, alice.user)
    # an export waiting for the worker: the page shows its progress and follows it
    export = DataExport.objects.create(user=alice.user, kinds_total=10)
    page.goto(live_server.url + "/my-data/")
    expect(page.locator("#my-data-kinds")).to_contain_text("Chat messages you sent")
    expect(page.locator("#export-progress")).to_be_visible()

    build_export(export_id=export.pk)  # what the Celery worker does

    link = page.get_by_role("link", name="Download my data (zip)")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    path = tmp_path / "my-data.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        page_html = archive.read("index.html").decode()
    assert alice.marker in page_html
    assert bob.marker not in page_html


def test_asking_for_erasure_from_my_data(live_server, new_page, alice):
    page = logged_in_page(new_page, live_server, alice.user)
    page.goto(live_server.url + "/my-data/")
    page.get_by_label("I want my data to be erased.").check()
    page.get_by_role("button", name="Ask for erasure").click()
    expect(page.locator("#erasure-request-status")).to_contain_text("data-protection officer")
    assert ErasureRequest.objects.filter(user=alice.user).exists()
