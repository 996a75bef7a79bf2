from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The composition root as an app: it owns the commands that run the whole (``serve``, ``worker``).

    Settings, URLs, the worker cycle and the Celery worker live here too, at the top of the layers
    (docs/architecture.md): this package may import every other one, none imports it back."""

    name = "carnet.config"
    label = "config"
