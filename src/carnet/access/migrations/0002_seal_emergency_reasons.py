"""ADR 0008: the written reason of an emergency access is sealed under the patient's data key; existing
rows are sealed here. The "a BTG session has a reason" constraint is dropped while the column changes and
put back on the sealed column (empty text seals to empty bytes, so it means the same)."""

from django.db import migrations, models
from django.db.models import Q

from carnet.vault.sealing_migrations import seal_existing


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial_consents_emergency"),
        ("records", "0003_seal_document_titles"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="breakglasssession", name="access_btg_reason"),
        *seal_existing("access", "BreakGlassSession", ["reason"]),
        migrations.AddConstraint(
            model_name="breakglasssession",
            constraint=models.CheckConstraint(
                condition=~Q(mode="BTG") | ~Q(reason=""), name="access_btg_reason"
            ),
        ),
    ]
