"""Rules of polls: prepare, launch, vote, close, delete (policy row "polls").

The storage design that keeps ballots apart from voters is documented in
``meetings/models/polls.py``; this module is the only place that writes ballots.
"""

import logging
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meetings.live.broadcast import AUDIENCE_HOSTS, broadcast_to_meeting
from meetings.live.models import Participant
from meetings.polls.models import (
    FREE_TEXT_MAX_LENGTH,
    FreeTextAnswer,
    NamedBallot,
    Option,
    OptionTally,
    Poll,
    PollReceipt,
    Question,
)
from meetings.scheduling.models import Meeting, MeetingPolicy

logger = logging.getLogger(__name__)

MAX_OPTIONS = 50
MAX_QUESTIONS = 50


class PollError(Exception):
    """A refused poll action; ``str(error)`` is a message for the user, in their language."""


class VoteRefused(PollError):
    pass


# --- preparing ------------------------------------------------------------------------------


def check_polls_announced(meeting: Meeting) -> None:
    """Where the institution's policy asks for it, polls run only in a meeting that announced
    them before it began (docs/POLICY.md, polls); a running meeting cannot announce them
    afterwards (``meetings/scheduling/services.py::update_meeting``)."""
    if MeetingPolicy.current().polls_need_announcement and not meeting.polls_announced:
        raise PollError(
            _(
                "This meeting did not announce polls before it began, and the institution's "
                "policy asks for that. Announce them when you schedule the next meeting."
            )
        )


def create_poll(
    *,
    meeting: Meeting,
    title: str,
    kind: str = Poll.Kind.ANONYMOUS,
    live_results: bool = False,
    min_count_shown: int = 3,
) -> Poll:
    """Prepare a poll for ``meeting``. Anonymous unless *named* is chosen explicitly here,
    before the poll starts (policy row "polls"); a secret ballot never shows live totals."""
    if meeting.status == Meeting.Status.ENDED:
        raise PollError(_("The meeting has ended; no new polls can be prepared."))
    check_polls_announced(meeting)
    if kind == Poll.Kind.SECRET and live_results:
        raise PollError(_("A secret ballot shows no totals before it closes."))
    poll = Poll.objects.create(
        meeting=meeting,
        title=title,
        kind=kind,
        live_results=live_results,
        min_count_shown=min_count_shown,
    )
    meeting_pk, poll_pk = meeting.pk, poll.pk
    # the hosts' consoles in the room list it at once (prepared in another tab, or by a co-host)
    transaction.on_commit(
        lambda: _announce(meeting_pk, "poll.prepared", poll_pk, audience=AUDIENCE_HOSTS)
    )
    return poll


@transaction.atomic
def prepare_quick_poll(
    *, meeting: Meeting, title: str, kind: str, question: str, options: Sequence[str]
) -> Poll:
    """A poll of one single-choice question, ready to launch (the room's host console)."""
    poll = create_poll(meeting=meeting, title=title, kind=kind)
    add_question(poll=poll, text=question, type=Question.Type.SINGLE, options=options)
    return poll


def add_question(
    *,
    poll: Poll,
    text: str,
    type: str,  # noqa: A002
    options: Sequence[str] = (),
    min_choices: int = 1,
    max_choices: int = 1,
    max_length: int = 500,
) -> Question:
    """Add a question to a poll in preparation; its options and their counters with it.

    Single choice: exactly one option. Multiple choice: between ``min_choices`` and
    ``max_choices``. Free text: up to ``max_length`` characters, not in secret ballots (they
    show totals only)."""
    if poll.status != Poll.Status.DRAFT:
        raise PollError(_("A poll can be changed only before it is launched."))
    if poll.questions.count() >= MAX_QUESTIONS:
        raise PollError(_("A poll has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    options = [option.strip() for option in options if option.strip()]
    if type == Question.Type.TEXT:
        if poll.is_secret:
            raise PollError(_("A secret ballot has no free-text questions: it shows totals only."))
        if not 1 <= max_length <= FREE_TEXT_MAX_LENGTH:
            raise PollError(
                _("An answer may be at most %(n)d characters long.") % {"n": FREE_TEXT_MAX_LENGTH}
            )
        options, min_choices, max_choices = [], 0, 0
    else:
        if len(options) < 2:
            raise PollError(_("A choice question needs at least two options."))
        if len(options) > MAX_OPTIONS:
            raise PollError(_("A question has at most %(n)d options.") % {"n": MAX_OPTIONS})
        if len(set(options)) != len(options):
            raise PollError(_("Each option may appear only once."))
        if type == Question.Type.SINGLE:
            min_choices = max_choices = 1
        elif not 0 <= min_choices <= max_choices <= len(options) or max_choices < 1:
            raise PollError(
                _("The limits must satisfy 0 ≤ at least ≤ at most ≤ number of options.")
            )
    with transaction.atomic():
        question = Question.objects.create(
            poll=poll,
            text=text,
            type=type,
            position=poll.questions.count(),
            min_choices=min_choices,
            max_choices=max_choices,
            max_length=max_length,
        )
        created = Option.objects.bulk_create(
            Option(question=question, position=index, text=option)
            for index, option in enumerate(options)
        )
        OptionTally.objects.bulk_create(OptionTally(option=option, poll=poll) for option in created)
    return question


def delete_question(*, question: Question) -> None:
    if question.poll.status != Poll.Status.DRAFT:
        raise PollError(_("A poll can be changed only before it is launched."))
    question.delete()


# --- launching and closing --------------------------------------------------------------------


def launch_poll(*, poll: Poll) -> None:
    """Open a prepared poll in its running meeting; every participant's room shows it."""
    with transaction.atomic():
        poll = Poll.objects.select_for_update().select_related("meeting").get(pk=poll.pk)
        if poll.status != Poll.Status.DRAFT:
            raise PollError(_("This poll has already been launched."))
        if poll.meeting.status != Meeting.Status.RUNNING:
            raise PollError(_("A poll can be launched only while the meeting is running."))
        if not poll.questions.exists():
            raise PollError(_("Add at least one question before launching the poll."))
        check_polls_announced(poll.meeting)
        poll.status = Poll.Status.OPEN
        poll.save(update_fields=["status"])
        meeting_pk, poll_pk = poll.meeting_id, poll.pk
        transaction.on_commit(lambda: _announce(meeting_pk, "poll.launched", poll_pk))
    logger.info("poll %s launched", poll_pk)


def close_poll(*, poll: Poll) -> None:
    """Close an open poll: no more votes; results become visible.

    Waits for votes in flight (row lock on the poll), then rewrites the poll's receipts and
    free-text answers in a new random order with new keys, so that their storage order and
    system columns no longer reflect the order of voting (see ``meetings/models/polls.py``).
    """
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.status != Poll.Status.OPEN:
            raise PollError(_("Only an open poll can be closed."))
        poll.status = Poll.Status.CLOSED
        poll.save(update_fields=["status"])
        voters = _reshuffle_ballots(poll)
        meeting_pk, poll_pk = poll.meeting_id, poll.pk
        transaction.on_commit(lambda: _announce(meeting_pk, "poll.closed", poll_pk))
        transaction.on_commit(_schedule_vacuum)
    logger.info("poll %s closed with %d votes", poll_pk, voters)


def _announce(meeting_pk: int, event: str, poll_pk: int, **extra: str) -> None:
    """Tell the meeting's room (after the commit). The change is committed either way: if
    the channel layer fails, rooms catch up when their websocket reconnects, and the host's
    request does not fail."""
    try:
        broadcast_to_meeting(meeting_pk, event, poll_id=poll_pk, **extra)
    except Exception:
        logger.warning("could not announce %s of poll %s", event, poll_pk, exc_info=True)


def _reshuffle_ballots(poll: Poll) -> int:
    shuffle = secrets.SystemRandom().shuffle
    participant_ids = list(
        PollReceipt.objects.filter(poll=poll).values_list("participant_id", flat=True)
    )
    shuffle(participant_ids)
    PollReceipt.objects.filter(poll=poll).delete()
    PollReceipt.objects.bulk_create(
        (PollReceipt(poll=poll, participant_id=pid) for pid in participant_ids), batch_size=500
    )
    answers = list(
        FreeTextAnswer.objects.filter(question__poll=poll).values_list("question_id", "text")
    )
    shuffle(answers)
    FreeTextAnswer.objects.filter(question__poll=poll).delete()
    FreeTextAnswer.objects.bulk_create(
        (FreeTextAnswer(question_id=qid, text=text) for qid, text in answers), batch_size=500
    )
    return len(participant_ids)


def _schedule_vacuum() -> None:
    """After the close's commit: the vacuum runs in a Celery task, not in the host's request
    (inline where ``CELERY_TASK_ALWAYS_EAGER`` is on). A broker that cannot be reached loses
    only this pruning: PostgreSQL's autovacuum prunes the same rows later."""
    from meetings.polls.tasks import vacuum_ballot_tables as task  # tasks import this module

    try:
        task.delay()
    except Exception:
        logger.warning("could not queue the vacuum of the ballot tables", exc_info=True)


class BallotTablesBusy(Exception):
    """The rewrite could not get its lock in time (votes or a long transaction held the
    tables); the task tries again later instead of queueing every vote behind it."""


#: The tables of anonymous ballots, rewritten after a close (nothing references them).
BALLOT_TABLES = (PollReceipt, FreeTextAnswer, OptionTally)

#: How long the rewrite waits for its exclusive lock before it gives up and is retried: while
#: it waits, votes queue behind it, so the wait is kept short.
REWRITE_LOCK_TIMEOUT = "2s"


def vacuum_ballot_tables() -> bool:
    """Rewrite the ballot tables after a close: no page keeps a former row version.

    A plain ``VACUUM`` marks dead versions (the old order of the receipts, the counters'
    history, the free-text answers before the reshuffle) as free space but leaves their bytes
    in the pages, where ``pageinspect`` or the relation file shows them; ``VACUUM FULL`` keeps
    every version some open transaction anywhere might still see. So, in one transaction
    holding an exclusive lock on the three tables: copy each table's live rows (as this
    transaction sees them) aside, ``TRUNCATE`` it (a new, empty file with new indexes and
    TOAST; the old file is dropped at the commit), and insert the rows back in a random
    order, all with this transaction's id. Readers then see the same rows; the pages hold
    nothing else (policy row "polls"; see ``meetings/polls/models.py``). The lock is waited
    for at most ``REWRITE_LOCK_TIMEOUT`` (votes queue behind a waiting lock) and
    :class:`BallotTablesBusy` is raised for a retry. Idempotent; True when it ran
    (PostgreSQL outside a transaction), False elsewhere."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    from psycopg import errors as pg_errors

    tables = [connection.ops.quote_name(m._meta.db_table) for m in BALLOT_TABLES]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{REWRITE_LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            for table in tables:
                cursor.execute(f"CREATE TEMPORARY TABLE ballot_rows AS SELECT * FROM {table}")  # noqa: S608
                cursor.execute(f"TRUNCATE {table}")
                cursor.execute(f"INSERT INTO {table} SELECT * FROM ballot_rows ORDER BY random()")  # noqa: S608
                cursor.execute("DROP TABLE ballot_rows")
        with connection.cursor() as cursor:
            for table in tables:  # statistics and visibility map of the new files
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    except OperationalError as error:
        if isinstance(error.__cause__, pg_errors.LockNotAvailable):
            logger.info("rewrite of the ballot tables postponed: tables busy")
            raise BallotTablesBusy from None
        logger.warning("rewrite of the ballot tables after a poll close failed", exc_info=True)
        return False
    except DatabaseError:
        logger.warning("rewrite of the ballot tables after a poll close failed", exc_info=True)
        return False
    return True


# --- voting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ballot:
    option_ids: frozenset[int]
    texts: tuple[tuple[int, str], ...]  # (question id, text)
    named: tuple[tuple[int, int | None, str], ...]  # (question id, option id, text)


def cast_vote(
    *, poll: Poll, participant: Participant, answers: Mapping[int, Sequence[str]]
) -> None:
    """Record one vote of an admitted participant in an open poll of their meeting.

    ``answers`` maps question ids to the submitted values (option ids as strings, or the
    free text). One vote per participant is enforced by the database (unique receipt); the
    receipt, the counters and the free-text rows are written in one transaction, so a refused
    or duplicate vote changes no tally. Raises :class:`VoteRefused` with a message."""
    if participant.meeting_id != poll.meeting_id:
        raise VoteRefused(_("This poll belongs to another meeting."))
    if participant.state != Participant.State.ADMITTED:
        raise VoteRefused(_("Only participants admitted to the meeting can vote."))
    if poll.status != Poll.Status.OPEN:  # early answer; re-checked under the lock below
        raise VoteRefused(_not_open_message(poll.status))
    ballot = _validated_ballot(poll, answers)
    record = _record_vote_postgresql if connection.vendor == "postgresql" else _record_vote
    try:
        if connection.get_autocommit() and not connection.in_atomic_block:
            recorded = record(poll, participant, ballot)
        else:  # inside a caller's transaction: a refusal rolls back to this savepoint only
            with transaction.atomic():
                recorded = record(poll, participant, ballot)
    except IntegrityError as error:
        raise VoteRefused(_("You have already voted in this poll.")) from error
    if not recorded:
        status = Poll.objects.filter(pk=poll.pk).values_list("status", flat=True).first()
        raise VoteRefused(_not_open_message(status))


def _not_open_message(status: str | None) -> str:
    if status == Poll.Status.DRAFT:
        return _("This poll has not been launched yet.")
    return _("This poll is closed.")


def _record_vote_postgresql(poll: Poll, participant: Participant, ballot: _Ballot) -> bool:
    """Write the vote in one statement, committed on its own (autocommit): one round trip to
    PostgreSQL instead of five (begin, lock, receipt, counters, commit), so that the counters
    of a busy poll stay locked only from this statement's update to its commit.

    The poll row is locked ``FOR SHARE``: votes do not wait for each other there, while
    ``close_poll`` (``FOR UPDATE``) waits for the votes in flight, and a vote that waited for
    a close sees the poll closed (the row is re-checked after the wait) and writes nothing.
    The poll's counters are then locked in the order of their option ids before all of them
    are updated, chosen ones +1 and the others +0 (see ``meetings/polls/models.py``): two votes
    always lock them in the same order, so they queue instead of deadlocking. The receipt
    comes before the counters: a second vote of the same participant waits on the unique
    receipt, holding no counter, and fails. Returns False when the poll was not open."""
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (Poll, PollReceipt, OptionTally, FreeTextAnswer, NamedBallot)
    }
    params: dict[str, object] = {
        "poll": poll.pk,
        "open": Poll.Status.OPEN.value,
        "receipt": uuid.uuid4(),
        "participant": participant.pk,
    }
    parts = [
        f"""open_poll AS (
            SELECT id FROM {table[Poll]} WHERE id = %(poll)s AND status = %(open)s FOR SHARE
        )""",  # noqa: S608 (table names are the models' own, values are parameters)
        f"""receipt AS (
            INSERT INTO {table[PollReceipt]} (id, poll_id, participant_id)
            SELECT %(receipt)s, id, %(participant)s FROM open_poll RETURNING poll_id
        )""",  # noqa: S608
    ]
    if ballot.option_ids:
        params["chosen"] = sorted(ballot.option_ids)
        parts += [
            f"""counters AS MATERIALIZED (
                SELECT option_id FROM {table[OptionTally]}
                WHERE poll_id IN (SELECT poll_id FROM receipt)
                ORDER BY option_id FOR UPDATE
            )""",  # noqa: S608
            f"""counted AS (
                UPDATE {table[OptionTally]} AS tally
                SET count = tally.count + (tally.option_id = ANY(%(chosen)s::bigint[]))::integer
                FROM counters WHERE tally.option_id = counters.option_id
            )""",  # noqa: S608
        ]
    if ballot.texts:
        params["text_ids"] = [uuid.uuid4() for _text in ballot.texts]
        params["text_questions"] = [qid for qid, _text in ballot.texts]
        params["texts"] = [text for _qid, text in ballot.texts]
        parts.append(
            f"""answers AS (
                INSERT INTO {table[FreeTextAnswer]} (id, question_id, text)
                SELECT answer.id, answer.question_id, answer.text FROM receipt, unnest(
                    %(text_ids)s::uuid[], %(text_questions)s::bigint[], %(texts)s::text[]
                ) AS answer(id, question_id, text)
            )"""  # noqa: S608
        )
    if poll.is_named:
        params["voter_user"] = participant.user_id
        params["voter_name"] = participant.display_name
        params["named_questions"] = [qid for qid, _oid, _text in ballot.named]
        params["named_options"] = [oid for _qid, oid, _text in ballot.named]
        params["named_texts"] = [text for _qid, _oid, text in ballot.named]
        parts.append(
            f"""named AS (
                INSERT INTO {table[NamedBallot]}
                    (poll_id, question_id, participant_id, voter_user_id, voter_name, option_id,
                     text)
                SELECT receipt.poll_id, ballot.question_id, %(participant)s,
                    %(voter_user)s::bigint, %(voter_name)s, ballot.option_id, ballot.text
                FROM receipt, unnest(
                    %(named_questions)s::bigint[], %(named_options)s::bigint[],
                    %(named_texts)s::text[]
                ) AS ballot(question_id, option_id, text)
            )"""  # noqa: S608
        )
    sql = "WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM receipt"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (written,) = cursor.fetchone()
    return written == 1


def _record_vote(poll: Poll, participant: Participant, ballot: _Ballot) -> bool:
    """The same writes through the ORM for databases without row locks of their own (SQLite
    in development: one writer at a time anyway). Returns False when the poll was not open."""
    with transaction.atomic():
        status = (
            Poll.objects.select_for_update()
            .filter(pk=poll.pk)
            .order_by()
            .values_list("status", flat=True)
            .first()
        )
        if status != Poll.Status.OPEN:
            return False
        PollReceipt.objects.create(poll_id=poll.pk, participant=participant)
        if ballot.option_ids:
            # every counter of the poll is touched, chosen ones +1, the others +0
            OptionTally.objects.filter(poll_id=poll.pk).update(
                count=F("count")
                + Case(When(option_id__in=ballot.option_ids, then=Value(1)), default=Value(0))
            )
        if ballot.texts:
            FreeTextAnswer.objects.bulk_create(
                FreeTextAnswer(question_id=qid, text=text) for qid, text in ballot.texts
            )
        if poll.is_named:
            NamedBallot.objects.bulk_create(
                NamedBallot(
                    poll_id=poll.pk,
                    question_id=qid,
                    participant=participant,
                    voter_user_id=participant.user_id,
                    voter_name=participant.display_name,
                    option_id=oid,
                    text=text,
                )
                for qid, oid, text in ballot.named
            )
    return True


@dataclass(frozen=True)
class _QuestionShape:
    """What checking a ballot needs of a question (no model instance, kept per process)."""

    pk: int
    text: str
    is_text: bool
    min_choices: int
    max_choices: int
    max_length: int
    option_ids: frozenset[int]


#: Questions and options of launched polls, by (poll id, creation time). They cannot change
#: after the launch (``add_question`` and ``delete_question`` refuse, the admin is read-only),
#: so a vote need not read them again: two queries fewer per vote.
_SHAPES: OrderedDict[tuple[int, object], tuple[_QuestionShape, ...]] = OrderedDict()
_SHAPES_MAX = 256
_shapes_lock = threading.Lock()


def _ballot_shape(poll: Poll) -> tuple[_QuestionShape, ...]:
    key = (poll.pk, poll.created_at)
    if poll.status != Poll.Status.DRAFT:
        with _shapes_lock:
            shape = _SHAPES.get(key)
            if shape is not None:
                _SHAPES.move_to_end(key)
                return shape
    shape = tuple(
        _QuestionShape(
            pk=question.pk,
            text=question.text,
            is_text=question.is_text,
            min_choices=question.min_choices,
            max_choices=question.max_choices,
            max_length=question.max_length,
            option_ids=frozenset(option.pk for option in question.options.all()),
        )
        for question in poll.questions.prefetch_related("options")
    )
    if poll.status != Poll.Status.DRAFT:
        with _shapes_lock:
            _SHAPES[key] = shape
            while len(_SHAPES) > _SHAPES_MAX:
                _SHAPES.popitem(last=False)
    return shape


def _validated_ballot(poll: Poll, answers: Mapping[int, Sequence[str]]) -> _Ballot:
    questions = _ballot_shape(poll)
    known_questions = {question.pk for question in questions}
    if any(qid not in known_questions for qid in answers):
        raise VoteRefused(_("The vote names a question that is not part of this poll."))
    option_ids: set[int] = set()
    texts: list[tuple[int, str]] = []
    named: list[tuple[int, int | None, str]] = []
    for question in questions:
        values = [value for value in answers.get(question.pk, ()) if value != ""]
        if question.is_text:
            if len(values) > 1:
                raise VoteRefused(_("Please give one answer per question."))
            text = values[0].strip() if values else ""
            if len(text) > question.max_length:
                raise VoteRefused(
                    _("“%(question)s”: the answer is longer than %(n)d characters.")
                    % {"question": question.text, "n": question.max_length}
                )
            if text:
                texts.append((question.pk, text))
                named.append((question.pk, None, text))
            continue
        own_options = question.option_ids
        try:
            chosen = {int(value) for value in values}
        except (TypeError, ValueError):
            raise VoteRefused(_("The vote contains an invalid choice.")) from None
        if len(chosen) != len(values):
            raise VoteRefused(_("Each option can be chosen only once."))
        if not chosen <= own_options:
            raise VoteRefused(
                _("“%(question)s”: an option does not belong to this question.")
                % {"question": question.text}
            )
        if len(chosen) > question.max_choices:
            raise VoteRefused(
                ngettext(
                    "“%(question)s”: choose at most %(n)d option.",
                    "“%(question)s”: choose at most %(n)d options.",
                    question.max_choices,
                )
                % {"question": question.text, "n": question.max_choices}
            )
        if len(chosen) < question.min_choices:
            raise VoteRefused(
                ngettext(
                    "“%(question)s”: choose at least %(n)d option.",
                    "“%(question)s”: choose at least %(n)d options.",
                    question.min_choices,
                )
                % {"question": question.text, "n": question.min_choices}
            )
        option_ids |= chosen
        named.extend((question.pk, oid, "") for oid in sorted(chosen))
    if not option_ids and not texts:
        raise VoteRefused(_("Please answer at least one question."))
    return _Ballot(frozenset(option_ids), tuple(texts), tuple(named))


# --- retention --------------------------------------------------------------------------------


def delete_poll_results(*, poll_ids: Iterable[int]) -> int:
    """Delete polls with everything they hold (questions, counters, receipts, free-text
    answers, named ballots): polls and their results fall under the retention rules of their
    meeting's artefacts. Called by the retention engine; returns the number of polls deleted.
    Safe to repeat: ids already gone are skipped."""
    poll_ids = list(poll_ids)
    with transaction.atomic():
        deleted, per_model = Poll.objects.filter(pk__in=poll_ids).delete()
    count = per_model.get(Poll._meta.label, 0)
    logger.info("deleted %d polls with their results", count)
    return count
