from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "carnet.notifications"
    label = "notifications"

    def ready(self) -> None:
        from carnet.common.device_hooks import on_device_end

        from .push import push_forget_device

        on_device_end("notifications.push", push_forget_device)
