"""ADR 0008: vaccination and measure free text is sealed under the patient's data key; existing rows are
sealed here."""

from django.db import migrations

from carnet.vault.sealing_migrations import seal_existing


class Migration(migrations.Migration):
    dependencies = [
        ("profile_vitals", "0001_vaccinations_measurements"),
        ("records", "0003_seal_document_titles"),
    ]

    operations = [
        *seal_existing(
            "profile_vitals", "Vaccination", ["vaccine_name", "lot_number", "performer_label", "comment"]
        ),
        *seal_existing("profile_vitals", "Measurement", ["comment"]),
    ]
