from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.polls.models import FREE_TEXT_MAX_LENGTH, Poll, Question


class PollForm(forms.ModelForm):
    """Prepare a poll. The kind is a visible choice with *anonymous* preselected: a poll with
    names is never the default (policy row "polls")."""

    class Meta:
        model = Poll
        fields = ["title", "kind", "live_results", "min_count_shown"]
        widgets = {"kind": forms.RadioSelect}
        help_texts = {
            "kind": _(
                "Anonymous: nobody, not even the portal's operators, can see who voted what. "
                "Named: the results list each voter's answers; voters are told before they "
                "vote. Secret ballot: anonymous, and only totals are shown, after the close."
            ),
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Poll.Kind.SECRET and data.get("live_results"):
            self.add_error("live_results", _("A secret ballot shows no totals before it closes."))
        return data


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    type = forms.ChoiceField(
        label=_("Type"), choices=Question.Type.choices, initial=Question.Type.SINGLE
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line (not for free-text questions)."),
    )
    min_choices = forms.IntegerField(
        label=_("Multiple choice: at least"), min_value=0, max_value=50, initial=1
    )
    max_choices = forms.IntegerField(
        label=_("Multiple choice: at most"), min_value=1, max_value=50, initial=1
    )
    max_length = forms.IntegerField(
        label=_("Free text: maximum length"),
        min_value=1,
        max_value=FREE_TEXT_MAX_LENGTH,
        initial=500,
    )

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]
