from django.urls import path

from . import views

app_name = "fhir"

urlpatterns = [
    path("", views.transaction_endpoint, name="transaction"),
    path("metadata", views.metadata, name="metadata"),
    path("DocumentReference", views.document_reference_search, name="documentreference-search"),
    path(
        "DocumentReference/_search",
        views.document_reference_search_post,
        name="documentreference-search-post",
    ),
    path("DocumentReference/<str:document_id>", views.document_reference_read, name="documentreference-read"),
    path("Binary/<str:document_id>", views.binary_read, name="binary-read"),
]
