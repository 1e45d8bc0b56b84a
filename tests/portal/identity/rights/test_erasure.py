"""Erasure: what goes, what stays (and why), the deletion log, the person told, nothing left
that names the person: not in any table, not in the storage, not in the logs."""

import logging
import os
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from consent.models import ConsentDecision, RecordingConsentBasis, subject_reference
from meetings.live.models import AttendanceRecord, ChatMessage
from meetings.recordings.models import Recording
from portal.identity.models import DataExport, ErasureRequest, User
from portal.identity.rights.services import (
    RightsRefused,
    build_export,
    carry_out_erasure,
    delete_own_account,
    erasure_preview,
    refuse_erasure,
    request_erasure,
)
from retention.models import DeletionLogEntry, LegalHold

pytestmark = pytest.mark.postgres

TEXT_TYPES = ("char", "text", "json", "citext", "bytea")


def tables_naming(needles: list[str]) -> dict[str, list[str]]:
    """Every table and column whose text holds one of ``needles`` (case-insensitive)."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND (data_type LIKE '%%char%%' OR data_type IN "
            "('text', 'json', 'jsonb'))"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    # names from the catalogue, quoted: no input of anyone's
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.setdefault(f"{table}.{column}", []).append(needle)
    return found


def files_naming(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            content = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in content or n in str(path)]
    return hits


def test_the_request_is_due_one_month_later(alice):
    request = request_erasure(user=alice.user)
    assert request.state == ErasureRequest.State.PENDING
    assert (request.due_at.year, request.due_at.month) != (
        request.requested_at.year,
        request.requested_at.month,
    )
    assert 28 <= (request.due_at - request.requested_at).days <= 31
    assert request_erasure(user=alice.user) == request  # one open request


def test_the_preview_says_what_goes_and_what_stays_and_why(alice, bob):
    request = request_erasure(user=alice.user)
    plans = {item.kind.identifier: item.plan for item in erasure_preview(request=request)}

    assert plans["chat_messages"].erase == 1
    assert plans["invitations"].erase == 1
    assert plans["attendance_records"].erase == 1  # the meeting without an obligation
    assert plans["attendance_records"].anonymise == 1
    assert "retention period" in str(plans["attendance_records"].kept[0].reason)
    assert "Evidence of consent" in str(plans["consent_decisions"].kept[0].reason)
    assert plans["account"].anonymise == 1
    # nothing changed
    assert ChatMessage.objects.filter(sender_user=alice.user).count() == 1


def test_after_erasure_nothing_names_the_person(alice, bob, tmp_path, caplog, settings):
    caplog.set_level(logging.DEBUG)
    export = DataExport.objects.create(user=alice.user)
    build_export(export_id=export.pk)
    request = request_erasure(user=alice.user)
    decisions = list(ConsentDecision.objects.filter(user=alice.user).values_list("pk", flat=True))
    subject_ref = subject_reference(user_id=alice.user.pk)

    carry_out_erasure(request=request, handled_by=None, batch_size=2)

    needles = [n for n in alice.identifiers if n] + [alice.marker, "Nick alicemark"]
    assert tables_naming(needles) == {}
    assert files_naming(tmp_path, needles) == []
    assert not [r for r in caplog.records if any(n in r.getMessage() for n in needles)]
    # bob's data is untouched
    assert tables_naming([bob.marker, bob.user.email])
    # the legally kept evidence keeps its shape, under pseudonymous references
    kept = ConsentDecision.objects.filter(pk__in=decisions)
    assert kept.count() == len(decisions)
    assert all(d.user_id is None and d.subject_ref == subject_ref for d in kept)
    assert all(d.withdrawn_at is not None for d in kept)
    basis = RecordingConsentBasis.objects.get(decision_id__in=decisions)
    assert basis.display_name.startswith("person-")
    attendance = AttendanceRecord.objects.get(
        meeting__attendance_required=True, name__startswith="person-"
    )
    assert attendance.user_id is None
    # a recording resting on the withdrawn consent is due for deletion by the withdrawal rule
    assert Recording.objects.get(session=basis.session).deletion_due_at is not None
    # the account stays as an anonymous row (meetings it hosts keep their integrity)
    account = User.objects.get(pk=alice.user.pk)
    assert not account.is_active and not account.has_usable_password()


def test_the_erasure_is_logged_without_personal_data(alice, bob):
    from retention.services import find_deletions

    message = ChatMessage.objects.get(sender_user=alice.user)
    request = request_erasure(user=alice.user)
    carry_out_erasure(request=request, handled_by=None, batch_size=2)

    entries = DeletionLogEntry.objects.filter(category__startswith="erasure.")
    categories = set(entries.values_list("category", flat=True))
    assert {"erasure.chat_messages", "erasure.account", "erasure.consent_decisions"} <= categories
    assert all(e.rule_summary == f"erasure request {request.pk}" for e in entries)
    # the message is gone, but the log proves its deletion to whoever knows its key
    proof = find_deletions(f"meetings.chatmessage:{message.pk}")
    assert [(e.category, e.action) for e in proof] == [("erasure.chat_messages", "delete")]


def test_the_person_is_told_the_outcome_and_the_address_is_forgotten(alice):
    request = request_erasure(user=alice.user)
    carry_out_erasure(request=request, handled_by=None)

    assert [m.to for m in mail.outbox] == [["alice@uni.example"]]
    assert "kept" in mail.outbox[0].body
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.DONE
    assert request.notify_email == ""
    assert request.user_id is None
    assert any(item["kind"] == "chat_messages" and item["erased"] == 1 for item in request.outcome)


def test_a_second_run_changes_nothing(alice):
    request = request_erasure(user=alice.user)
    carry_out_erasure(request=request, handled_by=None)
    entries = DeletionLogEntry.objects.count()
    carry_out_erasure(request=request, handled_by=None)
    assert DeletionLogEntry.objects.count() == entries
    assert len(mail.outbox) == 1


def test_an_interrupted_erasure_is_resumed(alice):
    request = request_erasure(user=alice.user)
    ErasureRequest.objects.filter(pk=request.pk).update(state=ErasureRequest.State.RUNNING)
    carry_out_erasure(request=request, handled_by=None)
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.DONE
    assert not ChatMessage.objects.filter(text__contains=alice.marker).exists()


def test_a_legal_hold_keeps_records_unchanged(alice):
    meeting = AttendanceRecord.objects.filter(user=alice.user).first().meeting
    LegalHold.objects.create(reference=f"meetings.meeting:{meeting.pk}", reason="court case")
    held = AttendanceRecord.objects.filter(meeting=meeting, user=alice.user).get()
    request = request_erasure(user=alice.user)
    plans = {item.kind.identifier: item.plan for item in erasure_preview(request=request)}
    assert "legal hold" in str(plans["attendance_records"].kept[0].reason)

    carry_out_erasure(request=request, handled_by=None)

    held.refresh_from_db()
    assert held.name == "Alice Liddell"


def test_a_refusal_needs_a_reason_and_is_told(alice, bob):
    request = request_erasure(user=alice.user)
    with pytest.raises(RightsRefused):
        refuse_erasure(request=request, handled_by=bob.user, reason=" ")
    refuse_erasure(request=request, handled_by=bob.user, reason="Exam records must be kept.")
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.REFUSED
    assert "Exam records must be kept." in mail.outbox[0].body
    assert ChatMessage.objects.filter(sender_user=alice.user).exists()


def test_a_local_guest_account_deletes_itself(alice):
    delete_own_account(user=alice.user)
    assert not User.objects.filter(username="alice").exists()
    assert not ChatMessage.objects.filter(text__contains=alice.marker).exists()


def test_a_member_asks_instead_of_deleting_at_once(alice):
    User.objects.filter(pk=alice.user.pk).update(is_institution_member=True)
    alice.user.refresh_from_db()
    with pytest.raises(RightsRefused):
        delete_own_account(user=alice.user)
    assert User.objects.filter(username="alice").exists()
