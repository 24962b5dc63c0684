from django.db import migrations


class Migration(migrations.Migration):
    """FDA documents: 806 report, 806.20 record, status reports, termination request."""

    dependencies = [
        ("filings", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []
