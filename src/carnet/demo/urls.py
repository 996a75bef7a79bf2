"""The demo's time travel page, under ``/demo/`` (``config/urls.py``). Demo mode only."""

from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [path("horloge/", views.demo_clock, name="clock")]
