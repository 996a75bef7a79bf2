"""Routes of the lifecycle pages. Public UUIDs only; the opposition flow keeps its space in the session."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "spaces"
urlpatterns: list[URLPattern] = [
    path("", views.public_home, name="public_home"),
    path("opposition/", views.opposition, name="opposition"),
    path("opposition/confirmer/", views.opposition_confirm, name="opposition_confirm"),
    path("opposition/enregistree/", views.opposition_done, name="opposition_done"),
    path("opposition/attestation.pdf", views.opposition_proof, name="opposition_proof"),
    path("code-provisoire/", views.code_renew, name="code_renew"),
    path("espace/", views.home, name="home"),
    path("espace/parametres/", views.settings_page, name="settings"),
    path("espace/parametres/cloture/", views.close, name="close"),
    path("espace/parametres/opposition/", views.oppose_for_child, name="oppose_for_child"),
    path("espace/parametres/suppression/annuler/", views.deletion_cancel, name="deletion_cancel"),
    path("espace/exports/", views.export_create, name="export_request"),
    path("espace/exports/<uuid:public_id>/", views.export_download, name="export_download"),
    path("reouverture/", views.reopen, name="reopen"),
    path("suspension/", views.suspension, name="suspension"),
    path("pro/", views.pro_home, name="pro_home"),
]
