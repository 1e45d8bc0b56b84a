"""The registry of personal data by data subject: find, export and erase one person's records.

Where :mod:`retention.registry` answers "what has expired?", this registry answers "what do we
hold about this person?" (data-subject rights, docs/POLICY.md, "rights"). Modelled on pretix's
data shredders: every app registers, for each kind of personal data it holds, a
:class:`PersonalDataKind` next to its retention categories. The kind

- finds the person's records with a constant number of queries (never one per record),
- exports them as JSON-able rows,
- previews and carries out an erasure: it deletes or anonymises what may go and says what it
  keeps and why (a legal hold, a retention obligation, evidence of consent).

This module imports Django only; it never knows the apps that fill it. The services that run
an export or an erasure for a person live in ``portal.identity.rights``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import models
from django.utils.functional import Promise


@dataclass(frozen=True)
class DataSubject:
    """The person whose data is looked up: an account, and the addresses and names they are
    known by. Apps derive their own references from these (the consent app its keyed-hash
    subject reference from ``user_id``)."""

    user_id: int | None = None
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def normalised_emails(self) -> list[str]:
        return sorted({email.strip().lower() for email in self.emails if email.strip()})


@dataclass(frozen=True)
class Kept:
    """Records that stay after an erasure, and why (shown to the person and the DPO)."""

    count: int
    reason: str | Promise


@dataclass
class ErasurePlan:
    """What an erasure would do with one kind: how many records go, which stay and why."""

    erase: int = 0
    anonymise: int = 0
    kept: list[Kept] = field(default_factory=list)


@dataclass
class ErasureResult:
    """What an erasure did with one kind; ``deleted_keys`` and ``anonymised_keys`` are item
    keys ("app.model:pk") for the deletion log, which stores only their keyed hashes."""

    deleted_keys: list[str] = field(default_factory=list)
    anonymised_keys: list[str] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)


def pseudonym_for(subject: DataSubject) -> str:
    """The name kept evidence shows instead of the person's: "person-" and the start of the
    account's keyed hash (the deletion log's reference), so that records of one person still
    belong together while nobody without the server's key learns whose they are."""
    from django.conf import settings

    from retention.services import item_reference

    return "person-" + item_reference(f"{settings.AUTH_USER_MODEL.lower()}:{subject.user_id}")[:12]


def item_keys(model: type[models.Model], ids: Iterable[object]) -> list[str]:
    label = model._meta.label_lower
    return [f"{label}:{pk}" for pk in ids]


class PersonalDataKind:
    """One kind of personal data an app holds (chat messages, consent decisions, the account).

    Subclasses set the class attributes and implement :meth:`find`, :meth:`export_row`,
    :meth:`plan` and :meth:`erase`.
    """

    #: Stable key, used in exports and erasure outcomes.
    identifier: ClassVar[str] = ""
    #: What the kind holds, shown on "My data", the erasure preview and the privacy notice.
    description: ClassVar[str | Promise] = ""
    #: Why the portal processes it (privacy notice, record of processing activities).
    purpose: ClassVar[str | Promise] = ""
    #: The legal basis (privacy notice), e.g. "Art. 6(1)(a) GDPR (consent)".
    legal_basis: ClassVar[str | Promise] = ""
    #: Who receives it besides the person (privacy notice).
    recipients: ClassVar[str | Promise] = ""
    #: The retention categories (``retention.registry``) whose live rules say how long it stays.
    retention_categories: ClassVar[tuple[str, ...]] = ()
    #: How long it stays where no retention rule decides (or in addition to the rules), in
    #: words: shown on the privacy notice next to the rules in force.
    retention_note: ClassVar[str | Promise] = ""
    #: Whose data it is (record of processing activities).
    data_subjects: ClassVar[str | Promise] = ""
    #: The models ("app_label.model") whose personal fields this kind covers; a test checks
    #: that every model with a "Personal data" field is covered by some kind.
    models: ClassVar[tuple[str, ...]] = ()
    #: Erasure order: lower first (the account itself goes last, others may need it).
    erasure_order: ClassVar[int] = 100

    def find(self, subject: DataSubject) -> models.QuerySet:
        """The person's records of this kind (one queryset: a constant number of queries)."""
        raise NotImplementedError

    def export_row(self, record: models.Model) -> dict:
        """One record as a JSON-able dict (no other person's identifiers)."""
        raise NotImplementedError

    def export(self, subject: DataSubject, *, chunk_size: int = 2000) -> Iterator[dict]:
        """Every record of the person, exported in chunks (``iterator`` keeps memory flat)."""
        for record in self.find(subject).iterator(chunk_size=chunk_size):
            yield self.export_row(record)

    def count(self, subject: DataSubject) -> int:
        return self.find(subject).count()

    def plan(self, subject: DataSubject) -> ErasurePlan:
        """What :meth:`erase` would do, without changing anything."""
        return ErasurePlan(erase=self.count(subject))

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        """Erase or anonymise the person's records in batches of ``batch_size``; keep what must
        stay and say why. Safe to repeat: a second run finds nothing left to do.

        The default deletes every record :meth:`find` returns."""
        return ErasureResult(
            deleted_keys=delete_in_batches(self.find(subject), batch_size=batch_size)
        )

    def __str__(self) -> str:
        return str(self.description or self.identifier)


def delete_in_batches(queryset: models.QuerySet, *, batch_size: int) -> list[str]:
    """Delete the rows of ``queryset`` in batches (select ids, delete by id); return their keys.

    Each batch is its own statement, so an interrupted erasure leaves whole batches done and a
    rerun finishes the rest.
    """
    from retention.registry import EqualsAny

    model = queryset.model
    keys: list[str] = []
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return keys
        model._base_manager.filter(EqualsAny(models.F("pk"), ids)).delete()
        keys.extend(item_keys(model, ids))


class SubjectRegistry:
    """The kinds of personal data registered by the apps, by identifier."""

    def __init__(self) -> None:
        self._kinds: dict[str, PersonalDataKind] = {}

    def register(self, kind_class: type[PersonalDataKind]) -> type[PersonalDataKind]:
        identifier = kind_class.identifier
        if not identifier:
            raise ValueError(f"{kind_class.__name__} has no identifier")
        existing = self._kinds.get(identifier)
        if existing is not None and type(existing) is not kind_class:
            raise ValueError(f"personal data kind {identifier!r} is already registered")
        self._kinds[identifier] = kind_class()
        return kind_class

    def unregister(self, identifier: str) -> None:
        self._kinds.pop(identifier, None)

    def get(self, identifier: str) -> PersonalDataKind:
        try:
            return self._kinds[identifier]
        except KeyError:
            raise LookupError(identifier) from None

    def __iter__(self) -> Iterator[PersonalDataKind]:
        return iter(sorted(self._kinds.values(), key=lambda k: k.identifier))

    def in_erasure_order(self) -> list[PersonalDataKind]:
        return sorted(self._kinds.values(), key=lambda k: (k.erasure_order, k.identifier))

    def covered_models(self) -> set[str]:
        return {label.lower() for kind in self._kinds.values() for label in kind.models}


subjects = SubjectRegistry()
register_kind = subjects.register
