"""The registry of data categories the retention engine can purge.

Modelled on pretix's data shredders: each app says which kinds of personal data it stores by
subclassing :class:`RetentionCategory` and registering the class from its
``AppConfig.ready()``. The engine (``retention.services``) never imports another app: it asks
the category what is expired and how to delete it, which events its rules may count from and
which rules it starts with.

See ``retention/README.md`` for a worked example.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models import Lookup, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from retention.models import RetentionRule


class EqualsAny(Lookup):
    """``column = ANY(%s)`` with one array parameter on PostgreSQL, ``IN (...)`` elsewhere.

    On PostgreSQL a batch of ids travels as one array, and ``DELETE … WHERE id = ANY(%s)`` keeps
    the index plan that ``IN (SELECT … LIMIT n)`` loses at a million rows (``retention/README.md``,
    "Benchmark").
    Used as an expression: ``queryset.filter(EqualsAny(F("pk"), ids))``.
    """

    lookup_name = "retention_equals_any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(self, compiler, connection) -> tuple[str, list]:  # noqa: ANN001
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not all(type(v) is int for v in values):
            prepare = self.lhs.output_field.get_db_prep_value
            values = [prepare(v, connection) for v in values]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


@dataclass(frozen=True)
class RetentionEvent:
    """A moment a rule's period may count from, declared by the category that knows it.

    The identifier is stored in ``RetentionRule.counts_from`` (keep it stable); the label is
    what the admin shows ("period counts from …"), so it goes through gettext.
    """

    identifier: str
    label: str | Promise

    def __str__(self) -> str:
        return str(self.label)


#: The one event the engine itself knows: the item's creation. Categories whose items expire
#: from another moment declare their own events.
CREATED = RetentionEvent("created", _("creation"))


@dataclass(frozen=True)
class DefaultRule:
    """A rule a category starts with; installed after ``migrate`` when its (category, event)
    has no rule yet, then the administrator's to change (``services.install_default_rules``).

    ``unit`` and ``action`` are ``RetentionRule.Unit`` and ``RetentionRule.Action`` values
    (plain strings here: the registry is imported by the models, not the other way round).
    """

    counts_from: str
    amount: int
    unit: str = "days"
    maximum_days: int | None = None
    action: str = "delete"


class RetentionCategory:
    """One kind of stored data with a retention clock (messages, files, users, …).

    Subclasses set the class attributes and implement :meth:`expired`; the defaults of the
    other methods suit a plain model whose rows can simply be deleted.
    """

    #: Stable key used by rules, runs, the deletion log and the scheduled task.
    identifier: ClassVar[str] = ""
    #: What the category holds, shown in the admin and by ``manage.py purge``.
    description: ClassVar[str] = ""
    #: The model whose rows are purged; its primary key identifies an item.
    model: ClassVar[type[models.Model] | None] = None
    #: The events a rule of this category may count from; ``RetentionRule.counts_from`` holds
    #: one of their identifiers, validated against this tuple.
    events: ClassVar[tuple[RetentionEvent, ...]] = (CREATED,)
    #: The rules this category starts with (its institution's policy); installed after
    #: ``migrate`` only where no rule for the (category, event) exists.
    default_rules: ClassVar[tuple[DefaultRule, ...]] = ()
    #: The actions a rule of this category may take (``RetentionRule.Action`` values).
    actions: ClassVar[tuple[str, ...]] = ("delete",)
    #: Legal holds: the model label a hold reference names ("library.book") and the lookup
    #: from this category's model to that object's primary key ("book_id"). A hold on
    #: "library.book:42" then keeps every item whose ``book_id`` is 42.
    hold_model: ClassVar[str] = ""
    hold_lookup: ClassVar[str] = ""
    #: Further objects whose holds keep items of this category: model label -> lookup, e.g.
    #: ``{"meetings.meetingseries": "meeting__series_id"}`` (a hold on a series keeps the
    #: artefacts of all its meetings).
    hold_relations: ClassVar[dict[str, str]] = {}
    #: Whether items carry files: then the engine marks the batch, calls :meth:`delete_files`
    #: outside any transaction, and deletes the rows afterwards.
    has_files: ClassVar[bool] = False
    #: An upper bound on the batch size for this category (e.g. 50 items whose large files take
    #: time to delete: a batch must end well within the run's heartbeat window).
    max_batch_size: ClassVar[int | None] = None
    #: The field whose value, with the primary key, identifies an item in the deletion journal
    #: (``retention/journal.py``): a row that reuses a deleted row's primary key after a restore
    #: must not match. Empty: the model's ``created_at`` or ``date_joined`` if it has one.
    journal_fingerprint: ClassVar[str] = ""

    # -- what is expired -------------------------------------------------------------------
    def expired(self, rule: RetentionRule, now: datetime) -> models.QuerySet:
        """The items that ``rule`` says must go at ``now`` (held items included).

        Use :meth:`RetentionRule.cutoff` so that boundaries agree across categories: an item
        whose event happened at or before ``rule.cutoff(now)`` is expired.
        """
        raise NotImplementedError

    def queryset(self) -> models.QuerySet:
        """Every item of the category, including those a default manager would hide."""
        assert self.model is not None, f"{type(self).__name__} must set model"
        return self.model._base_manager.all()

    # -- events -----------------------------------------------------------------------------
    def event_identifiers(self) -> list[str]:
        return [event.identifier for event in self.events]

    def event(self, identifier: str) -> RetentionEvent | None:
        """The declared event ``identifier``, or None when this category does not know it."""
        return next((e for e in self.events if e.identifier == identifier), None)

    # -- legal holds -----------------------------------------------------------------------
    def hold_key(self, item: models.Model) -> str:
        """The hold reference that keeps ``item``, e.g. "library.book:42"."""
        if not self.hold_model:
            return reference_for(item)
        value = item
        for part in self.hold_lookup.split("__"):
            value = getattr(value, part)
        return f"{self.hold_model}:{value}"

    def held_filter(self, held_references: Iterable[str]) -> Q | None:
        """A filter matching the items that one of ``held_references`` keeps (or None)."""
        own_label = self.queryset().model._meta.label_lower
        by_model: dict[str, list[str]] = {}
        for reference in held_references:
            label, _sep, value = reference.partition(":")
            by_model.setdefault(label, []).append(value)
        condition = Q()
        if self.hold_model and by_model.get(self.hold_model):
            condition |= Q(**{f"{self.hold_lookup}__in": by_model[self.hold_model]})
        if by_model.get(own_label):
            condition |= Q(pk__in=by_model[own_label])
        for label, lookup in self.hold_relations.items():
            if by_model.get(label):
                condition |= Q(**{f"{lookup}__in": by_model[label]})
        return condition or None

    def held_by(self) -> list[str]:
        """The model labels a hold may name to keep items of this category."""
        own = self.queryset().model._meta.label_lower
        labels = [own, *([self.hold_model] if self.hold_model else []), *self.hold_relations]
        return list(dict.fromkeys(labels))

    # -- the deletion journal -----------------------------------------------------------------
    def fingerprint_field(self) -> str | None:
        """The field the journal fingerprints an item by (None: the primary key alone)."""
        if self.journal_fingerprint:
            return self.journal_fingerprint
        names = {f.name for f in self.queryset().model._meta.concrete_fields}
        return next((name for name in ("created_at", "date_joined") if name in names), None)

    def not_yet_anonymised(self, queryset: models.QuerySet) -> models.QuerySet:
        """``queryset`` without the rows already anonymised: after a restore only the restored,
        unanonymised rows need anonymising again. Categories with ``"anonymise"`` override it."""
        return queryset

    # -- delete -----------------------------------------------------------------------------
    def mark_batch(self, ids: list[Any]) -> None:
        """Mark items whose files are about to go (``has_files`` only), e.g. set a
        ``deletion_started_at`` so that nobody is offered a file that may be gone."""

    def delete_files(self, ids: list[Any]) -> None:
        """Delete the items' files from storage (``has_files`` only).

        Runs outside a transaction, after :meth:`mark_batch` committed and before the rows go.
        Must treat a file that is already gone as deleted (a previous run may have crashed
        after deleting it) and raise if the storage cannot be reached.
        """

    def delete_batch(self, ids: list[Any]) -> int:
        """Delete the rows ``ids`` (already locked by the engine); return how many went."""
        deleted, _per_model = self.queryset().filter(EqualsAny(models.F("pk"), ids)).delete()
        return len(ids) if deleted else 0

    def anonymise_batch(self, ids: list[Any]) -> int:
        """Overwrite the personal fields of ``ids`` so that the rows may stay."""
        raise NotImplementedError(f"{self.identifier} cannot be anonymised")

    def __str__(self) -> str:
        return str(self.description or self.identifier)


def reference_for(item: models.Model) -> str:
    """The generic key of a stored object: "app_label.model:pk"."""
    return f"{item._meta.label_lower}:{item.pk}"


class CategoryRegistry:
    """The categories registered by the apps, by identifier."""

    def __init__(self) -> None:
        self._categories: dict[str, RetentionCategory] = {}

    def register(self, category_class: type[RetentionCategory]) -> type[RetentionCategory]:
        """Register a category class (usable as a decorator); an identifier is taken once."""
        identifier = category_class.identifier
        if not identifier:
            raise ValueError(f"{category_class.__name__} has no identifier")
        declared = {event.identifier for event in category_class.events}
        for default in category_class.default_rules:
            if default.counts_from not in declared:
                raise ValueError(
                    f"{category_class.__name__} has a default rule counting from "
                    f"{default.counts_from!r}, which is not one of its events"
                )
        existing = self._categories.get(identifier)
        if existing is not None and type(existing) is not category_class:
            raise ValueError(f"retention category {identifier!r} is already registered")
        self._categories[identifier] = category_class()
        return category_class

    def unregister(self, identifier: str) -> None:
        """Forget a category (tests replace a category for their duration)."""
        self._categories.pop(identifier, None)

    def get(self, identifier: str) -> RetentionCategory:
        try:
            return self._categories[identifier]
        except KeyError:
            raise LookupError(identifier) from None

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._categories

    def __iter__(self) -> Iterator[RetentionCategory]:
        return iter(sorted(self._categories.values(), key=lambda c: c.identifier))

    def identifiers(self) -> list[str]:
        return sorted(self._categories)

    def event_label(self, category: str, event: str) -> str:
        """The label of ``event`` as ``category`` declares it; the bare identifier when the
        category is not registered (its app was removed) or does not know the event."""
        if category in self._categories:
            declared = self._categories[category].event(event)
            if declared is not None:
                return str(declared.label)
        return event


registry = CategoryRegistry()
register = registry.register


@dataclass(frozen=True)
class HoldTarget:
    """A kind of object an administrator may put under a legal hold, named the way the portal
    shows it: a meeting by its meeting ID, a person by user name, a recording or a series by
    its number. Registered by the app that owns the model (``AppConfig.ready``); the engine
    looks the object up generically (``apps.get_model``) and stores "app.model:pk"."""

    label: str  # model label, e.g. "meetings.meeting"
    kind: str | Promise  # what the admin calls it, e.g. "meeting"
    field: str = "pk"  # the field the admin types, e.g. "meeting_id"
    aliases: tuple[str, ...] = ()  # further words the admin may type before the colon


class HoldTargets:
    def __init__(self) -> None:
        self._targets: dict[str, HoldTarget] = {}

    def register(self, target: HoldTarget) -> None:
        self._targets[target.label] = target

    def __iter__(self) -> Iterator[HoldTarget]:
        return iter(self._targets.values())

    def get(self, label: str) -> HoldTarget | None:
        return self._targets.get(label)


hold_targets = HoldTargets()


@dataclass(frozen=True)
class PersonalDataOutsideCategories:
    """Personal data of a model that no category of its own purges, with the written reason
    why that is right: it goes with another category's items (cascade), it is evidence, or a
    legal obligation keeps it (docs/POLICY.md, retention). A test fails for any model with
    personal data that is neither a category's model nor declared here."""

    label: str  # model label, e.g. "meetings.participant"
    reason: str


class PersonalDataDeclarations:
    def __init__(self) -> None:
        self._declared: dict[str, PersonalDataOutsideCategories] = {}

    def declare(self, label: str, reason: str) -> None:
        if not reason.strip():
            raise ValueError(f"{label}: a written reason is required")
        self._declared[label] = PersonalDataOutsideCategories(label, reason)

    def get(self, label: str) -> PersonalDataOutsideCategories | None:
        return self._declared.get(label)

    def __iter__(self) -> Iterator[PersonalDataOutsideCategories]:
        return iter(self._declared.values())


personal_data_outside_categories = PersonalDataDeclarations()
declare_personal_data = personal_data_outside_categories.declare
