from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "carnet.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        # Register the support notification templates in every process (web and workers).
        from . import messages  # noqa: F401
