"""Fixtures of the API tests: a world of patients and professionals (tests/records/helpers.py), an
establishment's OAuth2 client and its token, and logged-in browser sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import Role, User
from carnet.api.models import ApiClient
from carnet.api.services import api_client_create
from carnet.identity.models import Organisation, Professional
from tests.records.helpers import World, make_world


@dataclass
class OAuthClient:
    client: ApiClient
    secret: str


@pytest.fixture
def world(db: Any, clock: Any) -> World:
    return make_world()


def make_oauth_client(organisation: Organisation, scopes: str = "documents") -> OAuthClient:
    client, secret = api_client_create(
        organisation=organisation, name="Logiciel du laboratoire", scopes=scopes
    )
    return OAuthClient(client, secret)


def get_token(http: Client, oauth: OAuthClient, **extra: str) -> str:
    response = http.post(
        "/api/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": oauth.client.client_id,
            "client_secret": oauth.secret,
            **extra,
        },
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


@pytest.fixture
def lab_oauth(world: World) -> OAuthClient:
    return make_oauth_client(world.lab_org)


@pytest.fixture
def lab_token(world: World, lab_oauth: OAuthClient) -> str:
    return get_token(Client(), lab_oauth)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def patient_client(world: World) -> Client:
    http = Client()
    user = User.objects.get(person=world.patient)
    http.force_login(user)
    return http


def professional_client(professional: Professional) -> Client:
    user = User.objects.filter(professional=professional).first() or User.objects.create_user(
        username=f"pro-{professional.public_id.hex[:10]}",
        password="x-Motdepasse-1234",
        role=Role.PROFESSIONAL,
        professional=professional,
    )
    http = Client()
    http.force_login(user)
    return http
