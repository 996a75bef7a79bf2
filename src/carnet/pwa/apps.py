from django.apps import AppConfig


class PwaConfig(AppConfig):
    """The installable app: manifest, service worker, offline page, the device's app settings."""

    name = "carnet.pwa"
    label = "pwa"

    def ready(self) -> None:
        from . import services  # noqa: F401  (registers the labels of its trace actions)
