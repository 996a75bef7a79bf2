from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "carnet.history"
    label = "history"

    def ready(self) -> None:
        from . import digest  # noqa: F401  (registers the digest e-mail's template at start)
