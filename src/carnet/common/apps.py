from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "carnet.common"
    label = "common"
