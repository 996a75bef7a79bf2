"""Arrangements for the messaging tests: real models, real services (SPEC §5)."""

from __future__ import annotations

from typing import Any

from carnet.audit.models import Trace
from carnet.common.actors import ActorKind
from carnet.identity.models import Person, Professional
from carnet.messaging import services
from carnet.messaging.models import Message
from carnet.messaging.services import IncomingFile
from tests.factories import DelegationFactory
from tests.records.helpers import PDF, World, give_account, give_space, new_person, person_actor, pro_actor

SUBJECT = "Résultats de votre bilan thyroïdien"
BODY = "Bonjour, votre TSH est normale. Nous en reparlerons à la prochaine consultation."


def pdf_file(name: str = "bilan.pdf", content: bytes = PDF) -> IncomingFile:
    return IncomingFile(filename=name, content=content, declared_media_type="application/pdf")


def pro_writes(world: World, professional: Professional | None = None, **kwargs: Any) -> Message:
    kwargs.setdefault("subject", SUBJECT)
    kwargs.setdefault("body", BODY)
    return services.conversation_start(
        actor=pro_actor(professional or world.gp), patient_id=world.patient.pk, **kwargs
    )


def patient_replies(world: World, message: Message, body: str = "Merci docteur.", **kwargs: Any) -> Message:
    return services.message_reply(
        actor=world.holder,
        patient_id=world.patient.pk,
        conversation_public_id=message.conversation.public_id,
        body=body,
        **kwargs,
    )


def caregiver_of(world: World) -> Person:
    helper = new_person()
    give_space(helper)
    give_account(helper)
    DelegationFactory(kind="CAREGIVING", subject=world.patient, delegate=helper)
    return helper


def caregiver_actor(helper: Person) -> Any:
    return person_actor(helper, ActorKind.CAREGIVER)


def traces(world: World, action: str, outcome: str = "ALLOW") -> list[Trace]:
    return list(Trace.objects.filter(patient_id=world.patient.pk, action=action, outcome=outcome))
