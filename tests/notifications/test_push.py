"""Web Push, one more channel of the outbox (docs/subsystems/push.md; R-NOT-1..3, invariant 5).

A real push request goes to a push service on loopback (``pushservice.FakePushService``), which records
it; the test then decrypts it with the subscription's private key, as the browser would, to show what a
device — and a lock screen — receives: a fixed sentence, never the cause's content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client
from py_vapid import Vapid02

from carnet.accounts.middleware import DEVICE_SESSION_KEY
from carnet.accounts.models import Device, Role
from carnet.accounts.services import device_revoke, login_complete
from carnet.audit.models import Trace
from carnet.notifications import vapid
from carnet.notifications.erasure import erase_patient_notifications
from carnet.notifications.models import (
    Channel,
    DeliveredMessage,
    DeliveryState,
    NotificationKind,
    OutboxMessage,
    PushSubscription,
)
from carnet.notifications.services import outbox_deliver_pending, preferences_update
from carnet.notifications.switches import PRODUCED_KINDS
from tests.backoffice.helpers import make_user
from tests.notifications.pushservice import BrowserKeys, FakePushService
from tests.notifications.test_switches import PRODUCERS
from tests.records.helpers import World, deposit_pdf, make_world, person_actor

SUBSCRIBE = "/compte/appareils/notifications/"
UNSUBSCRIBE = "/compte/appareils/notifications/desactiver/"
SECRET_TITLE = "Sérologie VIH et hépatite C"


@pytest.fixture
def service(settings: Any) -> Iterator[FakePushService]:
    settings.CARNET_TASK_BACKEND = "none"  # the test drives the worker
    settings.CARNET_PUSH_SERVICES = ["127.0.0.1"]
    settings.CARNET_PUSH_TIMEOUT = 5
    fake = FakePushService().start()
    yield fake
    fake.stop()


@pytest.fixture
def world(db: Any, clock: Any) -> World:
    return make_world(birth_date=date(1970, 5, 17))


def _device_client(world: World) -> tuple[Client, Device]:
    account = world.patient.account
    device = login_complete(user=account, session_key="", user_agent="Mozilla/5.0 (Android 14) Firefox/130.0")
    client = Client()
    client.force_login(account)
    session = client.session
    session[DEVICE_SESSION_KEY] = device.pk
    session.save()
    return client, device


def _subscribe(
    world: World, service: FakePushService, browser: BrowserKeys | None = None
) -> tuple[Client, Device, BrowserKeys]:
    client, device = _device_client(world)
    browser = browser or BrowserKeys()
    response = client.post(
        SUBSCRIBE,
        json.dumps(browser.subscription(f"{service.origin}/wpush/v2/abc123")),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return client, device, browser


def _pushes(**filters: Any) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel=Channel.PUSH, **filters).order_by("id"))


def test_a_new_document_reaches_the_device_encrypted_and_says_nothing_about_it(
    world: World, service: FakePushService, settings: Any
) -> None:
    _client, _device, browser = _subscribe(world, service)
    deposit_pdf(world, world.gp, title=SECRET_TITLE)
    outbox_deliver_pending()

    [request] = service.received
    assert request.path == "/wpush/v2/abc123"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    # RFC 8292: signed by this server's VAPID key, for this push service's origin.
    authorization = request.headers["authorization"]
    assert authorization.startswith("vapid t=")
    assert f"k={vapid.public_key(settings.CARNET_VAPID_PRIVATE_KEY)}" in authorization
    assert Vapid02.verify(authorization)
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    claims = json.loads(vapid.b64url_decode(token.split(".")[1]))
    assert claims["aud"] == service.origin and claims["sub"].startswith("mailto:")
    # The push service cannot read it; the browser can.
    assert SECRET_TITLE.encode() not in request.body and b"Carnet" not in request.body
    payload = browser.decrypt(request.body)
    assert payload == {
        "title": "Carnet",
        "body": "Nouveau document dans votre espace",
        "url": "/espace/notifications/",
        "tag": "carnet",
    }
    shown = json.dumps(payload, ensure_ascii=False)
    for secret in (
        SECRET_TITLE,
        "VIH",
        world.gp.display_name,
        world.gp.last_name,
        world.patient.birth_name,
        "11488-4",
        "Compte rendu",
    ):
        assert secret not in shown
    [message] = _pushes()
    assert message.state == DeliveryState.SENT
    assert message.params == {"kind": NotificationKind.NEW_DOCUMENT}  # the row holds no more than the payload


def test_the_payload_is_in_the_recipients_language(world: World, service: FakePushService) -> None:
    world.patient.account.preferred_language = "en"
    world.patient.account.save(update_fields=["preferred_language"])
    _client, _device, browser = _subscribe(world, service)
    deposit_pdf(world, world.gp, title=SECRET_TITLE)
    outbox_deliver_pending()
    assert browser.decrypt(service.received[0].body)["body"] == "New document in your space"


@pytest.mark.parametrize("kind", PRODUCED_KINDS)
def test_every_kind_of_notification_is_pushed_with_its_own_fixed_sentence(
    world: World, service: FakePushService, kind: str
) -> None:
    _subscribe(world, service)
    PRODUCERS[kind](world)
    pushes = _pushes(params__kind=kind)
    assert pushes, f"{kind} produced no push"
    assert all(p.address == str(PushSubscription.objects.get().public_id) for p in pushes)


@pytest.mark.parametrize("status", [404, 410])
def test_a_push_service_that_no_longer_knows_the_subscription_removes_it(
    world: World, service: FakePushService, status: int
) -> None:
    _subscribe(world, service)
    service.status = status
    deposit_pdf(world, world.gp)
    outbox_deliver_pending()
    [message] = _pushes()
    assert message.state == DeliveryState.CANCELLED and message.last_error == "SubscriptionGone"
    assert not PushSubscription.objects.exists()
    deposit_pdf(world, world.gp, title="Autre")
    assert len(_pushes()) == 1  # nothing more is queued for a device that is gone


def test_a_push_service_error_is_retried_later_and_the_subscription_kept(
    world: World, service: FakePushService
) -> None:
    _subscribe(world, service)
    service.status = 503
    deposit_pdf(world, world.gp)
    outbox_deliver_pending()
    [message] = _pushes()
    assert message.state == DeliveryState.RETRYING and message.next_attempt_at is not None
    assert message.last_error == "PushRefused"
    assert PushSubscription.objects.count() == 1


def test_a_push_switched_off_for_a_kind_is_not_sent_but_the_email_still_is(
    world: World, service: FakePushService
) -> None:
    _subscribe(world, service)
    preferences_update(
        person_id=world.patient.pk,
        actor=person_actor(world.patient),
        enabled=dict.fromkeys(NotificationKind.values, True),
        push_enabled={k: k != NotificationKind.NEW_DOCUMENT for k in NotificationKind.values},
    )
    deposit_pdf(world, world.gp)
    assert _pushes() == []
    assert OutboxMessage.objects.filter(channel=Channel.EMAIL, template="record_new_document").count() == 1
    PRODUCERS[NotificationKind.NEW_MESSAGE](world)  # another kind still pushes
    assert len(_pushes(params__kind=NotificationKind.NEW_MESSAGE)) == 1


def test_an_email_switched_off_does_not_silence_the_push(world: World, service: FakePushService) -> None:
    _subscribe(world, service)
    preferences_update(
        person_id=world.patient.pk,
        actor=person_actor(world.patient),
        enabled={k: k != NotificationKind.NEW_DOCUMENT for k in NotificationKind.values},
    )
    deposit_pdf(world, world.gp)
    assert len(_pushes()) == 1
    assert not OutboxMessage.objects.filter(channel=Channel.EMAIL, template="record_new_document").exists()


def test_the_preferences_page_saves_the_push_choices_and_traces_them(
    world: World, service: FakePushService
) -> None:
    client, _device, _browser = _subscribe(world, service)
    form = {kind: "on" for kind in PRODUCED_KINDS}
    form.update({f"push_{kind}": "on" for kind in PRODUCED_KINDS if kind != NotificationKind.SCREENING})
    assert client.post("/espace/notifications/preferences/", form).status_code == 302
    from carnet.notifications.selectors import push_preferences_for_person

    assert push_preferences_for_person(person_id=world.patient.pk)[NotificationKind.SCREENING] is False
    trace = Trace.objects.filter(action="NOTIFICATION_PREFERENCES_UPDATE").latest("id")
    assert trace.details["push_after"] == {NotificationKind.SCREENING: False}
    page = client.get("/espace/notifications/preferences/").content.decode()
    assert 'name="push_SCREENING"' in page and 'name="push_NEW_DOCUMENT"' in page


def test_the_subscription_is_removed_with_its_device(world: World, service: FakePushService) -> None:
    _client, device, _browser = _subscribe(world, service)
    device_revoke(user=world.patient.account, device=device)
    assert not PushSubscription.objects.exists()
    deposit_pdf(world, world.gp)
    assert _pushes() == []


def test_the_subscription_is_removed_at_logout_of_that_device(world: World, service: FakePushService) -> None:
    client, _device, _browser = _subscribe(world, service)
    assert client.post("/deconnexion/").status_code == 302
    assert not PushSubscription.objects.exists()


def test_the_same_browser_logging_in_again_moves_its_subscription_to_the_new_device(
    world: World, service: FakePushService
) -> None:
    browser = BrowserKeys()
    _subscribe(world, service, browser)
    _client, device, _ = _subscribe(world, service, browser)  # same endpoint, a new login
    assert list(PushSubscription.objects.values_list("device_id", flat=True)) == [device.pk]


def test_a_second_device_keeps_its_subscription_when_the_first_logs_out(
    world: World, service: FakePushService
) -> None:
    first, _first_device = _device_client(world)
    second, device2 = _device_client(world)
    for client, path in ((first, "/a"), (second, "/b")):
        body = BrowserKeys().subscription(f"{service.origin}{path}")
        assert client.post(SUBSCRIBE, json.dumps(body), content_type="application/json").status_code == 201
    assert first.post("/deconnexion/").status_code == 302
    assert list(PushSubscription.objects.values_list("device_id", flat=True)) == [device2.pk]


def test_unsubscribing_on_the_devices_page_removes_it_and_is_traced(
    world: World, service: FakePushService
) -> None:
    client, device, _browser = _subscribe(world, service)
    assert client.post(UNSUBSCRIBE).status_code == 302
    assert not PushSubscription.objects.exists()
    actions = list(Trace.objects.filter(object_id=str(device.public_id)).values_list("action", flat=True))
    assert "PUSH_SUBSCRIBED" in actions and "PUSH_UNSUBSCRIBED" in actions
    for trace in Trace.objects.filter(action__startswith="PUSH_"):
        assert "127.0.0.1" not in json.dumps(trace.details)  # the endpoint is never traced


def test_an_erasure_deletes_the_subscriptions(world: World, service: FakePushService) -> None:
    _subscribe(world, service)
    from carnet.common import clock

    erase_patient_notifications(patient_id=world.patient.pk, addresses=[], full=False, now=clock.now())
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.org/push",  # not a push service
        "http://fcm.googleapis.com/fcm/send/x",  # a push service, but not https
        "https://user:pw@fcm.googleapis.com/fcm/send/x",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_endpoint_outside_the_push_services_is_refused_and_nothing_is_stored(
    world: World, settings: Any, endpoint: str
) -> None:
    client, _device = _device_client(world)
    body = BrowserKeys().subscription(endpoint)
    response = client.post(SUBSCRIBE, json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "endpoint"
    assert (
        not PushSubscription.objects.exists() and not Trace.objects.filter(action="PUSH_SUBSCRIBED").exists()
    )


def test_a_real_push_service_endpoint_is_accepted(world: World) -> None:
    client, _device = _device_client(world)
    body = BrowserKeys().subscription("https://fcm.googleapis.com/fcm/send/abc:def")
    assert client.post(SUBSCRIBE, json.dumps(body), content_type="application/json").status_code == 201


def test_invalid_keys_are_refused(world: World, service: FakePushService) -> None:
    client, _device = _device_client(world)
    body = BrowserKeys().subscription(f"{service.origin}/x")
    body["keys"]["auth"] = "AAAA"
    response = client.post(SUBSCRIBE, json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "keys"
    assert not PushSubscription.objects.exists()


def test_only_a_patient_on_an_enrolled_device_may_subscribe(world: World, service: FakePushService) -> None:
    body = json.dumps(BrowserKeys().subscription(f"{service.origin}/x"))
    without_device = Client()
    without_device.force_login(world.patient.account)  # no device in the session
    assert without_device.post(SUBSCRIBE, body, content_type="application/json").status_code == 404
    operator = Client()
    operator.force_login(make_user(Role.OPERATOR))
    assert operator.post(SUBSCRIBE, body, content_type="application/json").status_code in (403, 404)
    assert not PushSubscription.objects.exists()


def test_operators_see_push_deliveries_without_endpoint_or_content(
    world: World, service: FakePushService, settings: Any
) -> None:
    settings.CARNET_LOCAL_OUTBOX = True
    _subscribe(world, service)
    service.status = 500
    settings.CARNET_OUTBOX_MAX_ATTEMPTS = 1
    deposit_pdf(world, world.gp, title=SECRET_TITLE)
    outbox_deliver_pending()
    [message] = _pushes()
    assert message.state == DeliveryState.FAILED
    operator = Client()
    operator.force_login(make_user(Role.OPERATOR))
    html = operator.get("/backoffice/notifications/").content.decode()
    assert (
        str(message.idempotency_key) in html and '<td data-channel="PUSH" data-state="FAILED">1</td>' in html
    )
    for secret in (
        service.origin,
        "wpush",
        "Nouveau document dans votre espace",
        SECRET_TITLE,
        message.address,
    ):
        assert secret not in html
    assert not DeliveredMessage.objects.filter(channel=Channel.PUSH).exists()  # nothing delivered
