from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "carnet.records"
    label = "records"

    def ready(self) -> None:
        # Register the e-mail templates and the scheduled task (``records.invisible_notices``) at start,
        # whether or not ``carnet.config.tasks.TASK_MODULES`` lists this module yet.
        from carnet.audit.hooks import register_hidden_objects_provider

        from . import messages, tasks  # noqa: F401
        from .hidden import hidden_documents

        register_hidden_objects_provider("records.documents", hidden_documents)

        from carnet.spaces.erasure import register_eraser  # ADR 0008: the record's part of an erasure

        from .erasure import erase_records

        register_eraser("records", erase_records, order=90)  # blobs last: nothing points at them then
