"""``manage.py setup_institution``: the institution's first day from deploy/institution.toml,
with DEBUG off, idempotent, and a bad file changes nothing."""

import re
import stat
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command

from consent.models import ConsentText
from meetings.scheduling.models import MeetingPolicy
from portal.identity.models import (
    AffiliationRule,
    Institution,
    LicencePool,
    LicenceType,
    Role,
    TermsVersion,
    User,
)
from tests.portal.identity.test_second_factor import totp

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "institution.toml"
PASSWORD = "a long first password 4 the admin"  # noqa: S105


@pytest.fixture(autouse=True)
def production(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setenv("SETUP_ADMIN_PASSWORD", PASSWORD)


def run(path: Path) -> str:
    out = StringIO()
    call_command("setup_institution", str(path), stdout=out)
    return out.getvalue()


def test_it_sets_up_the_institution_from_the_example_file():
    output = run(EXAMPLE)
    assert "changes made" in output
    institution = Institution.objects.get()
    assert institution.name == "Universität Beispielstadt"
    assert institution.mail_domains == ["uni.example"]
    business = LicenceType.objects.get(slug="business")
    assert business.time_limit_minutes is None and business.max_participants == 300
    assert LicencePool.objects.get(licence_type__slug="basic").quota == 20000
    assert Role.objects.get(slug="student").licence_type.slug == "basic"
    assert not Role.objects.get(slug="guest").may_host
    assert list(AffiliationRule.objects.values_list("affiliation", "role__slug")) == [
        ("employee", "staff"),
        ("staff", "staff"),
        ("faculty", "staff"),
        ("student", "student"),
    ]
    assert TermsVersion.current().version == "2026-1"
    text = ConsentText.objects.get()
    assert text.is_published and text.scope == "storage"
    assert MeetingPolicy.current().waiting_room is True
    admin = User.objects.get(username="it-admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(PASSWORD)


def test_running_it_again_changes_nothing():
    run(EXAMPLE)
    counts = [model.objects.count() for model in (LicenceType, Role, AffiliationRule, ConsentText)]
    output = run(EXAMPLE)
    assert "Everything is set up already." in output
    assert [
        model.objects.count() for model in (LicenceType, Role, AffiliationRule, ConsentText)
    ] == counts


def test_a_changed_value_is_updated_and_a_changed_consent_text_is_a_new_version(tmp_path):
    run(EXAMPLE)
    changed = EXAMPLE.read_text().replace("quota = 2000", "quota = 2500")
    changed = changed.replace("aufgezeichnet und gespeichert", "aufgezeichnet")
    changed = changed.replace("minimum_passcode_length = 8", "minimum_passcode_length = 10")
    path = tmp_path / "institution.toml"
    path.write_text(changed)
    output = run(path)
    assert LicencePool.objects.get(licence_type__slug="business").quota == 2500
    assert list(ConsentText.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert MeetingPolicy.current().minimum_passcode_length == 10
    assert "consent text version 2 published" in output


def test_the_existing_administrator_is_never_touched(monkeypatch):
    run(EXAMPLE)
    monkeypatch.setenv("SETUP_ADMIN_PASSWORD", "another password entirely 99")
    run(EXAMPLE)
    assert User.objects.get(username="it-admin").check_password(PASSWORD)


def test_without_the_password_variable_nothing_is_created(monkeypatch):
    monkeypatch.delenv("SETUP_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="SETUP_ADMIN_PASSWORD"):
        run(EXAMPLE)
    assert not LicenceType.objects.exists()  # one transaction: nothing half done
    assert not Institution.objects.exists()


def test_a_weak_admin_password_is_refused(monkeypatch):
    monkeypatch.setenv("SETUP_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="administrator"):
        run(EXAMPLE)
    assert not User.objects.filter(username="it-admin").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[institution\nname=", "not valid TOML"),
        ('[roles]\nslug = "x"', "expected a list of tables"),
        ('[[roles]]\nslug = "x"\nname = "X"\nlicence_type = "gold"', "unknown licence type"),
        ('[[licence_types]]\nslug = "x"\nname = "X"\nmax_participants = 1\nquota = 1', "2"),
        ('[[licence_types]]\nslug = "x"\nname = "X"\nmax_participants = "many"', "wrong type"),
        ("[policy]\nwaiting_rooms = true", "unknown setting(s) waiting_rooms"),
        ("[everything]\nx = 1", "unknown section(s): everything"),
        ('[consent_text]\ntitle_de = "T"', "'title_en' is missing"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_changes_nothing(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CommandError, match="Nothing was changed") as refusal:
        run(path)
    assert message in str(refusal.value)
    assert not LicenceType.objects.exists()


def test_published_terms_are_never_rewritten(tmp_path):
    run(EXAMPLE)
    path = tmp_path / "institution.toml"
    path.write_text(EXAMPLE.read_text().replace("Using the service", "Use of the service"))
    with pytest.raises(CommandError, match="new version"):
        run(path)


def test_it_reads_yaml_too(tmp_path):
    path = tmp_path / "institution.yaml"
    path.write_text(
        "institution:\n  name: Hochschule\n  mail_domains: [hs.example]\n"
        "licence_types:\n  - {slug: basic, name: Basic, max_participants: 50, quota: 10}\n"
    )
    run(path)
    assert Institution.objects.get().name == "Hochschule"
    assert LicencePool.objects.get().quota == 10


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nothing.toml")


# -- the first administrator's second factor ------------------------------------------------


def secret_in(text: str) -> str:
    return re.search(r"secret \(to type in\): ([A-Z2-7]+)", text).group(1)


def test_the_administrator_gets_an_authenticator_app_shown_once(client):
    output = run(EXAMPLE)
    admin = User.objects.get(username="it-admin")
    assert Authenticator.objects.filter(user=admin, type="totp").count() == 1
    assert Authenticator.objects.filter(user=admin, type="recovery_codes").count() == 1
    secret = secret_in(output)
    uri = re.search(r"authenticator app URI: (\S+)", output).group(1)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri

    # the first login asks for the code and opens the admin: no setup step in between
    response = client.post(
        "/accounts/login/", {"login": "it-admin", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert client.get("/admin/").status_code == 200

    again = run(EXAMPLE)
    assert "secret" not in again and "Everything is set up already." in again


def test_a_rerun_keeps_the_device_and_rotation_replaces_it():
    first = secret_in(run(EXAMPLE))
    device = Authenticator.objects.get(type="totp")
    run(EXAMPLE)
    assert Authenticator.objects.get(type="totp").data == device.data

    out = StringIO()
    call_command("setup_institution", str(EXAMPLE), "--rotate-admin-second-factor", stdout=out)
    second = secret_in(out.getvalue())
    assert second != first
    admin = User.objects.get(username="it-admin")
    app = TOTP(Authenticator.objects.get(user=admin, type="totp"))
    assert app.validate_code(totp(second)) and not app.validate_code(totp(first))
    assert Authenticator.objects.filter(user=admin, type="recovery_codes").count() == 1


def test_an_administrator_with_a_factor_of_their_own_keeps_it():
    admin = User.objects.create_superuser("it-admin", "it-admin@uni.example", PASSWORD)
    TOTP.activate(admin, "JBSWY3DPEHPK3PXP")
    output = run(EXAMPLE)
    assert "secret" not in output
    assert TOTP(Authenticator.objects.get(user=admin, type="totp")).validate_code(
        totp("JBSWY3DPEHPK3PXP")
    )


def test_the_second_factor_can_go_to_a_file_only_the_operator_reads(tmp_path):
    path = tmp_path / "admin-second-factor.txt"
    out = StringIO()
    call_command("setup_institution", str(EXAMPLE), "--second-factor-file", str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = secret_in(path.read_text())
    assert secret not in out.getvalue() and str(path) in out.getvalue()
    assert TOTP(Authenticator.objects.get(type="totp")).validate_code(totp(secret))


def test_an_existing_second_factor_file_is_never_overwritten_and_nothing_is_enrolled(tmp_path):
    path = tmp_path / "admin-second-factor.txt"
    path.write_text("an earlier secret")
    with pytest.raises(CommandError, match="File exists"):
        call_command(
            "setup_institution", str(EXAMPLE), "--second-factor-file", str(path), stdout=StringIO()
        )
    assert path.read_text() == "an earlier secret"
    assert not User.objects.filter(username="it-admin").exists()
    assert not Authenticator.objects.exists()
