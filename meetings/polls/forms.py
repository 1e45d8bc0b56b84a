from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from meetings.polls.models import FREE_TEXT_MAX_LENGTH, Poll, Question

# With two ballots, each voter reads the other's choice off the counts: three is the least.
MIN_BALLOTS_SHOWN = 3


class PollForm(forms.ModelForm):
    """Prepare a poll. The kind is a visible choice with *anonymous* preselected: a poll with
    names is never the default (policy row "polls")."""

    class Meta:
        model = Poll
        fields = ["title", "kind", "live_results", "min_count_shown"]
        widgets = {"kind": forms.RadioSelect}
        labels = {"min_count_shown": _("Votes needed before counts are shown")}
        help_texts = {
            "min_count_shown": _(
                "Anonymous polls and secret ballots show their counts (exactly, 0 included) "
                "only once at least this many people have voted; with fewer, only the number "
                "of votes shows, so that in a small group nobody's choice can be read off. "
                "Free-text answers show only when at least this many were given. At least 3."
            ),
            "kind": _(
                "Anonymous: nobody, not even the portal's operators, can see who voted what. "
                "Named: the results list each voter's answers; voters are told before they "
                "vote. Secret ballot: anonymous, and only totals are shown, after the close."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        field = self.fields["min_count_shown"]
        field.min_value = MIN_BALLOTS_SHOWN
        field.widget.attrs["min"] = MIN_BALLOTS_SHOWN
        field.validators.append(MinValueValidator(MIN_BALLOTS_SHOWN))

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


class QuickPollForm(forms.Form):
    """A poll of one single-choice question, prepared in the room's host console without
    leaving the room; more elaborate polls are prepared on the polls page."""

    title = forms.CharField(label=_("Poll title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Poll.Kind.choices,
        initial=Poll.Kind.ANONYMOUS,
        widget=forms.RadioSelect,
    )
    question = forms.CharField(label=_("Question"), max_length=500)
    options = forms.CharField(
        label=_("Options"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One option per line. Counts show once at least 3 people have voted (anonymous "
            "and secret polls), so that nobody's choice can be read off."
        ),
    )

    def clean_options(self) -> list[str]:
        options = [line.strip() for line in self.cleaned_data["options"].splitlines()]
        options = [option for option in options if option]
        if len(options) < 2:
            raise forms.ValidationError(_("Give at least two options, one per line."))
        return options
