"""Each secret has its own variable, required when DEBUG is off: the system checks that
``manage.py check --deploy`` (and ``migrate``) run name each missing or malformed one."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from retention.keyring import Keyring, parse_key

SECRETS = ["PASSCODE_ENCRYPTION_KEY", "CONSENT_SUBJECT_KEY", "RETENTION_REFERENCE_SECRET"]


def check_output(capsys) -> str:
    try:
        call_command("check", deploy=True, tags=["security"])
    except SystemCheckError as error:
        return str(error)
    return capsys.readouterr().err


@pytest.mark.parametrize("name", SECRETS)
def test_check_deploy_names_a_missing_secret(settings, capsys, name):
    settings.DEBUG = False
    setattr(settings, name, "")
    output = check_output(capsys)
    assert f"{name} is not set" in output
    assert [other for other in SECRETS if f"{other} is not set" in output] == [name]


def test_nothing_is_reported_when_each_secret_is_set(settings, capsys):
    settings.DEBUG = False
    settings.PASSCODE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.CONSENT_SUBJECT_KEY = "a-subject-key-of-its-own"
    settings.RETENTION_REFERENCE_SECRET = "a-reference-secret-of-its-own"
    output = check_output(capsys)
    assert not any(name in output for name in SECRETS)


def test_a_secret_equal_to_secret_key_is_warned_about(settings, capsys):
    settings.DEBUG = False
    settings.CONSENT_SUBJECT_KEY = settings.SECRET_KEY
    assert "CONSENT_SUBJECT_KEY equals SECRET_KEY" in check_output(capsys)


def test_a_malformed_passcode_key_is_an_error(settings, capsys):
    settings.PASSCODE_ENCRYPTION_KEY = "not-a-fernet-key"
    assert "PASSCODE_ENCRYPTION_KEY: not a Fernet key" in check_output(capsys)


def test_an_old_key_must_have_a_lower_version(settings, capsys):
    settings.CONSENT_SUBJECT_KEY = "2:new"
    settings.CONSENT_SUBJECT_OLD_KEYS = ["3:newer"]
    assert "CONSENT_SUBJECT_OLD_KEYS holds a key whose version" in check_output(capsys)


def test_a_key_without_a_version_is_version_one():
    assert parse_key("secret") == (1, "secret")
    assert parse_key("12:se:cret") == (12, "se:cret")


def test_a_wrapped_reference_is_recomputed_along_its_chain(settings):
    settings.CONSENT_SUBJECT_KEY = "1:one"
    old = Keyring.from_settings("CONSENT_SUBJECT_KEY", "NONE", lambda s: s.encode())
    stored = old.digest(b"user:1")
    settings.CONSENT_SUBJECT_KEY = "2:two"
    settings.CONSENT_SUBJECT_OLD_KEYS = ["1:one"]
    new = Keyring.from_settings("CONSENT_SUBJECT_KEY", "CONSENT_SUBJECT_OLD_KEYS", str.encode)
    wrapped, chain = new.wrap(stored, "1")
    assert chain == "1,2"
    assert new.digest(b"user:1", chain) == wrapped
    assert new.digest(b"user:1", chain) != new.digest(b"user:1")
    assert new.lookup_chains(["1"]) == ["2", "1", "1,2"]
