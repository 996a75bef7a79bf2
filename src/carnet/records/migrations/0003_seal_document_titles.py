"""ADR 0008: document titles are sealed under the patient's data key; existing titles are sealed here."""

from django.db import migrations

from carnet.vault.sealing_migrations import seal_existing


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_documents"),
    ]

    operations = seal_existing("records", "Document", ["title"])
