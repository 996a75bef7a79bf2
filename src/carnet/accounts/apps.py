from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carnet.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The account's parts of the space's lifecycle (spaces imports nothing of accounts): its eraser
        # (ADR 0008), its export section, the devices on the settings page.
        from carnet.spaces.erasure import register_eraser
        from carnet.spaces.export import register_section, section_delegations
        from carnet.spaces.views import register_settings_part

        from .erasure import ERASER_ORDER, erase_accounts
        from .export import section_devices
        from .selectors import settings_devices

        register_eraser("accounts", erase_accounts, order=ERASER_ORDER)
        register_section(section_devices, after=section_delegations)
        register_settings_part("devices", settings_devices)
