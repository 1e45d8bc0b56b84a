from django import forms
from django.utils.translation import gettext_lazy as _

from portal.identity.models import Institution


def normalise_meeting_id(value: str) -> str:
    """Meeting IDs are often written in groups ("123 4567 8901"); keep the digits only."""
    return "".join(ch for ch in value if ch.isdigit())[:20]


class JoinForm(forms.Form):
    meeting_id = forms.CharField(
        label=_("Meeting ID"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    passcode = forms.CharField(
        label=_("Passcode"),
        max_length=64,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=True),
    )
    display_name = forms.CharField(
        label=_("Your name in the meeting"),
        max_length=150,
        required=False,
        help_text=_("Shown to the other participants. You may choose a pseudonym."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    age_confirmed = forms.BooleanField(label=_("I am old enough"), required=False)

    def __init__(self, *args, guest: bool, fixed_meeting_id: str | None = None, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        if not guest:
            # members confirm the minimum age at their first login (docs/POLICY.md, licences)
            del self.fields["age_confirmed"]
        else:
            age = Institution.current().minimum_age
            field = self.fields["age_confirmed"]
            field.required = True
            field.label = _("I am at least %(age)d years old.") % {"age": age}
            field.help_text = _(
                "The institution's minimum age for its meetings. Only the time of your "
                "confirmation is kept while the meeting lasts, never a birth date."
            )
            field.error_messages["required"] = _(
                "Please confirm that you are at least %(age)d years old: younger people cannot "
                "join the institution's meetings."
            ) % {"age": age}
            self.fields["display_name"].required = True
            self.fields["display_name"].help_text = _(
                "Shown to the other participants. Guests may join only meetings that allow "
                "guests; members of the institution log in first."
            )
        if fixed_meeting_id is not None:
            self.fields["meeting_id"].widget = forms.HiddenInput()
            self.fields["meeting_id"].initial = fixed_meeting_id

    def clean_meeting_id(self) -> str:
        return normalise_meeting_id(self.cleaned_data["meeting_id"])

    def clean_display_name(self) -> str:
        return " ".join(self.cleaned_data["display_name"].split())
