from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "carnet.backoffice"
    label = "backoffice"
