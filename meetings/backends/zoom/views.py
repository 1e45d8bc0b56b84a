"""The webhook endpoint Zoom calls (thin: the rules are in ``webhooks.py``)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from meetings.backends.zoom import services, webhooks


@csrf_exempt  # Zoom signs its deliveries; there is no session or form
@require_POST
def webhook(request: HttpRequest) -> JsonResponse:
    if not services.is_enabled():
        return JsonResponse({"error": "not found"}, status=404)
    try:
        answer = webhooks.receive(
            body=request.body,
            timestamp=request.headers.get("x-zm-request-timestamp"),
            signature=request.headers.get("x-zm-signature"),
        )
    except webhooks.WebhookRefused as refused:
        return JsonResponse({"error": refused.reason}, status=refused.status)
    return JsonResponse(answer)
