"""Routes of the prevention calendar. No item, vaccine or screening in URLs: choices travel in POST bodies."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "prevention"
urlpatterns: list[URLPattern] = [
    path("espace/prevention/", views.prevention_page, name="page"),
    path("espace/prevention/statut/", views.status_set, name="status_set"),
    path("espace/prevention/desinscription/", views.opt_out, name="opt_out"),
    path("espace/prevention/reinscription/", views.opt_in, name="opt_in"),
    path("espace/prevention/famille/", views.family, name="family"),
]
