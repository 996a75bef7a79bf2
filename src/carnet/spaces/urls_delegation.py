"""Routes of delegations (SPEC §1.5, §8). Public UUIDs only in URLs."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views_delegation as views

app_name = "delegation"
urlpatterns: list[URLPattern] = [
    path("espace/agir-pour/", views.acting_for, name="acting_for"),
    path("espace/delegations/", views.home, name="home"),
    path("espace/delegations/aidant/inviter/", views.caregiver_invite, name="caregiver_invite"),
    path("espace/delegations/enfant/ajouter/", views.child_add, name="child_add"),
    path(
        "espace/delegations/enfant/<uuid:child>/representant/inviter/",
        views.representative_invite,
        name="representative_invite",
    ),
    path("espace/delegations/<uuid:delegation>/accepter/", views.accept, name="accept"),
    path("espace/delegations/<uuid:delegation>/refuser/", views.refuse, name="refuse"),
    path("espace/delegations/<uuid:delegation>/revoquer/", views.revoke, name="revoke"),
    path("espace/delegations/<uuid:delegation>/attestation/", views.attestation, name="attestation"),
]
