"""Data-subject rights pages: "My data" (list, download, erasure request, deletion of a local
guest account) and the data-protection officer's queue of erasure requests.

Thin: authorise, call a service, render (docs/POLICY.md, "rights").
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.identity.models import DataExport, ErasureRequest
from portal.identity.rights.notice import processing_activities, record_csv, record_rows
from portal.identity.rights.services import (
    RightsRefused,
    confirm_minimum_age,
    delete_own_account,
    erasure_preview,
    may_delete_itself,
    personal_data_summary,
    queue_erasure,
    refuse_erasure,
    request_erasure,
    request_export,
)
from retention.access import record_read

HANDLE_PERMISSION = "portal.handle_erasure_request"
#: The access log's object for downloads of the record of processing activities.
PROCESSING_RECORD_KEY = "portal.processingrecord:csv"


@login_required
@require_http_methods(["GET", "POST"])
def confirm_age(request: HttpRequest) -> HttpResponse:
    """Confirm the minimum age once, where the identity provider released no birth date: the
    confirmation and its time are kept, no birth date. Declining logs out."""
    from allauth.account.adapter import get_adapter

    from portal.identity.models import Institution
    from portal.identity.sso.receivers import AGE_PENDING_SESSION_KEY

    minimum = Institution.current().minimum_age
    error = False
    if request.method == "POST":
        if request.POST.get("decision") == "decline":
            get_adapter(request).logout(request)
            return render(
                request,
                "portal/rights/confirm_age.html",
                {"minimum_age": minimum, "declined": True},
                status=403,
            )
        if request.POST.get("confirm") == "yes":
            confirm_minimum_age(user=request.user)
            request.session.pop(AGE_PENDING_SESSION_KEY, None)
            return redirect(_safe_next(request))
        error = True
    return render(
        request,
        "portal/rights/confirm_age.html",
        {"minimum_age": minimum, "next": _safe_next(request), "error": error},
        status=400 if error else 200,
    )


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The public privacy notice (Art. 13 GDPR): no login, linked from every page's footer, the
    join and waiting pages, invitations and calendar files."""
    return render(
        request,
        "portal/rights/privacy_notice.html",
        {
            "activities": processing_activities(),
            "dpo_contact": settings.DATA_PROTECTION_OFFICER_CONTACT,
            "controller": settings.INSTITUTION_NAME,
        },
    )


@permission_required(HANDLE_PERMISSION, raise_exception=True)
@require_GET
def processing_record(request: HttpRequest) -> HttpResponse:
    """The record of processing activities (Art. 30 GDPR) for the data-protection officer: a
    printable page, or CSV with ``?format=csv``."""
    if request.GET.get("format") == "csv":
        record_read(user=request.user, kind="processing_record", obj=PROCESSING_RECORD_KEY)
        response = HttpResponse(record_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="processing-record.csv"'
        return response
    return render(
        request,
        "portal/rights/processing_record.html",
        {
            "rows": record_rows(),
            "dpo_contact": settings.DATA_PROTECTION_OFFICER_CONTACT,
            "controller": settings.INSTITUTION_NAME,
        },
    )


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """What the portal holds about the logged-in person, by kind, with download and erasure."""
    summary = personal_data_summary(request.user)
    return render(
        request,
        "portal/rights/my_data.html",
        {
            "summary": summary,
            "total": sum(item.count for item in summary),
            "export": DataExport.objects.filter(user=request.user).first(),
            "open_request": ErasureRequest.objects.filter(
                user=request.user,
                state__in=[ErasureRequest.State.PENDING, ErasureRequest.State.RUNNING],
            ).first(),
            "may_delete_itself": may_delete_itself(request.user),
        },
    )


@login_required
@require_POST
def start_export(request: HttpRequest) -> HttpResponse:
    """Queue the archive; only the page's button (``prepare=yes``) starts one, so that a stray
    POST changes nothing."""
    if request.POST.get("prepare") != "yes":
        messages.error(request, _("Use the button on this page to prepare a download."))
        return redirect("portal_my_data")
    request_export(user=request.user)
    messages.success(request, _("Your download is being prepared; this page shows its progress."))
    return redirect("portal_my_data")


@login_required
@require_GET
def export_status(request: HttpRequest, token: str) -> HttpResponse:
    """The progress of an export (polled by the page while it is prepared)."""
    export = get_object_or_404(DataExport, token=token, user=request.user)
    return render(request, "portal/rights/_export_status.html", {"export": export})


@login_required
@require_GET
def download_export(request: HttpRequest, token: str) -> HttpResponse:
    export = get_object_or_404(
        DataExport, token=token, user=request.user, state=DataExport.State.READY
    )
    if not export.file:
        raise Http404
    record_read(user=request.user, kind="data_export", obj=export)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"my-data-{export.created_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def ask_erasure(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Please confirm that you want your data to be erased."))
        return redirect("portal_my_data")
    erasure = request_erasure(user=request.user)
    messages.success(
        request,
        _(
            "Your request was sent to the data-protection officer, who answers by %(date)s. "
            "You will be told the outcome by e-mail."
        )
        % {"date": erasure.due_at.date().isoformat()},
    )
    return redirect("portal_my_data")


@login_required
@require_POST
def delete_account(request: HttpRequest) -> HttpResponse:
    """A local guest account deletes itself at once (members ask for erasure instead)."""
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Please confirm that you want to delete your account."))
        return redirect("portal_my_data")
    try:
        delete_own_account(user=request.user)
    except RightsRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("portal_my_data")
    logout(request)
    messages.success(request, _("Your account and your data have been deleted."))
    return redirect("home")


# -- the data-protection officer's queue ----------------------------------------------------


@permission_required(HANDLE_PERMISSION, raise_exception=True)
@require_GET
def erasure_queue(request: HttpRequest) -> HttpResponse:
    requests = ErasureRequest.objects.order_by("due_at", "pk")
    return render(
        request,
        "portal/rights/erasure_queue.html",
        {
            "open_requests": requests.filter(
                state__in=[ErasureRequest.State.PENDING, ErasureRequest.State.RUNNING]
            ),
            "closed_requests": requests.filter(
                state__in=[ErasureRequest.State.DONE, ErasureRequest.State.REFUSED]
            ).order_by("-handled_at")[:50],
        },
    )


@permission_required(HANDLE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def erasure_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the preview of what is erased and kept (and why); carry out or refuse."""
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "carry_out":
                queue_erasure(request=erasure, handled_by=request.user)
                messages.success(
                    request,
                    _(
                        "The erasure is being carried out; the person is told the outcome "
                        "when it is done."
                    ),
                )
            elif action == "refuse":
                refuse_erasure(
                    request=erasure, handled_by=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("The request was refused; the person has been told."))
            else:
                messages.error(request, _("Choose to carry out or to refuse the request."))
        except RightsRefused as refusal:
            messages.error(request, refusal.message)
        return redirect("portal_erasure_request", pk=erasure.pk)
    preview = erasure_preview(request=erasure) if erasure.is_open else []
    if preview:  # what is stored about the person, read by the officer
        record_read(user=request.user, kind="erasure_preview", obj=erasure)
    return render(
        request,
        "portal/rights/erasure_request.html",
        {"erasure": erasure, "preview": preview},
    )
