"""Carnet's URLs plus ``/bench/patients/<uuid>/documents[/<uuid>]`` (session-authenticated professional)
and the framework floors ``/bench/floor/{anonymous,session,session-trace}``."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/patients/<uuid:patient_id>/documents", views.documents_list),
    path("bench/patients/<uuid:patient_id>/documents/<uuid:document_id>", views.document_get),
    path("bench/floor/anonymous", views.floor_anonymous),
    path("bench/floor/session", views.floor_session),
    path("bench/floor/session-trace", views.floor_session_trace),
    path("", include("carnet.config.urls")),
]
