from django.urls import path, re_path

from . import profile_views, views
from .profile_types import TYPE_PATTERN

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
    # Medical profile (issue 4): read/search, then an OperationOutcome for anything else.
    re_path(
        rf"^(?P<resource_type>{TYPE_PATTERN})$",
        profile_views.profile_search,
        name="profile-search",
    ),
    re_path(
        rf"^(?P<resource_type>{TYPE_PATTERN})/_search$",
        profile_views.profile_search_post,
        name="profile-search-post",
    ),
    re_path(
        rf"^(?P<resource_type>{TYPE_PATTERN})/(?P<resource_id>[^/]+)$",
        profile_views.profile_read,
        name="profile-read",
    ),
    re_path(r"^(?P<resource_type>[^/]+)(?:/(?P<rest>.*))?$", profile_views.unsupported, name="unsupported"),
]
