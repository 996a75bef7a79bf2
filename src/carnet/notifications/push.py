"""Web Push: one more channel of the outbox (docs/subsystems/push.md; SPEC R-NOT-1..3, invariant 5).

* **Subscriptions** — ``push_subscribe(user=, device=, subscription=)`` stores the browser's subscription
  (endpoint, ``p256dh``, ``auth``) for that device, replacing an older one; ``push_unsubscribe`` and
  ``push_forget_device`` (device revoked or logged out, ``common.device_hooks``) delete it. An endpoint
  must be an ``https`` URL on one of ``CARNET_PUSH_SERVICES`` (the browsers' push services): the server
  never posts to an address a user made up.
* **Queueing** — ``push_queue(...)``, called by ``notify()`` / ``notify_many`` whenever they make an entry
  of a person's notification centre: one ``OutboxMessage`` (channel ``PUSH``, ``address`` = the
  subscription's public id, ``params`` = the kind only) per subscribed device of that person, unless he
  switched push off for that kind (``NotificationPreference.push_enabled``) and the template is not one
  that is always sent. Its dedup key derives from the cause's and the subscription's, so a retried cause
  does not push twice.
* **Content-free payload** (R-NOT-2) — ``payload()``: ``{"title": "Carnet", "body": <a fixed sentence per
  kind>, "url": "/espace/notifications/"}``, in the recipient's language. Never a title, a sender, a
  document type or any parameter of the cause: the outbox row does not even hold them.
* **Sending** — ``send(subscription, payload)``: RFC 8291 encryption (``aes128gcm``, ``http_ece``) to the
  browser's key, RFC 8292 VAPID signature (``py_vapid``) with ``CARNET_VAPID_PRIVATE_KEY``, one POST
  bounded by ``CARNET_PUSH_TIMEOUT``. The push service decrypts nothing: only the browser can. 201/202
  is accepted; 404/410 says the subscription is gone: it is deleted and the message CANCELLED; any other
  answer is a failure the outbox retries with its backoff.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError

from . import vapid
from .models import Channel, NotificationKind, NotificationPreference, OutboxMessage, PushSubscription


class Device(Protocol):
    """What push needs of an ``accounts.Device`` (accounts sits above notifications: ADR 0009)."""

    pk: Any
    public_id: Any

log = logging.getLogger("carnet.notifications.push")

ACTION_SUBSCRIBED = "PUSH_SUBSCRIBED"
ACTION_UNSUBSCRIBED = "PUSH_UNSUBSCRIBED"
register_action_label(ACTION_SUBSCRIBED, _("Notifications activées sur un appareil"))
register_action_label(ACTION_UNSUBSCRIBED, _("Notifications désactivées sur un appareil"))

CENTRE_URL = "/espace/notifications/"  # the only URL a push carries: no identifier, no health data
TITLE = "Carnet"
# One fixed sentence per kind (R-NOT-1), none for the others: never what the cause was about.
BODIES = {
    NotificationKind.NEW_DOCUMENT: _("Nouveau document dans votre espace"),
    NotificationKind.NEW_MESSAGE: _("Nouveau message dans votre espace"),
    NotificationKind.APPOINTMENT: _("Un rappel de votre agenda vous attend dans votre espace"),
    NotificationKind.SCREENING: _("Un rappel de prévention vous attend dans votre espace"),
    NotificationKind.SERVICE_ACTIVITY: _("Du nouveau dans votre espace"),
}
GENERIC_BODY = _("Du nouveau dans votre espace")


class SubscriptionGone(Exception):
    """The subscription no longer exists (unsubscribed, device removed, or 404/410 from the push
    service): the message is CANCELLED, never retried."""


class PushRefused(Exception):
    """The push service answered something else than 201/202 (and not 404/410): retried."""

    def __init__(self, status: int) -> None:
        super().__init__(f"push service answered {status}")
        self.status = status


# --------------------------------------------------------------------------------------------------
# Subscriptions


def endpoint_allowed(endpoint: str) -> bool:
    """An https URL on one of ``CARNET_PUSH_SERVICES`` (shell patterns). Plain http is accepted only for a
    loopback address that the setting names (tests and a local push service)."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        _port = parts.port  # raises on a malformed port
    except ValueError:
        return False
    if not host or parts.username or parts.password or len(endpoint) > 1000:
        return False
    if not any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in settings.CARNET_PUSH_SERVICES):
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _key(value: Any, size: int) -> str:
    """A urlsafe base64 key of ``size`` bytes, or a DomainError naming the subscription."""
    try:
        raw = vapid.b64url_decode(str(value))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != size:
        raise DomainError(
            _("Abonnement : les clés de l'appareil sont invalides."), code="invalid", field="keys"
        )
    return vapid.b64url(raw)


def push_subscribe(
    *, actor: Actor, person_id: int, device: Device, subscription: dict[str, Any]
) -> PushSubscription:
    """Store the browser's subscription for this device (replacing the device's previous one), traced
    ``PUSH_SUBSCRIBED`` in the person's history (the device's id, never the endpoint).

    ``subscription`` is ``PushSubscription.toJSON()``: ``{"endpoint": ..., "keys": {"p256dh": ...,
    "auth": ...}}``. A bad endpoint or key is refused before anything is written (invariant 9)."""
    if not isinstance(subscription, dict):
        subscription = {}
    endpoint = str(subscription.get("endpoint") or "")
    if not endpoint_allowed(endpoint):
        raise DomainError(
            _("Abonnement : ce service de notification n'est pas accepté."), code="invalid", field="endpoint"
        )
    keys = subscription.get("keys") or {}
    if not isinstance(keys, dict):
        keys = {}
    p256dh = _key(keys.get("p256dh"), 65)
    auth = _key(keys.get("auth"), 16)
    with transaction.atomic():
        PushSubscription.objects.filter(device_id=device.pk).delete()
        PushSubscription.objects.filter(endpoint=endpoint).delete()  # the same browser under a new login
        created = PushSubscription.objects.create(
            person_id=person_id,
            device_id=device.pk,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            created_at=clock.now(),
        )
        trace(
            actor=actor,
            action=ACTION_SUBSCRIBED,
            patient_id=person_id,
            object_type="device",
            object_id=str(device.public_id),
        )
    return created


def push_unsubscribe(*, actor: Actor, person_id: int, device: Device) -> bool:
    """The person turned push off on this device (traced ``PUSH_UNSUBSCRIBED`` when there was one)."""
    with transaction.atomic():
        deleted, _rows = PushSubscription.objects.filter(device_id=device.pk).delete()
        if deleted:
            trace(
                actor=actor,
                action=ACTION_UNSUBSCRIBED,
                patient_id=person_id,
                object_type="device",
                object_id=str(device.public_id),
            )
    return bool(deleted)


def push_forget_device(device_id: int) -> None:
    """A device was revoked or logged out (``common.device_hooks``): its subscription goes with it."""
    PushSubscription.objects.filter(device_id=device_id).delete()


def subscription_for_device(device_id: int) -> PushSubscription | None:
    return PushSubscription.objects.filter(device_id=device_id).first()


# --------------------------------------------------------------------------------------------------
# Queueing


def _dedup(cause_key: str, subscription: PushSubscription) -> str:
    digest = hashlib.sha256(cause_key.encode()).hexdigest()[:40]
    return f"push:{subscription.public_id}:{digest}"


def _language(person_id: int) -> str:
    # accounts sits above notifications (ADR 0009): the user model is reached the Django way, by setting.
    from django.contrib.auth import get_user_model

    language = get_user_model().objects.filter(person_id=person_id).values_list("preferred_language", flat=True).first()
    return language if language in {"fr", "en"} else "fr"


def push_enabled_for(person_ids: list[int], kind: str) -> set[int]:
    """Of ``person_ids``, those who did not switch push off for ``kind`` (default: on)."""
    off = set(
        NotificationPreference.objects.filter(
            person_id__in=person_ids, kind=kind, push_enabled=False
        ).values_list("person_id", flat=True)
    )
    return {p for p in person_ids if p not in off}


@dataclass(frozen=True)
class PushCause:
    person_id: int  # the recipient, whose devices are pushed
    patient_id: int | None  # the space concerned (the outbox row's patient_id)
    dedup_key: str  # the cause's key


def push_queue(
    *, causes: list[PushCause], kind: str | None, template: str, always: bool
) -> list[OutboxMessage]:
    """Queue one content-free push per subscribed device of each cause's recipient, in the caller's
    transaction. ``kind`` (R-NOT-1) decides the sentence and the preference; ``always``: a template that
    goes whatever the preferences. Returns the rows queued (not those already queued)."""
    if not causes:
        return []
    recipients = sorted({c.person_id for c in causes})
    subscriptions: dict[int, list[PushSubscription]] = {}
    for sub in PushSubscription.objects.filter(person_id__in=recipients).order_by("id"):
        subscriptions.setdefault(sub.person_id, []).append(sub)
    if not subscriptions:
        return []
    wanted = set(subscriptions)
    if kind is not None and not always:
        wanted = push_enabled_for(sorted(wanted), kind)
    queued: list[OutboxMessage] = []
    now = clock.now()
    languages: dict[int, str] = {}
    for cause in causes:
        if cause.person_id not in wanted:
            continue
        language = languages.setdefault(cause.person_id, _language(cause.person_id))
        for sub in subscriptions[cause.person_id]:
            try:
                with transaction.atomic():
                    queued.append(
                        OutboxMessage.objects.create(
                            patient_id=cause.patient_id,
                            channel=Channel.PUSH,
                            address=str(sub.public_id),
                            template=template,
                            params={"kind": kind or ""},
                            language=language,
                            dedup_key=_dedup(cause.dedup_key, sub),
                            created_at=now,
                        )
                    )
            except IntegrityError:
                continue  # this cause already pushed to this device
    return queued


# --------------------------------------------------------------------------------------------------
# Payload and sending


def payload(*, kind: str, language: str) -> dict[str, str]:
    """What the device shows: the same few words for every cause of a kind (R-NOT-2)."""
    with translation.override(language if language in {"fr", "en"} else "fr"):
        body = gettext(str(BODIES.get(kind, GENERIC_BODY)))  # type: ignore[call-overload]
    return {"title": TITLE, "body": body, "url": CENTRE_URL, "tag": "carnet"}


def render(message: OutboxMessage) -> tuple[str, str]:
    """(subject, body) as the outbox and its demo copy record them: the payload's JSON."""
    data = payload(kind=str(message.params.get("kind") or ""), language=message.language)
    return data["title"], json.dumps(data, ensure_ascii=False)


def _audience(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def encrypt(body: bytes, subscription: PushSubscription) -> bytes:
    """RFC 8291 (``aes128gcm``): only the browser holding the subscription's private key can read it."""
    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec

    ephemeral = ec.generate_private_key(ec.SECP256R1())
    return bytes(
        http_ece.encrypt(
            body,
            salt=os.urandom(16),
            private_key=ephemeral,
            dh=vapid.b64url_decode(subscription.p256dh),
            auth_secret=vapid.b64url_decode(subscription.auth),
            version="aes128gcm",
        )
    )


def vapid_headers(endpoint: str) -> dict[str, str]:
    from py_vapid import Vapid02

    signer = Vapid02.from_raw(settings.CARNET_VAPID_PRIVATE_KEY.encode())
    claims = {
        "aud": _audience(endpoint),
        "sub": settings.CARNET_VAPID_SUBJECT,
        "exp": int(time.time()) + 12 * 3600,
    }
    headers: dict[str, str] = signer.sign(claims)
    return headers


def send(subscription: PushSubscription, data: dict[str, str], *, idempotency_key: str = "") -> None:
    """POST the encrypted payload to the subscription's push service. Returns once it accepted it (201,
    202); raises ``SubscriptionGone`` on 404/410 (after deleting the subscription), ``PushRefused`` on any
    other answer, ``OSError`` when the service cannot be reached (bounded by ``CARNET_PUSH_TIMEOUT``)."""
    if not endpoint_allowed(subscription.endpoint):  # the setting changed since it was stored
        raise SubscriptionGone("endpoint no longer allowed")
    body = encrypt(json.dumps(data, ensure_ascii=False).encode(), subscription)
    parts = urlsplit(subscription.endpoint)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {
        **vapid_headers(subscription.endpoint),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(body)),
        "TTL": str(int(settings.CARNET_PUSH_TTL_SECONDS)),
        "Urgency": "normal",
    }
    if idempotency_key:
        # RFC 8030 Topic: a push service replaces an undelivered message with the same topic, so a message
        # sent again after a crash is not shown twice (32 urlsafe characters at most).
        headers["Topic"] = uuid.UUID(idempotency_key).hex[:32]
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=settings.CARNET_PUSH_TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        response.read(4096)
    finally:
        connection.close()
    if status in (404, 410):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        raise SubscriptionGone(f"push service answered {status}")
    if status not in (200, 201, 202):
        raise PushRefused(status)


def deliver(address: str, message: OutboxMessage) -> None:
    """The outbox's entry point (``channels.deliver``): ``address`` is the subscription's public id."""
    try:
        subscription = PushSubscription.objects.filter(public_id=uuid.UUID(address)).first()
    except ValueError:
        subscription = None
    if subscription is None:
        raise SubscriptionGone("no such subscription")
    data = payload(kind=str(message.params.get("kind") or ""), language=message.language)
    send(subscription, data, idempotency_key=str(message.idempotency_key))
