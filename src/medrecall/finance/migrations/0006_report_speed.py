from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("finance", "0005_postings")]

    operations: list[migrations.operations.base.Operation] = []
