"""Leavers reported by the identity management in a CSV file are deprovisioned the same day
(docs/POLICY.md, account)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils.timezone import now

from portal.identity.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def write(tmp_path, text):
    path = tmp_path / "leavers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_each_listed_leaver_is_deprovisioned_today(tmp_path, capsys):
    leaver = make_user("alice", is_institution_member=True)
    stays = make_user("bob", is_institution_member=True)

    call_command("import_leavers", write(tmp_path, "username;left_on\nalice;2026-11-27\ncarol;\n"))

    leaver.refresh_from_db()
    assert not leaver.is_active
    assert not leaver.is_institution_member
    assert leaver.deletion_due_at > now()
    assert User.objects.get(pk=stays.pk).is_active
    out = capsys.readouterr().out
    assert out.strip() == "1 deprovisioned, 0 already, 1 unknown, 0 superusers skipped."
    assert "alice" not in out and "carol" not in out


def test_a_second_import_changes_nothing(tmp_path, capsys):
    make_user("alice")
    path = write(tmp_path, "username\nalice\n")
    call_command("import_leavers", path)
    due = User.objects.get(username="alice").deletion_due_at
    call_command("import_leavers", path)
    assert User.objects.get(username="alice").deletion_due_at == due
    assert "0 deprovisioned, 1 already" in capsys.readouterr().out


def test_superusers_are_never_deprovisioned(tmp_path):
    User.objects.create_superuser("root", "root@uni.example", "x")
    call_command("import_leavers", write(tmp_path, "username\nroot\n"))
    assert User.objects.get(username="root").is_active


def test_dry_run_changes_nothing(tmp_path, capsys):
    make_user("alice")
    call_command("import_leavers", write(tmp_path, "username\nalice\n"), "--dry-run")
    assert User.objects.get(username="alice").is_active
    assert "1 would be deprovisioned" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["name\nalice\n", ""])
def test_a_file_without_the_username_column_is_refused(tmp_path, text):
    with pytest.raises(CommandError, match="column 'username'"):
        call_command("import_leavers", write(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the leavers file"):
        call_command("import_leavers", str(tmp_path / "nope.csv"))
