from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("traceability", "0007_event_id_unique_index")]

    operations: list = []
