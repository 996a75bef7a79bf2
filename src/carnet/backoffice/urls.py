from django.urls import path

from . import views, views_notifications

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("espaces/", views.space_list, name="space_list"),
    path("espaces/<uuid:space_id>/", views.space_detail, name="space_detail"),
    path("espaces/<uuid:space_id>/suspendre/", views.space_suspend, name="space_suspend"),
    path("espaces/<uuid:space_id>/deces/", views.space_record_death, name="space_record_death"),
    path("demandes/", views.support_list, name="support_list"),
    path("demandes/<uuid:request_id>/statut/", views.support_status, name="support_status"),
    path("notifications/", views_notifications.notifications, name="notifications"),
]
