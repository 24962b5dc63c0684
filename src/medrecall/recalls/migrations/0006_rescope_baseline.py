from django.db import migrations, models


class Migration(migrations.Migration):
    """A re-scope keeps units already dealt with under the recall: lines of a new category."""

    dependencies = [
        ("recalls", "0005_bilingual_texts"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(
            model_name="affectedline",
            name="category",
            field=models.CharField(choices=[("own_stock", "Own stock"), ("quarantine", "Quarantine"),
                                            ("in_transit", "In transit"), ("at_distributors", "At distributors"),
                                            ("at_customers", "At customers"),
                                            ("dispositioned", "Dealt with (dispositioned)")],
                                   max_length=16, verbose_name="where"),
        ),
    ]
