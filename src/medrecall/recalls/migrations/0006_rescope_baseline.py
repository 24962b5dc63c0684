from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0005_bilingual_texts"),
    ]

    operations: list[migrations.operations.base.Operation] = []
