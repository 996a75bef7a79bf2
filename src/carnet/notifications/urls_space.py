"""The holder's notification pages (R-NOT-1, R-NOT-3), under ``/espace/notifications/``.

Included from ``config/urls.py`` with ``path("", include("carnet.notifications.urls_space"))``.
"""

from django.urls import path

from . import views

app_name = "notification_centre"
urlpatterns = [
    path("espace/notifications/", views.centre, name="list"),
    path("espace/notifications/tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("espace/notifications/<uuid:public_id>/lu/", views.mark_read, name="mark_read"),
    path("espace/notifications/preferences/", views.preferences, name="preferences"),
]
