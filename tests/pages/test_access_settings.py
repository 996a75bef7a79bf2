"""The patient's "Professionnels et accès" page (SPEC §3.2, §3.4, §3.5): professionals with access,
declarations, roles, block / unblock, emergency settings (R-EM-4), temporary access code (R-AC-16)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carnet.access import services as access_services
from carnet.access.models import (
    CareRelation,
    EmergencySettings,
    ProfessionalStanding,
    RelationKind,
    TemporaryAccessCode,
)
from carnet.spaces.acting import SESSION_KEY
from tests.pages.conftest import Pages
from tests.records.helpers import give_account, give_space, new_person, pro_actor

pytestmark = pytest.mark.django_db

PAGE = "/espace/acces/"


def _consent(pages: Pages, professional: Any, kind: str = "EXPLICIT") -> CareRelation:
    return access_services.care_relation_record(
        actor=pro_actor(professional), patient_id=pages.world.patient.pk, kind=kind
    )


def test_page_lists_professionals_with_access_and_since_when_r_ac_14(pages: Pages) -> None:
    _consent(pages, pages.world.dentist)
    body = pages.patient_client().get(PAGE).content.decode()
    assert pages.world.dentist.display_name in body
    assert "Accès à mes informations de santé depuis le 5 janvier 2026." in body


def test_patient_blocks_then_unblocks_a_professional_r_blk_1(pages: Pages) -> None:
    _consent(pages, pages.world.dentist)
    client = pages.patient_client()
    client.post(f"{PAGE}professionnels/{pages.world.dentist.public_id}/bloquer/")
    standing = ProfessionalStanding.objects.get(professional=pages.world.dentist)
    assert standing.blocked_at is not None
    assert "Bloqué" in client.get(PAGE).content.decode()
    client.post(f"{PAGE}professionnels/{pages.world.dentist.public_id}/debloquer/")
    standing.refresh_from_db()
    assert standing.blocked_at is None


def test_block_button_states_its_effect_r_blk_2(pages: Pages) -> None:
    _consent(pages, pages.world.dentist)
    body = pages.patient_client().get(PAGE).content.decode()
    assert "ne pourra plus accéder à mes documents" in body


def test_patient_designates_a_medecin_traitant_and_an_administrateur_r_ac_15_r_mask_2(pages: Pages) -> None:
    _consent(pages, pages.world.gp)
    client = pages.patient_client()
    client.post(f"{PAGE}professionnels/{pages.world.gp.public_id}/role/medecin-traitant/", {"enabled": "1"})
    client.post(f"{PAGE}professionnels/{pages.world.gp.public_id}/role/administrateur/", {"enabled": "1"})
    standing = ProfessionalStanding.objects.get(professional=pages.world.gp)
    assert standing.is_medecin_traitant and standing.is_administrator
    client.post(f"{PAGE}professionnels/{pages.world.gp.public_id}/role/administrateur/", {"enabled": "0"})
    standing.refresh_from_db()
    assert not standing.is_administrator


def test_unknown_role_answers_404(pages: Pages) -> None:
    response = pages.patient_client().post(f"{PAGE}professionnels/{pages.world.gp.public_id}/role/chef/")
    assert response.status_code == 404


def test_patient_declares_a_professional_by_rpps_r_ac_15(pages: Pages) -> None:
    response = pages.patient_client().post(
        f"{PAGE}declarer/", {"rpps": pages.world.nurse.rpps, "medecin_traitant": ""}
    )
    assert response.status_code == 302
    assert CareRelation.objects.filter(
        professional=pages.world.nurse, kind=RelationKind.DECLARED_BY_PATIENT
    ).exists()


def test_unknown_rpps_is_refused_next_to_the_field(pages: Pages) -> None:
    body = pages.patient_client().post(f"{PAGE}declarer/", {"rpps": "10000000000"}).content.decode()
    assert 'id="id_rpps-error"' in body
    assert not CareRelation.objects.exists()


def test_patient_withdraws_an_authorisation_r_blk_1(pages: Pages) -> None:
    relation = _consent(pages, pages.world.dentist)
    pages.patient_client().post(f"{PAGE}autorisations/{relation.public_id}/retirer/")
    relation.refresh_from_db()
    assert relation.ended_at is not None


def test_emergency_settings_show_the_spec_texts_and_defaults_r_em_4_r_em_5(pages: Pages) -> None:
    body = pages.patient_client().get(PAGE).content.decode()
    assert (
        "J&#x27;autorise les professionnels de santé du SAMU à accéder à ces rubriques en cas d&#x27;urgence."
        in body
    )
    assert "consulter mes documents masqués en cas d&#x27;urgence" in body
    assert '<input type="radio" name="btg" value="permit" id="id_btg_0" required checked>' in body
    assert '<input type="radio" name="masked" value="deny" id="id_masked_1" required checked>' in body


def test_patient_changes_the_emergency_settings_r_em_4(pages: Pages) -> None:
    response = pages.patient_client().post(
        f"{PAGE}urgence/", {"etreat": "permit", "btg": "deny", "masked": "permit"}
    )
    assert response.status_code == 302
    row = EmergencySettings.objects.get(patient_id=pages.world.patient.pk)
    assert (row.etreat, row.btg, row.masked) == ("permit", "deny", "permit")


def test_incomplete_emergency_settings_are_refused_next_to_the_field(pages: Pages) -> None:
    body = (
        pages.patient_client().post(f"{PAGE}urgence/", {"etreat": "permit", "btg": "deny"}).content.decode()
    )
    assert 'id="id_masked-error"' in body
    assert not EmergencySettings.objects.exists()


def test_temporary_code_is_shown_once_and_stored_hashed_r_ac_16(pages: Pages) -> None:
    client = pages.patient_client()
    response = client.post(f"{PAGE}code-temporaire/")
    row = TemporaryAccessCode.objects.get()
    body = response.content.decode()
    assert 'id="temporary-code"' in body
    code = body.split('<p class="carnet-code">')[1].split("</p>")[0]
    assert len(code) == 8 and code not in row.code_hash
    assert code not in client.get(PAGE).content.decode()


def test_caregiver_gets_404_on_the_access_settings_r_del_2(pages: Pages) -> None:
    from tests.factories import DelegationFactory

    helper = new_person()
    give_space(helper)
    give_account(helper)
    DelegationFactory(kind="CAREGIVING", subject=pages.world.patient, delegate=helper)
    client = Client()
    client.force_login(helper.account)
    session = client.session
    session[SESSION_KEY] = str(pages.world.patient.public_id)
    session.save()
    assert client.get(PAGE).status_code == 404
    assert client.post(f"{PAGE}code-temporaire/").status_code == 404
    assert not TemporaryAccessCode.objects.exists()


def test_professional_gets_404_on_the_patients_access_settings(pages: Pages) -> None:
    assert pages.pro_client(pages.world.gp).get(PAGE).status_code == 404


def test_settings_changes_need_a_post(pages: Pages) -> None:
    assert pages.patient_client().get(f"{PAGE}code-temporaire/").status_code == 405
