"""Admin of polls: a read-only list (meeting, kind, state, number of questions).

Ballots, receipts, tallies and free-text answers are not registered at all: who voted and what
was chosen are seen only through the poll's results in the meeting (policy row "polls"; see
``meetings/models/polls.py``). Polls change only through the meeting's pages and go only
through the retention rules.
"""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from meetings.polls.models import Poll
from retention.admin import ReadOnlyAdmin


class PollAdmin(ReadOnlyAdmin):
    list_display = ["title", "meeting_ref", "kind", "status", "question_count"]
    list_select_related = ["meeting"]
    list_filter = ["kind", "status"]
    search_fields = ["meeting__meeting_id"]
    search_help_text = _("Search by meeting ID.")
    fields = ["meeting", "title", "kind", "status", "live_results", "min_count_shown"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Poll]:
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("meeting ID"), ordering="meeting__meeting_id")
    def meeting_ref(self, poll: Poll) -> str:
        return poll.meeting.meeting_id

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, poll: Poll) -> int:
        return poll.question_total


admin.site.register(Poll, PollAdmin)
