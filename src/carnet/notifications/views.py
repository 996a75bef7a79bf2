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
    return render(
        request,
        "notifications/outbox.html",
        {"delivered": delivered, "size": OUTBOX_SIZE, "staff_codes": _demo_staff_codes()},
    )


def _demo_staff_codes() -> list[tuple[str, str]]:
    """Demo only: the current TOTP code of each enrolled staff account, since visitors have no
    authenticator app holding the demo secrets."""
    import pyotp

    from carnet.accounts.crypto import secret_decrypt
    from carnet.accounts.models import Role, User
    from carnet.common import clock

    rows: list[tuple[str, str]] = []
    staff = User.objects.filter(role__in=[Role.PROFESSIONAL, Role.OPERATOR], totp_confirmed=True).order_by(
        "username"
    )
    for user in staff:
        secret = secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id))
        rows.append((user.username, pyotp.TOTP(secret).at(clock.now())))
    return rows
