from django.apps import AppConfig


class ProfileConfig(AppConfig):
    name = "carnet.profile"
    label = "profile"
    verbose_name = "Profil médical"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carnet.spaces.erasure import register_eraser  # ADR 0008: profile, vaccinations, measures
        from carnet.spaces.export import register_section

        from . import labels  # noqa: F401  (registers the history labels of the profile's actions)
        from .erasure import erase_profile
        from .ips import export_section_ips

        register_eraser("profile", erase_profile)
        register_section(export_section_ips)  # the IPS in the space export (R-LC-25)
