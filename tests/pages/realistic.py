"""A demo population made harder to lay out: long names and titles, many rows, every badge.

Layout tests load the demo (``carnet demo --no-serve``) and then :func:`enrich_demo`, so each page of the
patient's record, messaging, agenda, prevention, profile and notifications is measured with what a real
person has after a few years: a hyphenated name, a hospital's full service name, a file name with no space
to break at, a dozen documents in a category, several measures and vaccinations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command

from carnet.accounts.models import User
from carnet.accounts.services import actor_for_user
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person, Professional

LONG_TITLE = "Compte rendu d'hospitalisation en cardiologie interventionnelle et rythmologie — séjour de mars"
UNBROKEN = "compte-rendu-hospitalisation-cardiologie-interventionnelle-2026-03-15-version-definitive.pdf"
SCANNER_NAME = "IRM_genou_gauche_20260315_CHU_Bordeaux_Pellegrin_imagerie_osteo_articulaire_definitif.pdf"
LONG_PLACE = "Centre hospitalier universitaire Pellegrin, service de rhumatologie et maladies osseuses"
LONG_ADDRESS = "Place Amélie Raba-Léon, bâtiment Tripode, 3e étage, aile Nord, 33076 Bordeaux Cedex"


@dataclass(frozen=True)
class Demo:
    claire: Person
    lucas: Person
    gp: Professional


def patient_actor(user: User, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    person = user.person
    assert person is not None
    return Actor(kind, str(user.public_id), label=person.display_name, user_id=user.pk, person_id=person.pk)


def load_demo() -> None:
    call_command("demo", "--no-serve", stdout=_Sink())


class _Sink:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None


def enrich_demo() -> Demo:
    """Long names and many rows on top of the demo population (call after :func:`load_demo`)."""
    from carnet.agenda.services import AppointmentData, appointment_create, reminder_create
    from carnet.messaging.services import IncomingFile, conversation_start
    from carnet.profile.services import profile_item_create
    from carnet.profile.vitals.services import measurement_create, vaccination_create
    from carnet.records.services import document_deposit, document_mask
    from tests.records.helpers import PDF

    claire = Person.objects.get(first_names="Claire Marie")
    lucas = Person.objects.get(first_names="Lucas")
    Person.objects.filter(pk=claire.pk).update(used_name="MARTIN-DELACROIX-BEAUMARCHAIS")
    gp_user = User.objects.get(username="dr.durand")
    gp = Professional.objects.get(account=gp_user)
    Professional.objects.filter(pk=gp.pk).update(
        first_name="Anne-Geneviève", last_name="DURAND-SAINT-HILAIRE DE LA ROCHEFOUCAULD"
    )
    gp.refresh_from_db()
    claire.refresh_from_db()
    gp_actor = actor_for_user(gp_user)
    me = patient_actor(User.objects.get(username="claire.martin"))
    now = clock.now()

    for n in range(12):
        document = document_deposit(
            actor=gp_actor,
            patient_id=claire.pk,
            content=PDF,
            filename="cr.pdf",
            type_code="11488-4",
            title=f"{LONG_TITLE} ({n + 1})",
        )
        if n % 3 == 0:
            document_mask(actor=me, patient_id=claire.pk, document_public_id=document.public_id)
    for name in (UNBROKEN, SCANNER_NAME):  # a scanner's file name has nowhere to break
        document_deposit(
            actor=me, patient_id=claire.pk, content=PDF, filename=name, title=name, category="AUTR_DOC"
        )

    for days in (3, 10, 40, -30, -90):
        appointment_create(
            actor=me,
            patient_id=claire.pk,
            data=AppointmentData(
                name=f"Dr {gp.display_name} — {LONG_PLACE}",
                starts_at=now + timedelta(days=days),
                speciality="Rhumatologie, maladies inflammatoires et auto-immunes",
                address=LONG_ADDRESS,
            ),
        )
    reminder_create(
        actor=me,
        patient_id=claire.pk,
        title="Renouveler l'ordonnance du traitement de fond auprès de la pharmacie habituelle",
        remind_at=now + timedelta(days=5),
    )

    for months_ago in range(12):
        at = now - timedelta(days=30 * months_ago + 1)
        measurement_create(
            actor=me,
            patient_id=claire.pk,
            code="SYSTOLIC_BLOOD_PRESSURE",
            value=Decimal(120 + months_ago),
            measured_at=at,
            comment="Mesure prise le matin au calme, après cinq minutes de repos, bras gauche",
        )
        measurement_create(actor=me, patient_id=claire.pk, code="GLUCOSE", value=Decimal(95), measured_at=at)
    for vaccine, days in (("INFLUENZA", 400), ("DTCAP_REDUCED", 1500), ("ROR", 9000)):
        vaccination_create(
            actor=me,
            patient_id=claire.pk,
            effective_date=clock.today() - timedelta(days=days),
            vaccine_code=vaccine,
            lot_number="LOT-2026-ABCDEFGHIJ-0123456789",
            performer_label=f"Pharmacie {LONG_PLACE}",
        )

    for n in range(3):
        profile_item_create(
            actor=me,
            patient_id=claire.pk,
            section="TREATMENTS",
            data={
                "name": f"Hydroxychloroquine et méthotrexate, traitement de fond de la polyarthrite ({n + 1})",
                "posology": "Un comprimé matin et soir pendant les repas, sauf le dimanche",
                "start_year": "2024",
            },
        )
    profile_item_create(
        actor=me,
        patient_id=claire.pk,
        section="ENTOURAGE",
        data={
            "name": "Marie-Christine DELACROIX-BEAUMARCHAIS",
            "relationship": "MOTHER",
            "phone": "0601020304",
            "email": "marie-christine.delacroix-beaumarchais@messagerie-familiale.example",
        },
    )

    conversation_start(
        actor=gp_actor,
        patient_id=claire.pk,
        subject="Résultats de votre bilan cardiologique complet et suite de la prise en charge",
        body="Bonjour, voici le compte rendu. " * 20,
        files=[IncomingFile(filename=SCANNER_NAME, content=PDF, declared_media_type="application/pdf")],
    )
    return Demo(claire=claire, lucas=lucas, gp=gp)
