"""Role gating of the back-office (ARCHITECTURE "operator staff").

STYLE: "not found" and "not allowed" answer the same (404).
"""

from __future__ import annotations

import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, reverse

from carnet.accounts.models import Role
from carnet.backoffice import urls as backoffice_urls
from carnet.backoffice.models import SupportCategory, SupportRequest
from carnet.common import clock
from carnet.common.permissions import operator_required, role_required

from .helpers import make_space, make_user

pytestmark = pytest.mark.django_db


def _backoffice_urls() -> list[tuple[str, str]]:
    """Every ``backoffice:`` pattern with real public ids filled in: (name, url)."""
    space = make_space()
    now = clock.now()
    support = SupportRequest.objects.create(
        category=SupportCategory.LOGIN, contact_email="aide@example.org", created_at=now, updated_at=now
    )
    values = {"space_id": space.public_id, "request_id": support.public_id}
    urls = []
    for pattern in backoffice_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        urls.append((pattern.name or "", reverse(f"backoffice:{pattern.name}", kwargs=kwargs)))
    return urls


def test_every_backoffice_page_redirects_anonymous_visitors_to_login(client) -> None:
    for name, url in _backoffice_urls():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


@pytest.mark.parametrize("role", [Role.PATIENT, Role.PROFESSIONAL])
def test_every_backoffice_page_answers_404_to_patients_and_professionals(client, role) -> None:
    client.force_login(make_user(role))
    for name, url in _backoffice_urls():
        assert client.get(url).status_code == 404, name
        assert client.post(url).status_code == 404, name


def test_every_backoffice_page_opens_for_operators(client) -> None:
    client.force_login(make_user(Role.OPERATOR))
    for name, url in _backoffice_urls():
        assert client.get(url).status_code in {200, 302, 405}, name


def test_a_wrong_role_gets_the_same_page_as_an_unknown_address(client) -> None:
    client.force_login(make_user(Role.PATIENT))
    forbidden = client.get(reverse("backoffice:home"))
    missing = client.get(f"/backoffice/espaces/{uuid.uuid4()}/nope/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.templates[0].name == missing.templates[0].name == "404.html"


def test_an_unknown_space_id_answers_404_to_operators(operator_client) -> None:
    url = reverse("backoffice:space_detail", kwargs={"space_id": uuid.uuid4()})
    assert operator_client.get(url).status_code == 404


def test_operators_get_404_on_patient_pages(operator_client) -> None:
    """Operators never see a patient's space (ARCHITECTURE: no medical content for operator staff)."""
    for url in (reverse("spaces:home"), reverse("spaces:settings")):
        assert operator_client.get(url).status_code == 404, url


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_role_required_lets_listed_roles_through() -> None:
    request = RequestFactory().get("/x/")
    request.user = make_user(Role.PROFESSIONAL)
    view = role_required(Role.PROFESSIONAL, Role.OPERATOR)(_ok)
    assert view(request).status_code == 200


def test_operator_required_refuses_an_inactive_operator_like_a_missing_page() -> None:
    from django.http import Http404

    request = RequestFactory().get("/x/")
    user = make_user(Role.OPERATOR)
    user.is_active = False
    request.user = user
    with pytest.raises(Http404):
        operator_required(_ok)(request)


def test_role_required_rejects_unknown_roles_at_import_time() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        role_required("ADMIN")
