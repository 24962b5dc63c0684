from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_signatures"),
    ]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="superseded_at",
            field=models.DateTimeField(blank=True, help_text="Set when the record was sent back for signing again: the signature no longer counts.", null=True, verbose_name="superseded at"),
        ),
        migrations.AddField(
            model_name="signature",
            name="superseded_reason",
            field=models.TextField(blank=True, verbose_name="why superseded"),
        ),
    ]
