from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "carnet.spaces"
    label = "spaces"
