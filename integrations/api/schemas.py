"""The REST API's request and response bodies (pydantic, through django-ninja); the OpenAPI
description is generated from them (docs/openapi.json)."""

import datetime
from typing import Literal

from ninja import Field, Schema

LOCAL_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$"


class FieldProblem(Schema):
    field: str | None = Field(description="The request field, or null for the whole request.")
    message: str


class Problem(Schema):
    """An error as RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldProblem] = Field(
        default_factory=list, description="What is wrong with which field (validation only)."
    )


class Recurrence(Schema):
    frequency: Literal["DAILY", "WEEKLY", "MONTHLY"]
    interval: int = Field(1, ge=1, le=99)
    until: datetime.date | None = Field(None, description="Last date of the series.")
    count: int | None = Field(None, ge=1, description="Or: number of occurrences.")


class SecuritySettings(Schema):
    waiting_room: bool
    authenticated_only: bool
    join_before_host: bool
    recording_announced: bool
    chat_stored: bool
    attendance_required: bool
    polls_announced: bool


class MeetingChange(Schema):
    """Fields of a meeting; on a change, what is left out stays as it is. Settings the
    institution has locked keep the institution's value whatever is sent."""

    topic: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    start: str | None = Field(
        None,
        pattern=LOCAL_DATE_TIME,
        description="Wall-clock start in `timezone`, e.g. 2026-05-04T14:30 (no offset).",
        examples=["2026-05-04T14:30"],
    )
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Berlin"])
    duration_minutes: int | None = Field(None, ge=1, le=24 * 60)
    expected_participants: int | None = Field(None, ge=1)
    passcode: str | None = Field(
        None,
        max_length=32,
        description="Empty or left out: a generated one (or, on a change, the current one).",
    )
    waiting_room: bool | None = None
    authenticated_only: bool | None = None
    join_before_host: bool | None = None
    recording_announced: bool | None = None
    chat_stored: bool | None = None
    attendance_required: bool | None = None
    polls_announced: bool | None = None
    allowed_domains: list[str] | None = Field(None, max_length=100)
    co_hosts: list[str] | None = Field(None, description="User names.", max_length=100)
    alternative_hosts: list[str] | None = Field(None, description="User names.", max_length=100)


class MeetingCreate(MeetingChange):
    topic: str = Field(..., max_length=200)
    start: str = Field(
        ...,
        pattern=LOCAL_DATE_TIME,
        description="Wall-clock start in `timezone`, e.g. 2026-05-04T14:30 (no offset).",
        examples=["2026-05-04T14:30"],
    )
    timezone: str = Field(..., max_length=64, examples=["Europe/Berlin"])
    duration_minutes: int = Field(..., ge=1, le=24 * 60)
    recurrence: Recurrence | None = Field(None, description="Given: a series is scheduled.")


class SeriesCreate(MeetingCreate):
    recurrence: Recurrence


class SeriesChange(MeetingChange):
    recurrence: Recurrence | None = Field(
        None, description="A new schedule (only while the series has not begun)."
    )


class MeetingSummary(Schema):
    meeting_id: str
    topic: str
    start: datetime.datetime
    duration_minutes: int
    timezone: str
    status: str
    series_id: int | None


class Meeting(MeetingSummary):
    description: str
    expected_participants: int | None
    host: str = Field(description="The host's user name.")
    passcode: str
    join_url: str
    security: SecuritySettings
    allowed_domains: list[str]
    co_hosts: list[str]
    alternative_hosts: list[str]


class MeetingPage(Schema):
    items: list[MeetingSummary]
    page: int
    pages: int
    count: int


class Series(Schema):
    id: int
    topic: str
    frequency: str
    interval: int
    until: datetime.date | None
    count: int | None
    first_start: datetime.datetime
    timezone: str
    host: str
    occurrences: list[MeetingSummary]


class Invitation(Schema):
    email: str
    whole_series: bool
    sent_at: datetime.datetime


class InvitationRequest(Schema):
    addresses: list[str] = Field(..., min_length=1, max_length=200)
    whole_series: bool = False


class InvitationsSent(Schema):
    sent: int


class Participant(Schema):
    id: int
    display_name: str
    is_host: bool


class Participants(Schema):
    admitted: list[Participant]
    waiting: list[Participant]


class OptionResult(Schema):
    text: str
    count: int | None = Field(description="Null where the count is hidden (too small).")
    shown: str = Field(
        description='What the portal shows: the exact count, or "–" while too few voted.'
    )


class QuestionResult(Schema):
    text: str
    is_text: bool
    options: list[OptionResult]
    answers: list[str]
    answer_count: int
    answers_hidden: bool


class PollResult(Schema):
    id: int
    title: str
    kind: str
    status: str
    voters: int
    questions: list[QuestionResult]


class Recording(Schema):
    id: int
    meeting_id: str
    topic: str
    created_at: datetime.datetime
    size: int
    content_type: str
    sha256: str
    state: str
    deletion_due_at: datetime.datetime | None
    download_url: str


class LicencePool(Schema):
    licence_type: str
    quota: int
    used: int
    free: int
    shortfall: int
    percent: int


class LicenceReport(Schema):
    pools: list[LicencePool]
    outside_quota: int
