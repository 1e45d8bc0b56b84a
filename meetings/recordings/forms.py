from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from meetings.recordings.models import RecordingSession


class RecordingUploadForm(forms.Form):
    session = forms.ModelChoiceField(
        label=_("Recording session"),
        queryset=RecordingSession.objects.none(),
        empty_label=None,
        help_text=_("Only a session that was started with everyone's consent can be stored."),
    )
    file = forms.FileField(
        label=_("Recording file"),
        help_text=_("MP4 or WebM video; MP4, WebM, MP3, Ogg or WAV audio."),
    )

    def __init__(self, *args, meeting, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        field.queryset = RecordingSession.objects.filter(meeting=meeting).order_by("-started_at")
        # the session's start in the meeting's time zone and the portal's one format, as
        # everywhere else (it showed UTC)
        zone = ZoneInfo(meeting.timezone)
        field.label_from_instance = lambda session: date_format(
            localtime(session.started_at, zone), "SHORT_DATETIME_FORMAT"
        )


class RecordingViewerForm(forms.Form):
    username = forms.CharField(label=_("User name of the viewer"), max_length=150)

    def clean_username(self):  # noqa: ANN201
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("There is no active user with this user name."))
        return user


class RecordingRetentionForm(forms.Form):
    """The host's period for one recording, at most the institution's maximum."""

    keep_days = forms.IntegerField(
        label=_("Keep this recording for (days after it was stored)"),
        required=False,
        min_value=1,
    )

    def __init__(self, *args, maximum: int | None, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        field = self.fields["keep_days"]
        if maximum is not None:
            field.max_value = maximum
            field.widget.attrs["max"] = maximum
            field.validators.append(MaxValueValidator(maximum))
            field.help_text = _(
                "At most %(maximum)d days, the institution's maximum. Empty: the institution's "
                "period for recordings."
            ) % {"maximum": maximum}
