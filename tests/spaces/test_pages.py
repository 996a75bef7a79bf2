"""Pages of the lifecycle: public pages, opposition flow, patient home and settings in every status."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from carnet.accounts.models import User
from carnet.spaces import services
from carnet.spaces.models import DeletionStatus, ExportRequest, SpaceStatus
from tests.factories import DelegationFactory, HealthSpaceFactory, PatientUserFactory, ProfessionalFactory

from .conftest import INSURANCE, OPERATOR, PASSWORD, VITALE, assert_traced, patient_actor, space_of

pytestmark = pytest.mark.django_db


def _identify(client, person, **extra):  # type: ignore[no-untyped-def]
    data = {"nir": person.ins_matricule, "vitale_serial": VITALE, "birth_date": person.birth_date.isoformat()}
    data.update(extra)
    return client.post(reverse("spaces:opposition"), data)


def test_public_home_explains_the_service_and_links_to_opposition(client) -> None:
    """R-LC-2: what it is, opt-out by default, the 6-week window, the links."""
    response = client.get(reverse("spaces:public_home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "6 semaines" in body
    assert reverse("spaces:opposition") in body
    assert reverse("spaces:code_renew") in body


def test_opposition_page_flow_ends_with_a_downloadable_proof(client, informed) -> None:
    """R-LC-2/3/5: identify, confirm, download the PDF proof (the space is in the session, not the URL)."""
    space, _code = informed
    response = _identify(client, space.person)
    assert response.status_code == 302
    assert response.url == reverse("spaces:opposition_confirm")
    assert str(space.public_id) not in response.url
    assert client.get(response.url).status_code == 200
    response = client.post(reverse("spaces:opposition_confirm"))
    assert response.url == reverse("spaces:opposition_done")
    space.refresh_from_db()
    assert space.status == SpaceStatus.OPPOSED
    done = client.get(response.url)
    assert space.opposition_reference in done.content.decode()
    proof = client.get(reverse("spaces:opposition_proof"))
    assert proof["Content-Type"] == "application/pdf"
    assert "attachment" in proof["Content-Disposition"]
    text = PdfReader(io.BytesIO(proof.content)).pages[0].extract_text()
    assert space.opposition_reference in text
    assert_traced(space, "OPPOSITION_PROOF_DOWNLOADED")


def test_proof_can_be_downloaded_later_from_the_same_identification_form(client, informed) -> None:
    """R-LC-5: a person who opposed identifies again and gets the proof."""
    space, _code = informed
    services.space_oppose(
        space=space, actor=INSURANCE.__class__(INSURANCE.kind, "x", person_id=space.person.pk)
    )
    response = _identify(client, space.person)
    assert response.url == reverse("spaces:opposition_done")
    assert client.get(reverse("spaces:opposition_proof")).status_code == 200


def test_proof_is_not_served_without_identification(client) -> None:
    assert client.get(reverse("spaces:opposition_proof")).status_code == 404


def test_identity_errors_are_generic(client, informed) -> None:
    """Security: a wrong serial and an unknown person get the same answer and status."""
    space, _code = informed
    wrong = _identify(client, space.person, vitale_serial="98765432109")
    from tests.factories import PersonFactory

    stranger = PersonFactory.build()
    unknown = _identify(client, stranger)
    assert wrong.status_code == unknown.status_code == 200
    assert "ne permettent pas de vous identifier" in wrong.content.decode()
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_opposition_form_shows_field_errors_next_to_the_field(client) -> None:
    response = client.post(
        reverse("spaces:opposition"), {"nir": "123", "vitale_serial": "abc", "birth_date": ""}
    )
    body = response.content.decode()
    assert "fr-input-group--error" in body
    assert 'id="id_nir-error"' in body
    assert 'id="id_vitale_serial-error"' in body


def test_code_renewal_page_answers_the_same_way(client, informed) -> None:
    """R-LC-4: the same message whether or not a code was sent."""
    space, _code = informed
    person = space.person
    data = {
        "nir": person.ins_matricule,
        "vitale_serial": VITALE,
        "birth_date": person.birth_date.isoformat(),
        "channel": "EMAIL",
    }
    known = client.post(reverse("spaces:code_renew"), data, follow=True)
    data["vitale_serial"] = "98765432109"
    wrong = client.post(reverse("spaces:code_renew"), data, follow=True)
    assert [str(m) for m in known.context["messages"]] == [str(m) for m in wrong.context["messages"]]


@pytest.mark.parametrize(
    "status",
    [
        SpaceStatus.INFORMED,
        SpaceStatus.OPEN_NOT_ACTIVATED,
        SpaceStatus.ACTIVATED,
        SpaceStatus.OPPOSED,
        SpaceStatus.CLOSED,
        SpaceStatus.SUSPENDED,
        SpaceStatus.DELETED,
    ],
)
def test_home_and_settings_render_for_every_status(client, clock, status) -> None:
    user = PatientUserFactory()
    HealthSpaceFactory(person=user.person, status=status)
    client.force_login(user)
    home = client.get(reverse("spaces:home"))
    settings_page = client.get(reverse("spaces:settings"))
    assert home.status_code == 200
    assert settings_page.status_code == 200
    assert str(SpaceStatus(status).label) in home.content.decode()


def test_settings_offer_closure_and_export_to_the_holder(client, holder) -> None:
    client.force_login(holder)
    body = client.get(reverse("spaces:settings")).content.decode()
    assert reverse("spaces:close") in body
    assert reverse("spaces:export_request") in body


def test_caregiver_does_not_see_closure_export_or_credentials(client, holder) -> None:
    """R-DEL-2: an aidant acting for the helped person sees no closure, export or devices."""
    caregiver = PatientUserFactory()
    HealthSpaceFactory(person=caregiver.person)
    DelegationFactory(subject=holder.person, delegate=caregiver.person, kind="CAREGIVING")
    client.force_login(caregiver)
    session = client.session
    session["acting_for"] = str(holder.person.public_id)
    session.save()
    response = client.get(reverse("spaces:settings"))
    body = response.content.decode()
    assert response.context["acting"].subject == holder.person
    assert reverse("spaces:close") not in body
    assert reverse("spaces:export_request") not in body
    assert not response.context["caps"].credentials
    assert client.post(reverse("spaces:export_request")).status_code == 302
    assert not ExportRequest.objects.exists()


def test_closing_from_the_settings_logs_the_holder_out(client, holder) -> None:
    """R-LC-20: password confirmation, then logged out."""
    client.force_login(holder)
    response = client.post(reverse("spaces:close"), {"password": PASSWORD, "request_deletion": "on"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    space = space_of(holder)
    assert space.status == SpaceStatus.CLOSED
    assert space.deletion_status == DeletionStatus.REQUESTED


def test_closing_with_a_wrong_password_shows_the_error_next_to_the_field(client, holder) -> None:
    client.force_login(holder)
    response = client.post(reverse("spaces:close"), {"password": "faux"})
    assert response.status_code == 400
    assert 'id="id_password-error"' in response.content.decode()
    assert space_of(holder).status == SpaceStatus.ACTIVATED


def test_reopen_page_reopens_a_closed_space(client, holder) -> None:
    """R-LC-23."""
    services.space_close(
        space=space_of(holder),
        actor=patient_actor(holder),
        password=PASSWORD,
        user=holder,
        request_deletion=False,
    )
    client.force_login(holder)
    assert client.get(reverse("spaces:reopen")).status_code == 200
    response = client.post(reverse("spaces:reopen"), {"action": "reopen"})
    assert response.status_code == 302
    assert space_of(holder).status == SpaceStatus.ACTIVATED


def test_reopen_page_requests_then_cancels_deletion(client, holder) -> None:
    """R-LC-22 from the reopening page."""
    services.space_close(
        space=space_of(holder),
        actor=patient_actor(holder),
        password=PASSWORD,
        user=holder,
        request_deletion=False,
    )
    client.force_login(holder)
    client.post(reverse("spaces:reopen"), {"action": "delete", "password": PASSWORD})
    assert space_of(holder).deletion_status == DeletionStatus.REQUESTED
    page = client.get(reverse("spaces:reopen")).content.decode()
    assert "Demande de suppression des données en cours" in page
    client.post(reverse("spaces:deletion_cancel"), {"from": "reopen"})
    assert space_of(holder).deletion_status == DeletionStatus.CANCELLED


def test_reopen_page_is_404_for_an_active_space(client, holder) -> None:
    client.force_login(holder)
    assert client.get(reverse("spaces:reopen")).status_code == 404


def test_suspension_page_lets_the_holder_object(client, holder) -> None:
    """R-LC-24."""
    services.space_suspend(space=space_of(holder), actor=OPERATOR, motif="FRAUDE")
    client.force_login(holder)
    assert client.get(reverse("spaces:suspension")).status_code == 200
    client.post(reverse("spaces:suspension"))
    assert space_of(holder).status == SpaceStatus.ACTIVATED


def test_export_download_streams_the_zip_without_caching_and_is_traced(
    client, holder, django_capture_on_commit_callbacks
) -> None:
    """R-LC-25: request (built by the inline task after commit), then download."""
    client.force_login(holder)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("spaces:export_request"))
    export = ExportRequest.objects.get()
    assert export.status == "READY"
    response = client.get(reverse("spaces:export_download", args=[export.public_id]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert "donnees.json" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert_traced(space_of(holder), "EXPORT_DOWNLOADED")


def test_someone_elses_export_is_404(client, holder, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(space=space_of(holder), actor=patient_actor(holder), user=holder)
    other = PatientUserFactory()
    HealthSpaceFactory(person=other.person)
    client.force_login(other)
    assert client.get(reverse("spaces:export_download", args=[export.public_id])).status_code == 404


def test_professional_home_shows_name_and_profession(client, db) -> None:
    professional = ProfessionalFactory(profession_code="G15_10")
    user = User.objects.create_user(
        username="pro.test", password=PASSWORD, role="PROFESSIONAL", professional=professional
    )
    client.force_login(user)
    body = client.get(reverse("spaces:pro_home")).content.decode()
    assert professional.last_name in body
    assert "Médecin" in body


def test_wrong_role_gets_404(client, holder) -> None:
    client.force_login(holder)
    assert client.get(reverse("spaces:pro_home")).status_code == 404


def test_legal_representative_can_oppose_from_the_childs_settings(client, clock) -> None:
    """R-LC-2: a button on the child's settings."""
    from datetime import date

    from .conftest import make_child

    parent = PatientUserFactory()
    HealthSpaceFactory(person=parent.person)
    child = make_child(parent.person, birth_date=date(2016, 4, 4))
    space, _code = services.space_inform(person=child, actor=INSURANCE)
    client.force_login(parent)
    session = client.session
    session["acting_for"] = str(child.public_id)
    session.save()
    assert reverse("spaces:oppose_for_child") in client.get(reverse("spaces:settings")).content.decode()
    response = client.post(reverse("spaces:oppose_for_child"))
    assert response.url == reverse("spaces:opposition_done")
    space.refresh_from_db()
    assert space.status == SpaceStatus.OPPOSED


def test_settings_include_devices_and_delegations_for_the_holder(client, holder) -> None:
    """R-LC-12 devices and §8 delegations are part of the holder's settings."""
    client.force_login(holder)
    response = client.get(reverse("spaces:settings"))
    assert response.context["devices_included"] is True
    assert response.context["delegations_included"] is True
