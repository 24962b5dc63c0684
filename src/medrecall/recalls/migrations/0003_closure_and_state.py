from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0002_deadlines"),
    ]

    operations: list[migrations.operations.base.Operation] = []
