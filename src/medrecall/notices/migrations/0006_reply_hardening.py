from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notices", "0005_updated_notices")]

    operations: list = []
