"""Routes of the patient's "Historique d'activité" (R-TR-3) and of the history verifier. Public ids only
in URLs.

Include in ``config/urls.py`` with ``path("", include("carnet.history.urls"))``. The namespace stays
``audit`` (the pages' links name ``audit:history``...).
"""

from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from . import views


class ActorIdConverter:
    """A professional's or establishment's public identifier (RPPS, FINESS, UUID): no slashes, ≤ 64."""

    regex = r"[A-Za-z0-9._:-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ActorIdConverter, "actorid")

app_name = "audit"
urlpatterns: list[URLPattern] = [
    path("espace/historique/", views.history, name="history"),
    path("espace/historique/telecharger/", views.history_download, name="history_download"),
    path("espace/historique/empreinte/", views.history_digest, name="history_digest"),
    path("espace/historique/document/<actorid:object_id>/", views.history_document, name="history_document"),
    path(
        "espace/historique/professionnel/<actorid:actor_id>/",
        views.history_professional,
        name="history_professional",
    ),
    # The verifier (public, no login): the page presenting it with the log's key, and the verifier itself.
    path("verifier-historique/", views.verifier_info, name="verifier"),
    path("verifier-historique/verificateur.html", views.verifier_page, name="verifier_page"),
]
