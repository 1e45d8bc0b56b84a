"""Forms of scheduling: clear messages, nothing stored on bad input.

Locked policy settings are disabled fields (Django then ignores what a crafted POST sends for
them); the services enforce the locks a second time.
"""

import datetime
import re
import unicodedata
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from meetings.scheduling import recurrence, services
from meetings.scheduling.models import Meeting, MeetingPolicy, MeetingSeries
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from portal.identity.models import User
from portal.identity.selectors import licence_type_for

LOCAL_FORMAT = "%Y-%m-%d %H:%M"
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DURATION_MINUTES = 24 * 60


class LocalDateTimeField(forms.CharField):
    """A wall-clock date and time, read in the form's chosen time zone rather than the
    server's: the form's ``clean`` places it in the zone.

    A plain text input (``YYYY-MM-DD HH:MM``): browsers' ``datetime-local`` controls differ
    in how they are typed into and read out by screen readers.
    """

    widget = forms.TextInput(attrs={"placeholder": "2026-05-04 14:30", "autocomplete": "off"})

    def to_python(self, value: str) -> datetime.datetime | None:
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > 40:  # longer is never a date: refuse before parsing
            raise ValidationError(
                _("Enter a date and time such as 2026-05-04 14:30."), code="invalid"
            )
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                _("Enter a date and time such as 2026-05-04 14:30."), code="invalid"
            ) from None
        return parsed.replace(tzinfo=None, second=0, microsecond=0)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, datetime.datetime):
            return value.strftime(LOCAL_FORMAT)
        return value


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class MeetingForm(forms.Form):
    """Schedule or change a meeting; with ``with_recurrence`` also the rule of a series."""

    topic = forms.CharField(label=_("Topic"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    start = LocalDateTimeField(
        label=_("Start (date and time)"),
        help_text=_("Format YYYY-MM-DD HH:MM (24-hour clock), in the time zone below."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration in minutes"),
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        error_messages={"min_value": _("The duration must be at least one minute.")},
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), error_messages={"invalid_choice": _("Unknown time zone: %(value)s.")}
    )
    expected_participants = forms.IntegerField(
        label=_("Expected participants"), required=False, min_value=1
    )
    passcode = forms.CharField(
        label=_("Passcode"),
        required=False,
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    waiting_room = forms.BooleanField(label=_("Waiting room"), required=False)
    authenticated_only = forms.BooleanField(
        label=_("Only authenticated (SSO) participants"), required=False
    )
    join_before_host = forms.BooleanField(
        label=_("Participants may join before the host"), required=False
    )
    recording_announced = forms.BooleanField(
        label=_("A recording is announced for this meeting"), required=False
    )
    chat_stored = forms.BooleanField(label=_("Store the chat"), required=False)
    attendance_required = forms.BooleanField(label=_("Attendance list required"), required=False)
    polls_announced = forms.BooleanField(
        label=_("Polls are announced for this meeting"), required=False
    )
    chat = forms.ChoiceField(
        label=_("Chat"),
        required=False,
        choices=Meeting.Chat.choices,
        help_text=_(
            "Limited to the hosts: participants write to the hosts and co-hosts only, who "
            "write to everyone. Off: nobody writes."
        ),
    )
    allowed_domains = forms.CharField(
        label=_("Further allowed e-mail domains"),
        required=False,
        max_length=1000,
        help_text=_("Comma-separated, e.g. partner.example; invitations may go to these too."),
    )
    co_hosts = forms.ModelMultipleChoiceField(
        label=_("Co-hosts"),
        queryset=User.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("Co-hosts must be members of the institution."),
            "invalid_pk_value": _("Co-hosts must be members of the institution."),
        },
    )
    alternative_hosts = forms.ModelMultipleChoiceField(
        label=_("Alternative hosts"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("May start and run the meeting in your absence."),
        error_messages={
            "invalid_choice": _("Alternative hosts must be members of the institution."),
            "invalid_pk_value": _("Alternative hosts must be members of the institution."),
        },
    )
    repeat = forms.ChoiceField(
        label=_("Repeat"),
        required=False,
        choices=[("", _("does not repeat")), *MeetingSeries.Frequency.choices],
    )
    interval = forms.IntegerField(
        label=_("Every (days, weeks or months)"),
        required=False,
        min_value=1,
        max_value=99,
        initial=1,
    )
    until = forms.DateField(
        label=_("Last date of the series"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"placeholder": "2026-07-31"}),
        help_text=_("Format YYYY-MM-DD."),
        error_messages={"invalid": _("Enter a date such as 2026-07-31.")},
    )
    count = forms.IntegerField(label=_("Or: number of occurrences"), required=False)

    def __init__(
        self,
        *args,  # noqa: ANN002
        host: User,
        meeting: Meeting | None = None,
        with_recurrence: bool = True,
        schedule_fixed: bool = False,
        **kwargs,  # noqa: ANN003
    ) -> None:
        super().__init__(*args, **kwargs)
        self.host = host
        self.meeting = meeting
        self.policy = MeetingPolicy.current()
        self.licence = licence_type_for(host)
        self.fields["timezone"].choices = time_zone_choices()
        members = (
            User.objects.filter(is_institution_member=True, is_active=True)
            .exclude(pk=host.pk)
            .order_by("last_name", "first_name", "username")
        )
        self.fields["co_hosts"].queryset = members
        self.fields["alternative_hosts"].queryset = members
        if meeting is None:
            self.fields["passcode"].help_text = _(
                "Leave empty to get a generated passcode. A passcode of your own needs at "
                "least %(length)d characters, not all the same, not the meeting ID."
            ) % {"length": self.policy.minimum_passcode_length}
        else:
            self.fields["passcode"].help_text = _(
                "Leave empty to keep the current passcode; it cannot be removed. A new one "
                "needs at least %(length)d characters, not all the same, not the meeting ID."
            ) % {"length": self.policy.minimum_passcode_length}
        if self.licence is not None:
            if self.licence.time_limit_minutes is not None:
                self.fields["duration_minutes"].help_text = _(
                    "Your %(licence)s licence limits meetings to %(minutes)d minutes."
                ) % {"licence": self.licence.name, "minutes": self.licence.time_limit_minutes}
            self.fields["expected_participants"].help_text = _(
                "Your %(licence)s licence allows up to %(max)d participants."
            ) % {"licence": self.licence.name, "max": self.licence.max_participants}
        self.locked_settings = []
        self.lock_reasons: dict[str, str] = {}
        for name in SECURITY_SETTINGS:
            if meeting is None:
                self.fields[name].initial = getattr(self.policy, name)
            if self.policy.is_locked(name):
                field = self.fields[name]
                field.disabled = True
                field.initial = getattr(self.policy, name)
                field.help_text = _("Fixed by the institution: %(reason)s") % {
                    "reason": self.policy.lock_reason(name)
                }
                self.locked_settings.append(name)
        if self.policy.recording_forbidden_for(host):
            # forbidden institution-wide or for the host's role: no recording to announce
            field = self.fields["recording_announced"]
            field.disabled = True
            field.initial = False
            field.help_text = _("Fixed by the institution: %(reason)s") % {
                "reason": self.policy.recording_forbidden_reason_text()
            }
            if "recording_announced" not in self.locked_settings:
                self.locked_settings.append("recording_announced")
            self.lock_reasons["recording_announced"] = self.policy.recording_forbidden_reason_text()
        if not with_recurrence:
            for name in ("repeat", "interval", "until", "count"):
                del self.fields[name]
        self.schedule_fixed = schedule_fixed
        if schedule_fixed:
            for name in ("start", "timezone", "repeat", "interval", "until", "count"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "The series has begun: its schedule can no longer be changed."
                    )

    # field cleaning -------------------------------------------------------------------------
    def clean_topic(self) -> str:
        """One line: the topic goes into mail subjects and calendar summaries, where a line
        break or another control character would break the header."""
        topic = self.cleaned_data["topic"]
        if any(unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp"} for character in topic):
            raise forms.ValidationError(
                _("The topic must be a single line without control characters.")
            )
        return topic

    def clean_allowed_domains(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_domains") or ""
        domains = [part.strip().lower().lstrip("@") for part in re.split(r"[,\s;]+", raw)]
        domains = [domain for domain in domains if domain]
        bad = [domain for domain in domains if not DOMAIN_PATTERN.match(domain)]
        if bad:
            raise ValidationError(
                _("Not a domain name: %(domains)s.") % {"domains": ", ".join(bad)}
            )
        return sorted(set(domains))

    def clean(self) -> dict:
        data = super().clean()
        zone_name = data.get("timezone")
        local_start = data.get("start")
        if zone_name and isinstance(local_start, datetime.datetime):
            zone = ZoneInfo(zone_name)
            if not recurrence.exists_in_zone(local_start, zone):
                self.add_error(
                    "start",
                    _("This time does not exist in %(zone)s (clocks are put forward).")
                    % {"zone": zone_name},
                )
            else:
                aware = recurrence.localise(local_start, zone)
                unchanged = self.meeting is not None and aware == self.meeting.start
                if services.start_is_past(aware) and not unchanged and not self.schedule_fixed:
                    self.add_error("start", _("The start must be in the future."))
                data["start_aware"] = aware
        for field, message in services.licence_errors(
            host=self.host,
            duration_minutes=data.get("duration_minutes"),
            expected_participants=data.get("expected_participants"),
        ).items():
            self.add_error(None if field == "__all__" else field, message)
        passcode = data.get("passcode")
        if passcode:
            try:
                services.validate_host_passcode(
                    passcode=passcode,
                    meeting_id=self.meeting.meeting_id if self.meeting else None,
                    policy=self.policy,
                )
            except ValidationError as error:
                self.add_error("passcode", error)
        self._clean_recurrence(data)
        return data

    def _clean_recurrence(self, data: dict) -> None:
        if "repeat" not in self.fields or not data.get("repeat"):
            data["rule"] = None
            return
        if self.schedule_fixed:
            data["rule"] = None
            return
        if data.get("until") and data.get("count"):
            self.add_error(
                "count",
                _(
                    "A series ends either on a date or after a number of occurrences: "
                    "give one of them."
                ),
            )
            return
        rule = recurrence.Rule(
            frequency=data["repeat"],
            interval=data.get("interval") or 1,
            until=data.get("until"),
            count=data.get("count"),
        )
        data["rule"] = rule
        local_start = data.get("start")
        if isinstance(local_start, datetime.datetime):
            try:
                recurrence.validate(rule=rule, first_start_local=local_start)
            except ValidationError as error:
                field = {"until": "until", "count": "count", "interval": "interval"}.get(
                    error.code, "repeat"
                )
                self.add_error(field, error)

    def details(self) -> services.MeetingDetails:
        data = self.cleaned_data
        return services.MeetingDetails(
            topic=data["topic"],
            description=data["description"],
            start=data["start_aware"],
            duration_minutes=data["duration_minutes"],
            timezone=data["timezone"],
            expected_participants=data.get("expected_participants"),
            security={name: data[name] for name in SECURITY_SETTINGS},
            allowed_domains=data["allowed_domains"],
            chat=data.get("chat") or Meeting.Chat.EVERYONE,
        )

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict:
        from meetings.scheduling.models import MeetingUserObjectPermission

        grants = MeetingUserObjectPermission.objects.filter(content_object=meeting).values_list(
            "user_id", "permission__codename"
        )
        alternative = {user for user, codename in grants if codename == "alternative_host_meeting"}
        co_hosts = {user for user, codename in grants if codename == "host_meeting"} - alternative
        initial = {
            "topic": meeting.topic,
            "description": meeting.description,
            "start": meeting.start.astimezone(ZoneInfo(meeting.timezone)).replace(tzinfo=None),
            "duration_minutes": meeting.duration_minutes,
            "timezone": meeting.timezone,
            "expected_participants": meeting.expected_participants,
            "allowed_domains": ", ".join(meeting.allowed_domains),
            "co_hosts": sorted(co_hosts),
            "alternative_hosts": sorted(alternative),
        }
        initial.update({name: getattr(meeting, name) for name in SECURITY_SETTINGS})
        initial["chat"] = meeting.chat
        return initial


class InvitationForm(forms.Form):
    addresses = forms.CharField(
        label=_("E-mail addresses"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or more addresses, separated by commas or new lines."),
    )
    whole_series = forms.BooleanField(label=_("Invite to the whole series"), required=False)

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting.series_id is None:
            del self.fields["whole_series"]
        else:
            self.fields["whole_series"].initial = True

    def clean_addresses(self) -> list[str]:
        parts = [part.strip() for part in re.split(r"[,;\s]+", self.cleaned_data["addresses"])]
        addresses = list(dict.fromkeys(part.lower() for part in parts if part))
        invalid = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                invalid.append(address)
        if invalid:
            raise ValidationError(
                _("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(invalid)}
            )
        if not addresses:
            raise ValidationError(_("Enter at least one address."))
        services.check_invitees(meeting=self.meeting, addresses=addresses)
        return addresses
