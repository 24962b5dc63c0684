from django.db import migrations


class Migration(migrations.Migration):
    """EU MDR documents: FSCA reports and the draft FSN to the authority."""

    dependencies = [
        ("filings", "0002_fda_documents"),
    ]

    operations: list[migrations.operations.base.Operation] = []
