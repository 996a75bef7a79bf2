"""Routes of vaccinations, measurements and growth curves. Public UUIDs only in URLs (never a measure,
a vaccine or a NIR)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "vitals"
urlpatterns: list[URLPattern] = [
    # holder's side
    path("espace/profil/vaccinations/", views.vaccinations, name="vaccinations"),
    path("espace/profil/vaccinations/ajouter/", views.vaccination_add, name="vaccination_add"),
    path(
        "espace/profil/vaccinations/<uuid:vaccination_id>/modifier/",
        views.vaccination_edit,
        name="vaccination_edit",
    ),
    path(
        "espace/profil/vaccinations/<uuid:vaccination_id>/supprimer/",
        views.vaccination_delete,
        name="vaccination_delete",
    ),
    path("espace/profil/mesures/", views.measures, name="measures"),
    path("espace/profil/mesures/ajouter/", views.measure_add, name="measure_add"),
    path("espace/profil/mesures/croissance/", views.growth_curves, name="growth"),
    path(
        "espace/profil/mesures/<uuid:measurement_id>/supprimer/", views.measure_delete, name="measure_delete"
    ),
    # professional side (R-PML-1)
    path("pro/patients/<uuid:patient_id>/vaccinations/", views.pro_vaccinations, name="pro_vaccinations"),
    path(
        "pro/patients/<uuid:patient_id>/vaccinations/ajouter/",
        views.pro_vaccination_add,
        name="pro_vaccination_add",
    ),
    path(
        "pro/patients/<uuid:patient_id>/vaccinations/<uuid:vaccination_id>/modifier/",
        views.pro_vaccination_edit,
        name="pro_vaccination_edit",
    ),
]
