"""The registry of data categories the retention engine can purge.

Modelled on pretix's data shredders: each app says which kinds of personal data it stores by
subclassing :class:`RetentionCategory` and registering the class from its
``AppConfig.ready()``. The engine (``retention.services``) never imports another app: it asks
the category what is expired and how to delete it.

See ``retention/README.md`` for a worked example.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models import Lookup, Q

if TYPE_CHECKING:
    from retention.models import RetentionRule


class EqualsAny(Lookup):
    """``column = ANY(%s)`` with one array parameter on PostgreSQL, ``IN (...)`` elsewhere.

    On PostgreSQL a batch of ids travels as one array, and ``DELETE … WHERE id = ANY(%s)`` keeps
    the index plan that ``IN (SELECT … LIMIT n)`` loses at a million rows (DESIGN.md).
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


class RetentionCategory:
    """One kind of stored data with a retention clock (chat messages, recordings, accounts, …).

    Subclasses set the class attributes and implement :meth:`expired`; the defaults of the
    other methods suit a plain model whose rows can simply be deleted.
    """

    #: Stable key used by rules, runs, the deletion log and the scheduled task: "chat".
    identifier: ClassVar[str] = ""
    #: What the category holds, shown in the admin and by ``manage.py purge``.
    description: ClassVar[str] = ""
    #: The model whose rows are purged; its primary key identifies an item.
    model: ClassVar[type[models.Model] | None] = None
    #: The events a rule of this category may count from (``RetentionRule.Event`` values).
    events: ClassVar[tuple[str, ...]] = ("created",)
    #: The actions a rule of this category may take (``RetentionRule.Action`` values).
    actions: ClassVar[tuple[str, ...]] = ("delete",)
    #: Legal holds: the model label a hold reference names ("meetings.meeting") and the lookup
    #: from this category's model to that object's primary key ("meeting_id"). A hold on
    #: "meetings.meeting:42" then keeps every item whose ``meeting_id`` is 42.
    hold_model: ClassVar[str] = ""
    hold_lookup: ClassVar[str] = ""
    #: Whether items carry files: then the engine marks the batch, calls :meth:`delete_files`
    #: outside any transaction, and deletes the rows afterwards.
    has_files: ClassVar[bool] = False
    #: An upper bound on the batch size for this category (e.g. 50 recordings, whose files take
    #: time to delete: a batch must end well within the run's heartbeat window).
    max_batch_size: ClassVar[int | None] = None

    # -- what is expired -------------------------------------------------------------------
    def expired(self, rule: RetentionRule, now: datetime) -> models.QuerySet:
        """The items that ``rule`` says must go at ``now`` (held items included).

        Use :meth:`RetentionRule.cutoff` so that boundaries agree across categories: an item
        whose event happened at or before ``rule.cutoff(now)`` is expired.
        """
        raise NotImplementedError

    def queryset(self) -> models.QuerySet:
        assert self.model is not None, f"{type(self).__name__} must set model"
        return self.model._base_manager.all()

    # -- legal holds -----------------------------------------------------------------------
    def hold_key(self, item: models.Model) -> str:
        """The hold reference that keeps ``item``, e.g. "meetings.meeting:42"."""
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
        return condition or None

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
        existing = self._categories.get(identifier)
        if existing is not None and type(existing) is not category_class:
            raise ValueError(f"retention category {identifier!r} is already registered")
        self._categories[identifier] = category_class()
        return category_class

    def unregister(self, identifier: str) -> None:
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


registry = CategoryRegistry()
register = registry.register
