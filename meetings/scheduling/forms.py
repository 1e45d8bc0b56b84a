"""Forms of scheduling: clear messages, nothing stored on bad input.

Locked policy settings are disabled fields (Django then ignores what a crafted POST sends for
them); the services enforce the locks a second time.
"""

import datetime
import functools
import re
import unicodedata
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from meetings.scheduling import recurrence, services
from meetings.scheduling.models import Meeting, MeetingPolicy, MeetingSeries
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from portal.identity.models import User
from portal.identity.selectors import licence_type_for

LOCAL_FORMAT = "%Y-%m-%d %H:%M"
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DURATION_MINUTES = 24 * 60
# Dates and times as people type them: ISO everywhere, and the local format of the language
# (German ``01.12.2026 10:15``); the day always comes before the month outside ISO.
DATETIME_INPUT_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%y %H:%M",
    "%d/%m/%Y %H:%M",
)
DATE_INPUT_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")
# how the form shows a date and time back, per language
DISPLAY_FORMATS = {"de": ("%d.%m.%Y %H:%M", "%d.%m.%Y"), "en": (LOCAL_FORMAT, "%Y-%m-%d")}


def _display_formats() -> tuple[str, str]:
    return DISPLAY_FORMATS.get((get_language() or "en")[:2], DISPLAY_FORMATS["en"])


def example_start() -> datetime.datetime:
    """A start a month ahead at a round hour: the placeholder is never in the past."""
    day = timezone.localdate() + datetime.timedelta(days=30)
    return datetime.datetime.combine(day, datetime.time(10, 15))


def parse_local_datetime(value: str) -> datetime.datetime | None:
    """The wall-clock date and time in any of :data:`DATETIME_INPUT_FORMATS`, or None."""
    text = " ".join(value.split())
    for pattern in DATETIME_INPUT_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


class LocalDateTimeField(forms.CharField):
    """A wall-clock date and time, read in the form's chosen time zone rather than the
    server's: the form's ``clean`` places it in the zone.

    A plain text input that takes ISO (``2026-12-01 10:15``) and the language's own format
    (``01.12.2026 10:15``): browsers' ``datetime-local`` controls differ in how they are typed
    into and read out by screen readers, and none takes both.
    """

    widget = forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"})

    def invalid_message(self) -> str:
        shown, _date = _display_formats()
        return _("Enter a date and time such as %(example)s.") % {
            "example": example_start().strftime(shown)
        }

    def set_placeholder(self) -> None:
        """Called per form: the example follows today's date and the request's language."""
        self.widget.attrs["placeholder"] = example_start().strftime(_display_formats()[0])

    def to_python(self, value: str) -> datetime.datetime | None:
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > 40:  # longer is never a date: refuse before parsing
            raise ValidationError(self.invalid_message(), code="invalid")
        parsed = parse_local_datetime(value)
        if parsed is None:
            raise ValidationError(self.invalid_message(), code="invalid")
        return parsed.replace(second=0, microsecond=0)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, datetime.datetime):
            return value.strftime(_display_formats()[0])
        return value


class LocalDateField(forms.DateField):
    """A date in ISO or the language's own format (``31.07.2026``)."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        super().__init__(**kwargs)

    def set_placeholder(self) -> None:
        self.widget.attrs["autocomplete"] = "off"
        self.widget.attrs["placeholder"] = (example_start() + datetime.timedelta(days=90)).strftime(
            _display_formats()[1]
        )

    def prepare_value(self, value: object) -> object:
        if isinstance(value, datetime.date):
            return value.strftime(_display_formats()[1])
        return value


@functools.cache
def _zones_by_key() -> dict[str, str]:
    return {name.lower().replace(" ", "_"): name for name in available_timezones()}


def canonical_time_zone(value: str) -> str | None:
    """The IANA name for what a person typed (any case, spaces for underscores), or None."""
    key = "_".join(value.strip().split()).lower()
    return _zones_by_key().get(key)


class TimeZoneInput(forms.TextInput):
    """A text input with a list of suggestions: typing ``Berl`` offers Europe/Berlin, where
    a select would be a list of some 600 entries."""

    template_name = "meetings/scheduling/widgets/time_zone.html"

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}_options"
        context["zones"] = sorted(available_timezones())
        return context


class TimeZoneField(forms.CharField):
    widget = TimeZoneInput(attrs={"autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value: str) -> str:
        value = super().to_python(value)
        if not value:
            return value
        zone = canonical_time_zone(value[:100])
        if zone is None:
            raise ValidationError(
                _("Unknown time zone: %(value)s. Type a city such as Europe/Berlin.")
                % {"value": value[:100]},
                code="invalid_choice",
            )
        return zone


class FilteredCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes with a filter box above them (``scheduling.js``): a list of the institution's
    members is found by typing a name, and without script it is a plain list of checkboxes."""

    template_name = "meetings/scheduling/widgets/filtered_checkboxes.html"


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
        help_text=_(
            "Day, month, year and time on the 24-hour clock, e.g. 01.12.2026 10:15 or "
            "2026-12-01 10:15, in the time zone below."
        ),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration in minutes"),
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        error_messages={"min_value": _("The duration must be at least one minute.")},
    )
    timezone = TimeZoneField(
        label=_("Time zone"),
        max_length=100,
        help_text=_("Type a few letters of a city, e.g. Berlin, and pick from the list."),
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
        widget=FilteredCheckboxes,
        help_text=_("May run the meeting with you: admit, remove, record."),
        error_messages={
            "invalid_choice": _("Co-hosts must be members of the institution."),
            "invalid_pk_value": _("Co-hosts must be members of the institution."),
        },
    )
    alternative_hosts = forms.ModelMultipleChoiceField(
        label=_("Alternative hosts"),
        queryset=User.objects.none(),
        required=False,
        widget=FilteredCheckboxes,
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
    until = LocalDateField(
        label=_("Last date of the series"),
        required=False,
        help_text=_("Day, month and year, e.g. 31.07.2027 or 2027-07-31."),
        error_messages={"invalid": _("Enter a date such as 31.07.2027 or 2027-07-31.")},
    )
    count = forms.IntegerField(label=_("Or: number of occurrences"), required=False)

    # The form's sections, in order: (key, heading, help, field names). A field added to the
    # form goes into one of these lists; a field in none lands in the last section.
    sections: tuple[tuple[str, str, str, list[str]], ...] = (
        ("what", _("What"), "", ["topic", "description"]),
        (
            "when",
            _("When"),
            "",
            ["start", "duration_minutes", "timezone"],
        ),
        (
            "repeat",
            _("Repeat"),
            _("A series gets one meeting ID per occurrence and one calendar file for all."),
            ["repeat", "interval", "until", "count"],
        ),
        (
            "who",
            _("Who"),
            "",
            ["expected_participants", "co_hosts", "alternative_hosts", "allowed_domains"],
        ),
        (
            "access",
            _("Access"),
            "",
            ["passcode", "waiting_room", "authenticated_only", "join_before_host"],
        ),
        (
            "records",
            _("Recording and records"),
            "",
            ["recording_announced", "chat_stored", "attendance_required"],
        ),
    )

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
        members = (
            User.objects.filter(is_institution_member=True, is_active=True)
            .exclude(pk=host.pk)
            .order_by("last_name", "first_name", "username")
        )
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField | LocalDateField):
                field.set_placeholder()
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

    def grouped_sections(self) -> list[dict]:
        """The sections with their bound fields (those of this form only); fields that no
        section names go into the last one."""
        placed: set[str] = set()
        groups = []
        for key, heading, help_text, names in self.sections:
            fields = [self[name] for name in names if name in self.fields]
            placed.update(names)
            groups.append({"key": key, "heading": heading, "help": help_text, "fields": fields})
        rest = [self[name] for name in self.fields if name not in placed]
        groups[-1]["fields"].extend(rest)
        return [group for group in groups if group["fields"]]

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
    """Addresses to invite. With ``partial`` (the meeting page), the refused addresses do not
    stop the valid ones: they are kept in ``refused`` with their reason, and the valid ones are
    in ``cleaned_data``; without (the API), one refused address refuses the request."""

    addresses = forms.CharField(
        label=_("E-mail addresses"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or more addresses, separated by commas or new lines."),
    )
    whole_series = forms.BooleanField(label=_("Invite to the whole series"), required=False)

    def __init__(self, *args, meeting: Meeting, partial: bool = False, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.partial = partial
        self.refused: list[tuple[str, str]] = []
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
        if not addresses:
            raise ValidationError(_("Enter at least one address."))
        if len(addresses) > services.MAX_INVITEES_AT_ONCE:
            raise ValidationError(
                _("Invite at most %(max)d addresses at once.")
                % {"max": services.MAX_INVITEES_AT_ONCE}
            )
        if not self.partial:
            if invalid:
                raise ValidationError(
                    _("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(invalid)}
                )
            services.check_invitees(meeting=self.meeting, addresses=addresses)
            return addresses
        valid = [address for address in addresses if address not in invalid]
        outside = set(services.refused_invitees(meeting=self.meeting, addresses=valid))
        for address in addresses:
            if address in invalid:
                self.refused.append((address, str(_("not an e-mail address"))))
            elif address in outside:
                self.refused.append((address, str(_("its domain is not allowed for this meeting"))))
        return [address for address in valid if address not in outside]
