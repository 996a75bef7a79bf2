from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "carnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from carnet.audit.hooks import register_hidden_objects_provider

        from . import messages  # noqa: F401  (registers the content-free e-mail templates)
        from .hidden import hidden_conversation_objects
        from .labels import register_labels

        register_labels()
        # R-MIN-5: the traces of a conversation kept from legal representatives leave their history.
        register_hidden_objects_provider("messaging.conversations", hidden_conversation_objects)

        from carnet.spaces.erasure import register_eraser  # ADR 0008: conversations of an erased space

        from .erasure import erase_messaging

        register_eraser("messaging", erase_messaging)
