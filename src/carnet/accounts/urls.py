from django.contrib.auth.views import LogoutView
from django.urls import path
from django.views.generic import TemplateView

app_name = "accounts"
urlpatterns = [
    path("connexion/", TemplateView.as_view(template_name="base.html"), name="login"),
    path("deconnexion/", LogoutView.as_view(), name="logout"),
    path("activation/", TemplateView.as_view(template_name="base.html"), name="activate"),
]
