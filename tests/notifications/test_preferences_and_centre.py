"""Preferences per kind (R-NOT-1) and the in-app notification centre (R-NOT-3)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from carnet.audit.models import Trace
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.notifications.context_processors import notifications as unread_context
from carnet.notifications.models import InAppNotification, NotificationKind, OutboxMessage, ResourceType
from carnet.notifications.selectors import inapp_unread_count, preferences_for_person
from carnet.notifications.services import notify, notify_in_app, preferences_update
from tests.factories import PatientUserFactory, PersonFactory

pytestmark = pytest.mark.django_db

CENTRE = "/espace/notifications/"
PREFERENCES = "/espace/notifications/preferences/"


@pytest.fixture(autouse=True)
def _no_worker(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"


def _actor(person) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(ActorKind.PATIENT, str(person.public_id), label="", person_id=person.pk)


def _switch_off(person, *kinds: str) -> None:  # type: ignore[no-untyped-def]
    enabled = {kind: kind not in kinds for kind in NotificationKind.values}
    preferences_update(person_id=person.pk, actor=_actor(person), enabled=enabled)


def _notify(person, *, template: str = "generic", key: str = "k1", **extra):  # type: ignore[no-untyped-def]
    params = {"base_url": "https://carnet.example"} if template == "generic" else extra.pop("params", {})
    return notify(
        patient_id=person.pk,
        channel="EMAIL",
        address=person.email,
        template=template,
        params=params,
        dedup_key=key,
        **extra,
    )


# --- preferences (R-NOT-1) ------------------------------------------------------------------------


def test_every_kind_is_switched_on_by_default_r_not_1() -> None:
    person = PersonFactory()
    assert preferences_for_person(person_id=person.pk) == dict.fromkeys(NotificationKind.values, True)


def test_a_switched_off_kind_queues_no_email_but_still_an_in_app_notification_r_not_1() -> None:
    person = PersonFactory()
    _switch_off(person, NotificationKind.NEW_MESSAGE)
    assert _notify(person, kind=NotificationKind.NEW_MESSAGE) is None
    assert not OutboxMessage.objects.exists()
    entry = InAppNotification.objects.get(patient_id=person.pk)
    assert entry.kind == ResourceType.MESSAGERIE


def test_switching_off_one_kind_leaves_the_others_on_r_not_1() -> None:
    person = PersonFactory()
    _switch_off(person, NotificationKind.NEW_MESSAGE)
    assert _notify(person, kind=NotificationKind.NEW_DOCUMENT) is not None


def test_a_notification_without_a_kind_ignores_the_preferences() -> None:
    """Existing callers that pass no kind keep sending as before."""
    person = PersonFactory()
    _switch_off(person, *NotificationKind.values)
    assert _notify(person) is not None


def test_the_event_emails_cannot_be_switched_off_r_not_1() -> None:
    person = PersonFactory()
    _switch_off(person, *NotificationKind.values)
    message = _notify(
        person,
        template="record_first_access",
        kind=NotificationKind.NEW_DOCUMENT,
        params={"date": "05/01/2026", "base_url": "https://carnet.example"},
    )
    assert message is not None


def test_the_preferences_of_the_recipient_apply_when_he_is_not_the_holder_r_not_1() -> None:
    child, parent = PersonFactory(), PersonFactory()
    _switch_off(parent, NotificationKind.APPOINTMENT)
    message = notify(
        patient_id=child.pk,
        recipient_id=parent.pk,
        channel="EMAIL",
        address=parent.email,
        template="generic",
        params={"base_url": "https://carnet.example"},
        dedup_key="k1",
        kind=NotificationKind.APPOINTMENT,
    )
    assert message is None
    assert InAppNotification.objects.get().patient_id == parent.pk


def test_changing_preferences_is_traced_with_old_and_new_values() -> None:
    person = PersonFactory()
    _switch_off(person, NotificationKind.SCREENING)
    trace = Trace.objects.get(patient_id=person.pk, action="NOTIFICATION_PREFERENCES_UPDATE")
    assert trace.details == {"before": {"SCREENING": True}, "after": {"SCREENING": False}}


def test_preferences_naming_an_unknown_kind_are_refused_and_nothing_is_written() -> None:
    person = PersonFactory()
    enabled = {**dict.fromkeys(NotificationKind.values, False), "MARKETING": True}
    with pytest.raises(DomainError):
        preferences_update(person_id=person.pk, actor=_actor(person), enabled=enabled)
    assert preferences_for_person(person_id=person.pk) == dict.fromkeys(NotificationKind.values, True)


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        _notify(PersonFactory(), kind="MARKETING")


def test_the_preferences_page_saves_the_unchecked_kinds_as_off(client) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory()
    client.force_login(user)
    checked = {kind: "on" for kind in NotificationKind.values if kind != NotificationKind.SCREENING}
    response = client.post(PREFERENCES, checked)
    assert response.status_code == 302
    assert preferences_for_person(person_id=user.person.pk)[NotificationKind.SCREENING] is False


def test_the_preferences_page_shows_the_produced_kinds_and_the_always_sent_emails(client) -> None:  # type: ignore[no-untyped-def]
    from carnet.notifications.switches import PRODUCED_KINDS

    client.force_login(PatientUserFactory())
    html = client.get(PREFERENCES).content.decode()
    for kind in PRODUCED_KINDS:
        assert f'<label class="fr-label" for="id_{kind}">' in html
    assert "id_SERVICE_ACTIVITY" not in html  # no connected service produces it yet
    assert "chaque accès en urgence" in html


def test_the_preferences_page_answers_404_to_an_operator(client) -> None:  # type: ignore[no-untyped-def]
    from tests.backoffice.helpers import make_user

    client.force_login(make_user("OPERATOR"))
    assert client.get(PREFERENCES).status_code == 404


# --- in-app centre (R-NOT-3) ----------------------------------------------------------------------


def test_notify_with_a_kind_creates_an_in_app_entry_in_the_same_transaction_r_not_3() -> None:
    person = PersonFactory()
    _notify(person, kind=NotificationKind.NEW_DOCUMENT, link="/espace/documents/")
    entry = InAppNotification.objects.get(patient_id=person.pk)
    assert (entry.kind, entry.link, entry.read_at) == (ResourceType.DOCUMENT, "/espace/documents/", None)
    assert entry.titles == {"fr": "Du nouveau dans votre espace Carnet", "en": "News in your Carnet space"}


def test_the_holders_event_messages_reach_his_centre_without_asking_r_not_3() -> None:
    person = PersonFactory()
    _notify(person, template="record_first_access", params={"date": "05/01/2026", "base_url": "https://x"})
    assert InAppNotification.objects.get(patient_id=person.pk).kind == ResourceType.DOCUMENT


def test_the_same_cause_creates_one_in_app_entry() -> None:
    person = PersonFactory()
    _notify(person, kind=NotificationKind.NEW_MESSAGE)
    _notify(person, kind=NotificationKind.NEW_MESSAGE)
    assert InAppNotification.objects.count() == 1


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "espace/"]
)
def test_an_in_app_link_must_be_a_path_of_the_site_r_not_2(link: str) -> None:
    with pytest.raises(ValueError):
        notify_in_app(
            patient_id=PersonFactory().pk,
            kind=ResourceType.AGENDA,
            template="generic",
            dedup_key="k",
            link=link,
        )


def test_the_centre_lists_only_my_notifications_newest_first(client, clock) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory()
    me = user.person
    notify_in_app(patient_id=me.pk, kind=ResourceType.AGENDA, template="generic", dedup_key="old")
    clock.advance(hours=1)
    notify_in_app(patient_id=me.pk, kind=ResourceType.DOCUMENT, template="login_code", dedup_key="new")
    notify_in_app(
        patient_id=PersonFactory().pk, kind=ResourceType.DOCUMENT, template="space_closed", dedup_key="x"
    )
    client.force_login(user)
    html = client.get(CENTRE).content.decode()
    assert html.index("Votre code de connexion") < html.index("Du nouveau dans votre espace Carnet")
    assert "Votre profil Carnet est clôturé" not in html


def test_the_centre_shows_titles_in_the_visitors_language(client) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory()
    notify_in_app(patient_id=user.person.pk, kind=ResourceType.AGENDA, template="generic", dedup_key="k")
    client.force_login(user)
    html = client.get(CENTRE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "News in your Carnet space" in html


def test_opening_a_notification_marks_it_read_and_follows_its_link(client) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory()
    entry = notify_in_app(
        patient_id=user.person.pk,
        kind=ResourceType.AGENDA,
        template="generic",
        dedup_key="k",
        link="/espace/",
    )
    assert entry is not None
    client.force_login(user)
    response = client.post(f"{CENTRE}{entry.public_id}/lu/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/espace/"
    entry.refresh_from_db()
    assert entry.read_at is not None


def test_nobody_can_mark_someone_elses_notification_read(client) -> None:  # type: ignore[no-untyped-def]
    entry = notify_in_app(
        patient_id=PersonFactory().pk, kind=ResourceType.AGENDA, template="generic", dedup_key="k"
    )
    assert entry is not None
    client.force_login(PatientUserFactory())
    assert client.post(f"{CENTRE}{entry.public_id}/lu/").status_code == 404
    entry.refresh_from_db()
    assert entry.read_at is None


def test_mark_all_read_clears_the_unread_count(client) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory()
    for i in range(3):
        notify_in_app(
            patient_id=user.person.pk, kind=ResourceType.AGENDA, template="generic", dedup_key=f"k{i}"
        )
    assert inapp_unread_count(patient_id=user.person.pk) == 3
    client.force_login(user)
    assert client.post(f"{CENTRE}tout-lu/").status_code == 302
    assert inapp_unread_count(patient_id=user.person.pk) == 0


def test_marking_read_needs_a_post(client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(PatientUserFactory())
    assert client.get(f"{CENTRE}tout-lu/").status_code == 405


def test_the_unread_badge_count_is_available_to_templates(rf: RequestFactory) -> None:
    user = PatientUserFactory()
    notify_in_app(patient_id=user.person.pk, kind=ResourceType.AGENDA, template="generic", dedup_key="k")
    request = rf.get("/")
    request.user = user
    rendered = Template("{{ notification_unread_count }}").render(Context(unread_context(request)))
    assert rendered == "1"


def test_anonymous_visitors_have_no_unread_count(rf: RequestFactory) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    assert unread_context(request) == {"notification_unread_count": 0}


def test_the_centre_redirects_anonymous_visitors_to_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(CENTRE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
