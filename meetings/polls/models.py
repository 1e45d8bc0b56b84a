"""Polls and secret ballots in a meeting, stored so that no ballot can be traced to a voter.

Policy row "polls": polls and surveys are anonymous as a rule; a poll with names must be chosen
explicitly before it starts and is shown to voters as such; votes may be open or secret.
Anonymity must hold against the people who run the portal, so it is a property of what is
stored, not of what the pages show.

How a vote is stored (``meetings.polls.services.cast_vote``, one transaction):

- ``PollReceipt`` records *that* a participant voted: (poll, participant), unique together, so
  the database refuses a second vote from the same participant, also from two browsers or two
  server processes at once (the second insert waits for the first transaction and then fails
  the unique constraint; the whole vote rolls back). Its primary key is a random UUID and it
  has no timestamp, so receipts carry no voting order.
- *What* was chosen is kept only as counters: ``OptionTally.count`` of every option of the poll
  is updated in the same transaction with ``F("count") + 1`` for the chosen options and
  ``F("count") + 0`` for all others. Touching every counter of the poll means that the live
  counter rows' system columns (PostgreSQL ``xmin``) all name the same, latest transaction and
  reveal nothing about which option that voter chose. On PostgreSQL the whole vote is one
  statement committed on its own: it takes a share lock on the poll row (votes do not wait
  for each other there; ``close_poll`` takes an exclusive one and so waits for votes in flight,
  and a vote that waited for a close finds the poll closed), writes the receipt, then locks
  the poll's counters in the order of their options and updates them. Votes on one poll queue
  only on those counters, from that update to the commit of the same statement.
- Free-text answers (``FreeTextAnswer``) are rows with a random UUID primary key, the question
  and the text: no timestamp, no serial number, no reference to the receipt or participant.
  They are read back sorted by text, never in storage order.
- Only a poll whose kind is *named* (chosen explicitly, shown to voters before they vote) also
  stores ``NamedBallot`` rows linking the voter's name to each answer.

What a database superuser can still learn while a poll is open, stated exactly (also in the
README): a free-text answer is inserted in the same transaction as its receipt, so the answer's
``xmin`` equals that receipt's ``xmin`` and rows of both tables lie in the pages in voting order
(``ctid``); anyone who can read system columns, ``pageinspect`` or the relation files, or who
watches the tables while people vote, can therefore pair a free-text answer with the participant
of its receipt, and the counters' dead versions in the pages show what each vote added. Choices
are not paired this way through the live rows: every vote rewrites all counters of its poll.
This ends with the close: ``close_poll`` rewrites the poll's receipts and free-text answers in a
new random order in the closing transaction (new UUIDs, one shared ``xmin``), and the
``vacuum_ballot_tables`` task then rewrites the ballot tables (live rows copied aside,
``TRUNCATE``, rows back in a random order: new files, indexes and TOAST), so that no page holds
a former version. The write-ahead log keeps the history until its segments are recycled (after
the next checkpoints; longer where WAL is archived), and the dropped old files' blocks remain on
the disk until reused: both are outside the database's pages and need an operator's access to
the server's files. Backups made with ``pg_dump`` contain only live rows and no system columns.
Live totals (an option the host may switch on for anonymous polls) let someone watching the room
correlate a change of the totals with a person's vote; ``Poll.min_count_shown`` hides small
counts and small sets of free-text answers for that reason, and secret ballots never show totals
before the close.

Nothing here is logged with choices or voter identities; the services log poll ids and counts.
Statement logs outside the portal would undo this and must stay off in production: PostgreSQL's
``log_statement = all`` or ``auto_explain`` with parameters, and Django's SQL log
(``django.db.backends`` at DEBUG, which only development with ``LOG_LEVEL=DEBUG`` turns on).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

FREE_TEXT_MAX_LENGTH = 2000


class Poll(models.Model):
    """A poll of a meeting: prepared (draft), launched (open) and closed by the host."""

    class Kind(models.TextChoices):
        ANONYMOUS = "anonymous", _("anonymous")
        NAMED = "named", _("named (results show who voted what)")
        SECRET = "secret", _("secret ballot (totals only, after the close)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("in preparation")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="polls",
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ANONYMOUS)
    live_results = models.BooleanField(
        _("show live totals"),
        default=False,
        help_text=_("Participants see the totals while the poll is open (not for secret ballots)."),
    )
    min_count_shown = models.PositiveSmallIntegerField(
        _("minimum count shown"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "In anonymous polls, smaller counts are shown only as 'fewer than', and free-text "
            "answers only when at least this many were given."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_named(self) -> bool:
        return self.kind == self.Kind.NAMED

    @property
    def is_secret(self) -> bool:
        return self.kind == self.Kind.SECRET

    @property
    def results_visible(self) -> bool:
        """Totals are shown at the close, or while open when the host chose live totals
        (never for a secret ballot)."""
        if self.is_closed:
            return True
        return self.is_open and self.live_results and not self.is_secret

    @property
    def hides_small_counts(self) -> bool:
        return not self.is_named


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        TEXT = "text", _("free text")

    poll = models.ForeignKey(
        Poll, verbose_name=_("poll"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=500)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.SINGLE)
    min_choices = models.PositiveSmallIntegerField(_("at least"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("at most"), default=1)
    max_length = models.PositiveSmallIntegerField(
        _("maximum length of an answer"),
        default=500,
        validators=[MinValueValidator(1), MaxValueValidator(FREE_TEXT_MAX_LENGTH)],
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_text(self) -> bool:
        return self.type == self.Type.TEXT

    @property
    def is_multiple(self) -> bool:
        return self.type == self.Type.MULTIPLE


class Option(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("option"), max_length=200)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class OptionTally(models.Model):
    """How many voters chose an option: the only trace of a choice in an unnamed poll."""

    option = models.OneToOneField(
        Option, primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    # denormalised so that a vote updates all counters of its poll in one statement
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="tallies")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("option tally")
        verbose_name_plural = _("option tallies")

    def __str__(self) -> str:
        return str(self.count)


class PollReceipt(models.Model):
    """That a participant voted in a poll; never what. No timestamp, random key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="receipts")
    participant = models.ForeignKey(
        "meetings.Participant",
        on_delete=models.CASCADE,
        related_name="poll_receipts",
        help_text=_("Personal data: that this participant voted, not what."),
    )

    class Meta:
        verbose_name = _("poll receipt")
        verbose_name_plural = _("poll receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "participant"], name="one_vote_per_participant_and_poll"
            ),
        ]

    def __str__(self) -> str:
        return str(_("poll receipt"))  # never the voter: logs and admin show this


class FreeTextAnswer(models.Model):
    """One free-text answer: no timestamp, no serial number, no link to a voter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="free_text_answers"
    )
    text = models.TextField(
        help_text=_("Personal data possible: written by a voter, kept without the voter.")
    )

    class Meta:
        verbose_name = _("free-text answer")
        verbose_name_plural = _("free-text answers")
        ordering = ["text"]

    def __str__(self) -> str:
        return str(_("free-text answer"))


class NamedBallot(models.Model):
    """Who answered what, only in a poll whose kind is *named* (chosen and shown in advance)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="named_ballots")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        "meetings.Participant",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data."),
    )
    voter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty for guests; finds a member's ballots for export."),
    )
    voter_name = models.CharField(
        max_length=150, help_text=_("Personal data. The voter's display name at the vote.")
    )
    option = models.ForeignKey(Option, null=True, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True, help_text=_("Personal data. A free-text answer."))

    class Meta:
        verbose_name = _("named ballot")
        verbose_name_plural = _("named ballots")
        ordering = ["voter_name", "question__position", "pk"]

    def __str__(self) -> str:
        return str(_("named ballot"))
