"""Scheduling rules that span models: policy, licence limits, passcodes, co-hosts, series and
invitations. Views and the admin call these functions; each names the rule it enforces.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.timezone import now
from django.utils.translation import gettext as _

from meetings.scheduling import calendar, mail, passcodes, recurrence
from meetings.scheduling.models import (
    Invitation,
    Meeting,
    MeetingPolicy,
    MeetingSeries,
    MeetingUserObjectPermission,
)
from portal.identity.models import Institution, User
from portal.identity.selectors import licence_type_for
from retention.keyring import RotationReport, rotate_field

logger = logging.getLogger(__name__)

HOST_PERMISSION = "host_meeting"
ALTERNATIVE_HOST_PERMISSION = "alternative_host_meeting"
MAX_INVITEES_AT_ONCE = 50


@dataclass
class MeetingDetails:
    """What a host sets on a meeting (or on every occurrence of a series)."""

    topic: str
    description: str
    start: datetime.datetime  # aware
    duration_minutes: int
    timezone: str
    expected_participants: int | None
    security: dict[str, bool]
    allowed_domains: list[str] = field(default_factory=list)
    chat: str = "everyone"


#: A start this far back still counts as "now": the form gives minutes only, and the host may
#: take a moment between opening it with the current time and sending it.
START_NOW_GRACE = datetime.timedelta(minutes=5)


def start_is_past(start: datetime.datetime) -> bool:
    """Whether ``start`` lies before "now" (the current minute, with a short grace): a meeting
    that starts now is a valid meeting, not one in the past."""
    return start < now().replace(second=0, microsecond=0) - START_NOW_GRACE


def host_time_zone(user: User) -> str:
    """The host's time zone; the institution's ``TIME_ZONE`` while the portal knows none."""
    return getattr(user, "timezone", "") or settings.TIME_ZONE


def check_may_host(user: User) -> None:
    """Only users whose role may host schedule meetings (policy table, licences)."""
    role = getattr(user, "role", None)
    if not (user.is_authenticated and role is not None and role.may_host):
        raise PermissionDenied(_("Your role does not allow you to schedule meetings."))


def licence_errors(
    *, host: User, duration_minutes: int | None, expected_participants: int | None
) -> dict[str, str]:
    """Errors by field where a meeting exceeds the host's licence (policy table, licences:
    Business up to 300 participants without time limit, Basic 100 participants, 40 minutes)."""
    licence = licence_type_for(host)
    errors: dict[str, str] = {}
    if licence is None:
        return {"__all__": _("You hold no licence and cannot schedule meetings.")}
    if expected_participants and expected_participants > licence.max_participants:
        errors["expected_participants"] = _(
            "Your %(licence)s licence allows at most %(max)d participants."
        ) % {"licence": licence.name, "max": licence.max_participants}
    if (
        duration_minutes
        and licence.time_limit_minutes is not None
        and duration_minutes > licence.time_limit_minutes
    ):
        errors["duration_minutes"] = _(
            "Your %(licence)s licence limits meetings to %(minutes)d minutes."
        ) % {"licence": licence.name, "minutes": licence.time_limit_minutes}
    return errors


def validate_host_passcode(*, passcode: str, meeting_id: str | None, policy: MeetingPolicy) -> None:
    """A passcode chosen by the host meets the policy: the minimum length of the institution's
    meeting policy, not the meeting ID, and not easy to guess (no common password or word, no
    sequence or repeated pattern, as many bits as a generated one: docs/POLICY.md, meetings and
    security baseline)."""
    errors = []
    if len(passcode) < policy.minimum_passcode_length:
        errors.append(
            _("The passcode needs at least %(length)d characters.")
            % {"length": policy.minimum_passcode_length}
        )
    if any(character.isspace() for character in passcode):
        errors.append(_("The passcode must not contain spaces."))
    if len(set(passcode)) == 1:
        errors.append(_("The passcode must not repeat a single character."))
    if meeting_id and passcode == meeting_id:
        errors.append(_("The passcode must not be the meeting ID."))
    if not errors:
        weakness = passcodes.passcode_weakness(passcode)
        if weakness == "common":
            errors.append(_("This passcode is too easy to guess: it is a common password or word."))
        elif weakness == "pattern":
            errors.append(
                _(
                    "This passcode is too easy to guess: it is a sequence, a keyboard row or a "
                    "repeated pattern."
                )
            )
        elif weakness == "short":
            errors.append(
                _(
                    "This passcode is too easy to guess: mix upper- and lower-case letters, "
                    "digits and signs, or make it longer (for example 12 digits, or 9 letters "
                    "and digits). Leave the field empty to get a strong generated one."
                )
            )
    if errors:
        raise ValidationError(errors)


def _new_meeting(*, host: User, details: MeetingDetails, passcode: str) -> Meeting:
    meeting = Meeting(host=host)
    _apply_details(meeting, details)
    meeting.meeting_id = Meeting.new_meeting_id()
    while meeting.meeting_id == passcode:  # a chosen passcode never equals the meeting ID
        meeting.meeting_id = Meeting.new_meeting_id()
    meeting.set_passcode(passcode)
    return meeting


def _apply_details(meeting: Meeting, details: MeetingDetails, *, with_start: bool = True) -> None:
    meeting.topic = details.topic
    meeting.description = details.description
    if with_start:
        meeting.start = details.start.replace(second=0, microsecond=0)  # calendars use minutes
        meeting.timezone = details.timezone
    meeting.duration_minutes = details.duration_minutes
    meeting.expected_participants = details.expected_participants
    meeting.allowed_domains = details.allowed_domains
    if details.chat in Meeting.Chat.values:
        meeting.chat = details.chat
    for name, value in details.security.items():
        setattr(meeting, name, value)


def _enforce_rules(*, host: User, details: MeetingDetails) -> MeetingPolicy:
    """Apply what the server must enforce whatever the form sent: role, licence, locks."""
    check_may_host(host)
    errors = licence_errors(
        host=host,
        duration_minutes=details.duration_minutes,
        expected_participants=details.expected_participants,
    )
    if errors:
        raise ValidationError(list(errors.values()))
    policy = MeetingPolicy.current()
    details.security = policy.enforce({**policy.defaults(), **details.security})
    if policy.recording_forbidden_for(host):
        # nothing to announce where recording is forbidden (docs/POLICY.md, recording)
        details.security["recording_announced"] = False
    return policy


def _grant_hosts(
    meetings: Iterable[Meeting], *, co_hosts: Iterable[User], alternative_hosts: Iterable[User]
) -> None:
    """Store co-hosts and alternative hosts as guardian object permissions (replacing the old
    grants). Both may manage the meeting (``host_meeting``); alternative hosts may also start
    it in the host's absence. Only institution members qualify (policy table, meetings)."""
    meetings = list(meetings)
    people = {user.pk: user for user in [*co_hosts, *alternative_hosts]}
    if any(not user.is_institution_member or not user.is_active for user in people.values()):
        raise ValidationError(
            _("Co-hosts and alternative hosts must be members of the institution.")
        )
    host_perm = Permission.objects.get(content_type__app_label="meetings", codename=HOST_PERMISSION)
    alternative_perm = Permission.objects.get(
        content_type__app_label="meetings", codename=ALTERNATIVE_HOST_PERMISSION
    )
    MeetingUserObjectPermission.objects.filter(content_object__in=meetings).delete()
    rows = []
    for meeting in meetings:
        for user in people.values():
            if user.pk == meeting.host_id:
                continue
            rows.append(
                MeetingUserObjectPermission(content_object=meeting, user=user, permission=host_perm)
            )
        for user in alternative_hosts:
            if user.pk != meeting.host_id:
                rows.append(
                    MeetingUserObjectPermission(
                        content_object=meeting, user=user, permission=alternative_perm
                    )
                )
    MeetingUserObjectPermission.objects.bulk_create(rows)


@transaction.atomic
def schedule_meeting(
    *,
    host: User,
    details: MeetingDetails,
    passcode: str = "",
    co_hosts: Iterable[User] = (),
    alternative_hosts: Iterable[User] = (),
    rule: recurrence.Rule | None = None,
) -> Meeting:
    """Schedule a meeting, or a series when ``rule`` is given (returning its first occurrence).

    Every meeting gets a passcode: the host's if it meets the policy, else a generated one
    (policy table: "a meeting without one gets one assigned"); locked policy settings win over
    whatever was sent; the host's licence limits apply.
    """
    policy = _enforce_rules(host=host, details=details)
    if start_is_past(details.start):
        raise ValidationError(_("The start must be in the future."))
    if passcode:
        validate_host_passcode(passcode=passcode, meeting_id=None, policy=policy)
    else:
        from meetings.scheduling import passcodes

        passcode = passcodes.generate_passcode()
    if rule is None:
        meetings = [_new_meeting(host=host, details=details, passcode=passcode)]
        meetings[0].save()
    else:
        meetings = _create_series(host=host, details=details, passcode=passcode, rule=rule)
    _grant_hosts(meetings, co_hosts=co_hosts, alternative_hosts=alternative_hosts)
    logger.info(
        "meeting scheduled: pk=%s occurrences=%d", meetings[0].pk, len(meetings)
    )  # ids and counts only: never topics, passcodes or addresses
    return meetings[0]


def _create_series(
    *, host: User, details: MeetingDetails, passcode: str, rule: recurrence.Rule
) -> list[Meeting]:
    zone = calendar.zone(details.timezone)
    first_local = details.start.astimezone(zone).replace(tzinfo=None)
    recurrence.validate(rule=rule, first_start_local=first_local)
    series = MeetingSeries.objects.create(
        host=host,
        topic=details.topic,
        frequency=rule.frequency,
        interval=rule.interval,
        until=rule.until,
        count=rule.count,
        first_start=details.start,
        timezone=details.timezone,
    )
    meetings = []
    for start in series.occurrence_starts():
        details.start = start
        meeting = _new_meeting(host=host, details=details, passcode=passcode)
        meeting.series = series
        meeting.series_original_start = start
        meeting.save()
        meetings.append(meeting)
    return meetings


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    details: MeetingDetails,
    passcode: str = "",
    co_hosts: Iterable[User] = (),
    alternative_hosts: Iterable[User] = (),
) -> Meeting:
    """Change one meeting (or one occurrence of a series). The passcode can be changed but
    never removed: an empty one keeps the current passcode (policy table, meetings)."""
    policy = _enforce_rules(host=meeting.host, details=details)
    if meeting.status == Meeting.Status.ENDED:
        raise ValidationError(_("This meeting has ended and can no longer be changed."))
    if details.start != meeting.start and start_is_past(details.start):
        raise ValidationError(_("The start must be in the future."))
    if (
        meeting.status == Meeting.Status.RUNNING
        and details.security.get("recording_announced")
        and not meeting.recording_announced
    ):
        # those already in the room were not told when they joined (docs/POLICY.md, recording)
        raise ValidationError(_("A recording can only be announced before the meeting begins."))
    if (
        meeting.status == Meeting.Status.RUNNING
        and details.security.get("polls_announced")
        and not meeting.polls_announced
    ):
        raise ValidationError(_("Polls can only be announced before the meeting begins."))
    if passcode:
        validate_host_passcode(passcode=passcode, meeting_id=meeting.meeting_id, policy=policy)
        meeting.set_passcode(passcode)
    _apply_details(meeting, details)
    meeting.calendar_sequence += 1
    meeting.save()
    _grant_hosts([meeting], co_hosts=co_hosts, alternative_hosts=alternative_hosts)
    if meeting.series_id is not None:
        MeetingSeries.objects.filter(pk=meeting.series_id).update(
            calendar_sequence=models.F("calendar_sequence") + 1
        )
    to_tell = Invitation.objects.filter(meeting=meeting, whole_series=False)
    if meeting.series_id is not None:
        to_tell = to_tell | Invitation.objects.filter(
            meeting__series_id=meeting.series_id, whole_series=True
        )
    notify_invitees(to_tell.select_related("meeting").order_by("pk"))
    logger.info("meeting changed: pk=%s", meeting.pk)
    return meeting


def series_has_begun(series: MeetingSeries) -> bool:
    return (
        series.first_start <= now()
        or series.occurrences.exclude(status=Meeting.Status.SCHEDULED).exists()
    )


@transaction.atomic
def update_series(
    *,
    series: MeetingSeries,
    details: MeetingDetails,
    passcode: str = "",
    co_hosts: Iterable[User] = (),
    alternative_hosts: Iterable[User] = (),
    rule: recurrence.Rule | None = None,
) -> MeetingSeries:
    """Change every future occurrence of a series (individual changes to them are replaced).

    The schedule itself (first start, time zone, rule) may change only while the series has
    not begun; occurrences are then matched in order, so their meeting IDs and join links stay
    valid, surplus ones are deleted and missing ones created.
    """
    policy = _enforce_rules(host=series.host, details=details)
    if passcode:
        validate_host_passcode(passcode=passcode, meeting_id=None, policy=policy)
    future = list(
        series.occurrences.filter(status=Meeting.Status.SCHEDULED, start__gt=now()).order_by(
            "start", "pk"
        )
    )
    schedule_changed = rule is not None and (
        rule != series.rule()
        or details.start != series.first_start
        or details.timezone != series.timezone
    )
    if schedule_changed:
        if series_has_begun(series):
            raise ValidationError(
                _("This series has begun: its schedule can no longer be changed.")
            )
        if start_is_past(details.start):
            raise ValidationError(_("The start must be in the future."))
        zone = calendar.zone(details.timezone)
        recurrence.validate(
            rule=rule, first_start_local=details.start.astimezone(zone).replace(tzinfo=None)
        )
        series.frequency, series.interval = rule.frequency, rule.interval
        series.until, series.count = rule.until, rule.count
        series.first_start, series.timezone = details.start, details.timezone
        starts = series.occurrence_starts()
    else:
        starts = [meeting.start for meeting in future]
    series.topic = details.topic
    series.calendar_sequence += 1
    series.save()
    if not passcode and future:
        passcode = future[0].passcode  # the series shares one passcode
    kept = []
    for index, start in enumerate(starts):
        if index < len(future):
            meeting = future[index]
            _apply_details(meeting, details, with_start=False)
            meeting.timezone = details.timezone if schedule_changed else meeting.timezone
            meeting.set_passcode(passcode)
        else:
            meeting = _new_meeting(host=series.host, details=details, passcode=passcode)
            meeting.series = series
        if schedule_changed:
            meeting.start = start
            meeting.series_original_start = start
        meeting.calendar_sequence += 1
        meeting.save()
        kept.append(meeting)
    surplus = future[len(starts) :]
    for meeting in surplus:
        _cancel_for_invitees(meeting, keep_series=True)
    Meeting.objects.filter(pk__in=[meeting.pk for meeting in surplus]).delete()
    _grant_hosts(kept, co_hosts=co_hosts, alternative_hosts=alternative_hosts)
    notify_invitees(
        Invitation.objects.filter(meeting__series=series, meeting__in=kept).order_by("pk")
    )
    logger.info("series changed: pk=%s occurrences=%d", series.pk, len(kept))
    return series


_before_deletion: list[Callable[[list[Meeting]], object]] = []


def register_before_meeting_deletion(hook: Callable[[list[Meeting]], object]) -> None:
    """Run ``hook(meetings)`` before meetings are deleted, outside the deletion's transaction.

    The recordings feature registers the deletion of the meetings' recordings through the
    retention engine (files, legal holds, deletion log) from ``MeetingsConfig.ready()``; a hook
    refuses the deletion by raising ``ValidationError`` (with a message for the host)."""
    if hook not in _before_deletion:
        _before_deletion.append(hook)


def _prepare_deletion(meetings: list[Meeting]) -> None:
    for hook in _before_deletion:
        hook(meetings)


def delete_meeting(*, meeting: Meeting) -> None:
    """Delete one meeting or occurrence; its guardian grants go with it (foreign key with
    CASCADE, docs/POLICY.md, security baseline), its recordings through the retention engine
    first (a legal hold refuses the deletion). A series left without occurrences goes too."""
    if meeting.status == Meeting.Status.RUNNING:
        raise ValidationError(_("End the meeting before deleting it."))
    _prepare_deletion([meeting])
    with transaction.atomic():
        series = meeting.series
        series_ends = series is not None and not series.occurrences.exclude(pk=meeting.pk).exists()
        _cancel_for_invitees(meeting, keep_series=not series_ends)
        meeting.delete()
        if series is not None and series_ends:
            series.delete()
        elif series is not None:
            MeetingSeries.objects.filter(pk=series.pk).update(
                calendar_sequence=models.F("calendar_sequence") + 1
            )
            # the whole-series invitees get the series without this date (an EXDATE)
            notify_invitees(Invitation.objects.filter(meeting__series=series, whole_series=True))
    logger.info("meeting deleted")


def delete_series(*, series: MeetingSeries) -> None:
    """Delete a series with all its occurrences and their grants (recordings as above)."""
    occurrences = list(series.occurrences.all())
    if any(occurrence.status == Meeting.Status.RUNNING for occurrence in occurrences):
        raise ValidationError(_("End the running meeting of this series before deleting it."))
    _prepare_deletion(occurrences)
    with transaction.atomic():
        for meeting in occurrences:
            _cancel_for_invitees(meeting, keep_series=False)
        series.delete()
    logger.info("series deleted")


# invitations ------------------------------------------------------------------------------


def allowed_invitation_domains(*, meeting: Meeting) -> list[str]:
    """Invitations go to the institution's addresses, to the admin-kept official external
    domains and to the meeting's own allowed domains (policy table: domain allow-list)."""
    institution = Institution.current()
    domains = [*institution.mail_domains, *institution.external_domains, *meeting.allowed_domains]
    return sorted({domain.strip().lower() for domain in domains if domain.strip()})


def address_is_allowed(address: str, domains: Iterable[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == allowed or domain.endswith("." + allowed) for allowed in domains)


def refused_invitees(*, meeting: Meeting, addresses: list[str]) -> list[str]:
    """The addresses outside the meeting's allowed domains (the others may be invited)."""
    domains = allowed_invitation_domains(meeting=meeting)
    return [address for address in addresses if not address_is_allowed(address, domains)]


def check_invitees(*, meeting: Meeting, addresses: list[str]) -> None:
    domains = allowed_invitation_domains(meeting=meeting)
    refused = [address for address in addresses if not address_is_allowed(address, domains)]
    if refused:
        raise ValidationError(
            _(
                "Not invited: %(addresses)s. Invitations go only to addresses of the "
                "institution's domains, of official external domains and of this meeting's "
                "allowed domains (%(domains)s)."
            )
            % {"addresses": ", ".join(refused), "domains": ", ".join(domains) or "–"}
        )
    if len(addresses) > MAX_INVITEES_AT_ONCE:
        raise ValidationError(
            _("Invite at most %(max)d addresses at once.") % {"max": MAX_INVITEES_AT_ONCE}
        )


def invite(*, meeting: Meeting, addresses: list[str], whole_series: bool = False) -> int:
    """Invite each address with its own mail (so no invitee sees the others) carrying the join
    link, the passcode and a calendar file, in the invitee's language; record the invitation
    minimally. The mails leave through Celery after the transaction commits (with retries),
    never inside the request. Returns the count."""
    check_invitees(meeting=meeting, addresses=addresses)
    whole_series = whole_series and meeting.series_id is not None
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(
            Invitation(
                meeting=meeting,
                email=address,
                whole_series=whole_series,
                language=mail.recipient_language(address),
            )
            for address in addresses
        )
        notify_invitees(invitations, kind=mail.INVITATION)
    logger.info("invitations queued: meeting=%s count=%d", meeting.pk, len(addresses))
    return len(addresses)


def notify_invitees(invitations: Iterable[Invitation], *, kind: str = "update") -> int:
    """Queue the invitation or update mail of each invitation once the transaction commits
    (one per address and calendar entry)."""
    from meetings.scheduling.tasks import send_invitation_mail

    seen: set[tuple[str, int, bool]] = set()
    pks = []
    for invitation in invitations:
        key = (
            invitation.email.lower(),
            invitation.meeting.series_id if invitation.whole_series else invitation.meeting_id,
            invitation.whole_series,
        )
        if key not in seen:
            seen.add(key)
            pks.append(invitation.pk)
    for pk in pks:
        transaction.on_commit(lambda pk=pk: send_invitation_mail.delay(pk, kind))
    return len(pks)


def _cancel_for_invitees(meeting: Meeting, *, keep_series: bool) -> None:
    """Before ``meeting`` is deleted: queue a cancellation (METHOD:CANCEL) to whoever was
    invited to it; whole-series invitations move to another date of a series that goes on
    (the rows would go with the meeting), or get the series' cancellation."""
    from meetings.scheduling.tasks import send_cancellation_mail

    series = meeting.series
    snapshots = {
        False: mail.cancellation_snapshot(
            uid=calendar.meeting_uid(meeting),
            meeting=meeting,
            sequence=meeting.calendar_sequence + 1,
            series=False,
        )
    }
    if series is not None:
        snapshots[True] = mail.cancellation_snapshot(
            uid=calendar.series_uid(series),
            meeting=meeting,
            sequence=series.calendar_sequence + 1,
            series=True,
        )
    other = (
        series.occurrences.exclude(pk=meeting.pk).order_by("start", "pk").first()
        if series is not None and keep_series
        else None
    )
    seen: set[tuple[str, bool]] = set()
    for invitation in meeting.invitations.all():
        whole = invitation.whole_series and series is not None
        if whole and other is not None:
            Invitation.objects.filter(pk=invitation.pk).update(meeting=other)
            continue
        key = (invitation.email.lower(), whole)
        if key in seen:
            continue
        seen.add(key)
        arguments = (invitation.email, invitation.language, snapshots[whole])
        transaction.on_commit(lambda arguments=arguments: send_cancellation_mail.delay(*arguments))


def rotate_passcode_encryption(batch_size: int = 500) -> RotationReport:
    """Re-encrypt every stored passcode under the current ``PASSCODE_ENCRYPTION_KEY``
    (``manage.py rotate_keys``); until then the old keys still decrypt (MultiFernet)."""

    def rewrite(values: dict) -> dict | None:
        token = values["passcode_encrypted"]
        if passcodes.is_under_current_key(token):
            return None
        return {"passcode_encrypted": passcodes.rotate_token(token)}

    return rotate_field(
        name="meeting passcodes",
        queryset=Meeting.objects.all(),
        fields=["passcode_encrypted"],
        rewrite=rewrite,
        batch_size=batch_size,
    )


def apply_policy_setup(entry: object) -> list[str]:
    """The ``[policy]`` section of ``manage.py setup_institution``: the meeting policy's
    defaults, locks, reasons and minimum passcode length (portal/identity/setup.py)."""
    from portal.identity.setup import SetupError

    if not isinstance(entry, dict):
        raise SetupError("[policy]: expected a table")
    policy = MeetingPolicy.current()
    fields = {
        field.name
        for field in MeetingPolicy._meta.concrete_fields
        if field.name != "id" and not field.primary_key
    }
    unknown = set(entry) - fields
    if unknown:
        raise SetupError(f"[policy]: unknown setting(s) {', '.join(sorted(unknown))}")
    changed = [name for name, value in entry.items() if getattr(policy, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(policy, name, entry[name])
    try:
        policy.full_clean()
    except ValidationError as error:
        raise SetupError(f"[policy]: {'; '.join(error.messages)}") from None
    policy.save()
    return [f"meeting policy updated ({', '.join(sorted(changed))})"]
