"""The patient's "Historique d'activité" (R-TR-2, R-TR-3, R-TR-4) and its confidentiality hook
(R-MASK-6 ``INVISIBLE_PATIENT``, R-MIN-5 ``INVISIBLE_REPRESENTANTS_LEGAUX``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from carnet.audit.hooks import register_hidden_objects_provider
from carnet.audit.models import Trace
from carnet.audit.selectors import history_for_viewer
from carnet.audit.services import public_key_b64
from carnet.audit.verify import verify_document
from carnet.common.actors import Actor, ActorKind
from tests.factories import ProfessionalFactory

from .conftest import acting_for, add_trace, delegate, logged_in, patient_actor, person_with_space, pro_actor

pytestmark = pytest.mark.django_db

DOC = "7d4c1a52-4c3e-4b55-9a57-0c2b1f0c9a11"
SECRET_DOC = "e2f0a8b4-1111-4c3e-9a57-0c2b1f0c9a22"
MINOR_SECRET_DOC = "e2f0a8b4-2222-4c3e-9a57-0c2b1f0c9a33"


def _doc_trace(
    patient: Any, object_id: str, action: str = "CONSULT", actor: Actor | None = None, **kw: Any
) -> Trace:
    return add_trace(
        patient,
        actor=actor,
        action=action,
        group="documents",
        object_type="document",
        object_id=object_id,
        **kw,
    )


def _hide(ids_by_viewer: dict[str, set[str]]) -> None:
    """A stand-in for the provider ``records`` will register (R-MASK-6, R-MIN-5)."""

    def provider(*, patient_id: int, viewer_kind: str) -> set[str]:
        return ids_by_viewer.get(viewer_kind, set())

    register_hidden_objects_provider("test.documents", provider)


# --- the page --------------------------------------------------------------------------------------


def test_the_history_lists_actions_newest_first_with_french_labels(clock) -> None:  # type: ignore[no-untyped-def]
    """R-TR-3: date, action label, author; sorted by action date, newest first."""
    me = person_with_space()
    add_trace(me, actor=Actor.system("lifecycle"), action="SPACE_ACTIVATED")
    clock.advance(days=1)
    _doc_trace(me, DOC)
    response = logged_in(me).get(reverse("audit:history"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Consultation d&#x27;un document") < page.index("Activation de votre profil")
    assert "Dr Anne DURAND" in page and "Carnet" in page


def test_the_holder_s_own_actions_are_labelled_vous(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    add_trace(me, actor=patient_actor(me), action="LOGIN")
    entries = history_for_viewer(
        patient_id=me.pk, viewer_kind="PATIENT", hidden_object_ids=set(), viewer_actor_id=patient_actor(me).id
    ).entries
    assert [str(e.actor_label) for e in entries] == ["Vous"]


def test_an_unknown_action_gets_a_generic_label_never_its_code_or_details(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    add_trace(me, action="SOMETHING_NEW", details={"note": "détail-interne-42"})
    page = logged_in(me).get(reverse("audit:history")).content.decode()
    assert "Action sur votre profil" in page
    assert "SOMETHING_NEW" not in page and "détail-interne-42" not in page


def test_an_emergency_access_is_highlighted_with_its_declared_reason(clock) -> None:  # type: ignore[no-untyped-def]
    """R-EM-3/R-EM-6: the break-the-glass access stands out in the history."""
    me = person_with_space()
    _doc_trace(me, DOC, mode="BTG", reason="Patient inconscient aux urgences")
    _doc_trace(me, DOC)
    entries = history_for_viewer(patient_id=me.pk, viewer_kind="PATIENT", hidden_object_ids=set()).entries
    assert [e.is_emergency for e in entries] == [False, True]
    page = logged_in(me).get(reverse("audit:history")).content.decode()
    assert page.count("Accès en urgence") == 1 and "Patient inconscient aux urgences" in page


def test_the_history_shows_the_legal_notice(clock) -> None:  # type: ignore[no-untyped-def]
    """R-TR-4: consent needed except in a vital emergency; anomalies can be reported."""
    me = person_with_space()
    page = logged_in(me).get(reverse("audit:history")).content.decode()
    assert "sauf en cas d'urgence vitale" in page and "Signaler une anomalie" in page


# --- filters and pagination --------------------------------------------------------------------------


def test_the_history_filters_by_group(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    add_trace(me, action="LOGIN", actor=patient_actor(me))
    _doc_trace(me, DOC)
    response = logged_in(me).get(reverse("audit:history"), {"groupe": "documents"})
    assert [e.action for e in response.context["history"].entries] == ["CONSULT"]


def test_the_history_filters_by_actor_type(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    add_trace(me, action="LOGIN", actor=patient_actor(me))
    _doc_trace(me, DOC)
    add_trace(me, action="SPACE_ACTIVATED", actor=Actor.system("lifecycle"))
    response = logged_in(me).get(reverse("audit:history"), {"acteur": "PROFESSIONAL"})
    assert [e.actor_kind for e in response.context["history"].entries] == ["PROFESSIONAL"]


def test_an_invalid_filter_is_reported_next_to_its_field_and_ignored(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    _doc_trace(me, DOC)
    response = logged_in(me).get(reverse("audit:history"), {"groupe": "nimporte"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "fr-select-group--error" in page and "Catégorie : choisissez une valeur de la liste." in page
    assert response.context["history"].count == 1


def test_the_history_is_paginated_by_one_hundred(clock) -> None:  # type: ignore[no-untyped-def]
    """R-TR-3: paginated 100."""
    me = person_with_space()
    for _ in range(101):
        _doc_trace(me, DOC)
    client = logged_in(me)
    first = client.get(reverse("audit:history")).context["history"]
    second = client.get(reverse("audit:history"), {"page": "2"}).context["history"]
    ids = sorted(Trace.objects.filter(patient_id=me.pk).values_list("id", flat=True))
    assert (len(first.entries), first.num_pages, first.entries[0].id) == (100, 2, ids[-1])
    assert [e.id for e in second.entries] == [ids[0]]


def test_pagination_links_keep_the_filters(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    for _ in range(101):
        _doc_trace(me, DOC)
    page = logged_in(me).get(reverse("audit:history"), {"groupe": "documents"}).content.decode()
    assert "?groupe=documents&amp;page=2" in page


# --- per document, per professional -----------------------------------------------------------------


def test_the_per_document_history_shows_only_that_document(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    _doc_trace(me, DOC, action="DEPOSIT")
    _doc_trace(me, "other-document")
    _doc_trace(me, DOC, action="DOWNLOAD")
    response = logged_in(me).get(reverse("audit:history_document", args=[DOC]))
    assert [e.action for e in response.context["history"].entries] == ["DOWNLOAD", "DEPOSIT"]


def test_the_per_professional_history_shows_only_that_professional(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    _doc_trace(me, DOC, actor=pro_actor("10003456789", "Dr Anne DURAND"))
    _doc_trace(me, DOC, actor=pro_actor("10009999999", "Dr Paul LEROY"))
    response = logged_in(me).get(reverse("audit:history_professional", args=["10003456789"]))
    assert response.status_code == 200
    assert [str(e.actor_label) for e in response.context["history"].entries] == ["Dr Anne DURAND"]
    assert "Historique des actions — Dr Anne DURAND" in response.content.decode()


def test_an_unknown_document_or_professional_history_is_404(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    client = logged_in(me)
    assert client.get(reverse("audit:history_document", args=[DOC])).status_code == 404
    assert client.get(reverse("audit:history_professional", args=["10003456789"])).status_code == 404


def test_the_per_professional_history_does_not_list_a_patient_s_own_actions(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    actor = patient_actor(me)
    add_trace(me, actor=actor, action="LOGIN")
    assert logged_in(me).get(reverse("audit:history_professional", args=[actor.id])).status_code == 404


# --- the confidentiality hook (R-MASK-6, R-MIN-5) --------------------------------------------------


def test_an_invisible_patient_document_s_traces_are_hidden_from_the_patient(clock) -> None:  # type: ignore[no-untyped-def]
    """R-MASK-6: before release, the patient's history must not leak the document (nor its title)."""
    me = person_with_space()
    _doc_trace(me, DOC)
    _doc_trace(me, SECRET_DOC, action="DEPOSIT")
    _hide({"PATIENT": {SECRET_DOC}})
    client = logged_in(me)
    history = client.get(reverse("audit:history")).context["history"]
    assert (history.count, [e.object_id for e in history.entries]) == (1, [DOC])
    assert client.get(reverse("audit:history_document", args=[SECRET_DOC])).status_code == 404


def test_a_released_document_s_traces_show_again(clock) -> None:  # type: ignore[no-untyped-def]
    """R-MASK-6: the hook is asked at view time, so after one month the history shows the document."""
    me = person_with_space()
    _doc_trace(me, SECRET_DOC, action="DEPOSIT")
    hidden: dict[str, set[str]] = {"PATIENT": {SECRET_DOC}}
    _hide(hidden)
    client = logged_in(me)
    assert client.get(reverse("audit:history_document", args=[SECRET_DOC])).status_code == 404
    hidden["PATIENT"] = set()
    assert client.get(reverse("audit:history_document", args=[SECRET_DOC])).status_code == 200


def test_invisible_to_representatives_traces_are_hidden_from_a_legal_representative(clock) -> None:  # type: ignore[no-untyped-def]
    """R-MIN-5: the parent acting for the minor does not see them; the provider is asked as LEGAL_REPRESENTATIVE."""
    child = person_with_space(birth_date=date(2014, 3, 2))
    parent = person_with_space()
    delegate(child, parent)
    _doc_trace(child, DOC)
    _doc_trace(child, MINOR_SECRET_DOC)
    _hide({"LEGAL_REPRESENTATIVE": {MINOR_SECRET_DOC}})
    client = logged_in(parent)
    acting_for(client, child)
    history = client.get(reverse("audit:history")).context["history"]
    assert [e.object_id for e in history.entries] == [DOC]
    assert history_for_viewer(patient_id=child.pk, viewer_kind="PATIENT", hidden_object_ids=set()).count == 2


def test_a_legal_representative_s_download_leaves_the_hidden_entries_out_and_still_verifies(clock) -> None:  # type: ignore[no-untyped-def]
    """R-MIN-5 in the proof too: the hidden entry is absent (not a placeholder that betrays it), and the
    file verifies; its leaf index is a gap like any other patient's entry."""
    child = person_with_space(birth_date=date(2014, 3, 2))
    parent = person_with_space()
    delegate(child, parent)
    _doc_trace(child, DOC)
    _doc_trace(child, MINOR_SECRET_DOC, action="DOCUMENT_DEPOSITED")
    _hide({"LEGAL_REPRESENTATIVE": {MINOR_SECRET_DOC}})
    client = logged_in(parent)
    acting_for(client, child)
    response = client.post(reverse("audit:history_download"))
    body = response.content.decode()
    document = json.loads(body)
    assert MINOR_SECRET_DOC not in body and "DOCUMENT_DEPOSITED" not in body and "redacted" not in body
    assert len(document["entries"]) == 2  # the visible consultation and the download itself
    assert verify_document(document, public_key_b64=public_key_b64()).ok
    assert json.loads(document["entries"][-1]["leaf"])["actor_kind"] == "LEGAL_REPRESENTATIVE"


# --- who may see a history (R-TR-2; invariant 1: the access policy decides) -------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(clock) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    assert Client().get(reverse("audit:history")).status_code == 302


def test_a_patient_only_ever_sees_his_own_history(clock) -> None:  # type: ignore[no-untyped-def]
    me, other = person_with_space(), person_with_space()
    _doc_trace(other, DOC)
    client = logged_in(me)
    acting_for(client, other)  # no delegation: the acting context falls back to his own space
    assert client.get(reverse("audit:history")).context["history"].count == 0
    assert client.get(reverse("audit:history_document", args=[DOC])).status_code == 404


def test_a_legal_representative_of_a_minor_sees_the_minor_s_history(clock) -> None:  # type: ignore[no-untyped-def]
    """R-TR-2 with R-MIN-1: the representative acts for the holder."""
    child = person_with_space(birth_date=date(2014, 3, 2))
    parent = person_with_space()
    delegate(child, parent)
    _doc_trace(child, DOC)
    client = logged_in(parent)
    acting_for(client, child)
    response = client.get(reverse("audit:history"))
    assert response.status_code == 200 and response.context["history"].count == 1


def test_a_caregiver_cannot_see_the_helped_person_s_history(clock) -> None:  # type: ignore[no-untyped-def]
    """R-DEL-2 as the access policy reads it (VIEW_TRACES denied to caregivers): 404, like a missing page."""
    helped, caregiver = person_with_space(), person_with_space()
    delegate(helped, caregiver, kind="CAREGIVING")
    _doc_trace(helped, DOC)
    client = logged_in(caregiver)
    acting_for(client, helped)
    assert client.get(reverse("audit:history")).status_code == 404
    assert client.get(reverse("audit:history_document", args=[DOC])).status_code == 404
    assert client.post(reverse("audit:history_download")).status_code == 404


def test_a_professional_account_gets_404(clock) -> None:  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(
        username="pro.durand",
        password="x-Long-Passw0rd!",
        role="PROFESSIONAL",
        professional=ProfessionalFactory(),
    )
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(reverse("audit:history")).status_code == 404


def test_a_closed_space_s_history_is_not_shown(clock) -> None:  # type: ignore[no-untyped-def]
    """R-LC-21 through the policy: a closed (archived) space is no longer consulted online."""
    me = person_with_space(status="CLOSED")
    assert logged_in(me).get(reverse("audit:history")).status_code == 404


# --- download ----------------------------------------------------------------------------------------


def test_the_holder_downloads_his_history_with_a_verifiable_proof(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    _doc_trace(me, DOC)
    response = logged_in(me).post(reverse("audit:history_download"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="historique-carnet-2026-01-05')
    document = json.loads(response.content)
    assert verify_document(document, public_key_b64=public_key_b64()).ok
    assert (
        Trace.objects.filter(patient_id=me.pk, action="HISTORY_DOWNLOADED", actor_kind="PATIENT").count() == 1
    )


def test_the_download_needs_a_post(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    assert logged_in(me).get(reverse("audit:history_download")).status_code == 405
    assert not Trace.objects.filter(action="HISTORY_DOWNLOADED").exists()


def test_the_history_page_offers_the_download_form_with_csrf(clock) -> None:  # type: ignore[no-untyped-def]
    me = person_with_space()
    page = logged_in(me).get(reverse("audit:history")).content.decode()
    assert 'action="/espace/historique/telecharger/"' in page and "csrfmiddlewaretoken" in page


def test_the_history_page_links_to_the_verifier_instead_of_a_command(clock) -> None:  # type: ignore[no-untyped-def]
    """A patient is not asked to run a command: the page links to the verifier page."""
    me = person_with_space()
    page = logged_in(me).get(reverse("audit:history")).content.decode()
    assert f'href="{reverse("audit:verifier")}"' in page
    assert "carnet verify-history" not in page and "carnet " not in page.replace("Carnet", "")


def test_unknown_viewer_kinds_get_an_empty_history(clock) -> None:  # type: ignore[no-untyped-def]
    """Fail closed: the selector returns nothing to a kind it does not know (operators, insurers...)."""
    me = person_with_space()
    _doc_trace(me, DOC)
    assert (
        history_for_viewer(patient_id=me.pk, viewer_kind=ActorKind.OPERATOR, hidden_object_ids=set()).count
        == 0
    )
