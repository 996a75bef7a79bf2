"""Browser journeys of the medical profile (issue 4): a patient records his weight on several dates and
sees the chart (one SVG point per measure, with its data table); a pharmacist with the patient's consent
adds a vaccination through his pages and the patient sees it with its author (R-PML-1)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.utils import timezone

from carnet.access import services as access_services
from carnet.accounts.models import User
from carnet.accounts.services import staff_create, totp_enrolment_secret
from carnet.common import clock
from carnet.identity.models import Professional
from tests.factories import ProfessionalFactory
from tests.records.helpers import World, make_world, pro_actor

from .journeys import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATIENT_PASSWORD = "x-Motdepasse-1234"  # the password of tests.records.helpers.give_account
PRO_PASSWORD = "Seringue-Bleue-2025!"


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def _patient_login(page: Any, world: World) -> None:
    user = User.objects.get(person=world.patient)
    login(page, world.patient, user.username, PATIENT_PASSWORD)
    page.wait_for_url(re.compile("/espace/$"))


def _professional_login(page: Any, professional: Professional, username: str) -> None:
    user = staff_create(role="PROFESSIONAL", username=username, password=PRO_PASSWORD, rpps=professional.rpps)
    secret = totp_enrolment_secret(user=user)
    User.objects.filter(pk=user.pk).update(totp_confirmed=True)
    page.goto("/connexion/")
    page.get_by_label(re.compile(r"^Identifiant")).fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PRO_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label(re.compile(r"^Code à 6 chiffres")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile("/pro/$"))


def test_a_patient_records_his_weight_on_several_dates_and_sees_the_chart(page: Any, world: World) -> None:  # type: ignore[no-untyped-def]
    _patient_login(page, world)
    now = timezone.localtime(clock.now())
    weights = [(60, "72,4"), (30, "71,8"), (3, "70,9")]
    for days, kg in weights:
        page.goto("/espace/profil/mesures/")
        page.get_by_label(re.compile(r"^Mesure")).select_option("WEIGHT")
        page.get_by_label(re.compile(r"^Valeur")).fill(kg)
        page.get_by_label(re.compile(r"^Date et heure de la mesure")).fill(
            (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
        )
        page.get_by_role("button", name="Enregistrer la mesure").click()
        page.get_by_text("La mesure est enregistrée.").first.wait_for()

    chart = page.locator("svg#chart-weight")
    chart.wait_for()
    assert chart.get_attribute("role") == "img"
    assert chart.locator(".point").count() == len(weights)
    assert page.locator("table.measure-data[data-code='WEIGHT'] tbody tr").count() == len(weights)
    assert page.get_by_role("cell", name="70,9 kg").is_visible()

    page.locator("label[for='periode-3m']").click()
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"periode=3m"))
    assert page.locator("svg#chart-weight .point").count() == len(weights)


def test_a_pharmacist_adds_a_vaccination_and_the_patient_sees_it_with_its_author(  # type: ignore[no-untyped-def]
    page: Any, browser: Any, live_server: Any, world: World
) -> None:
    pharmacist = ProfessionalFactory(
        profession_code="G15_21", specialty_code="", first_name="Inès", last_name="OFFICINE"
    )
    access_services.care_relation_record(
        actor=pro_actor(pharmacist), patient_id=world.patient.pk, kind="EXPLICIT"
    )

    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    pro_page = context.new_page()
    pro_page.set_default_timeout(10_000)
    _professional_login(pro_page, pharmacist, "pharmacienne.officine")
    pro_page.goto(f"/pro/patients/{world.patient.public_id}/vaccinations/")
    pro_page.get_by_role("link", name="Ajouter une vaccination").click()
    pro_page.get_by_label(re.compile(r"^Date de vaccination")).fill(
        timezone.localtime(clock.now()).strftime("%d/%m/%Y")
    )
    pro_page.locator("select#id_vaccine_code").select_option("INFLUENZA")
    pro_page.get_by_label(re.compile(r"^Numéro de lot")).fill("GRIPPE-2025-A7")
    pro_page.get_by_role("button", name="Ajouter la vaccination").click()
    pro_page.get_by_text("La vaccination est ajoutée au profil du patient.").first.wait_for()
    context.close()

    _patient_login(page, world)
    page.goto("/espace/profil/vaccinations/")
    row = page.locator("tr", has_text="GRIPPE-2025-A7")
    row.first.wait_for()
    assert row.first.locator("td.vaccination-author").inner_text() == "Inès OFFICINE (Pharmacien)"
    assert page.get_by_role("heading", name="Grippe").is_visible()
