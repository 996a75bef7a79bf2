from django.apps import AppConfig


class VitalsConfig(AppConfig):
    name = "carnet.profile.vitals"
    label = "profile_vitals"
    verbose_name = "Vaccinations et mesures"

    def ready(self) -> None:
        # E-mail templates and history labels are registered at start.
        from . import messages  # noqa: F401
