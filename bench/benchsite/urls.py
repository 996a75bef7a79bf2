"""Carnet's URLs plus ``/bench/patients/<uuid>/documents[/<uuid>]`` (session-authenticated professional)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/patients/<uuid:patient_id>/documents", views.documents_list),
    path("bench/patients/<uuid:patient_id>/documents/<uuid:document_id>", views.document_get),
    path("", include("carnet.config.urls")),
]
