from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "carnet.access"
    label = "access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carnet.spaces.erasure import register_eraser  # ADR 0008: consents, emergency settings...

        from . import messages  # noqa: F401  (the first-access and emergency e-mails)
        from .erasure import erase_access

        register_eraser("access", erase_access)
