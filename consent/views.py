"""Consent pages: give or refuse for a meeting, "my consents" with one-click withdrawal,
and the published consent texts. Thin: authorise, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.forms import DecisionForm
from consent.models import ConsentDecision, ConsentText
from consent.selectors import (
    current_consent_text,
    decisions_of_user,
    latest_decision_of_each,
    participant_for_request,
)
from consent.services import (
    ConsentRefused,
    decision_for_withdrawal_key,
    erase_through_link,
    record_decision,
    send_withdrawal_link,
    withdraw_consent,
    withdrawal_url,
)
from meetings.recordings.gate import series_key_for
from meetings.recordings.models import Recording
from meetings.scheduling.models import Meeting


def missing_text_message(request: HttpRequest) -> str:
    """What to do when no consent text is published: the administrator gets the link to write
    one, a host is told whom to ask, everyone else that consent cannot be given yet."""
    user = request.user
    if user.is_authenticated and user.has_perm("consent.add_consenttext"):
        return format_html(
            '{} <a href="{}">{}</a>',
            _("No consent text has been published yet, so nobody can consent to a recording."),
            reverse("admin:consent_consenttext_add"),
            _("Write and publish the consent text in the administration."),
        )
    if user.is_authenticated and getattr(getattr(user, "role", None), "may_host", False):
        return _(
            "No consent text has been published yet, so nobody can consent to a recording. "
            "Please ask your portal's administrators to publish one (Administration → "
            "Consent texts)."
        )
    return _("No consent text has been published yet.")


@require_GET
def consent_text(request: HttpRequest, version: int) -> HttpResponse:
    """A published declaration of consent (linked from announcements; holds no personal data)."""
    text = get_object_or_404(ConsentText, version=version, published_at__isnull=False)
    return render(request, "consent/text.html", {"text": text})


@require_http_methods(["GET", "POST"])
def meeting_consent(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Give or refuse consent to the recording of a meeting one is waiting in or admitted to.

    Members after SSO, guests by their display name and the meeting (their session).
    """
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id)
    participant = participant_for_request(request=request, meeting=meeting)
    if participant is None:
        raise Http404
    text = current_consent_text()
    if text is None:
        messages.error(request, missing_text_message(request))
        return render(request, "consent/meeting.html", {"meeting": meeting}, status=503)
    has_series = bool(series_key_for(meeting))
    form = DecisionForm(
        request.POST if request.method == "POST" else None,
        initial={"method": request.GET.get("via", "web")},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                decision = record_decision(
                    participant=participant,
                    text=text,
                    given=form.cleaned_data["decision"] == "give",
                    method=form.cleaned_data["method"],
                    for_series=has_series and form.cleaned_data["for_series"],
                )
            except ConsentRefused as refusal:
                messages.error(request, refusal.message)
            else:
                link_kept_here = False
                if form.cleaned_data["decision"] == "give":
                    messages.success(request, _("Thank you: you consented to the recording."))
                    link_kept_here = _hand_over_withdrawal_link(
                        request, meeting, decision, form.cleaned_data.get("email", "")
                    )
                else:
                    messages.success(request, _("You refused consent to the recording."))
                if _in_the_meeting(participant, meeting) and not link_kept_here:
                    # back where the question came from: the room or the waiting room
                    return redirect("meetings:live_room", meeting_id=meeting.meeting_id)
                return redirect("consent:meeting", meeting_id=meeting.meeting_id)
        else:
            messages.error(request, _("Please choose to give or to refuse consent."))
    current = latest_decision_of_each(meeting=meeting, participants=[participant])[0]
    link = request.session.get(_link_session_key(meeting))
    return render(
        request,
        "consent/meeting.html",
        {
            "meeting": meeting,
            "text": text,
            "form": form,
            "current": current,
            "has_series": has_series,
            "withdrawal_link": link if current and current.is_effective_consent else None,
            "is_guest": participant.user_id is None,
            "in_meeting": _in_the_meeting(participant, meeting),
        },
        status=400 if form.errors else 200,
    )


def _link_session_key(meeting: Meeting) -> str:
    return f"consent-withdrawal-link:{meeting.meeting_id}"


def _in_the_meeting(participant: object, meeting: Meeting) -> bool:
    """A real seat in the running meeting (an invitee deciding beforehand has none)."""
    return (
        meeting.status == Meeting.Status.RUNNING
        and getattr(participant, "pk", None) is not None
        and participant.holds_a_seat
    )


def _hand_over_withdrawal_link(
    request: HttpRequest, meeting: Meeting, decision: ConsentDecision, email: str
) -> bool:
    """Show the private withdrawal link on the page (kept in this browser's session) and mail
    it: to a member's account address, to a guest's address when they gave one. True for a
    guest, who has no account to find it again: the page keeps showing it (with the way
    back to the room)."""
    key = getattr(decision, "withdrawal_key", "")
    if not key:
        return False
    request.session[_link_session_key(meeting)] = withdrawal_url(key)
    address = request.user.email if request.user.is_authenticated else email
    if address:
        send_withdrawal_link(decision=decision, key=key, email=address)
    return not request.user.is_authenticated


@require_http_methods(["GET", "POST"])
def withdraw_by_link(request: HttpRequest, key: str) -> HttpResponse:
    """Withdraw through the private link handed over at consent: no account needed, during and
    after the meeting, as long as the decision exists (one click, like giving it)."""
    decision = decision_for_withdrawal_key(key)
    if decision is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action") == "erase":
        outcome = erase_through_link(decision=decision)
        if outcome.queued:
            messages.success(
                request,
                _(
                    "Your request to erase your data was received. The data-protection officer "
                    "answers within one month."
                ),
            )
        else:
            messages.success(
                request,
                " ".join(
                    [
                        _("Your data was erased: your name is replaced by a pseudonym."),
                        *[_("Kept: %(what)s") % {"what": what} for what in outcome.kept],
                    ]
                ),
            )
        return redirect("consent:withdraw_by_link", key=key)
    if request.method == "POST":
        try:
            scheduled = withdraw_consent(decision=decision)
        except ConsentRefused as refusal:
            messages.error(request, refusal.message)
        else:
            if scheduled:
                messages.success(
                    request,
                    _("Your consent was withdrawn. Recordings that rest on it will be deleted."),
                )
            else:
                messages.success(request, _("Your consent was withdrawn."))
        return redirect("consent:withdraw_by_link", key=key)
    recordings = Recording.objects.filter(session__consent_basis__decision=decision).distinct()
    response = render(
        request,
        "consent/withdraw_by_link.html",
        {"decision": decision, "recordings": recordings},
    )
    # the key is in the URL: never cached, never sent to another site as a referrer
    # ("no-referrer" would make the form's POST carry "Origin: null", which CSRF refuses)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def my_consents(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consent/my_consents.html", {"decisions": decisions_of_user(request.user)}
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """One-click withdrawal (POST with CSRF); a replayed withdrawal changes nothing."""
    decision = get_object_or_404(ConsentDecision, pk=pk, user=request.user, given=True)
    try:
        scheduled = withdraw_consent(decision=decision)
    except ConsentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if scheduled:
            messages.success(
                request,
                _("Your consent was withdrawn. Recordings that rest on it will be deleted."),
            )
        else:
            messages.success(request, _("Your consent was withdrawn."))
    return redirect("consent:mine")
