from django.db import migrations


class Migration(migrations.Migration):
    """Receiving more than a return expects is taken and flagged "over", no longer refused."""

    dependencies = [
        ("execution", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.RemoveConstraint(model_name="returnline", name="ra_line_not_over"),
    ]
