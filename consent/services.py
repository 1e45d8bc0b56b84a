"""Services of the consent app: giving, refusing and withdrawing consent to recording.

Policy rows (docs/POLICY.md, recording): "a recording is made only with the express consent of the
participants concerned, announced in advance" and "deleted 7 days after a required consent
is revoked".
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.timezone import now
from django.utils.translation import gettext as _

from consent.models import (
    SUBJECT_CHAINS_CACHE_KEY,
    ConsentDecision,
    ConsentText,
    RecordingConsentBasis,
    subject_keyring,
)
from consent.selectors import (
    decisions_for_meeting,
    subject_forms_of_participant,
    subject_of_participant,
)
from meetings.backends import get_backend
from meetings.live.broadcast import AUDIENCE_HOSTS, broadcast_to_meeting
from meetings.live.models import Participant
from meetings.recordings.gate import series_key_for
from meetings.recordings.models import Recording, RecordingSession
from meetings.recordings.services import (
    running_session,
    schedule_recording_deletion,
    stop_recording,
)
from retention.keyring import RotationReport, rotate_field
from retention.models import DeletionLogEntry
from retention.services import item_digests

logger = logging.getLogger(__name__)


class ConsentRefused(Exception):
    """The request cannot be honoured; ``message`` is shown to the person (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def record_decision(
    *,
    participant: Participant,
    text: ConsentText,
    given: bool,
    method: str,
    for_series: bool = False,
) -> ConsentDecision:
    """Keep a participant's decision (given or refused) as evidence.

    The decision refers to the published ``text`` version and copies its scope; a series
    decision covers every meeting of the meeting's lecture series.
    """
    if not text.is_published:
        raise ConsentRefused(_("This consent text is not published."))
    meeting = participant.meeting
    series_key = series_key_for(meeting) if for_series else ""
    if for_series and not series_key:
        raise ConsentRefused(_("This meeting does not belong to a lecture series."))
    subject_ref = subject_of_participant(participant)
    if not given:
        # "I refuse" after "I consent" is a withdrawal: the consent stops being relied on and
        # whatever rests on it is deleted by the withdrawal rule
        in_force = decisions_for_meeting(
            meeting=meeting, subject_refs=subject_forms_of_participant(participant)
        ).filter(given=True, withdrawn_at__isnull=True)
        for earlier in in_force:
            withdraw_consent(decision=earlier)
    decision = ConsentDecision(
        subject_ref=subject_ref,
        subject_key_chain=subject_keyring().current_chain,
        user_id=participant.user_id,
        meeting=None if series_key else meeting,
        meeting_ref="" if series_key else meeting.meeting_id,
        series_key=series_key,
        text=text,
        scope=text.scope,
        audience=text.audience,
        given=given,
        method=method,
    )
    # the private link that withdraws this consent without an account, during and after the
    # meeting; handed to the person once (``decision.withdrawal_key``), never stored
    decision.withdrawal_key = decision.new_withdrawal_key() if given else ""
    decision.save()
    # hosts only: the room's browsers receive every room event, and nobody but the hosts
    # should learn who gave or refused consent
    transaction.on_commit(
        lambda: broadcast_to_meeting(
            meeting.pk,
            "consent.changed",
            audience=AUDIENCE_HOSTS,
            participant=participant.pk,
            given=given,
        )
    )
    logger.info("consent decision %s recorded for meeting %s", decision.pk, meeting.pk)
    return decision


def withdraw_consent(
    *, decision: ConsentDecision, when: datetime.datetime | None = None
) -> list[Recording]:
    """Withdraw a given consent; schedule every stored recording resting on it for deletion.

    Deletion is due exactly ``RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS`` after the withdrawal
    (policy row "deleted 7 days after a required consent is revoked"); the host is informed
    by mail and on the recording page and cannot undo it. Withdrawing twice changes nothing
    (``ConsentRefused``).
    """
    when = when or now()
    with transaction.atomic():
        updated = ConsentDecision.objects.filter(
            pk=decision.pk, given=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=when)
        if not updated:
            raise ConsentRefused(_("This consent has already been withdrawn."))
        decision.refresh_from_db()
        due_at = when + datetime.timedelta(days=settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS)
        session_ids = RecordingConsentBasis.objects.filter(decision=decision).values("session_id")
        # a recording that runs on this consent stops at once; whatever it recorded (still to
        # be converted) gets the same deletion date as the stored recordings below
        sessions = RecordingSession.objects.filter(pk__in=session_ids)
        sessions.filter(
            models.Q(deletion_due_at__isnull=True) | models.Q(deletion_due_at__gt=due_at)
        ).update(deletion_due_at=due_at)
        for session in sessions.filter(stopped_at__isnull=True).select_related("meeting"):
            stop_recording(
                meeting=session.meeting, reason=RecordingSession.StopReason.CONSENT_WITHDRAWN
            )
        recordings = list(
            Recording.objects.filter(session_id__in=session_ids).select_related("meeting__host")
        )
        scheduled = [
            recording
            for recording in recordings
            if schedule_recording_deletion(
                recording=recording,
                due_at=due_at,
                reason="consent withdrawn",
            )
        ]
        for recording in scheduled:
            transaction.on_commit(lambda recording=recording: _inform_host(recording))
        if decision.meeting_id and running_session(meeting=decision.meeting) is not None:
            meeting_pk = decision.meeting_id
            transaction.on_commit(
                lambda: broadcast_to_meeting(
                    meeting_pk, "consent.withdrawn", audience=AUDIENCE_HOSTS
                )
            )
    logger.info(
        "consent decision %s withdrawn; %s recordings scheduled for deletion",
        decision.pk,
        len(scheduled),
    )
    return scheduled


def withdraw_consents(
    *, decision_ids: list[int], when: datetime.datetime | None = None
) -> list[Recording]:
    """Withdraw many consents at once (an erasure) with the effects of :func:`withdraw_consent`
    in a constant number of queries, however many decisions and recordings: the sessions and
    recordings resting on them get their deletion date (never postponed), a running recording
    stops, the hosts are told. Consents already withdrawn are left alone."""
    when = when or now()
    due_at = when + datetime.timedelta(days=settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS)
    not_later = models.Q(deletion_due_at__isnull=True) | models.Q(deletion_due_at__gt=due_at)
    with transaction.atomic():
        ids = list(
            ConsentDecision.objects.select_for_update()
            .filter(pk__in=decision_ids, given=True, withdrawn_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        ConsentDecision.objects.filter(pk__in=ids).update(withdrawn_at=when)
        session_ids = list(
            RecordingConsentBasis.objects.filter(decision_id__in=ids)
            .values_list("session_id", flat=True)
            .distinct()
        )
        sessions = RecordingSession.objects.filter(pk__in=session_ids)
        sessions.filter(not_later).update(deletion_due_at=due_at)
        for session in sessions.filter(stopped_at__isnull=True).select_related("meeting"):
            stop_recording(
                meeting=session.meeting, reason=RecordingSession.StopReason.CONSENT_WITHDRAWN
            )
        due = Recording.objects.filter(session_id__in=session_ids).filter(not_later)
        scheduled = list(due.select_related("meeting__host"))
        due.update(
            deletion_due_at=due_at,
            deletion_reason="consent withdrawn",
            state=Recording.State.DELETION_SCHEDULED,
        )
        for recording in scheduled:
            recording.deletion_due_at = due_at
            transaction.on_commit(lambda recording=recording: _inform_host(recording))
        # whatever copy a backend still holds goes at once (docs/POLICY.md, recording)
        for meeting in {recording.meeting for recording in scheduled}:
            transaction.on_commit(
                lambda meeting=meeting: get_backend().discard_recordings(meeting=meeting)
            )
    logger.info(
        "%s consent decisions withdrawn; %s recordings scheduled for deletion",
        len(ids),
        len(scheduled),
    )
    return scheduled


def decision_for_withdrawal_key(key: str) -> ConsentDecision | None:
    """The decision a private withdrawal link names (None for an unknown key)."""
    if not key or len(key) > 100:
        return None
    return (
        ConsentDecision.objects.filter(
            withdrawal_key_hash=ConsentDecision.hash_withdrawal_key(key), given=True
        )
        .select_related("text", "meeting")
        .first()
    )


def withdrawal_url(key: str) -> str:
    from django.urls import reverse

    return f"{settings.PORTAL_BASE_URL}{reverse('consent:withdraw_by_link', args=[key])}"


def send_withdrawal_link(*, decision: ConsentDecision, key: str, email: str) -> None:
    """Mail the private withdrawal link to the address the person gave (not stored)."""
    context = {"decision": decision, "url": withdrawal_url(key)}
    subject = _("Your consent to the recording: how to withdraw it")
    body = render_to_string("consent/mail/withdrawal_link.txt", context)
    send_mail(subject, body, None, [email])


def _inform_host(recording: Recording) -> None:
    host = recording.meeting.host
    if not host.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "recording": recording,
            "meeting": recording.meeting,
            "url": f"{settings.PORTAL_BASE_URL}{recording.get_absolute_url()}",
            "days": settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS,
        }
        subject = _("A recording will be deleted: consent was withdrawn")
        body = render_to_string("consent/mail/recording_deletion_scheduled.txt", context)
    send_mail(subject, body, None, [host.email])


def rotate_subject_references(batch_size: int = 500) -> RotationReport:
    """Wrap every stored subject reference under the current ``CONSENT_SUBJECT_KEY``
    (retention/keyring.py): guests' references cannot be recomputed (their guest key is gone),
    so rotation wraps instead. Lookups find a person's decisions under every chain meanwhile."""
    from django.core.cache import cache

    keyring = subject_keyring()
    cache.delete(SUBJECT_CHAINS_CACHE_KEY)

    def rewrite(values: dict) -> dict | None:
        if keyring.is_current(values["subject_key_chain"]):
            return None
        wrapped, chain = keyring.wrap(
            bytes.fromhex(values["subject_ref"]), values["subject_key_chain"]
        )
        return {"subject_ref": wrapped.hex(), "subject_key_chain": chain}

    report = rotate_field(
        name="consent subject references",
        queryset=ConsentDecision.objects.all(),
        fields=["subject_ref", "subject_key_chain"],
        rewrite=rewrite,
        batch_size=batch_size,
    )
    cache.delete(SUBJECT_CHAINS_CACHE_KEY)
    return report


def apply_consent_text_setup(entry: object) -> list[str]:
    """The ``[consent_text]`` section of ``manage.py setup_institution``: published as a new
    version when it differs from the newest published one (published texts never change)."""
    from portal.identity.setup import SetupError, require, text_or_file

    values = {
        "title_de": require("consent_text", entry, "title_de"),
        "title_en": require("consent_text", entry, "title_en"),
        "body_de": text_or_file("consent_text", entry, "body_de"),
        "body_en": text_or_file("consent_text", entry, "body_en"),
        "scope": entry.get("scope", "storage"),
        "audience": entry.get("audience", ""),
    }
    newest = ConsentText.objects.filter(published_at__isnull=False).order_by("-version").first()
    if newest is not None and all(getattr(newest, k) == v for k, v in values.items()):
        return []
    text = ConsentText(**values)
    try:
        text.full_clean(exclude=["version"])
    except ValidationError as error:
        raise SetupError(f"[consent_text]: {'; '.join(error.messages)}") from None
    text.save()
    text.publish()
    return [f"consent text version {text.version} published"]


def create_demo_consent_text() -> int:
    """``manage.py demo_data``: a published consent text, so that recording consent works out
    of the box on a demonstration (an institution writes its own: ``setup_institution``)."""
    if ConsentText.objects.filter(published_at__isnull=False).exists():
        return 0
    apply_consent_text_setup(
        {
            "title_de": "Einwilligung in die Aufzeichnung",
            "title_en": "Consent to recording",
            "body_de": (
                "Ich willige ein, dass diese Besprechung aufgezeichnet und die Aufzeichnung "
                "von der Hochschule gespeichert wird. Ich kann die Einwilligung jederzeit "
                "widerrufen; die Aufzeichnung wird dann gelöscht."
            ),
            "body_en": (
                "I consent to this meeting being recorded and the recording being stored by "
                "the institution. I may withdraw my consent at any time; the recording is then "
                "deleted."
            ),
            "scope": "storage",
        }
    )
    return 1


# --- erasure through the withdrawal link -------------------------------------------------------
@dataclass
class LinkErasure:
    """What "erase my data" through the withdrawal link did: ``queued`` for a member (the
    request waits for the data-protection officer), else what was erased and what is kept."""

    queued: bool = False
    withdrawn: int = 0
    anonymised: int = 0
    kept: list[str] = field(default_factory=list)


def _guest_participants(decision: ConsentDecision) -> list[Participant]:
    """The guest's rows in the meeting while it lasts, found by the decision's pseudonymous
    reference (the guest key itself is never stored with the decision)."""
    if decision.meeting_id is None:
        return []
    rows = Participant.objects.filter(meeting_id=decision.meeting_id, user__isnull=True).exclude(
        guest_key=""
    )
    return [row for row in rows if decision.subject_ref in subject_forms_of_participant(row)]


def erase_through_link(*, decision: ConsentDecision) -> LinkErasure:
    """ "Erase my data" on the withdrawal link page (docs/POLICY.md, rights).

    A member's request goes to the data-protection officer's queue, as from "My data". A guest
    has no account to queue: what is only the guest's is erased at once. Consents in force are
    withdrawn (the withdrawal rule deletes the recordings resting on them); the guest's name in
    the consent records of recordings, in the chat and in the room becomes a pseudonym; the
    decisions stay as evidence of consent under their pseudonymous reference, and an attendance
    list the meeting must keep stays as it is. Each change is written to the deletion log.
    """
    if decision.user_id is not None:
        from portal.identity.rights.services import request_erasure

        request_erasure(user=decision.user)
        return LinkErasure(queued=True)
    from meetings.live.models import AttendanceRecord, ChatMessage

    result = LinkErasure()
    pseudonym = "guest-" + decision.subject_ref[:12]
    with transaction.atomic():
        decisions = ConsentDecision.objects.filter(
            subject_ref=decision.subject_ref, user__isnull=True
        )
        decision_ids = list(decisions.values_list("pk", flat=True))
        in_force = list(
            decisions.filter(given=True, withdrawn_at__isnull=True).values_list("pk", flat=True)
        )
        withdraw_consents(decision_ids=in_force)
        result.withdrawn = len(in_force)
        records = RecordingConsentBasis.objects.filter(decision_id__in=decision_ids).exclude(
            display_name=pseudonym
        )
        keys = [
            f"consent.recordingconsentbasis:{pk}" for pk in records.values_list("pk", flat=True)
        ]
        records.update(display_name=pseudonym)
        participants = _guest_participants(decision)
        for participant in participants:
            sent = ChatMessage.objects.filter(sender=participant)
            received = ChatMessage.objects.filter(recipient=participant)
            keys += [f"meetings.chatmessage:{pk}" for pk in sent.values_list("pk", flat=True)]
            keys += [f"meetings.chatmessage:{pk}" for pk in received.values_list("pk", flat=True)]
            sent.update(sender_name=pseudonym)
            received.update(recipient_name=pseudonym)
            Participant.objects.filter(pk=participant.pk).update(
                display_name=pseudonym, age_confirmed_at=None
            )
            keys.append(f"meetings.participant:{participant.pk}")
        if keys:
            DeletionLogEntry.objects.create(
                category="erasure.guest_link",
                rule=None,
                rule_summary="guest erasure through the withdrawal link",
                action="anonymise",
                count=len(keys),
                digests=item_digests(keys),
            )
        result.anonymised = len(keys)
        if decision_ids:
            result.kept.append(
                _(
                    "Your consent decisions, as evidence of consent (Art. 7(1) GDPR), under a "
                    "pseudonymous reference only."
                )
            )
        if AttendanceRecord.objects.filter(participant__in=participants).exists():
            result.kept.append(
                _("The attendance list this meeting must keep, for its retention period.")
            )
    logger.info("guest erasure through the link: %d anonymised", len(keys))
    return result
