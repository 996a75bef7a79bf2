"""Routes of the medical profile (SPEC §4). Public UUIDs only; sections by readable French slugs.

Holder's side under ``/espace/profil/``; professionals under ``/pro/patients/<uuid>/entourage/``.
"""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from . import views

_SLUGS = "|".join(views.SLUGS)
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

app_name = "profile"
urlpatterns: list[URLPattern] = [
    path("espace/profil/", views.overview, name="overview"),
    path("espace/profil/groupe-sanguin/", views.blood_group, name="blood_group"),
    path("espace/profil/habitudes-de-vie/", views.lifestyle, name="lifestyle"),
    path("espace/profil/entourage/", views.entourage, name="entourage"),
    path("espace/profil/directives-anticipees/", views.advance_directives, name="directives"),
    # only our sections' slugs, so the vitals app's routes (vaccinations, mesures) never reach these views
    re_path(rf"^espace/profil/(?P<slug>{_SLUGS})/$", views.section_page, name="section"),
    re_path(rf"^espace/profil/(?P<slug>{_SLUGS})/non-concerne/$", views.not_concerned, name="not_concerned"),
    re_path(
        rf"^espace/profil/(?P<slug>{_SLUGS})/(?P<item_id>{_UUID})/modifier/$",
        views.item_edit,
        name="item_edit",
    ),
    re_path(
        rf"^espace/profil/(?P<slug>{_SLUGS})/(?P<item_id>{_UUID})/supprimer/$",
        views.item_delete,
        name="item_delete",
    ),
    path("pro/patients/<uuid:patient_id>/entourage/", views.pro_entourage, name="pro_entourage"),
]
