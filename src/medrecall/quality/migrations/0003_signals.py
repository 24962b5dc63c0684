from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("quality", "0002_root_cause_vocabulary")]

    operations: list[migrations.operations.base.Operation] = []
