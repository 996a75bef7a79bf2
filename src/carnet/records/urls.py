"""Routes of the record's pages (SPEC §2). Public UUIDs only in URLs; never a NIR, a title or a code.

Patient side under ``/espace/documents/``; professional side under ``/pro/patients/``.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "records"
urlpatterns: list[URLPattern] = [
    # patient side
    path("espace/documents/", views.documents, name="documents"),
    path("espace/documents/ajouter/", views.document_upload, name="upload"),
    path("espace/documents/supprimer/", views.documents_delete, name="delete"),
    path("espace/documents/masquer-par-defaut/", views.documents_mask_all, name="mask_all"),
    path("espace/documents/<uuid:document_id>/", views.document_detail, name="document"),
    path("espace/documents/<uuid:document_id>/contenu/", views.document_content, name="content"),
    path("espace/documents/<uuid:document_id>/telecharger/", views.document_download, name="download"),
    path("espace/documents/<uuid:document_id>/masquer/", views.document_mask, name="mask"),
    path("espace/documents/<uuid:document_id>/demasquer/", views.document_unmask, name="unmask"),
    # professional side
    path("pro/patients/", views.patient_find, name="pro_find"),
    path("pro/patients/<uuid:patient_id>/", views.pro_record, name="pro_record"),
    path("pro/patients/<uuid:patient_id>/deposer/", views.pro_deposit, name="pro_deposit"),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/",
        views.pro_document,
        name="pro_document",
    ),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/contenu/",
        views.pro_document_content,
        name="pro_content",
    ),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/telecharger/",
        views.pro_document_download,
        name="pro_download",
    ),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/remplacer/",
        views.pro_replace,
        name="pro_replace",
    ),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/modifier/",
        views.pro_update,
        name="pro_update",
    ),
    path(
        "pro/patients/<uuid:patient_id>/documents/<uuid:document_id>/supprimer/",
        views.pro_delete,
        name="pro_delete",
    ),
]
