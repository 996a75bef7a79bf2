"""The installable app's routes: the service worker at the root (its scope is the whole site)."""

from django.urls import path

from . import views

app_name = "pwa"
urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("hors-ligne/", views.offline, name="offline"),
    path("compte/appareils/hors-ligne/", views.offline_summary, name="offline_summary"),
    path("compte/appareils/notifications/", views.push_subscribe, name="push_subscribe"),
    path("compte/appareils/notifications/desactiver/", views.push_unsubscribe, name="push_unsubscribe"),
]
