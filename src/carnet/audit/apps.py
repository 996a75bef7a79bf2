from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "carnet.audit"
    label = "audit"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .db_guard import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="carnet.audit.db_guard")
