"""OAuth2 client credentials (RFC 6749 §4.4, §5.2) for establishments' software (SPEC R-DEP-6)."""

from __future__ import annotations

import base64

from django.core.management import call_command
from django.test import Client

from carnet.api.models import ApiClient, ApiToken
from tests.api.conftest import OAuthClient, bearer, get_token, make_oauth_client
from tests.records.helpers import World


def _docs_url(world: World) -> str:
    return f"/api/patients/{world.patient.public_id}/documents"


def test_client_credentials_in_the_form_give_a_one_hour_bearer_token(
    world: World, lab_oauth: OAuthClient
) -> None:
    """RFC 6749 §4.4.3: access_token, token_type Bearer, expires_in 3600, scope."""
    response = Client().post(
        "/api/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": lab_oauth.client.client_id,
            "client_secret": lab_oauth.secret,
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "documents")
    assert response["Cache-Control"] == "no-store"


def test_client_credentials_by_http_basic_are_accepted(world: World, lab_oauth: OAuthClient) -> None:
    """RFC 6749 §2.3.1: HTTP Basic client authentication."""
    basic = base64.b64encode(f"{lab_oauth.client.client_id}:{lab_oauth.secret}".encode()).decode()
    response = Client().post(
        "/api/oauth/token", {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_token_and_secret_are_stored_only_hashed(world: World, lab_oauth: OAuthClient) -> None:
    """Secrets and tokens never sit in clear in the database."""
    token = get_token(Client(), lab_oauth)
    row = ApiClient.objects.get(pk=lab_oauth.client.pk)
    assert lab_oauth.secret not in row.secret_hash
    assert not ApiToken.objects.filter(token_hash=token).exists()


def test_bad_secret_is_refused_with_invalid_client(world: World, lab_oauth: OAuthClient) -> None:
    """RFC 6749 §5.2: invalid_client, 401."""
    response = Client().post(
        "/api/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": lab_oauth.client.client_id,
            "client_secret": "faux",
        },
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_unknown_client_gets_the_same_answer_as_a_bad_secret(world: World, lab_oauth: OAuthClient) -> None:
    """Nobody can probe which client ids exist."""
    http = Client()
    unknown = http.post(
        "/api/oauth/token", {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    )
    bad = http.post(
        "/api/oauth/token",
        {"grant_type": "client_credentials", "client_id": lab_oauth.client.client_id, "client_secret": "y"},
    )
    assert (unknown.status_code, unknown.json()) == (bad.status_code, bad.json())


def test_other_grant_types_are_unsupported(world: World, lab_oauth: OAuthClient) -> None:
    """RFC 6749 §5.2: unsupported_grant_type."""
    response = Client().post(
        "/api/oauth/token",
        {
            "grant_type": "password",
            "client_id": lab_oauth.client.client_id,
            "client_secret": lab_oauth.secret,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_a_scope_beyond_the_clients_is_refused_with_invalid_scope(
    world: World, lab_oauth: OAuthClient
) -> None:
    """RFC 6749 §5.2: invalid_scope."""
    response = Client().post(
        "/api/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": lab_oauth.client.client_id,
            "client_secret": lab_oauth.secret,
            "scope": "documents agenda",
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_a_token_without_the_documents_scope_is_refused_by_document_endpoints(world: World) -> None:
    """RFC 6750 §3.1: insufficient_scope, 403."""
    token = get_token(Client(), make_oauth_client(world.lab_org, scopes="agenda"))
    response = Client().get(_docs_url(world), headers=bearer(token))
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


def test_token_expires_after_one_hour(world: World, lab_token: str, clock) -> None:  # type: ignore[no-untyped-def]
    """The token lifetime reads carnet.common.clock (invariant 6)."""
    http = Client()
    assert (
        http.post(
            "/api/documents/_search",
            {"patient": {"id": str(world.patient.public_id)}},
            content_type="application/json",
            headers=bearer(lab_token),
        ).status_code
        != 401
    )
    clock.advance(minutes=61)
    response = http.get(_docs_url(world), headers=bearer(lab_token))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_revoked_client_loses_its_tokens(world: World, lab_oauth: OAuthClient, lab_token: str) -> None:
    from carnet.api.services import api_client_revoke

    api_client_revoke(client=lab_oauth.client)
    assert Client().get(_docs_url(world), headers=bearer(lab_token)).status_code == 401


def test_create_api_client_command_prints_the_secret_once(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    """``carnet create-api-client --finess ... --name ...``: the printed secret works; only its hash is kept."""
    call_command("create_api_client", finess=world.lab_org.finess, name="SIH")
    out = capsys.readouterr().out
    client_id = out.split("client_id: ")[1].split()[0]
    secret = out.split("client_secret: ")[1].split()[0]
    client = ApiClient.objects.get(client_id=client_id)
    assert client.organisation == world.lab_org and secret not in client.secret_hash
    assert get_token(Client(), OAuthClient(client, secret))
