"""``manage.py add_idp`` / ``sp_metadata`` and the SP metadata at its stable URL."""

import io
import json

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.management import CommandError, call_command

from portal.identity.sso import dev_idp
from tests.factories import pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def metadata_file(tmp_path, settings, idp_key_dir):
    settings.DEV_IDP_KEY_DIR = str(idp_key_dir)
    path = tmp_path / "idp-metadata.xml"
    path.write_text(dev_idp.metadata_xml())
    return path


def test_it_registers_an_idp_from_a_metadata_file(metadata_file):
    out = io.StringIO()

    call_command(
        "add_idp", "--slug", "uni", "--metadata", str(metadata_file), "--name", "Uni", stdout=out
    )

    app = SocialApp.objects.get(provider="saml", client_id="uni")
    assert app.name == "Uni"
    assert app.provider_id == dev_idp.entity_id()
    advanced = app.settings["advanced"]
    assert advanced["want_assertion_signed"] and advanced["strict"]
    assert advanced["reject_idp_initiated_sso"] and advanced["reject_deprecated_algorithm"]
    assert app.settings["idp"]["sso_url"].endswith("/dev-idp/sso/")
    assert "urn:oid:1.3.6.1.4.1.5923.1.1.1.1" in app.settings["attribute_mapping"]["affiliation"]
    assert "/accounts/saml/uni/metadata/" in out.getvalue()


def test_it_updates_an_existing_idp_and_keeps_its_mapping(metadata_file):
    mapping = json.dumps({"uid": ["urn:oid:1.3.6.1.4.1.5923.1.1.1.10"]})
    call_command(
        "add_idp",
        "--slug",
        "uni",
        "--metadata",
        str(metadata_file),
        "--attribute-mapping",
        mapping,
        stdout=io.StringIO(),
    )

    call_command("add_idp", "--slug", "uni", "--metadata", str(metadata_file), stdout=io.StringIO())

    app = SocialApp.objects.get(client_id="uni")
    assert SocialApp.objects.filter(client_id="uni").count() == 1
    assert app.settings["attribute_mapping"]["uid"] == ["urn:oid:1.3.6.1.4.1.5923.1.1.1.10"]


def test_it_refuses_unreadable_metadata(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-metadata/>")
    with pytest.raises(CommandError, match="Cannot use this metadata"):
        call_command("add_idp", "--slug", "uni", "--metadata", str(bad))
    assert not SocialApp.objects.exists()


def test_it_refuses_a_missing_file():
    with pytest.raises(CommandError):
        call_command("add_idp", "--slug", "uni", "--metadata", "/nonexistent.xml")


def test_it_refuses_a_bad_slug(metadata_file):
    with pytest.raises(CommandError, match="slug"):
        call_command("add_idp", "--slug", "Uni Example", "--metadata", str(metadata_file))


def test_the_sp_metadata_is_printed_and_served(metadata_file, client):
    call_command("add_idp", "--slug", "uni", "--metadata", str(metadata_file), stdout=io.StringIO())
    out = io.StringIO()

    call_command("sp_metadata", "--slug", "uni", stdout=out)
    served = client.get("/accounts/saml/uni/metadata/", HTTP_HOST="127.0.0.1")

    assert 'entityID="http://127.0.0.1:8000/accounts/saml/uni/metadata/"' in out.getvalue()
    assert served.status_code == 200
    assert 'entityID="http://127.0.0.1:8000/accounts/saml/uni/metadata/"' in served.content.decode()
    assert "AssertionConsumerService" in served.content.decode()


def test_sp_metadata_of_an_unknown_idp_is_an_error():
    with pytest.raises(CommandError, match="No identity provider"):
        call_command("sp_metadata", "--slug", "nope")


def test_an_admin_adds_an_idp_from_metadata_in_the_admin(client, metadata_file, demo_institution):
    from portal.identity.models import AuditEvent, User

    pass_second_factor(client, User.objects.get(username="admin"))

    response = client.post(
        "/admin/socialaccount/socialapp/add/",
        {
            "name": "Federation",
            "client_id": "federation",
            "metadata": metadata_file.read_text(),
            "attribute_mapping": json.dumps({"uid": ["urn:oid:1.3.6.1.4.1.5923.1.1.1.10"]}),
            "scopes": "uni.example, partner.example",
        },
    )

    assert response.status_code == 302
    app = SocialApp.objects.get(client_id="federation")
    assert app.provider == "saml" and app.provider_id == dev_idp.entity_id()
    assert app.settings["portal"]["scopes"] == ["uni.example", "partner.example"]
    assert app.settings["attribute_mapping"]["uid"] == ["urn:oid:1.3.6.1.4.1.5923.1.1.1.10"]
    assert AuditEvent.objects.filter(action="idp.added", target_id=str(app.pk)).exists()


def test_the_admin_refuses_broken_metadata(client, demo_institution):
    from portal.identity.models import User

    pass_second_factor(client, User.objects.get(username="admin"))

    response = client.post(
        "/admin/socialaccount/socialapp/add/",
        {"name": "Broken", "client_id": "broken", "metadata": "<nope/>"},
    )

    assert response.status_code == 200
    assert not SocialApp.objects.filter(client_id="broken").exists()
