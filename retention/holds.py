"""Legal holds named the way an administrator sees objects (docs/POLICY.md, retention).

Holds are stored by internal key ("meetings.meeting:42"), which the engine matches; nobody
sees that key in the portal. The administrator names a meeting by its meeting ID, a person by
user name, a recording or a series by its number ("meeting:54597762388", "user:alice",
"recording:17", "series:5", or just the meeting ID); :func:`resolve` finds the object and
refuses a name that matches nothing, so that a hold never silently protects nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from retention.registry import HoldTarget, hold_targets, registry


@dataclass(frozen=True)
class ResolvedHold:
    reference: str  # "app.model:pk", what the engine matches
    target: HoldTarget
    value: str  # what the administrator typed after the kind (meeting ID, user name, …)

    @property
    def entered_as(self) -> str:
        return f"{self.target.kind}:{self.value}"


def _model(target: HoldTarget) -> type[models.Model]:
    return apps.get_model(target.label)


def _find(target: HoldTarget, value: str) -> models.Model | None:
    value = value.strip()
    if not value:
        return None
    model = _model(target)
    field = model._meta.pk if target.field == "pk" else model._meta.get_field(target.field)
    try:
        value = field.to_python(value.replace(" ", "") if target.field != "username" else value)
    except ValidationError:
        return None
    return model._base_manager.filter(**{target.field: value}).first()


def _targets_named(word: str) -> list[HoldTarget]:
    word = word.strip().lower()
    return [
        target
        for target in hold_targets
        if word in {target.label, str(target.kind).lower(), *target.aliases}
    ]


def resolve(text: str) -> ResolvedHold:
    """The object ``text`` names, as a hold reference; ``ValidationError`` (translated, naming
    what was typed) when it names nothing or more than one object."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Name the object to keep."))
    word, colon, value = text.rpartition(":")
    if colon and word:
        candidates = _targets_named(word)
        if not candidates:
            raise ValidationError(
                _("“%(kind)s” is not a kind of object a legal hold can keep. Use %(kinds)s.")
                % {"kind": word, "kinds": kinds_text()}
            )
    else:
        value = text
        candidates = list(hold_targets)
    found = [(t, obj) for t in candidates if (obj := _find(t, value)) is not None]
    if not found:
        raise ValidationError(
            _("Nothing matches “%(text)s”: no %(kinds)s has this name or number.")
            % {"text": text, "kinds": kinds_text()}
        )
    if len(found) > 1:
        raise ValidationError(
            _("“%(text)s” matches a %(first)s and a %(second)s: write “%(example)s”.")
            % {
                "text": text,
                "first": found[0][0].kind,
                "second": found[1][0].kind,
                "example": f"{found[0][0].kind}:{value.strip()}",
            }
        )
    target, obj = found[0]
    return ResolvedHold(
        reference=f"{target.label}:{obj.pk}", target=target, value=str(getattr(obj, target.field))
    )


def kinds_text() -> str:
    return ", ".join(f"{t.kind}:…" for t in hold_targets)


def describe(reference: str) -> str:
    """What a stored hold reference names, as the admin sees it ("meeting 54597762388 ·
    Seminar"); a held object that is gone is said to be gone."""
    label, _sep, pk = reference.partition(":")
    target = hold_targets.get(label)
    if target is None:
        return reference
    obj = _model(target)._base_manager.filter(pk=pk).first()
    if obj is None:
        return _("%(kind)s (deleted)") % {"kind": target.kind}
    return f"{target.kind} {getattr(obj, target.field)} · {obj}"


def coverage(reference: str) -> list[tuple[str, int]]:
    """Per category, how many stored items the hold ``reference`` keeps now."""
    counts = []
    label = reference.partition(":")[0]
    for category in registry:
        if label not in category.held_by():
            continue
        condition = category.held_filter([reference])
        if condition is None:
            continue
        count = category.queryset().filter(condition).count()
        if count:
            counts.append((str(category.description or category.identifier), count))
    return counts


def reference_for_object(obj: models.Model) -> str:
    """What the "hold this" action types into the hold form for ``obj``."""
    target = hold_targets.get(obj._meta.label_lower)
    if target is None:
        return f"{obj._meta.label_lower}:{obj.pk}"
    kind = target.aliases[0] if target.aliases else target.label
    return f"{kind}:{getattr(obj, target.field)}"


# -- re-checking stored holds ----------------------------------------------------------------
@dataclass(frozen=True)
class HoldCheck:
    """The outcome of checking one stored hold's reference."""

    hold_id: int
    problem: str  # a ``LegalHold.Problem`` value
    reference: str  # the reference after the check (corrected or unchanged)
    matches: tuple[str, ...] = ()  # what the reference's number names, as the admin sees it


def _label_is_holdable(label: str) -> bool:
    return hold_targets.get(label) is not None or any(
        label in category.held_by() for category in registry
    )


def _matches(reference: str) -> list[tuple[str, models.Model]]:
    """The objects the number of ``reference`` names: by the internal key (what the engine
    matches) and, for a kind the portal shows by another field (a meeting by its meeting ID,
    a person by user name), by that field: ``("pk" | field, object)`` pairs."""
    label, _sep, value = reference.partition(":")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return []
    found: list[tuple[str, models.Model]] = []
    by_key = _find(HoldTarget(label, label), value)
    if by_key is not None:
        found.append(("pk", by_key))
    target = hold_targets.get(model._meta.label_lower)
    if target is not None and target.field != "pk":
        shown = _find(target, value)
        if shown is not None and (by_key is None or shown.pk != by_key.pk):
            found.append((target.field, shown))
    return found


def check_hold(hold: models.Model) -> HoldCheck:
    """Resolve a stored hold's reference as the engine matches it and as an administrator may
    have meant it (holds entered before holds were named by what the portal shows, e.g.
    "meetings.meeting:54597762388" with the meeting ID, which the engine never matched).

    - the internal key names an object and no other reading does: the hold is right;
    - only the shown number names an object: the reference is corrected to that object
      (what the administrator meant; it protected nothing before);
    - nothing, or two different objects, match: the hold is invalid, and the holds page says so.
    """
    label = hold.reference.partition(":")[0]
    found = _matches(hold.reference) if _label_is_holdable(label) else []
    described = tuple(f"{_kind(obj)} {_shown(obj)} · {obj}" for _how, obj in found)
    if not found:
        return HoldCheck(hold.pk, "nothing", hold.reference)
    if len(found) > 1:
        return HoldCheck(hold.pk, "several", hold.reference, described)
    how, obj = found[0]
    if how == "pk":
        return HoldCheck(
            hold.pk, hold.problem if hold.problem == "corrected" else "", hold.reference
        )
    return HoldCheck(hold.pk, "corrected", f"{obj._meta.label_lower}:{obj.pk}", described)


def _kind(obj: models.Model) -> str:
    target = hold_targets.get(obj._meta.label_lower)
    return str(target.kind) if target is not None else str(obj._meta.verbose_name)


def _shown(obj: models.Model) -> str:
    target = hold_targets.get(obj._meta.label_lower)
    return str(getattr(obj, target.field)) if target is not None else str(obj.pk)


def check_holds(*, dry_run: bool = False) -> list[HoldCheck]:
    """Check every active hold (``manage.py check_holds``, nightly before the purges, after
    ``migrate``): store each one's outcome, correct the references whose shown number named
    exactly one object. Returns the outcomes."""
    from django.utils.timezone import now

    from retention.models import LegalHold

    results = []
    at = now()
    for hold in LegalHold.objects.filter(released_at__isnull=True).order_by("pk"):
        result = check_hold(hold)
        results.append(result)
        if dry_run:
            continue
        fields: dict[str, object] = {"problem": result.problem, "checked_at": at}
        if result.reference != hold.reference:
            fields["reference"] = result.reference
            fields["entered_as"] = hold.entered_as or hold.reference
        LegalHold.objects.filter(pk=hold.pk, reference=hold.reference).update(**fields)
    return results


def check_holds_after_migrate(using: str = "default", **_kwargs: object) -> None:
    """``post_migrate``: holds entered before a deployment are checked by it."""
    from django.db import router

    from retention.models import LegalHold

    if using == "default" and router.allow_migrate_model(using, LegalHold):
        check_holds()


def problem_text(hold: models.Model) -> str:
    """The holds page's message for a hold's last check (empty when it keeps what it names)."""
    if hold.problem == "nothing":
        return _(
            "This hold matches nothing and protects nothing until it is fixed: release it and "
            "enter a new hold naming the object the way the portal shows it (e.g. "
            "“meeting:54597762388”)."
        )
    if hold.problem == "several":
        matches = "; ".join(
            f"{_kind(obj)} {_shown(obj)} · {obj}" for _how, obj in _matches(hold.reference)
        )
        return _(
            "This hold's number names more than one object (%(matches)s); it keeps only the "
            "first, which may not be the one meant. Release it and enter a new hold naming the "
            "object meant."
        ) % {"matches": matches}
    if hold.problem == "corrected":
        return _(
            "Entered with the number the portal shows, which the engine did not match: "
            "corrected to %(object)s. It protects that object since the check; data purged "
            "before may be gone."
        ) % {"object": describe(hold.reference)}
    return ""
