from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "carnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from . import messages  # noqa: F401  (registers the content-free e-mail templates)
        from .labels import register_labels

        register_labels()
