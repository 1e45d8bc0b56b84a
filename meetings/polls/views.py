"""Poll pages: thin views that authorise, call a service or selector, and render.

Hosts (the meeting's host or holders of ``meetings.host_meeting`` on it) prepare, launch,
close and export; admitted participants vote in the room. Anyone else gets 404.
"""

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings.live.models import Participant
from meetings.polls import selectors, services
from meetings.polls.forms import PollForm, QuestionForm, QuickPollForm
from meetings.polls.models import Poll, Question
from meetings.scheduling.models import Meeting
from meetings.scheduling.selectors import meeting_hosted_by

MAX_VOTE_FIELDS = 200


def _room_access(request: HttpRequest, meeting_id: str) -> tuple[Meeting, Participant | None]:
    """The meeting and the caller's admitted participant row; hosts may look on without one."""
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id)
    participant = selectors.eligible_voter(
        meeting=meeting, user=request.user, session=request.session
    )
    if participant is None and not meeting.is_hosted_by(request.user):
        raise Http404
    return meeting, participant


# --- host -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = services.create_poll(meeting=meeting, **form.cleaned_data)
        except services.PollError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The poll was created. Now add its questions."))
            return redirect("meetings:polls:edit", meeting_id=meeting.meeting_id, poll_pk=poll.pk)
    polls = meeting.polls.all()
    return render(
        request,
        "meetings/polls/manage.html",
        {"meeting": meeting, "polls": polls, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_question(
                poll=poll,
                text=form.cleaned_data["text"],
                type=form.cleaned_data["type"],
                options=form.option_list(),
                min_choices=form.cleaned_data["min_choices"],
                max_choices=form.cleaned_data["max_choices"],
                max_length=form.cleaned_data["max_length"],
            )
        except services.PollError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The question was added."))
            return redirect("meetings:polls:edit", meeting_id=meeting.meeting_id, poll_pk=poll.pk)
    return render(
        request,
        "meetings/polls/edit.html",
        {
            "meeting": meeting,
            "poll": poll,
            "questions": poll.questions.prefetch_related("options"),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def delete_question(
    request: HttpRequest, meeting_id: str, poll_pk: int, question_pk: int
) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    question = get_object_or_404(Question, pk=question_pk, poll__pk=poll_pk, poll__meeting=meeting)
    try:
        services.delete_question(question=question)
    except services.PollError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The question was removed."))
    return redirect("meetings:polls:edit", meeting_id=meeting.meeting_id, poll_pk=poll_pk)


@require_POST
def launch(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    try:
        services.launch_poll(poll=poll)
    except services.PollError as error:
        return _after_host_action(request, meeting, error=str(error))
    return _after_host_action(
        request, meeting, done=_("The poll is open; participants see it now.")
    )


@require_POST
def close(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    meeting = meeting_hosted_by(request.user, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    try:
        services.close_poll(poll=poll)
    except services.PollError as error:
        return _after_host_action(request, meeting, error=str(error))
    return _after_host_action(request, meeting, done=_("The poll is closed."))


def _after_host_action(
    request: HttpRequest, meeting: Meeting, *, done: str = "", error: str = ""
) -> HttpResponse:
    """From the room's host console (htmx): the console again, with the refusal if any.
    From the manage page (a plain form): back there with a message."""
    if request.htmx:
        return _console(request, meeting, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("meetings:polls:manage", meeting_id=meeting.meeting_id)


@require_POST
def quick(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Prepare a one-question poll from the room's host console (htmx): the console again,
    with the new poll ready to launch, or the form with its errors."""
    meeting = meeting_hosted_by(request.user, meeting_id)
    form = QuickPollForm(request.POST, prefix="quick")
    if form.is_valid():
        try:
            services.prepare_quick_poll(meeting=meeting, **form.cleaned_data)
        except services.PollError as error:
            form.add_error(None, str(error))
        else:
            form = QuickPollForm(prefix="quick")
    if not request.htmx:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("meetings:live_room", meeting_id=meeting.meeting_id)
    return _console(request, meeting, quick_form=form)


@require_GET
def console(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The host's poll controls in the room, reloaded when a poll event arrives."""
    return _console(request, meeting_hosted_by(request.user, meeting_id))


def _console(
    request: HttpRequest,
    meeting: Meeting,
    *,
    error: str = "",
    quick_form: QuickPollForm | None = None,
) -> HttpResponse:
    context = {
        "meeting": meeting,
        "host_polls": selectors.host_polls(meeting=meeting),
        "console_error": error,
        "quick_form": quick_form or QuickPollForm(prefix="quick"),
    }
    return render(request, "meetings/polls/_console.html", context)


@require_GET
def export(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    """Results as CSV: totals (and free-text answers above the minimum count); names only in
    a named poll."""
    meeting = meeting_hosted_by(request.user, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    if not poll.results_visible:
        raise Http404
    results = selectors.poll_results(poll=poll)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = slugify(poll.title) or "poll"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("question"), _("answer"), _("count")])
    for question in results.questions:
        if results.withheld and not question.is_text:
            writer.writerow([_safe(question.text), _("(too few votes to show counts)"), ""])
            continue
        for option in question.options:
            writer.writerow([_safe(question.text), _safe(option.text), option.shown])
        if question.is_text:
            if question.answers_hidden:
                writer.writerow([_safe(question.text), _("(answers not shown)"), ""])
            for answer in question.answers:
                writer.writerow([_safe(question.text), _safe(answer), ""])
    writer.writerow([_("voters"), "", results.voters])
    if poll.is_named:
        writer.writerow([])
        writer.writerow([_("voter"), _("question"), _("answer")])
        for ballot in selectors.named_ballots(poll=poll):
            answer = ballot.option.text if ballot.option else ballot.text
            writer.writerow([_safe(ballot.voter_name), _safe(ballot.question.text), _safe(answer)])
    return response


def _safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- host and participants ---------------------------------------------------------------


@require_GET
def results(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    meeting, participant = _room_access(request, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    if not poll.results_visible:
        raise Http404
    is_host = meeting.is_hosted_by(request.user)
    context = {
        "meeting": meeting,
        "poll": poll,
        "results": selectors.poll_results(poll=poll),
        "is_host": is_host,
        "ballots": selectors.named_ballots(poll=poll) if is_host else None,
    }
    return render(request, "meetings/polls/results.html", context)


@require_GET
def room(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Old address of the poll panel: polls now live in the meeting's live room."""
    meeting, _participant = _room_access(request, meeting_id)
    return redirect("meetings:live_room", meeting_id=meeting.meeting_id)


@require_GET
def panel(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting, participant = _room_access(request, meeting_id)
    return render(request, "meetings/polls/_panel.html", _panel_context(meeting, participant))


def _panel_context(meeting: Meeting, participant: Participant | None) -> dict:
    return selectors.room_panel_context(meeting=meeting, participant=participant)


@require_GET
def card(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    """One poll's card in the room, reloaded every few seconds while it shows live totals."""
    meeting, participant = _room_access(request, meeting_id)
    poll = get_object_or_404(Poll, pk=poll_pk, meeting=meeting)
    room_poll = next(
        (
            item
            for item in selectors.polls_in_room(meeting=meeting, participant=participant)
            if item.poll.pk == poll.pk
        ),
        None,
    )
    return render(
        request,
        "meetings/polls/_poll_card.html",
        {"meeting": meeting, "participant": participant, "item": room_poll, "poll": poll},
    )


@require_POST
def vote(request: HttpRequest, meeting_id: str, poll_pk: int) -> HttpResponse:
    # the poll with its meeting in one query: a vote is the busiest request of a large meeting
    poll = get_object_or_404(
        Poll.objects.select_related("meeting"), pk=poll_pk, meeting__meeting_id=meeting_id
    )
    meeting = poll.meeting
    participant = selectors.eligible_voter(
        meeting=meeting, user=request.user, session=request.session
    )
    if participant is None:
        raise Http404
    error = None
    try:
        services.cast_vote(poll=poll, participant=participant, answers=_answers(request))
    except services.VoteRefused as refusal:
        error = str(refusal)
    if request.htmx:
        if error is None:  # counted: no form again, only the thanks (and live totals)
            room_poll = selectors.RoomPoll(
                poll=poll,
                has_voted=True,
                results=selectors.poll_results(poll=poll) if poll.results_visible else None,
            )
        else:
            room_poll = next(
                (
                    item
                    for item in selectors.polls_in_room(meeting=meeting, participant=participant)
                    if item.poll.pk == poll.pk
                ),
                None,
            )
            if room_poll is not None:
                poll = room_poll.poll
        return render(
            request,
            "meetings/polls/_poll_card.html",
            {
                "meeting": meeting,
                "participant": participant,
                "item": room_poll,
                "poll": poll,
                "error": error,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Thank you, your vote was counted."))
    return redirect(reverse("meetings:live_room", kwargs={"meeting_id": meeting.meeting_id}))


def _answers(request: HttpRequest) -> dict[int, list[str]]:
    """``q<question id>`` fields of the vote form; anything malformed is refused."""
    answers: dict[int, list[str]] = {}
    if len(request.POST) > MAX_VOTE_FIELDS:
        raise services.VoteRefused(_("The vote contains an invalid choice."))
    for key in request.POST:
        if key.startswith("q") and key[1:].isascii() and key[1:].isdigit():
            answers[int(key[1:])] = request.POST.getlist(key)
    return answers
