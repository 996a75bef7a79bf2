from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "carnet.records"
    label = "records"

    def ready(self) -> None:
        # Register the e-mail templates and the scheduled task (``records.invisible_notices``) at start,
        # whether or not ``carnet.tasks.TASK_MODULES`` lists this module yet.
        from carnet.audit.hooks import register_hidden_objects_provider, register_trace_sealer

        from . import messages, tasks  # noqa: F401
        from .hidden import hidden_documents
        from .trace_sealing import SEALER

        register_hidden_objects_provider("records.documents", hidden_documents)
        register_trace_sealer(SEALER)  # ADR 0008: names and reasons in traces, under the patient key

        from carnet.spaces.erasure import register_eraser  # ADR 0008: the record's part of an erasure
        from carnet.spaces.export import register_section

        from .erasure import erase_records
        from .export import section_documents

        register_eraser("records", erase_records, order=90)  # blobs last: nothing points at them then
        register_section(section_documents)  # R-LC-25: the documents the requester may consult
