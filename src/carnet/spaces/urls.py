from django.urls import path

from . import views

app_name = "spaces"
urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("espace/", views.home, name="home"),
    path("espace/parametres/", views.settings_page, name="settings"),
    path("pro/", views.pro_home, name="pro_home"),
]
