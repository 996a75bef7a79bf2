"""Routes of the secure messaging (SPEC §5). Public UUIDs only in URLs; never a NIR, a subject or a
searched word (searches are POSTed)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "messaging"
urlpatterns: list[URLPattern] = [
    # holder's side (himself, his legal representative or his caregiver)
    path("espace/messagerie/", views.inbox, name="inbox"),
    path("espace/messagerie/recherche/", views.search, name="search"),
    path("espace/messagerie/nouveau/", views.compose, name="compose"),
    path("espace/messagerie/brouillons/", views.drafts, name="drafts"),
    path("espace/messagerie/brouillons/<uuid:message_id>/", views.draft, name="draft"),
    path("espace/messagerie/<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("espace/messagerie/<uuid:conversation_id>/non-lu/", views.mark_unread, name="mark_unread"),
    path("espace/messagerie/<uuid:conversation_id>/supprimer/", views.delete, name="delete"),
    path(
        "espace/messagerie/<uuid:conversation_id>/confidentialite/",
        views.confidential,
        name="confidential",
    ),
    path(
        "espace/messagerie/pieces-jointes/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "espace/messagerie/pieces-jointes/<uuid:attachment_id>/enregistrer/",
        views.attachment_save,
        name="attachment_save",
    ),
    # professionals
    path("pro/messagerie/", views.pro_inbox, name="pro_inbox"),
    path("pro/messagerie/ecrire/", views.pro_find, name="pro_find"),
    path("pro/messagerie/ecrire/<uuid:patient_id>/", views.pro_compose, name="pro_compose"),
    path("pro/messagerie/brouillons/", views.pro_drafts, name="pro_drafts"),
    path("pro/messagerie/brouillons/<uuid:message_id>/", views.pro_draft, name="pro_draft"),
    path("pro/messagerie/<uuid:conversation_id>/", views.pro_conversation, name="pro_conversation"),
    path("pro/messagerie/<uuid:conversation_id>/terminer/", views.pro_end, name="pro_end"),
    path(
        "pro/messagerie/<uuid:conversation_id>/confidentialite/",
        views.pro_confidential,
        name="pro_confidential",
    ),
    path(
        "pro/messagerie/pieces-jointes/<uuid:attachment_id>/",
        views.pro_attachment_download,
        name="pro_attachment",
    ),
]
