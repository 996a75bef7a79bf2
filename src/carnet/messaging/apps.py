from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "carnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from . import messages  # noqa: F401  (registers the content-free e-mail templates)
        from .labels import register_labels

        register_labels()

        from carnet.spaces.erasure import register_eraser  # ADR 0007: conversations of an erased space

        from .erasure import erase_messaging

        register_eraser("messaging", erase_messaging)
