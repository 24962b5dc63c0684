# Pre-created for the automatic postings; filled with that work's models (or removed if it needs none).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0004_payables")]

    operations: list[migrations.operations.base.Operation] = []
