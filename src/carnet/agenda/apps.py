from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "carnet.agenda"
    label = "agenda"
    verbose_name = "Agenda"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carnet.spaces.erasure import register_eraser  # ADR 0008: diary, feed, prevention

        from .erasure import erase_agenda

        register_eraser("agenda", erase_agenda)
