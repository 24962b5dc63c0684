# Pre-created for the budget, forecast and alerts; filled with that work's models (or removed if it needs none).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_rates")]

    operations: list[migrations.operations.base.Operation] = []
