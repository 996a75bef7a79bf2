"""The legal pages linked from every page's footer (``templates/partials/footer_links.html``)."""

from __future__ import annotations

from django.urls import path

from . import legal

app_name = "legal"
urlpatterns = [
    path("mentions-legales/", legal.legal_notice, name="notice"),
    path("donnees-personnelles/", legal.personal_data, name="personal_data"),
    path("accessibilite/", legal.accessibility, name="accessibility"),
    path("plan-du-site/", legal.sitemap, name="sitemap"),
]
