from django.urls import path
from django.views.generic import TemplateView

app_name = "notifications"
urlpatterns = [path("outbox/", TemplateView.as_view(template_name="base.html"), name="outbox")]
