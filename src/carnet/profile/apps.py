from django.apps import AppConfig


class ProfileConfig(AppConfig):
    name = "carnet.profile"
    label = "profile"
    verbose_name = "Profil médical"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carnet.spaces.erasure import register_eraser  # ADR 0008: profile, vaccinations, measures

        from . import labels  # noqa: F401  (registers the history labels of the profile's actions)
        from .erasure import erase_profile
        from .summary import export_section_ips  # noqa: F401  (plugs the IPS into the space export, R-LC-25)

        register_eraser("profile", erase_profile)
