"""event_id: a named UniqueConstraint instead of ``unique=True``.

On PostgreSQL ``unique=True`` also builds a ``varchar_pattern_ops`` index (``…_like``) that
no query uses and that every imported event pays for. The unique index itself is kept and
only renamed, so large event tables are not re-indexed. On SQLite both spellings are the same
UNIQUE constraint (its name is not stored), so nothing changes there."""

from django.db import migrations, models

TABLE = "traceability_traceevent"
OLD_NAME = "traceability_traceevent_event_id_key"
LIKE_INDEX = "traceability_traceevent_event_id_34b61e84_like"


def _unique_on_event_id(cursor):
    cursor.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        "AND a.attnum = ANY(c.conkey) WHERE c.conrelid = %s::regclass AND c.contype = 'u' "
        "AND a.attname = 'event_id' AND array_length(c.conkey, 1) = 1", [TABLE])
    return [row[0] for row in cursor.fetchall()]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in _unique_on_event_id(cursor):
            if name != "event_id_unique":
                schema_editor.execute(f'ALTER TABLE "{TABLE}" RENAME CONSTRAINT "{name}" TO "event_id_unique"')
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                       [TABLE, "%(event_id varchar_pattern_ops)%"])
        for (index,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" RENAME CONSTRAINT "event_id_unique" TO "{OLD_NAME}"')
    schema_editor.execute(f'CREATE INDEX "{LIKE_INDEX}" ON "{TABLE}" ("event_id" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
        ('core', '0001_initial'),
        ('parties', '0001_initial'),
        ('traceability', '0002_lean_event_constraints'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='traceevent',
                    name='event_id',
                    field=models.CharField(max_length=200, verbose_name='event id'),
                ),
                migrations.AddConstraint(
                    model_name='traceevent',
                    constraint=models.UniqueConstraint(fields=('event_id',), name='event_id_unique'),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
