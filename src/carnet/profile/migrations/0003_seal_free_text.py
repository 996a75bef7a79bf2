"""ADR 0008: the free text of the medical profile is sealed under the patient's data key; existing rows
are sealed here."""

from django.db import migrations

from carnet.vault.sealing_migrations import seal_existing


class Migration(migrations.Migration):
    dependencies = [
        ("profile", "0002_disability_rate_label"),
        ("records", "0003_seal_document_titles"),
    ]

    operations = [
        *seal_existing("profile", "Treatment", ["name", "comment", "posology"]),
        *seal_existing("profile", "Allergy", ["name", "comment"]),
        *seal_existing("profile", "Disease", ["name", "comment"]),
        *seal_existing("profile", "Hospitalisation", ["name"]),
        *seal_existing("profile", "FamilyHistory", ["name", "comment"]),
        *seal_existing("profile", "Disability", ["technical_help", "human_help", "comment"]),
        *seal_existing("profile", "Lifestyle", ["comment"]),
        *seal_existing("profile", "EmergencyContact", ["name", "phone", "email", "comment"]),
        *seal_existing("profile", "TrustedPerson", ["name", "phone", "email", "comment"]),
    ]
