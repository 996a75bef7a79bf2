from django.urls import path

from . import views

app_name = "agenda"

urlpatterns = [
    path("agenda/", views.agenda_list, name="list"),
    path("agenda/mois/", views.month, name="month"),
    path("agenda/rendez-vous/nouveau/", views.appointment_new, name="appointment_new"),
    path("agenda/rendez-vous/<uuid:public_id>/modifier/", views.appointment_edit, name="appointment_edit"),
    path("agenda/rendez-vous/<uuid:public_id>/annuler/", views.appointment_cancel, name="appointment_cancel"),
    path("agenda/rappels/nouveau/", views.reminder_new, name="reminder_new"),
    path("agenda/rappels/<uuid:public_id>/supprimer/", views.reminder_delete, name="reminder_delete"),
    path("agenda/abonnement/", views.subscription, name="subscription"),
    path("agenda/import/", views.import_ics, name="import"),
    path("agenda/<str:token>.ics", views.feed, name="feed"),
]
