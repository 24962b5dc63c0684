from django.db import migrations, models


class Migration(migrations.Migration):
    """The keyed chain: existing entries keep chain version 1 (plain SHA-256) and keep
    verifying as they are; ``audit.record`` writes version 2 (HMAC with the audit key) from
    now on, and the first keyed entry's HMAC covers the hash of the last legacy one. No
    re-keying of old rows: their hashes are the evidence as it was (docs/audit.md)."""

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain_version",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="1: SHA-256 (entries written before the keyed chain); 2: HMAC-SHA-256 with the audit key.",
                verbose_name="chain version",
            ),
        ),
    ]
