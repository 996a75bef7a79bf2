"""The demo outbox page: what the local e-mail and SMS channels "sent" (demo mode only).

In demo mode the people are fictional and this page is how a visitor reads his one-time codes. It
answers 404 whenever ``CARNET_DEMO`` is off, so it can never expose real messages, and it is never
cached. No filter parameter is accepted in the URL (addresses stay out of URLs and logs).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import DeliveredMessage

OUTBOX_SIZE = 50


@never_cache
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.CARNET_DEMO:
        raise Http404
    delivered = DeliveredMessage.objects.only(
        "channel", "address", "subject", "body", "delivered_at"
    ).order_by("-delivered_at", "-id")[:OUTBOX_SIZE]
    return render(request, "notifications/outbox.html", {"delivered": delivered, "size": OUTBOX_SIZE})
