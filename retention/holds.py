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
