"""Consent to recording: versioned texts and the decisions kept as evidence.

A decision refers to the exact text version it was given on; publishing a new version never
changes what earlier decisions referred to (a published text is immutable). Every decision
is kept: a later one supersedes an earlier one for the same subject and meeting (or series),
a withdrawal sets ``withdrawn_at`` on the decision withdrawn.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from meetings.recordings.models import Recording
from retention.keyring import Keyring


class Scope(models.TextChoices):
    STORAGE = "storage", _("storage only")
    PUBLICATION = "publication", _("storage and publication to a named audience")


class ConsentText(models.Model):
    """One version of the declaration of consent to recording, in German and English."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    title_de = models.CharField(_("title (German)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_de = models.TextField(_("text (German)"))
    body_en = models.TextField(_("text (English)"))
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    audience = models.CharField(
        _("audience of publication"),
        max_length=200,
        blank=True,
        help_text=_("Required for publication, e.g. the students enrolled in the course."),
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("A published version can no longer be changed; write a new version."),
    )

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.title_en}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk is not None:
            stored = ConsentText.objects.filter(pk=self.pk, published_at__isnull=False)
            if stored.exists():
                raise ValidationError(_("A published consent text cannot be changed."))
        if not self.version:
            last = ConsentText.objects.aggregate(models.Max("version"))["version__max"] or 0
            self.version = last + 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("consent:text", kwargs={"version": self.version})

    def clean(self) -> None:
        if self.scope == Scope.PUBLICATION and not self.audience.strip():
            raise ValidationError(
                {"audience": _("Name the audience to which the recording is published.")}
            )
        if self.scope == Scope.STORAGE and self.audience.strip():
            raise ValidationError(
                {"audience": _("An audience is named only for consent to publication.")}
            )

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if self.is_published:
            raise ValidationError(_("A published consent text cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def title(self) -> str:
        return self.title_de if (get_language() or "").startswith("de") else self.title_en

    @property
    def body(self) -> str:
        return self.body_de if (get_language() or "").startswith("de") else self.body_en

    def publish(self) -> None:
        """Publish this version: from now on it is immutable and offered for new decisions."""
        if self.is_published:
            return
        self.full_clean()
        ConsentText.objects.filter(pk=self.pk, published_at__isnull=True).update(published_at=now())
        self.refresh_from_db()


def subject_keyring() -> Keyring:
    """``CONSENT_SUBJECT_KEY`` with its old versions (retention/keyring.py: rotation wraps)."""
    return Keyring.from_settings(
        "CONSENT_SUBJECT_KEY", "CONSENT_SUBJECT_OLD_KEYS", lambda secret: secret.encode()
    )


def _subject_message(*, user_id: int | None, meeting_pk: int | None, guest_key: str) -> bytes:
    if user_id is not None:
        return f"user:{user_id}".encode()
    if guest_key and meeting_pk is not None:
        return f"guest:{meeting_pk}:{guest_key}".encode()
    raise ValueError("a subject needs a user or a guest key and meeting")


def subject_reference(
    *, user_id: int | None = None, meeting_pk: int | None = None, guest_key: str = ""
) -> str:
    """A stable pseudonymous reference of a person: an HMAC, not reversible without the key.

    Members are referred to by their user id, guests by the meeting and their guest key. This
    is the reference under the current key, the one new decisions store.
    """
    message = _subject_message(user_id=user_id, meeting_pk=meeting_pk, guest_key=guest_key)
    return subject_keyring().digest(message).hex()


def subject_reference_forms(
    *, user_id: int | None = None, meeting_pk: int | None = None, guest_key: str = ""
) -> list[str]:
    """Every form a person's stored references may have (current key first): decisions made
    under an old key, wrapped by a rotation or not yet, still belong to the person."""
    message = _subject_message(user_id=user_id, meeting_pk=meeting_pk, guest_key=guest_key)
    keyring = subject_keyring()
    return [keyring.digest(message, chain).hex() for chain in subject_chains_in_use(keyring)]


SUBJECT_CHAINS_CACHE_KEY = "consent:subject-key-chains"


def subject_chains_in_use(keyring: Keyring) -> list[str]:
    """The key chains to look references up under, with the chains stored so far cached for a
    minute (``rotate_keys`` clears the cache; a chain a running rotation creates is foreseen
    by :meth:`Keyring.lookup_chains`)."""
    from django.core.cache import cache

    stored = cache.get(SUBJECT_CHAINS_CACHE_KEY)
    if stored is None:
        stored = sorted(
            set(ConsentDecision.objects.values_list("subject_key_chain", flat=True).distinct())
        )
        cache.set(SUBJECT_CHAINS_CACHE_KEY, stored, 60)
    return keyring.lookup_chains(stored)


class ConsentDecision(models.Model):
    """One decision (given or refused) as evidence: who, what, which text, scope, when, how."""

    class Method(models.TextChoices):
        WEB_FORM = "web", _("web form")
        IN_MEETING = "meeting", _("in the meeting")

    subject_ref = models.CharField(
        _("subject (pseudonymous)"),
        max_length=64,
        db_index=True,
        editable=False,
        help_text=_("Personal data (pseudonymous). A keyed hash of the user or guest."),
    )
    subject_key_chain = models.CharField(
        _("key versions of the subject reference"),
        max_length=64,
        default="1",
        editable=False,
        help_text=_("The versions of CONSENT_SUBJECT_KEY the reference was made and wrapped with."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_decisions",
        help_text=_("Personal data. For the person's own list; empty for guests."),
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_decisions",
    )
    meeting_ref = models.CharField(
        _("meeting ID"),
        max_length=11,
        blank=True,
        editable=False,
        help_text=_("Kept as evidence when the meeting itself is gone."),
    )
    series_key = models.CharField(
        _("lecture series"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Set for a consent that covers a whole lecture series."),
    )
    text = models.ForeignKey(
        ConsentText, verbose_name=_("consent text"), on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    audience = models.CharField(_("audience of publication"), max_length=200, blank=True)
    given = models.BooleanField(_("consent given"))
    decided_at = models.DateTimeField(_("decided at"), default=now, db_index=True)
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    recordings_gone_at = models.DateTimeField(
        _("recordings relied on deleted at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the last recording resting on this decision was deleted; the proof period "
            "of the retention category consent_records counts from here."
        ),
    )
    pseudonymised_at = models.DateTimeField(
        _("reduced to the pseudonymous reference at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Since then the decision names nobody but its pseudonymous subject reference "
            "(no account link, no display names in the consent records)."
        ),
    )
    withdrawal_key_hash = models.CharField(
        _("private withdrawal link (hashed)"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_(
            "SHA-256 of the key in the private withdrawal link handed to the person when they "
            "consented; the key itself is never stored."
        ),
    )

    class Meta:
        verbose_name = _("consent decision")
        verbose_name_plural = _("consent decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (models.Q(meeting__isnull=False) | ~models.Q(meeting_ref=""))
                    | ~models.Q(series_key="")
                ),
                name="consent_decision_has_meeting_or_series",
            ),
        ]

    def __str__(self) -> str:
        verdict = "given" if self.given else "refused"
        return f"{self.meeting_ref or self.series_key} v{self.text.version} {verdict}"

    @property
    def is_effective_consent(self) -> bool:
        return self.given and self.withdrawn_at is None

    @staticmethod
    def hash_withdrawal_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def new_withdrawal_key(self) -> str:
        """A private key for the withdrawal link (256 bits); only its hash is kept."""
        key = secrets.token_urlsafe(32)
        self.withdrawal_key_hash = self.hash_withdrawal_key(key)
        return key


class RecordingConsentBasis(models.Model):
    """Which decisions a recording session rests on (its consent record)."""

    session = models.ForeignKey(
        "meetings.RecordingSession",
        verbose_name=_("recording session"),
        on_delete=models.CASCADE,
        related_name="consent_basis",
    )
    decision = models.ForeignKey(
        ConsentDecision,
        verbose_name=_("consent decision"),
        on_delete=models.PROTECT,
        related_name="recording_basis",
    )
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        help_text=_("Personal data. Name in the meeting when the consent was relied on."),
    )
    added_at = models.DateTimeField(_("added at"), default=now)

    class Meta:
        verbose_name = _("consent a recording rests on")
        verbose_name_plural = _("consents recordings rest on")
        constraints = [
            models.UniqueConstraint(fields=["session", "decision"], name="one_basis_per_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} ← {self.decision_id}"


class RecordingConsentRecord(Recording):
    """A recording seen from the data-protection officer's side: the consents it rests on."""

    class Meta:
        proxy = True
        verbose_name = _("consent record of a recording")
        verbose_name_plural = _("consent records of recordings")


def bases_still_relied_on() -> models.QuerySet:
    """The consent records of the decision ``OuterRef("pk")`` that a recording still needs: its
    session has a stored recording, still records, or its file is being converted (for
    ``Exists``; the proof period of category ``consent_records`` has not started for those)."""
    from meetings.recordings.models import RecordingSession

    return RecordingConsentBasis.objects.filter(decision_id=models.OuterRef("pk")).filter(
        models.Q(session__recordings__isnull=False)
        | models.Q(session__stopped_at__isnull=True)
        | models.Q(session__conversion=RecordingSession.Conversion.PENDING)
    )
