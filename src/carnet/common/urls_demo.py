from django.urls import path

from . import demo_views

app_name = "demo"
urlpatterns = [path("horloge/", demo_views.demo_clock, name="clock")]
