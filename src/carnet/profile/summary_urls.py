"""Routes of the profile summary (R-LC-25): holder's side only, no identifier in the URLs."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import summary_views

app_name = "profile_summary"
urlpatterns: list[URLPattern] = [
    path("espace/profil/synthese/", summary_views.summary_page, name="page"),
    path("espace/profil/synthese/ips.json", summary_views.ips_download, name="ips"),
    path("espace/profil/synthese-urgence/", summary_views.emergency_page, name="emergency"),
]
