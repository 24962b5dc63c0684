"""event_id's uniqueness as an index of its own (``CREATE UNIQUE INDEX``) on both databases.

On SQLite the constraint was part of the table's definition, which a bulk load cannot drop
and build again after the copy, as it does with the other indexes (ADR 0005). The table is
copied once on SQLite and the index built once on PostgreSQL."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_serial_without_database_foreign_keys'),
        ('core', '0001_initial'),
        ('parties', '0001_initial'),
        ('traceability', '0006_lean_event_indexes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='traceevent',
            name='event_id_unique',
        ),
        migrations.AddConstraint(
            model_name='traceevent',
            constraint=models.UniqueConstraint(models.F('event_id'), name='event_id_unique'),
        ),
    ]
