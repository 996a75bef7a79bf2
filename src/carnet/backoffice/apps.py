from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "carnet.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        from carnet.spaces.erasure import register_eraser

        # Register the support notification templates in every process (web and workers).
        from . import messages  # noqa: F401
        from .erasure import erase_support_requests

        register_eraser("backoffice", erase_support_requests)  # ADR 0008: an erased person's requests
