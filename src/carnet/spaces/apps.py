from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "carnet.spaces"
    label = "spaces"

    def ready(self) -> None:
        # Register the notification templates of lifecycle and delegation messages in every process
        # (web and workers), not only where the URLconf happens to import the modules.
        from . import delegation, messages  # noqa: F401
