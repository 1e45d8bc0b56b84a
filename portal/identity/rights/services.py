"""Data-subject rights for everyone with an account (docs/POLICY.md, "rights"): see and download
what the portal holds about oneself, ask for erasure, and the erasure itself.

Every app says what it holds through ``retention.subjects``; these services only run the
registered kinds. Policy row "rights": "everyone can see and download what is stored about them,
ask for erasure … answered within one month".
"""

from __future__ import annotations

import html
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.timezone import now
from django.utils.translation import gettext as _

from portal.identity.models import DataExport, ErasureRequest, User
from retention.models import DeletionLogEntry, RetentionRule
from retention.services import item_digests, item_reference
from retention.subjects import DataSubject, ErasurePlan, PersonalDataKind, subjects

logger = logging.getLogger(__name__)

#: The statutory deadline for answering a request (Art. 12(3) GDPR): one month.
ANSWER_WITHIN = relativedelta(months=1)


class RightsRefused(Exception):
    """The request cannot be honoured; ``message`` is shown to the person (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def subject_for_user(user: User, *, extra_emails: tuple[str, ...] = ()) -> DataSubject:
    """The person behind an account: its id, every address it is known by, and its names."""
    from allauth.account.models import EmailAddress

    emails = {user.email, *extra_emails}
    emails.update(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    names = {user.username, user.get_full_name(), user.display_name}
    return DataSubject(
        user_id=user.pk,
        emails=tuple(sorted(e for e in emails if e)),
        names=tuple(sorted(n for n in names if n)),
    )


def pseudonym_of_user(user_id: int) -> str:
    """The keyed-hash reference of an account, as the deletion log would write it."""
    return item_reference(f"{get_user_model()._meta.label_lower}:{user_id}")


@dataclass
class KindSummary:
    kind: PersonalDataKind
    count: int


def personal_data_summary(user: User) -> list[KindSummary]:
    """What the portal holds about ``user``, by kind (one count query per kind)."""
    subject = subject_for_user(user)
    return [KindSummary(kind, kind.count(subject)) for kind in subjects]


# -- export ---------------------------------------------------------------------------------


def request_export(*, user: User) -> DataExport:
    """Queue an archive of everything about ``user``; an export still being prepared is
    returned instead of a second one."""
    from portal.identity.tasks import build_data_export_task

    running = DataExport.objects.filter(
        user=user, state__in=[DataExport.State.PENDING, DataExport.State.RUNNING]
    ).first()
    if running is not None:
        return running
    export = DataExport.objects.create(user=user, kinds_total=len(list(subjects)))
    transaction.on_commit(lambda: build_data_export_task.delay(export.pk))
    return export


def _html_table(kind: PersonalDataKind, rows: list[dict]) -> str:
    heading = f"<h2>{html.escape(str(kind.description))}</h2>"
    if not rows:
        return heading + f"<p>{html.escape(_('Nothing stored.'))}</p>"
    columns = list(rows[0])
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            "<td>"
            + html.escape(
                value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            )
            + "</td>"
            for value in (row.get(c) for c in columns)
        )
        + "</tr>"
        for row in rows
    )
    return f"{heading}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_export(*, export_id: int) -> DataExport | None:
    """Write the archive: one JSON file per kind and a readable ``index.html``.

    Progress is saved after each kind, so that the page can show it. Safe to repeat: a rerun
    builds the archive again (a finished export is left alone).
    """
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.state == DataExport.State.READY:
        return export
    kinds = list(subjects)
    DataExport.objects.filter(pk=export.pk).update(
        state=DataExport.State.RUNNING, kinds_done=0, kinds_total=len(kinds)
    )
    subject = subject_for_user(export.user)
    generated = now()
    try:
        with tempfile.TemporaryFile() as archive_file:
            sections: list[str] = []
            with zipfile.ZipFile(archive_file, "w", zipfile.ZIP_DEFLATED) as archive:
                for done, kind in enumerate(kinds, start=1):
                    rows = list(kind.export(subject))
                    archive.writestr(
                        f"json/{kind.identifier}.json",
                        json.dumps(
                            {
                                "kind": kind.identifier,
                                "description": str(kind.description),
                                "records": rows,
                            },
                            ensure_ascii=False,
                            indent=1,
                        ),
                    )
                    sections.append(_html_table(kind, rows))
                    DataExport.objects.filter(pk=export.pk).update(kinds_done=done)
                archive.writestr(
                    "index.html",
                    render_to_string(
                        "portal/rights/export_index.html",
                        {"sections": sections, "generated": generated, "user": export.user},
                    ),
                )
            archive_file.seek(0)
            export.file.save(f"{export.token}.zip", File(archive_file), save=False)
            size = export.file.size
    except Exception:
        DataExport.objects.filter(pk=export.pk).update(state=DataExport.State.FAILED)
        logger.exception("data export %s failed", export.pk)
        raise
    DataExport.objects.filter(pk=export.pk).update(
        state=DataExport.State.READY,
        file=export.file.name,
        size=size,
        kinds_done=len(kinds),
        finished_at=now(),
    )
    logger.info("data export %s ready (%s bytes)", export.pk, size)
    export.refresh_from_db()
    return export


# -- erasure --------------------------------------------------------------------------------


def request_erasure(*, user: User, by_administrator: bool = False) -> ErasureRequest:
    """File an erasure request for ``user``, due one month later (Art. 12(3) GDPR), for the
    data-protection officer's queue; an open request is returned instead of a second one."""
    open_request = ErasureRequest.objects.filter(
        user=user, state__in=[ErasureRequest.State.PENDING, ErasureRequest.State.RUNNING]
    ).first()
    if open_request is not None:
        return open_request
    requested_at = now()
    request = ErasureRequest.objects.create(
        user=user,
        subject_ref=pseudonym_of_user(user.pk),
        notify_email=user.email,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        requested_at=requested_at,
        due_at=requested_at + ANSWER_WITHIN,
        by_administrator=by_administrator,
    )
    logger.info("erasure request %s filed", request.pk)
    return request


@dataclass
class KindPlan:
    kind: PersonalDataKind
    plan: ErasurePlan


def erasure_preview(*, request: ErasureRequest) -> list[KindPlan]:
    """What carrying out ``request`` would erase and what it must keep, and why."""
    if request.user is None:
        return []
    subject = subject_for_user(request.user, extra_emails=(request.notify_email,))
    return [KindPlan(kind, kind.plan(subject)) for kind in subjects.in_erasure_order()]


def _log(kind: PersonalDataKind, action: str, keys: list[str], request: ErasureRequest) -> None:
    batch = settings.ERASURE_BATCH_SIZE
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        DeletionLogEntry.objects.create(
            category=f"erasure.{kind.identifier}"[:64],
            rule=None,
            rule_summary=f"erasure request {request.pk}",
            action=action,
            count=len(chunk),
            digests=item_digests(chunk),
        )


def carry_out_erasure(
    *, request: ErasureRequest, handled_by: User | None, batch_size: int | None = None
) -> ErasureRequest:
    """Run every registered eraser for the request's person, in batches, with deletion-log
    entries; then tell the person the outcome and forget their address.

    Claimed with a conditional update, so two workers never run one request at once; a request
    left "running" by a killed worker is carried out again (each eraser is safe to repeat).
    """
    batch_size = batch_size or settings.ERASURE_BATCH_SIZE
    claimed = ErasureRequest.objects.filter(
        pk=request.pk, state__in=[ErasureRequest.State.PENDING, ErasureRequest.State.RUNNING]
    ).update(state=ErasureRequest.State.RUNNING)
    request.refresh_from_db()
    if not claimed:
        return request
    if handled_by is not None and request.handled_by_id is None:
        ErasureRequest.objects.filter(pk=request.pk).update(handled_by=handled_by)
    user_id = request.user_id
    outcome: list[dict] = []
    if user_id is not None:
        user = get_user_model()._base_manager.get(pk=user_id)
        subject = subject_for_user(user, extra_emails=(request.notify_email,))
        for kind in subjects.in_erasure_order():
            result = kind.erase(subject, batch_size=batch_size)
            with transaction.atomic():
                _log(kind, RetentionRule.Action.DELETE, result.deleted_keys, request)
                _log(kind, RetentionRule.Action.ANONYMISE, result.anonymised_keys, request)
            outcome.append(
                {
                    "kind": kind.identifier,
                    "description": str(kind.description),
                    "erased": len(result.deleted_keys),
                    "anonymised": len(result.anonymised_keys),
                    "kept": [{"count": k.count, "reason": str(k.reason)} for k in result.kept],
                }
            )
    ErasureRequest.objects.filter(pk=request.pk).update(
        state=ErasureRequest.State.DONE, handled_at=now(), outcome=outcome, user=None
    )
    request.refresh_from_db()
    _tell_outcome(request)
    logger.info("erasure request %s carried out", request.pk)
    return request


def refuse_erasure(*, request: ErasureRequest, handled_by: User, reason: str) -> ErasureRequest:
    """Refuse a request with a reason the person is told (e.g. an obligation to keep)."""
    if not reason.strip():
        raise RightsRefused(_("Give the reason for the refusal; the person is told it."))
    updated = ErasureRequest.objects.filter(
        pk=request.pk, state=ErasureRequest.State.PENDING
    ).update(
        state=ErasureRequest.State.REFUSED,
        handled_by=handled_by,
        handled_at=now(),
        refusal_reason=reason.strip(),
    )
    if not updated:
        raise RightsRefused(_("This request has already been handled."))
    request.refresh_from_db()
    _tell_outcome(request)
    return request


def _tell_outcome(request: ErasureRequest) -> None:
    """Mail the outcome (in the language of the request), then forget the address."""
    if request.notify_email:
        with translation.override(request.language or settings.LANGUAGE_CODE):
            subject = (
                _("Your data has been erased")
                if request.state == ErasureRequest.State.DONE
                else _("Your erasure request was refused")
            )
            body = render_to_string("portal/rights/mail/erasure_outcome.txt", {"request": request})
        send_mail(subject, body, None, [request.notify_email])
    if request.state == ErasureRequest.State.DONE:
        ErasureRequest.objects.filter(pk=request.pk).update(notify_email="")
        request.notify_email = ""


def queue_erasure(*, request: ErasureRequest, handled_by: User) -> None:
    """Have a Celery worker carry out ``request`` (after this transaction commits)."""
    from portal.identity.tasks import carry_out_erasure_task

    if not request.is_open:
        raise RightsRefused(_("This request has already been handled."))
    if request.user_id is not None and request.user_id == handled_by.pk:
        raise RightsRefused(_("A request about yourself is handled by someone else."))
    transaction.on_commit(lambda: carry_out_erasure_task.delay(request.pk, handled_by.pk))


def erase_person(*, user: User, handled_by: User) -> ErasureRequest:
    """An administrator erases a person on their request: filed and carried out at once."""
    request = request_erasure(user=user, by_administrator=True)
    queue_erasure(request=request, handled_by=handled_by)
    return request


def may_delete_itself(user: User) -> bool:
    """A local guest account (not a member of the institution, no administrator) may delete
    itself at once; members ask, since their data may fall under the institution's duties."""
    return not (user.is_institution_member or user.is_staff or user.is_superuser)


def delete_own_account(*, user: User) -> ErasureRequest:
    """A local guest account erases itself, without the DPO's queue."""
    if not may_delete_itself(user):
        raise RightsRefused(_("Members of the institution ask for erasure instead."))
    request = request_erasure(user=user)
    return carry_out_erasure(request=request, handled_by=None)


def confirm_minimum_age(*, user: User) -> None:
    """Record that ``user`` confirmed the minimum age (once; no birth date is kept)."""
    get_user_model()._base_manager.filter(pk=user.pk, age_confirmed_at__isnull=True).update(
        age_confirmed_at=now()
    )
