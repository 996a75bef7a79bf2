"""ADR 0008: agenda entries' free text is sealed under the patient's data key; existing rows are sealed
here."""

from django.db import migrations

from carnet.vault.sealing_migrations import seal_existing


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0002_prevention"),
        ("records", "0003_seal_document_titles"),
    ]

    operations = [
        *seal_existing("agenda", "Appointment", ["name", "speciality", "address", "comment"]),
        *seal_existing("agenda", "FreeReminder", ["title", "comment"]),
    ]
