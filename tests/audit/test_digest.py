"""E-mailed digests of the signed head, on the patient's demand (invariants 3 and 5; R-NOT-2)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from carnet.audit.models import HeadIssued, Trace, TreeHead
from carnet.notifications.models import OutboxMessage
from carnet.notifications.services import outbox_deliver_pending
from carnet.notifications.templates_catalogue import ALLOWED_PARAMS, CATALOGUE, render

from .conftest import acting_for, add_trace, delegate, logged_in, person_with_space

pytestmark = pytest.mark.django_db


def test_the_button_queues_a_content_free_digest_of_the_signed_head(clock: Any) -> None:
    me = person_with_space()
    add_trace(me, action="CONSULT", object_type="document", object_id="doc-1", reason="urgence vitale")
    response = logged_in(me).post(reverse("audit:history_digest"))
    assert response.status_code == 302 and response["Location"] == reverse("audit:history")
    head = TreeHead.objects.order_by("-size").first()
    assert head is not None
    message = OutboxMessage.objects.get(template="history_digest")
    assert message.address == me.email and message.patient_id == me.pk
    assert message.params["tree_size"] == str(head.size)
    assert head.root_hash.startswith(message.params["root_hash"]) and len(message.params["root_hash"]) == 32
    _subject, body = render("history_digest", message.params, "fr")
    assert str(head.size) in body and message.params["root_hash"] in body
    assert "CONSULT" not in body and "urgence" not in body and "doc-1" not in body
    assert Trace.objects.filter(patient_id=me.pk, action="HISTORY_DIGEST_REQUESTED").count() == 1
    assert HeadIssued.objects.filter(patient_id=me.pk, tree_size=head.size).exists()


def test_the_digest_head_comes_back_in_the_next_download_with_its_consistency_proof(clock: Any) -> None:
    me = person_with_space()
    client = logged_in(me)
    client.post(reverse("audit:history_digest"))
    size = int(OutboxMessage.objects.get(template="history_digest").params["tree_size"])
    document = json.loads(client.post(reverse("audit:history_download")).content)
    assert [p["tree_head"]["size"] for p in document["previous_heads"]] == [size]


def test_the_digest_is_delivered_by_the_outbox_worker(clock: Any) -> None:
    from django.core import mail

    me = person_with_space()
    logged_in(me).post(reverse("audit:history_digest"))
    outbox_deliver_pending()
    assert len(mail.outbox) == 1 and "Empreinte de votre historique" in mail.outbox[0].subject


def test_a_legal_representative_gets_the_digest_at_his_own_address(clock: Any) -> None:
    child = person_with_space(birth_date=date(2014, 3, 2))
    parent = person_with_space()
    delegate(child, parent)
    client = logged_in(parent)
    acting_for(client, child)
    client.post(reverse("audit:history_digest"))
    message = OutboxMessage.objects.get(template="history_digest")
    assert message.address == parent.email and message.patient_id == child.pk


def test_a_caregiver_cannot_ask_for_a_digest(clock: Any) -> None:
    helped = person_with_space()
    carer = person_with_space()
    delegate(helped, carer, kind="CAREGIVING")
    client = logged_in(carer)
    acting_for(client, helped)
    assert client.post(reverse("audit:history_digest")).status_code == 404
    assert not OutboxMessage.objects.filter(template="history_digest").exists()


def test_the_digest_template_takes_only_allowed_parameters() -> None:
    assert set(CATALOGUE["history_digest"].params) <= ALLOWED_PARAMS
    for language in ("fr", "en"):
        assert "mot de passe" in CATALOGUE["history_digest"].body["fr"]
        assert CATALOGUE["history_digest"].subject[language]
