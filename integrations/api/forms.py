"""The form to create an API token (the rules are in ``services.create_token``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.api import services
from integrations.api.models import ApiToken
from portal.identity.models import User


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the timetabling system."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ApiToken.Kind.choices, initial=ApiToken.Kind.PERSONAL
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one of the listed scopes.")},
    )
    lifetime_days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=max(services.MAX_LIFETIME_DAYS.values()),
        initial=30,
        help_text=_("A personal access token for up to 90 days, a service token up to 365."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        scopes = services.SCOPES.items()
        if not user.is_staff:
            scopes = [(key, label) for key, label in scopes if key not in services.ADMIN_SCOPES]
            self.fields["kind"].choices = [(ApiToken.Kind.PERSONAL, ApiToken.Kind.PERSONAL.label)]
        self.fields["scopes"].choices = [(key, f"{key}: {label}") for key, label in scopes]
