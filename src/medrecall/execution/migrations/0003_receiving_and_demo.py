from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("execution", "0002_state_rules"),
    ]

    operations: list[migrations.operations.base.Operation] = []
