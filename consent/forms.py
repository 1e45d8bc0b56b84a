from django import forms
from django.utils.translation import gettext_lazy as _

from consent.models import ConsentDecision


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("give", _("I consent")), ("refuse", _("I refuse"))],
    )
    method = forms.ChoiceField(
        choices=ConsentDecision.Method.choices,
        initial="web",
        required=False,
        widget=forms.HiddenInput,
    )
    for_series = forms.BooleanField(label=_("for the whole lecture series"), required=False)
    email = forms.EmailField(
        label=_("Send me the link to withdraw my consent (optional)"),
        help_text=_("Your e-mail address is used for this one message and not stored."),
        required=False,
    )

    def clean_method(self) -> str:
        return self.cleaned_data.get("method") or ConsentDecision.Method.WEB_FORM
