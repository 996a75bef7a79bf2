"""Routes of the access pages (SPEC §3). Public UUIDs only in URLs; never a NIR, a code or a reason.

Patient side under ``/espace/acces/``; professional side under ``/pro/patients/<patient>/``.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "access"
urlpatterns: list[URLPattern] = [
    path("espace/acces/", views.sharing, name="sharing"),
    path("espace/acces/declarer/", views.professional_declare, name="declare"),
    path("espace/acces/urgence/", views.emergency_settings, name="emergency_settings"),
    path("espace/acces/code-temporaire/", views.temporary_code, name="temporary_code"),
    path(
        "espace/acces/professionnels/<uuid:professional_id>/bloquer/",
        views.professional_block,
        name="block",
    ),
    path(
        "espace/acces/professionnels/<uuid:professional_id>/debloquer/",
        views.professional_unblock,
        name="unblock",
    ),
    path(
        "espace/acces/professionnels/<uuid:professional_id>/role/<slug:role>/",
        views.professional_role,
        name="role",
    ),
    path("espace/acces/autorisations/<uuid:relation_id>/retirer/", views.consent_end, name="consent_end"),
    path("pro/patients/<uuid:patient_id>/consentement/", views.consent_record, name="pro_consent"),
    path("pro/patients/<uuid:patient_id>/urgence/", views.break_the_glass, name="pro_break_the_glass"),
    path(
        "pro/patients/<uuid:patient_id>/urgence/terminer/",
        views.break_the_glass_end,
        name="pro_break_the_glass_end",
    ),
]
