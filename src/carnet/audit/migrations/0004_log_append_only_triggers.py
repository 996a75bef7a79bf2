"""The transparency log's tables are append-only in the database too (``carnet/audit/db_guard.py``).

Same triggers as migration 0002, on every table of the log but the queue: PostgreSQL raises on UPDATE
or DELETE; SQLite aborts them, letting only Django's test flush through (``carnet_audit_flushing()``).
On SQLite, ``audit_trace`` was rebuilt by migration 0003 (a table rebuild drops its triggers): its
triggers are installed again here. The SQL is written out (not imported) so this migration never changes.
"""

from django.db import migrations

LOG_TABLES = (
    "audit_logleaf",
    "audit_loghash",
    "audit_treehead",
    "audit_headissued",
    "audit_witnesscosignature",
    "audit_logcheck",
)
SQLITE_TABLES = ("audit_trace", *LOG_TABLES)  # audit_trace lost its triggers in 0003's table rebuild

POSTGRESQL_INSTALL = [
    f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
    f"FOR EACH ROW EXECUTE FUNCTION carnet_audit_append_only()"
    for t in LOG_TABLES
]
POSTGRESQL_UNINSTALL = [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in LOG_TABLES]
SQLITE_INSTALL = [
    stmt
    for t in SQLITE_TABLES
    for stmt in (
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
        f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} WHEN carnet_audit_flushing() = 0 "
        f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
    )
]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {t}_{s}" for t in LOG_TABLES for s in ("no_update", "no_delete")]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, []):
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}.get(vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_transparency_log")]

    operations = [migrations.RunPython(install, uninstall)]
