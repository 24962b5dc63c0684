# Pre-created for the vendor quotes, refunds and payments; filled with that work's models (or removed if it needs none).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_budget")]

    operations: list[migrations.operations.base.Operation] = []
