from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("activation/", views.activate, name="activate"),
    path("activation/identifiant/", views.activate_credentials, name="activate_credentials"),
    path("cgu/", views.cgu, name="cgu"),
    path("connexion/", views.login, name="login"),
    path("connexion/code/", views.login_code, name="login_code"),
    path("connexion/code/renvoyer/", views.login_code_resend, name="login_code_resend"),
    path("connexion/enrolement/", views.totp_enrol, name="totp_enrol"),
    path("deconnexion/", views.logout, name="logout"),
    path("compte/appareils/", views.devices, name="devices"),
    path("compte/appareils/revoquer-tout/", views.devices_revoke_all, name="devices_revoke_all"),
    path("compte/appareils/<uuid:public_id>/revoquer/", views.device_revoke, name="device_revoke"),
    path("compte/mot-de-passe/", views.password_change, name="password_change"),
]
