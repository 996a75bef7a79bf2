"""Public support routes; included at the site root by ``config/urls.py``."""

from django.urls import path

from . import views

app_name = "support"
urlpatterns = [path("aide/", views.support_create, name="create")]
