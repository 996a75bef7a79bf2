from django.urls import path

app_name = "delegation"
urlpatterns: list = []
