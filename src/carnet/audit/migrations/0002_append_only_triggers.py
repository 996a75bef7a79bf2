"""Traces and checkpoints are append-only in the database too (STYLE; see ``carnet/audit/db_guard.py``).

PostgreSQL: a trigger function raising on UPDATE or DELETE. SQLite: equivalent triggers; the DELETE one
lets Django's test flush through via the ``carnet_audit_flushing()`` SQL function that the audit app
registers on its connections. The SQL is written out here (not imported) so this migration never changes.
"""

from django.db import migrations

TABLES = ("audit_trace", "audit_checkpoint")

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION carnet_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    *[
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION carnet_audit_append_only()"
        for t in TABLES
    ],
]
POSTGRESQL_UNINSTALL = [
    *[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES],
    "DROP FUNCTION IF EXISTS carnet_audit_append_only()",
]
SQLITE_INSTALL = [
    stmt
    for t in TABLES
    for stmt in (
        f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
        f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} WHEN carnet_audit_flushing() = 0 "
        f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
    )
]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {t}_{s}" for t in TABLES for s in ("no_update", "no_delete")]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, []):
        schema_editor.execute(sql, params=None)  # no placeholders: '%' is literal


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}.get(vendor, []):
        schema_editor.execute(sql, params=None)  # no placeholders: '%' is literal


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
