"""Rules of the join flow and the live room (policy table: meetings, in meeting, chat,
attendance, reports, licences).

Views, websocket consumers and Celery tasks all call these functions; the state they change
lives in the database, and every change is announced through the channel layer after the
transaction commits, so any number of server processes serve the same meeting.
"""

import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.utils.timezone import now

from meetings.backends import BackendError, get_backend
from meetings.live import admission, lifecycle, people, rate
from meetings.live import broadcast as live
from meetings.live import selectors as selectors_live
from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport, Participant
from meetings.scheduling.models import Meeting
from portal.identity.models import Institution
from portal.identity.selectors import licence_type_for

logger = logging.getLogger(__name__)

CHAT_MAX_LENGTH = 2000
#: An admit of more people than this tells their pages to load the room spread over up to
#: 5 ms per person (at most 5 s), so that the room page serves them without a stampede.
ADMIT_SPREAD_FROM = 50
TIME_LIMIT_WARNING_MINUTES = 5


class JoinRefused(Exception):
    """A join request is refused; ``reason`` names the refusal page."""

    NOT_STARTED = "not_started"
    ENDED = "ended"
    LOGIN_REQUIRED = "login_required"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    WRONG_CREDENTIALS = "wrong_credentials"  # noqa: S105 (a reason code, not a password)
    LOCKED = "locked"
    FULL = "full"
    REMOVED = "removed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAllowed(Exception):
    """A room action by someone who may not take it (not a host, not in the room)."""


class InvalidAction(Exception):
    """A room action with bad input (empty chat message, unknown participant)."""


class ChatRefused(NotAllowed):
    """A chat message the meeting's chat setting does not allow; ``code`` names the setting
    for the room's error text ("chat_off", "chat_hosts_only")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TooFast(Exception):
    """Someone sends more than a person could type; the message is dropped."""


#: Chat messages one participant may send in a burst, whatever the number of sockets or tabs,
#: and how many more per second after it: plenty for a person typing, nothing for a script.
CHAT_BURST = 10
CHAT_PER_SECOND = 1.0


def _count_chat_message(participant_pk: int) -> bool:
    """Take one token from ``participant_pk``'s chat bucket in the shared cache (Redis in
    production, so every server process sees it); False when it is empty. Two processes may
    both take the last token at the same instant: a bound, not an exact count."""
    key = f"meetings:chat-bucket:{participant_pk}"
    allowed, bucket = rate.take_token(
        cache.get(key), now=time.time(), burst=CHAT_BURST, per_second=CHAT_PER_SECOND
    )
    cache.set(key, bucket, int(CHAT_BURST / CHAT_PER_SECOND) + 60)
    return allowed


@dataclass(frozen=True)
class JoinResult:
    participant: Participant
    guest_key: str


def _on_commit_broadcast(meeting_pk: int, event: str, **payload: object) -> None:
    transaction.on_commit(lambda: live.broadcast_to_meeting(meeting_pk, event, **payload))


def _announce_people(meeting_pk: int, participant_pks: list[int]) -> None:
    """After a change of who is in the room or waiting: one batch of changed entries to the
    room (hosts also hear of the waiting; docs/ARCHITECTURE.md, lecture scale)."""
    pks = list(participant_pks)
    transaction.on_commit(lambda: people.announce(meeting_pk, pks))


def _email_domain(user: AbstractBaseUser) -> str:
    email = (getattr(user, "email", "") or "").strip().lower()
    return email.rpartition("@")[2] if "@" in email else ""


def _domain_allowed(meeting: Meeting, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """A meeting limited to e-mail domains: the institution's own domains always count, the
    meeting's "further allowed domains" add partners to them (they never lock the
    institution's own people out; docs/POLICY.md, meetings)."""
    if user is None or not user.is_authenticated:
        return False
    domains = {*Institution.current().mail_domains, *meeting.allowed_domains}
    allowed = {domain.strip().lower().lstrip("@") for domain in domains if domain.strip()}
    return _email_domain(user) in allowed


def _record_attendance(meeting: Meeting, participants: list[Participant]) -> None:
    """Attendance lists exist only where the meeting requires attendance (policy: attendance).

    The account's name is recorded, never the chosen display name (policy: display name).
    """
    if not meeting.attendance_required or not participants:
        return
    moment = now()
    records = []
    for participant in participants:
        user = participant.user
        name = (user.get_full_name() or user.get_username()) if user else participant.display_name
        records.append(
            AttendanceRecord(
                meeting=meeting,
                user=user,
                participant=participant,
                name=name[:150],
                is_guest=user is None,
                joined_at=moment,
            )
        )
    AttendanceRecord.objects.bulk_create(records)


def _backend_admitted(meeting: Meeting, participants: list[Participant]) -> None:
    """Tell the backend whom the portal admitted, once it is certain (after the commit): a
    backend with its own admission (Zoom's approved registrations) mirrors it."""
    transaction.on_commit(
        lambda: get_backend().participants_admitted(meeting=meeting, participants=participants)
    )


def record_backend_presence(
    meeting: Meeting, participant_pk: int, joined: bool, at: datetime.datetime
) -> None:
    """The media backend (Zoom) reports an admitted participant joining or leaving its room.

    Only where the meeting requires attendance (policy: attendance). A stay opened at
    admission stays open while the person is in the backend's room; leaving closes it at the
    backend's time, joining again opens a new one.
    """
    if not meeting.attendance_required:
        return
    participant = (
        Participant.objects.select_related("user")
        .filter(pk=participant_pk, meeting_id=meeting.pk)
        .first()
    )
    if participant is None:
        return
    with transaction.atomic():
        open_stays = AttendanceRecord.objects.select_for_update().filter(
            meeting_id=meeting.pk, participant_id=participant.pk, left_at__isnull=True
        )
        if not joined:
            open_stays.update(left_at=at)
        elif not open_stays.exists() and participant.is_admitted:
            user = participant.user
            name = user.get_full_name() or user.get_username() if user else participant.display_name
            AttendanceRecord.objects.create(
                meeting=meeting,
                user=user,
                participant=participant,
                name=name[:150],
                is_guest=user is None,
                joined_at=at,
            )


def _close_attendance(meeting_pk: int, participant_pks: list[int] | None = None) -> None:
    records = AttendanceRecord.objects.filter(meeting_id=meeting_pk, left_at__isnull=True)
    if participant_pks is not None:
        records = records.filter(participant_id__in=participant_pks)
    records.update(left_at=now())


# --- joining ----------------------------------------------------------------------------------
def join_meeting(
    *,
    meeting: Meeting,
    user: AbstractBaseUser | AnonymousUser | None,
    passcode: str,
    display_name: str,
    guest_key: str | None = None,
    age_confirmed: bool = False,
) -> JoinResult:
    """Let someone into a meeting's waiting room (or straight into the room).

    The passcode comes first: until it is right, every refusal is the same
    :data:`JoinRefused.WRONG_CREDENTIALS`, whether the meeting was scheduled, ended, for members
    only or nonexistent, so that nobody learns anything about a meeting without its passcode
    (docs/POLICY.md, security baseline). Then, refusing with :class:`JoinRefused`: the meeting
    runs or may be joined before the host; SSO login if the meeting demands it; allowed e-mail
    domain; not locked; the host's licence capacity; not removed before. The host and co-hosts
    skip the lock, capacity and waiting room. The caller counts wrong passcodes for the rate
    limits. ``age_confirmed``: a guest confirmed the minimum age on the join form, kept with
    the participant row (see :func:`record_age_confirmation`).
    """
    authenticated = user is not None and user.is_authenticated
    hosting = meeting.is_hosted_by(user)
    display_name = " ".join(display_name.split())[:150]

    if not meeting.passcode_matches(passcode):
        raise JoinRefused(JoinRefused.WRONG_CREDENTIALS)
    if meeting.status == Meeting.Status.ENDED:
        raise JoinRefused(JoinRefused.ENDED)
    if meeting.status == Meeting.Status.SCHEDULED and not (meeting.join_before_host or hosting):
        raise JoinRefused(JoinRefused.NOT_STARTED)
    if meeting.authenticated_only and not authenticated:
        raise JoinRefused(JoinRefused.LOGIN_REQUIRED)
    if meeting.allowed_domains and not hosting and not _domain_allowed(meeting, user):
        raise JoinRefused(JoinRefused.DOMAIN_NOT_ALLOWED)

    with transaction.atomic():
        # one join at a time per meeting, so that two processes never both take the last seat
        # (with its host, whose licence is asked below: one query, only the meeting locked)
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("host")
            .get(pk=meeting.pk)
        )
        if meeting.status == Meeting.Status.ENDED:
            raise JoinRefused(JoinRefused.ENDED)
        if meeting.locked and not hosting:
            raise JoinRefused(JoinRefused.LOCKED)
        existing = selectors_live.participant_for(
            meeting=meeting, user=user if authenticated else None, guest_key=guest_key
        )
        licence = licence_type_for(meeting.host)
        if (
            not hosting
            and licence is not None
            and selectors_live.seats_taken(
                meeting.pk, excluding=existing.pk if existing is not None else None
            )
            >= licence.max_participants
        ):
            raise JoinRefused(JoinRefused.FULL)
        if existing is not None and existing.is_removed:
            raise JoinRefused(JoinRefused.REMOVED)

        if not display_name:
            display_name = user.shown_name if authenticated else ""
        participant = existing or Participant(
            meeting=meeting,
            user=user if authenticated else None,
            guest_key="" if authenticated else (guest_key or Participant.new_guest_key()),
        )
        participant.display_name = display_name
        participant.is_host = hosting
        if age_confirmed and participant.user_id is None:
            participant.age_confirmed_at = now()
        newly_admitted = False
        if not participant.is_admitted:
            participant.requested_at = now()
            if hosting or (not meeting.waiting_room and admission.may_admit(participant)):
                participant.state = Participant.State.ADMITTED
                participant.admitted_at = participant.admitted_at or now()
                newly_admitted = True
            else:
                participant.state = Participant.State.WAITING
        participant.save()
        if newly_admitted:
            _record_attendance(meeting, [participant])
            if meeting.status == Meeting.Status.SCHEDULED:
                start_meeting(meeting=meeting)
            if not hosting:
                _backend_admitted(meeting, [participant])
        _announce_people(meeting.pk, [participant.pk])
    logger.info("join meeting=%s state=%s", meeting.pk, participant.state)
    return JoinResult(participant=participant, guest_key=participant.guest_key)


def start_meeting(*, meeting: Meeting) -> bool:
    """Mark the meeting running, open its backend room and schedule the licence's time limit.

    Idempotent: only the first call (in any process) starts it. Returns whether it did.
    """
    started_at = now()
    with transaction.atomic():
        started = Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.SCHEDULED).update(
            status=Meeting.Status.RUNNING, started_at=started_at
        )
        if not started:
            return False
        meeting.status, meeting.started_at = Meeting.Status.RUNNING, started_at
        try:
            get_backend().create_room(meeting=meeting)
        except BackendError:
            # the room page asks again; the meeting's control plane works without media
            logger.warning("media room not created meeting=%s", meeting.pk)
        transaction.on_commit(lambda: schedule_time_limit(meeting=meeting))
    logger.info("meeting started meeting=%s", meeting.pk)
    return True


def host_enters(*, meeting: Meeting, user: AbstractBaseUser) -> Participant:
    """The host or a co-host opens the room from the meeting page: admitted at once, the
    meeting starts if it has not. The caller has checked :meth:`Meeting.is_hosted_by`."""
    if meeting.status == Meeting.Status.ENDED:
        raise JoinRefused(JoinRefused.ENDED)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        participant = Participant.objects.filter(meeting=meeting, user=user).first()
        if participant is None:
            participant = Participant(meeting=meeting, user=user, display_name=user.shown_name)
        newly_admitted = not participant.is_admitted
        participant.is_host = True
        participant.state = Participant.State.ADMITTED
        participant.admitted_at = participant.admitted_at or now()
        participant.save()
        if newly_admitted:
            _record_attendance(meeting, [participant])
        start_meeting(meeting=meeting)
        _announce_people(meeting.pk, [participant.pk])
    return participant


# --- host actions -----------------------------------------------------------------------------
def _require_host(actor: Participant) -> None:
    actor.refresh_from_db(fields=["state", "is_host"])
    if not (actor.is_host and actor.is_admitted):
        raise NotAllowed("only the host and co-hosts in the room may do this")
    if actor.meeting.status != Meeting.Status.RUNNING:
        raise NotAllowed("the meeting is not running")


def _target(actor: Participant, participant_pk: object) -> Participant:
    try:
        return Participant.objects.get(meeting_id=actor.meeting_id, pk=int(participant_pk))
    except (TypeError, ValueError, Participant.DoesNotExist) as error:
        raise InvalidAction("no such participant in this meeting") from error


def admit_participants(*, actor: Participant, participant_pks: list[int] | None = None) -> int:
    """The host admits waiting participants: the given ones, or everyone waiting (``None``).

    Policy: the host may admit/deny from the waiting room. Returns how many were admitted.
    """
    _require_host(actor)
    meeting = actor.meeting
    with transaction.atomic():
        # serialised with the start of a recording (which locks the meeting row too)
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        waiting = Participant.objects.select_for_update().filter(
            meeting_id=meeting.pk, state=Participant.State.WAITING
        )
        if participant_pks is not None:
            waiting = waiting.filter(pk__in=participant_pks)
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            return 0
        admitted = list(Participant.objects.filter(pk__in=ids).select_related("user"))
        admitted, held = admission.split(meeting=meeting, participants=admitted)
        if held:
            _announce_held(meeting, held)
            ids = [p.pk for p in admitted]
            if not ids:
                return 0
        Participant.objects.filter(pk__in=ids).update(
            state=Participant.State.ADMITTED, admitted_at=now()
        )
        _record_attendance(meeting, admitted)
        _backend_admitted(meeting, admitted)
        # a lecture's waiting pages load the room spread over a few seconds, not all at once
        spread = {"spread_ms": min(5000, 5 * len(ids))} if len(ids) > ADMIT_SPREAD_FROM else {}
        _on_commit_broadcast(meeting.pk, "admitted", participant_ids=sorted(ids), **spread)
        _announce_people(meeting.pk, ids)
    logger.info("admitted meeting=%s count=%d", meeting.pk, len(ids))
    return len(ids)


def _announce_held(meeting: Meeting, held: list[Participant]) -> None:
    """Tell the hosts who was held back by an admission rule (the rule tells the held why)."""
    _on_commit_broadcast(
        meeting.pk,
        "admission_held",
        audience=live.AUDIENCE_HOSTS,
        held=[{"id": p.pk, "name": p.display_name} for p in held],
    )
    logger.info("admission held meeting=%s count=%d", meeting.pk, len(held))


def decline_participant(*, actor: Participant, participant_pk: object) -> bool:
    """The host declines someone waiting; the person sees it at once and may ask again."""
    _require_host(actor)
    target = _target(actor, participant_pk)
    with transaction.atomic():
        declined = Participant.objects.filter(pk=target.pk, state=Participant.State.WAITING).update(
            state=Participant.State.DECLINED
        )
        if declined:
            _on_commit_broadcast(actor.meeting_id, "declined", participant_ids=[target.pk])
            _announce_people(actor.meeting_id, [target.pk])
    return bool(declined)


def remove_participant(*, actor: Participant, participant_pk: object) -> bool:
    """The host removes a participant (waiting or in the room), who cannot rejoin this meeting.

    Nobody removes the meeting's own host, nor themselves.
    """
    _require_host(actor)
    target = _target(actor, participant_pk)
    if target.pk == actor.pk or target.user_id == actor.meeting.host_id:
        raise InvalidAction("the host cannot be removed")
    with transaction.atomic():
        removed = Participant.objects.filter(
            pk=target.pk,
            state__in=[Participant.State.WAITING, Participant.State.ADMITTED],
        ).update(state=Participant.State.REMOVED, is_host=False)
        if removed:
            _close_attendance(actor.meeting_id, [target.pk])
            _on_commit_revoke_media(actor.meeting, [target])
            meeting = actor.meeting
            transaction.on_commit(
                lambda: get_backend().participant_removed(meeting=meeting, participant=target)
            )
            _on_commit_broadcast(actor.meeting_id, "removed", participant_ids=[target.pk])
            _announce_people(actor.meeting_id, [target.pk])
    return bool(removed)


def set_meeting_locked(*, actor: Participant, locked: bool) -> None:
    """The host locks the meeting (nobody new may join) or unlocks it."""
    _require_host(actor)
    Meeting.objects.filter(pk=actor.meeting_id).update(locked=locked)
    actor.meeting.locked = locked
    _on_commit_broadcast(actor.meeting_id, "locked", audience=live.AUDIENCE_ALL, locked=locked)


def end_meeting_by_host(*, actor: Participant) -> bool:
    """The host ends the meeting for everyone."""
    _require_host(actor)
    return end_meeting(meeting=actor.meeting)


def end_meeting(*, meeting: Meeting, by_time_limit: bool = False) -> bool:
    """End the meeting for everyone and leave behind only what the rules keep.

    - the meeting report (start, end, number of participants; no names; policy: reports);
    - attendance records only if attendance is required (their stays are closed now);
    - chat only if the meeting stores it (policy: chat), with the links to participants gone;
    - no participant rows (policy: attendance, "otherwise deleted when the meeting ends").

    Idempotent: only the first call (in any process) ends it; returns whether it did.
    """
    ended_at = now()
    with transaction.atomic():
        ended = Meeting.objects.filter(
            pk=meeting.pk, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.RUNNING]
        ).update(status=Meeting.Status.ENDED, ended_at=ended_at)
        if not ended:
            return False
        meeting.refresh_from_db(fields=["status", "ended_at", "started_at"])
        participants = Participant.objects.filter(meeting_id=meeting.pk)
        MeetingReport.objects.create(
            meeting=meeting,
            meeting_ref=meeting.meeting_id,
            started_at=meeting.started_at,
            ended_at=ended_at,
            participant_count=participants.filter(admitted_at__isnull=False).count(),
            ended_by_time_limit=by_time_limit,
        )
        _close_attendance(meeting.pk)
        if not meeting.chat_stored:
            ChatMessage.objects.filter(meeting_id=meeting.pk).delete()
        lifecycle.meeting_ends(meeting)  # e.g. a running recording stops first
        gone = list(participants.filter(admitted_at__isnull=False).only("pk", "meeting_id"))
        participants.delete()
        _on_commit_end_room(meeting, gone)
        _on_commit_broadcast(
            meeting.pk, "ended", audience=live.AUDIENCE_ALL, by_time_limit=by_time_limit
        )
    logger.info("meeting ended meeting=%s time_limit=%s", meeting.pk, by_time_limit)
    return True


# --- media ------------------------------------------------------------------------------------
def _on_commit_revoke_media(meeting: Meeting, participants: list[Participant]) -> None:
    """After the change commits: the media server forgets the participants' credentials and
    drops their media (remove, leave)."""

    def revoke() -> None:
        backend = get_backend()
        for participant in participants:
            try:
                backend.revoke_media(meeting=meeting, participant=participant)
            except BackendError:
                logger.warning(
                    "media not revoked meeting=%s participant=%s", meeting.pk, participant.pk
                )

    transaction.on_commit(revoke)


def _on_commit_end_room(meeting: Meeting, participants: list[Participant]) -> None:
    """After the end commits: the room is destroyed on the media server, then every
    credential of the meeting is revoked."""

    def close() -> None:
        backend = get_backend()
        try:
            backend.end_room(meeting=meeting)
        except BackendError:
            logger.warning("media room not closed meeting=%s", meeting.pk)
        for participant in participants:  # each on its own: one failure stops no other
            try:
                backend.revoke_media(meeting=meeting, participant=participant)
            except BackendError:
                logger.warning("media not revoked meeting=%s", meeting.pk)

    transaction.on_commit(close)


def media_credentials(*, meeting: Meeting, participant: Participant) -> dict | None:
    """The media credentials of an admitted participant (as just read from the database), or
    None (no media backend, not in the room); ``{"unavailable": True}`` when the media server
    does not answer (the room then says so).

    Only admitted participants of a running meeting get them (docs/POLICY.md, meetings: the
    portal is the only gatekeeper); locking lets nobody new in, so no new ones arise.
    """
    if not participant.is_admitted or meeting.status != Meeting.Status.RUNNING:
        return None
    try:
        return get_backend().media_session(meeting=meeting, participant=participant)
    except BackendError:
        logger.warning("media credentials unavailable meeting=%s", meeting.pk)
        return {"unavailable": True}


def mute_everyone(*, actor: Participant) -> int:
    """The host mutes every other microphone: on the media server (so that it holds) and in
    the browsers (so that their buttons show it). Participants may unmute themselves."""
    _require_host(actor)
    meeting = actor.meeting
    hosts = list(
        Participant.objects.filter(meeting_id=meeting.pk, is_host=True).values_list("pk", flat=True)
    )
    try:
        muted = get_backend().mute_all(meeting=meeting, except_feeds=hosts)
    except BackendError:
        muted = 0
    live.broadcast_to_meeting(meeting.pk, "media.mute_all", by=actor.pk)
    logger.info("mute all meeting=%s streams=%d", meeting.pk, muted)
    return muted


def announce_media_state(
    *, participant: Participant, audio: bool, video: bool, screen: bool
) -> None:
    """Tell the room whether the participant's microphone, camera and screen are on (shown in
    the grid and the participant list, announced to screen readers)."""
    participant.refresh_from_db(fields=["state"])
    if not participant.is_admitted:
        raise NotAllowed("only participants in the room")
    live.broadcast_to_meeting(
        participant.meeting_id,
        "media.state",
        participant=participant.pk,
        audio=bool(audio),
        video=bool(video),
        screen=bool(screen),
    )


# --- participants' own actions ----------------------------------------------------------------
def leave_meeting(*, participant: Participant) -> None:
    """A participant leaves the room or stops waiting; they may join again later."""
    with transaction.atomic():
        left = Participant.objects.filter(
            pk=participant.pk,
            state__in=[Participant.State.WAITING, Participant.State.ADMITTED],
        ).update(state=Participant.State.LEFT)
        if left:
            _close_attendance(participant.meeting_id, [participant.pk])
            _on_commit_revoke_media(participant.meeting, [participant])
            _announce_people(participant.meeting_id, [participant.pk])


def record_age_confirmation(*, participant: Participant) -> None:
    """A guest confirmed the institution's minimum age on the join form: keep the time only,
    never a birth date (docs/POLICY.md, licences); the row goes when the meeting ends."""
    if participant.user_id is None:
        Participant.objects.filter(pk=participant.pk).update(age_confirmed_at=now())


def send_chat_message(
    *, sender: Participant, text: str, recipient_pk: object = None
) -> ChatMessage:
    """A participant in the room writes to everyone or to one other participant in the room.

    Stored in the database while the meeting runs; kept afterwards only when the meeting
    stores chat (policy: chat; announced in the chat box).
    """
    sender.refresh_from_db(fields=["state", "display_name"])
    if not sender.is_admitted or sender.meeting.status != Meeting.Status.RUNNING:
        raise NotAllowed("only participants in the room may chat")
    text = (text or "").strip()
    if not text or len(text) > CHAT_MAX_LENGTH:
        raise InvalidAction("empty or too long")
    chat = sender.meeting.chat
    if chat == Meeting.Chat.OFF:
        # the host switched the chat off (docs/POLICY.md, chat): nobody writes
        raise ChatRefused("chat_off")
    if not _count_chat_message(sender.pk):
        raise TooFast("more chat messages than a person types")
    recipient = None
    if recipient_pk not in (None, "", 0):
        recipient = _target(sender, recipient_pk)
        if not recipient.is_admitted or recipient.pk == sender.pk:
            raise InvalidAction("the recipient is not in the room")
    # limited to the hosts: a participant writes to a host or co-host only
    if (
        chat == Meeting.Chat.HOSTS
        and not sender.is_host
        and (recipient is None or not recipient.is_host)
    ):
        raise ChatRefused("chat_hosts_only")
    message = ChatMessage.objects.create(
        meeting_id=sender.meeting_id,
        sender=sender,
        sender_user_id=sender.user_id,
        sender_name=sender.display_name,
        recipient=recipient,
        recipient_user_id=recipient.user_id if recipient else None,
        recipient_name=recipient.display_name if recipient else "",
        text=text,
    )
    if recipient is None:
        _on_commit_broadcast(sender.meeting_id, "chat", message=message.as_event())
    else:
        _on_commit_broadcast(
            sender.meeting_id,
            "chat",
            participant_ids=[sender.pk, recipient.pk],
            message=message.as_event(),
        )
    return message


# --- the licence's time limit -----------------------------------------------------------------
def time_limit_deadline(*, meeting: Meeting) -> datetime.datetime | None:
    """When a running meeting must end under its host's licence (Basic: 40 minutes)."""
    if meeting.started_at is None:
        return None
    licence = licence_type_for(meeting.host)
    if licence is None or not licence.time_limit_minutes:
        return None
    return meeting.started_at + datetime.timedelta(minutes=licence.time_limit_minutes)


def schedule_time_limit(*, meeting: Meeting) -> None:
    """Schedule the warning and the end at the deadline on a Celery worker.

    Without a broker (tasks run inline) nothing is scheduled: every room action and the room's
    heartbeat call :func:`enforce_time_limit`, which does the same.
    """
    deadline = time_limit_deadline(meeting=meeting)
    if deadline is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from meetings.live.tasks import enforce_meeting_time_limit

    warning_at = deadline - datetime.timedelta(minutes=TIME_LIMIT_WARNING_MINUTES)
    enforce_meeting_time_limit.apply_async(args=[meeting.pk], eta=max(warning_at, now()))
    enforce_meeting_time_limit.apply_async(args=[meeting.pk], eta=deadline)


def enforce_all_time_limits() -> dict[str, int]:
    """The periodic sweep (every minute, beat): warn and end every running meeting whose
    licence's time limit is near or past, whether or not its scheduled task survived.

    The tasks :func:`schedule_time_limit` sends rest on a Celery ``eta`` held by one worker;
    a worker killed with them loses them until Redis redelivers (hours later). This sweep
    makes the limit hold within a minute anyway (docs/POLICY.md, licences). Only meetings
    that have run at least the shortest time limit minus the warning are looked at.
    """
    from portal.identity.models import LicenceType

    shortest = (
        LicenceType.objects.filter(time_limit_minutes__isnull=False)
        .order_by("time_limit_minutes")
        .values_list("time_limit_minutes", flat=True)
        .first()
    )
    counts = {"ended": 0, "warned": 0}
    if shortest is None:
        return counts
    since = now() - datetime.timedelta(minutes=max(shortest - TIME_LIMIT_WARNING_MINUTES, 0))
    candidates = Meeting.objects.filter(
        status=Meeting.Status.RUNNING, started_at__lte=since
    ).select_related("host")
    for meeting in candidates.order_by("pk").iterator(chunk_size=200):
        result = enforce_time_limit(meeting=meeting)
        if result in counts:
            counts[result] += 1
    return counts


def enforce_time_limit(*, meeting: Meeting) -> str:
    """Warn some minutes before the licence's time limit, end the meeting when it is reached.

    Safe to call any number of times from anywhere: the warning is sent once (a key in the
    shared cache), the end happens once (:func:`end_meeting`). Returns ``"ended"``,
    ``"warned"`` or ``""``.
    """
    if meeting.status != Meeting.Status.RUNNING:
        return ""
    deadline = time_limit_deadline(meeting=meeting)
    if deadline is None:
        return ""
    moment = now()
    if moment >= deadline:
        return "ended" if end_meeting(meeting=meeting, by_time_limit=True) else ""
    if moment >= deadline - datetime.timedelta(minutes=TIME_LIMIT_WARNING_MINUTES):
        warned = cache.add(
            f"meetings:time-limit-warning:{meeting.pk}",
            1,
            timeout=int((deadline - moment).total_seconds()) + 60,
        )
        if warned:
            live.broadcast_to_meeting(
                meeting.pk,
                "time_warning",
                audience=live.AUDIENCE_ALL,
                ends_at=deadline.isoformat(),
                minutes_left=max(1, round((deadline - moment).total_seconds() / 60)),
            )
            return "warned"
    return ""
