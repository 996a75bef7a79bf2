"""The "Nouveau document" notification (R-NOT-1 ``NEW_DOCUMENT``, R-NOT-2, R-NOT-3, invariant 5).

When a professional, an establishment or the health insurance deposits a document (or a new version of
one, R-VER-1), ``new_document_notify`` tells the readers of the holder's space, in the deposit's
transaction, with a content-free message: no title, no type, no depositor's name (a centre's name alone
can say what the document is about).

* **Who.** ``access.audience``: the holder, his legal representatives while he is a minor, his
  caregivers (R-DEL-2), each only if the policy lets him consult *this* document: nobody for an
  ``INVISIBLE_PATIENT`` document before its release (R-MASK-6 has its own notice at D+14; none is sent at
  the release either), no legal representative for ``INVISIBLE_REPRESENTANTS_LEGAUX`` (R-MIN-5), nobody
  before activation (R-LC-14). A document the holder's side deposits itself notifies nobody.
* **Switch.** ``kind=NEW_DOCUMENT``: off, no e-mail; the entry of the notification centre is still made.
* **Grouping** ([I]). A laboratory's or a hospital's FHIR transaction deposits dozens of documents at once.
  A reader gets a new notice only when he has no unread "new document" notice of this space from the last
  ``GROUPING`` (24 h): one e-mail for the whole batch (the batch runs in one transaction, which sees its own
  first entry), then nothing more until he opened the previous one or a day has passed. The outbox's dedup
  key (``new-document:<holder>:<reader>:<first document>``) keeps a retried deposit from sending twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from carnet.access.audience import holder_side_audience
from carnet.access.facts import Action
from carnet.common import clock
from carnet.notifications.models import Channel, NotificationKind
from carnet.notifications.selectors import inapp_unread_since
from carnet.notifications.services import notify
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register

from .facts import document_facts
from .models import AuthorKind, Document

NEW_DOCUMENT = "record_new_document"
GROUPING = timedelta(hours=24)  # [I] see the module docstring
LINK = "/espace/documents/"
# Depositors who are not a reader of the space: their deposits are news to the holder's side.
EXTERNAL_AUTHORS = frozenset({AuthorKind.PROFESSIONAL, AuthorKind.ORGANISATION, AuthorKind.INSURANCE})


register(
    NEW_DOCUMENT,
    MessageTemplate(
        subject={"fr": "Nouveau document dans Carnet", "en": "New document in Carnet"},
        body={
            "fr": "Un ou plusieurs nouveaux documents sont disponibles dans Carnet. "
            "Pour les consulter, connectez-vous sur {base_url}." + _SIGN_FR,
            "en": "One or more new documents are available in Carnet. To see them, log in at {base_url}."
            + _SIGN_EN,
        },
        params=("base_url",),
    ),
)


def new_document_notify(document: Document) -> int:
    """Queue the content-free notice of a deposited document (call it in the deposit's transaction, the
    document's author rows loaded). Returns how many readers were given a new notice."""
    if document.author_kind not in EXTERNAL_AUTHORS:
        return 0
    audience = holder_side_audience(document.patient_id)
    facts = document_facts(document)
    since = clock.now() - GROUPING
    given = 0
    for member in audience.members:
        if not audience.may(member, Action.CONSULT, document=facts):
            continue
        person = member.person
        prefix = f"new-document:{audience.patient.holder_id}:{person.public_id}:"
        if inapp_unread_since(person_id=person.pk, dedup_prefix=prefix, since=since):
            continue  # grouped with the notice he has not opened yet
        account = getattr(person, "account", None)
        notify(
            patient_id=document.patient_id,
            recipient_id=person.pk,
            channel=Channel.EMAIL if person.email else Channel.SMS,
            address=person.email or person.phone,
            template=NEW_DOCUMENT,
            params={"base_url": str(settings.CARNET_BASE_URL or "")},
            dedup_key=f"{prefix}{document.public_id}",
            language=account.preferred_language if account is not None else "fr",
            kind=NotificationKind.NEW_DOCUMENT,
            link=LINK,
        )
        given += 1
    return given
